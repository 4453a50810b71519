"""Readers that turn platform exports into canonical rows, and the import into the store."""
