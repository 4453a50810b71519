"""Synthetic, seeded sample data for govwatch (see sample_data/README.md and govwatch.sample_data.generate)."""
