"""Statistics on already aggregated series: monthly alerts per place (:mod:`etl.analysis.alerts`).

The SQL that aggregates lives in :mod:`etl.analysis.sql`; it reads the tables by their plain names, so the
same text runs on the database (the command line) and on a user's scoped views (the dashboard).
"""
