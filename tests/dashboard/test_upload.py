"""Uploading a log on the Data page runs the same ETL, while the app keeps reading the database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import row, write_csv
from tests.dashboard.conftest import Visit, running_server, sql, wait_for_app, wait_for_metric

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture
def own_server(demo_db: Path, tmp_path: Path):
    """A server on a private copy of the demo database, since this test writes to it."""
    db = tmp_path / "access.duckdb"
    shutil.copyfile(demo_db, db)
    with running_server(db, "streamlit-upload.log") as server:
        yield server, db


def test_upload_loads_a_log_and_the_app_shows_it(browser, own_server, tmp_path):
    server, db = own_server
    before = sql(db, "SELECT count(*) FROM engagements")[0][0]
    log = write_csv(tmp_path / "field_log.csv", [
        row(engagement_id="UP-1", date="2026-10-01", request_date="", resolution_date=""),
        row(engagement_id="UP-2", date="2026-10-02", request_date="", resolution_date="", outcome="maybe"),
    ])
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    external: list[str] = []

    def guard(route) -> None:
        if route.request.url.startswith(server.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    try:
        visit = Visit(page, server)
        visit.open("/")
        engagements_before = wait_for_metric(page, "Engagements")
        visit.open("/data")
        page.get_by_role("tab", name="Upload a log").click()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(log))
        wait_for_app(page)
        page.get_by_role("button", name="Load this file").click()
        page.get_by_text("2 rows read, 1 loaded, 1 rejected").wait_for(timeout=60_000)
        page.get_by_text("unknown_outcome (1)").wait_for(timeout=60_000)  # drawn after the summary line
        assert page.get_by_text("unknown_outcome (1)").count() == 1
        assert sql(db, "SELECT count(*) FROM engagements")[0][0] == before + 1
        # The other pages see the new data on their next run, without a restart or a lock error.
        visit.open("/")
        wait_for_metric(page, "Engagements", f"{int(engagements_before.replace(',', '')) + 1:,}")
        assert not external
    finally:
        context.close()
