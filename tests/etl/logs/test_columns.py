"""The log column declarations agree with the reasons, the schema and the SQL made from them."""

from __future__ import annotations

import duckdb
import pytest

from etl.logs import sql
from etl.logs.columns import COLUMNS, NAMES, NOTES, TYPES
from etl.logs.validate import REASONS
from etl.store.schema import ensure_schema
from etl.vocab import VOCABULARIES


@pytest.fixture(scope="module")
def schema() -> dict[str, set[str]]:
    con = duckdb.connect()
    try:
        ensure_schema(con)
        out: dict[str, set[str]] = {}
        for table, column in con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall():
            out.setdefault(table, set()).add(column)
        return out
    finally:
        con.close()


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: c.name)
def test_declaration_is_complete(column, schema):
    assert column.type in TYPES
    assert column.confidential in (None, NAMES, NOTES)
    assert (column.vocab in VOCABULARIES) if column.type in ("vocab", "multi") else column.vocab is None
    assert set(column.reasons) <= set(REASONS), "declare the reason in etl/logs/validate.py REASONS"
    assert column.stored, "say where the value is stored"
    for target in column.stored:
        table, _, name = target.partition(".")
        assert name in schema.get(table, set()), f"{target} is not in the schema"
    assert sum(t.startswith("engagements.") for t in column.stored) <= 1


def test_every_reason_is_raised_by_a_declared_column():
    declared = {r for c in COLUMNS for r in c.reasons}
    assert set(REASONS) - declared == {"conflicting_duplicate"}  # a property of the row, not of a column


def test_insert_names_every_engagements_column_once(schema):
    assert sorted(sql.ENGAGEMENT_VALUES) == sorted(schema["engagements"])
