"""govwatch: measure whether governments listen on social media.

The core package holds what every stage shares: configuration, the canonical
schema, the DuckDB store, typed errors, record shapes and the command line.
"""

__version__ = "0.2.0.dev0"

# Version of the metric definitions (docs/methodology.md). Exports and
# manifests carry it so a figure can be traced to the definitions it used.
DEFINITION_VERSION = "1"
