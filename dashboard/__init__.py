"""Streamlit dashboard over the access-negotiation warehouse.

Importing it makes every file this process creates owner-only (umask 077): the app writes uploads,
loads them (DuckDB's WAL and spill files take the process umask) and appends to the audit log, and
``streamlit run`` on either entry file reaches this before any page runs. ``python -m dashboard``
sets it earlier still, before Streamlit starts.
"""

from etl.store.db import owner_only_umask

owner_only_umask()
