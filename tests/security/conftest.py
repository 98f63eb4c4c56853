"""Fixtures for the security tests: the dashboard tests' server, browser, databases and helpers, re-exported.

pytest only finds fixtures in conftest files on the test's own path, so the ones defined in
``tests/dashboard/conftest.py`` are imported here under the same names (one server and browser per
process either way: see that file).
"""

from tests.dashboard.conftest import *  # noqa: F401,F403
