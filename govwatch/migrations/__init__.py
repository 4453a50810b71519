"""The store's ordered migrations: ``NNNN_name.sql`` files, or ``NNNN_name.py`` modules
with an ``apply(con)`` function (loaded by govwatch.schema)."""
