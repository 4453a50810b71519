"""Analysis: tagging (sentiment, topics, critical, needs-response) and metrics.

Reads canonical rows from the store and writes derived tables back; it never
parses export formats.
"""
