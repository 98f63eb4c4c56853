"""Fixtures for the security tests: the dashboard tests' server, browser and database, re-exported.

pytest only finds fixtures in conftest files on the test's own path, so the ones defined in
``tests/dashboard/conftest.py`` are imported here under the same names.
"""

from __future__ import annotations

from tests.dashboard.conftest import browser, demo_db, full_error_details, server, visit  # noqa: F401
