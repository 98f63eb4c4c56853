"""The feed registry: every publisher's file format is complete and recognisable on its own."""

from __future__ import annotations

import pytest

from etl.feeds.registry import FEEDS, SOURCES


@pytest.mark.parametrize("feed", FEEDS, ids=[f.name for f in FEEDS])
def test_each_feed_format_can_be_recognised_and_read(feed):
    if feed.parse is not None:  # a whole-file reader, recognised by its sheets (AWSD codebook)
        assert feed.normalise_row is None and feed.read_rows is None and feed.sheets_match is not None
        assert not feed.signature
    else:  # a table recognised by its documented columns, read by incident row or by its own row reader
        assert feed.signature and feed.source and (feed.normalise_row is None) != (feed.read_rows is None)
        assert feed.signature <= {c.key for c in feed.columns}
        assert not feed.signature & feed.not_with


def test_feed_names_are_unique_and_no_signature_contains_another():
    assert len({f.name for f in FEEDS}) == len(FEEDS)
    tables = [f for f in FEEDS if f.signature]
    for a in tables:
        for b in tables:
            # b's header would also be taken for a, unless a rules out one of b's columns
            if a is not b and a.signature <= b.signature:
                assert a.not_with & b.signature, (a.name, b.name)
    assert SOURCES == {"awsd": "awsd", "awsd_2016": "awsd", "insecurity_insight": "insecurity_insight",
                       "acled": "acled", "hdx_hapi_conflict": "hdx_hapi"}
