"""The examples in docstrings are true."""

import doctest
import importlib

import pytest

MODULES = ["etl.vocab", "etl.logs.columns", "etl.counterparts.names", "etl.logs.validate", "etl.geo.countries", "etl.geo.refresh", "etl.store.db", "etl.geo.gazetteer", "etl.logs.mapping",
           "etl.feeds.normalise", "etl.feeds.awsd", "etl.feeds.conflict_base", "etl.feeds.acled",
           "etl.feeds.hdx_hapi", "etl.demo.incidents", "etl.demo.conflict", "dashboard.ui.exports", "etl.formula_guard", "dashboard.ui.formats", "dashboard.ui.labels", "dashboard.ui.components", "dashboard.ui.change_story", "dashboard.ui.alerts",
           "dashboard.uploads", "etl.config",
           "dashboard.session.web_guard", "etl.store.archives", "etl.store.sealed", "etl.store.schema", "etl.store.migrations",
           "etl.store.migrations.runner", "dashboard.registry",
           "etl.store.files", "etl.store.snapshots", "etl.errors", "etl.accounts.records", "etl.accounts.signin",
           "etl.accounts.rules", "etl.accounts.users", "etl.accounts.pgstore", "etl.accounts.importing",
           "etl.counterparts.resolver", "etl.counterparts.mirror", "etl.feeds.sind", "etl.feeds.recognise",
           "etl.feeds.cells", "etl.feeds.tables", "etl.logs.numbers", "etl.logs.readers.encodings",
           "etl.counterparts.sounds", "etl.store.scratch", "dashboard.snapshot.content", "dashboard.snapshot.notable", "dashboard.db.periods",
           "dashboard.db.filters", "dashboard.ui.comparisons",
           "etl.analysis.alerts", "etl.analysis.sql", "etl.store.warehouse",
           "etl.store.outbox", "etl.cli.sync", "etl.sync.pull_boundaries"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
