"""Run the govwatch CLI of another source tree with this interpreter's libraries.

    python benchmarks/_tree_cli.py TREE analyze --db store.duckdb ...

TREE is a checkout of govwatch (``git worktree add`` or ``git archive | tar -x``): its
folders are imported as the packages ``pyproject.toml``'s package-dir maps them to,
in place of the installed govwatch. The benchmarks use it to measure the code before
a change beside the code after, in the same run (``bench_startup.py --before``).
"""

from __future__ import annotations

import importlib.util
import runpy
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path

PACKAGES = {"govwatch": "govwatch", "govwatch.ingest": "ingest",
            "govwatch.analysis": "analysis", "govwatch.dashboard": "dashboard",
            "govwatch.export": "export", "govwatch.sample_data": "sample_data"}


class TreeFinder(MetaPathFinder):
    def __init__(self, tree: Path):
        self.tree = tree

    def find_spec(self, fullname, path=None, target=None):
        if fullname in PACKAGES:
            folder = self.tree / PACKAGES[fullname]
            return importlib.util.spec_from_file_location(
                fullname, folder / "__init__.py", submodule_search_locations=[str(folder)])
        return None


def main() -> None:
    tree = Path(sys.argv[1]).resolve()
    # Before any installed finder: the tree's packages win over the installed govwatch.
    sys.meta_path.insert(0, TreeFinder(tree))
    sys.argv = ["govwatch", *sys.argv[2:]]
    runpy.run_module("govwatch.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
