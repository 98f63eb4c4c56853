"""The warehouse's own secrets: the salt of counterpart pseudonyms, shared by every process that reads it.

On a laptop the salt is a file beside the database (:func:`dashboard.db.scope.pseudonym_salt`). In the
warehouse every app replica and every command must key pseudonyms with the *same* salt, or an ``hq``
user would see one counterpart under two codes depending on the replica that answered. So the salt is a
row of the warehouse table ``warehouse_secrets``, made once by ``python -m etl warehouse init`` (in its
transaction; never rewritten by a later ``init``) and only read afterwards.

It is protected like the data itself: in an encrypted warehouse its data file is encrypted, and the
catalog (PostgreSQL) holds the key and, as for every column, the value's statistics; whoever can read
the catalog can read the salt (docs/deployment.md). It is not reachable from the dashboard: the
scoped views list the tables a user may read (``dashboard/db/scope.py``), and this is not one of them.
"""

from __future__ import annotations

import secrets

import duckdb

from etl.errors import DatabaseError

SECRETS_TABLE = "warehouse_secrets"
SECRETS_DDL = f"CREATE TABLE IF NOT EXISTS {SECRETS_TABLE} (name VARCHAR NOT NULL, value VARCHAR NOT NULL)"
SALT = "pseudonym_salt"
# Two `init`s at once on a new warehouse could both write a salt: every reader takes the smallest, so all agree.
READ_SALT = f"SELECT min(value) FROM {SECRETS_TABLE} WHERE name = ?"  # noqa: S608 - a constant


def keep_pseudonym_salt(con: duckdb.DuckDBPyConnection) -> None:
    """Write a new random salt unless the warehouse has one (inside ``init``'s transaction)."""
    row = con.execute(READ_SALT, [SALT]).fetchone()
    if row is None or row[0] is None:
        con.execute(f"INSERT INTO {SECRETS_TABLE} VALUES (?, ?)", [SALT, secrets.token_hex(32)])  # noqa: S608


def pseudonym_salt(con: duckdb.DuckDBPyConnection) -> str:
    """The warehouse's salt, read on ``con`` (a connection to the warehouse); an error says how to make it."""
    try:
        row = con.execute(READ_SALT, [SALT]).fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None or row[0] is None:
        raise DatabaseError("The warehouse has no pseudonym salt (it was created by an older version).",
                            "Run `python -m etl warehouse init` once: it adds the salt and changes nothing else.")
    return str(row[0])
