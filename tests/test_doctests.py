"""The examples in docstrings are true."""

import doctest
import importlib

import pytest

MODULES = ["etl.vocab", "etl.logformat", "etl.names", "etl.validate", "etl.db", "etl.gazetteer", "etl.mapping",
           "etl.incident_feeds", "etl.demo_incidents", "dashboard.exports", "dashboard.uploads", "etl.config",
           "dashboard.web_guard", "etl.archives", "etl.sealed", "etl.schema", "etl.store.migrations",
           "etl.store.migrations.runner"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
