"""The project documents itself: every document cited exists, and docs/WAREHOUSE.md matches the table registry."""

from __future__ import annotations

import re
from pathlib import Path

from mission_platform.warehouse.tables import TABLES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CITED = re.compile(r"(?<![\w/.-])((?:docs/|fixtures/example_export/)?[A-Za-z_][\w-]*\.md)\b")


def _sources() -> list[Path]:
    files = [ROOT / "README.md", *ROOT.glob("pyproject.toml")]
    for folder in ("mission_platform", "mission_platform_tests", "benchmarks", "scripts", "docs"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".sql", ".md", ".sh", ".toml"}]
    return files


def test_every_document_cited_exists():
    missing = []
    for source in _sources():
        for name in set(CITED.findall(source.read_text(encoding="utf-8"))):
            candidates = [ROOT / name, DOCS / name, ROOT / "mission_platform_tests" / name, source.parent / name]
            if not any(c.exists() for c in candidates):
                missing.append(f"{source.relative_to(ROOT)} cites {name}")
    assert not missing, "\n".join(missing)
    assert {p.name for p in DOCS.glob("*.md")} >= {"ARCHITECTURE.md", "NOTION_EXPORTS.md", "WAREHOUSE.md"}


def _documented_columns(text: str, table: str) -> list[tuple[str, str]]:
    section = re.search(r"\*\*`" + table + r"`\*\*.*?\n\n(\|.*?)(?:\n\n|\Z)", text, re.S)
    assert section, f"docs/WAREHOUSE.md has no section for core.{table}"
    rows = section.group(1).splitlines()[2:]
    return [re.match(r"\| `([^`]+)` \| `([^`]+)` \|", row).groups() for row in rows]


def test_the_warehouse_document_lists_every_core_column_with_its_type():
    text = (DOCS / "WAREHOUSE.md").read_text(encoding="utf-8")
    for name, table in TABLES.items():
        assert _documented_columns(text, name) == [(c.name, c.sql) for c in table.columns], name
