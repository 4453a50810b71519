"""The project files a newcomer and a citing academic look for, and the one version."""

from __future__ import annotations

import re
import tomllib

import govwatch


def test_licence_citation_changelog_and_contributing(repo):
    licence = (repo / "LICENSE").read_text("utf-8")
    assert licence.startswith("MIT License")
    project = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT" and project["dynamic"] == ["version"]
    assert "version" not in project  # one place: govwatch.__version__
    citation = (repo / "CITATION.cff").read_text("utf-8")
    assert re.search(rf'^version: "{re.escape(govwatch.__version__)}"$', citation, re.M), (
        "CITATION.cff names another version than govwatch.__version__")
    assert "license: MIT" in citation
    changelog = (repo / "CHANGELOG.md").read_text("utf-8")
    assert f"## Definition version {govwatch.DEFINITION_VERSION}\n" in changelog
    assert f"### {govwatch.__version__}\n" in changelog
    contributing = (repo / "CONTRIBUTING.md").read_text("utf-8")
    assert "## Recipe: a new reader" in contributing and "## Recipe: a new metric" in contributing
