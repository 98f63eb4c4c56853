"""The documentation says what the code does: every column, setting and log column is documented."""

from __future__ import annotations

import re
import subprocess
import sys

import duckdb

from etl.config import Settings
from etl.store.schema import ensure_schema
from tests.conftest import REPO


def test_every_table_column_is_documented():
    doc = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", doc, flags=re.S | re.M))
    con = duckdb.connect()
    ensure_schema(con)
    columns = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    missing = []
    for table, column, data_type in columns:
        section = sections.get(table, "")
        if not re.search(rf"^\| `{column}` \| {re.escape(data_type)} \|", section, flags=re.M):
            missing.append(f"{table}.{column} ({data_type})")
    assert not missing, f"not documented in docs/data-model.md: {missing}"


def test_every_setting_is_documented():
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"| `{name}` | `ACCESS_{name.upper()}` |" in doc, name


def test_log_format_doc_is_up_to_date():
    result = subprocess.run([sys.executable, "scripts/gen_log_format_doc.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_readme_starts_with_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line for line in quick.splitlines() if line.startswith("python3 ")]
    assert [c.split("#")[0].strip() for c in commands] == ["python3 tasks.py run", "python3 tasks.py test"]
    assert "exec python3 tasks.py test" in (REPO / ".ci" / "run").read_text()


# A path in backticks, under one of the project's folders: `etl/logs/load.py`, `dashboard/db/`, ...
PATH_IN_DOCS = re.compile(r"`((?:etl|dashboard|tests|bench|scripts|docs|data)/[\w./-]*)`")


def test_every_path_the_docs_name_exists():
    """README.md and docs/*.md name files that are there (the layout table, architecture, references)."""
    missing = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for match in PATH_IN_DOCS.finditer(doc.read_text(encoding="utf-8")):
            path = match.group(1).rstrip(".")
            if any(ch in path for ch in "<*"):
                continue  # a pattern: <page>.py
            if not (REPO / path).exists():
                missing.append(f"{doc.name}: {path}")
    made_by_the_software = subprocess.run(["git", "check-ignore", "--no-index", *[m.split(": ")[1] for m in missing]],
                                          cwd=REPO, capture_output=True, text=True).stdout.split()
    assert [m for m in missing if m.split(": ")[1] not in made_by_the_software] == []
