"""Synthetic, seeded sample data for govwatch (see sample_data/README.md and sample_data.generate)."""
