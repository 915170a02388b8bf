"""docs/families.md is the catalogue's own Markdown, so it cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from cadml.designs.catalog import families_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "families.md"


def test_docs_families_md_matches_the_catalogue() -> None:
    assert DOC.read_text(encoding="utf-8") == families_markdown(), (
        "regenerate it: cadml design families --markdown > docs/families.md"
    )
