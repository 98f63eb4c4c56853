"""Counterpart name resolution: obvious variants merge, doubtful ones are listed, never merged."""

from __future__ import annotations

import pytest

from etl.counterparts.names import doubtful_pairs, name_key, stable_id
from tests.conftest import row, write_csv

SAME = [
    ("Col. Mohammed Idris", "COLONEL MUHAMMAD IDRIS"),
    ("Col. Mohammed Idris", "col  mohamed idris"),
    ("Cmdr. Yusuf Al-Amin", "Commander Youssef el Amin"),
    ("Sheikh Abd al-Rahman Osman", "Shaykh Abdul Rahman Othman"),
    ("Gen. Ahmed Hussein", "General Ahmad Husain"),
    ("Capt. Omar O'Neil", "Captain Umar ONeil"),
    ("Office of the Governor, Aden", "office of the governor - aden"),
]
DIFFERENT = [
    ("Cmdr. Hassan Ali", "Cmdr. Hassan Alim"),
    ("34th Infantry Brigade", "43rd Infantry Brigade"),
    ("Col. Idris Bakhit", "Col. Idris Bakheet Musa"),
    ("Governor of Aden", "Office of the Governor, Aden"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_obvious_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_counterparts_keep_different_keys(a, b):
    assert name_key(a) != name_key(b)


def test_titles_alone_are_not_stripped_to_nothing():
    assert name_key("Commander") == "commander"
    assert name_key("Chief of Staff") == "chief of staff"


def test_doubtful_pairs_are_found_within_a_country_only():
    pairs = doubtful_pairs([("YEM", name_key("Cmdr. Hassan Alim"))],
                           [("YEM", name_key("Hassan Ali")), ("SSD", name_key("Hassan Alim"))])
    assert [(p.iso3, p.key_a, p.key_b) for p in pairs] == [("YEM", "hassan ali", "hassan alim")]
    assert 88 <= pairs[0].score < 100


def test_stable_ids_do_not_depend_on_the_machine():
    assert stable_id("CP", "YEM", "muhammad idris") == "CP-" + __import__("hashlib").sha1(
        b"YEM\x1fmuhammad idris").hexdigest()[:10].upper()


def test_loading_variants_gives_one_counterpart_and_lists_doubtful_ones(tmp_path, load, q):
    names = ["Col. Mohammed Idris", "COLONEL MUHAMMAD IDRIS", "col. mohamed  idris", "Cmdr. Hassan Ali",
             "Cmdr. Hassan Alim", "Commander Hassan Ali"]
    rows = [row(engagement_id=f"N{i}", counterpart=n, date=f"2025-03-{i + 1:02d}", request_date="",
                resolution_date="") for i, n in enumerate(names)]
    load(write_csv(tmp_path / "names.csv", rows))
    counterparts = dict(q("SELECT name_key, engagements FROM counterparts"))
    assert counterparts == {"muhammad idris": 3, "hassan ali": 2, "hassan alim": 1}
    assert q("SELECT count(*) FROM counterpart_aliases") == [(6,)]
    review = q("""SELECT a.name_key, b.name_key, r.status FROM counterpart_review r
                  JOIN counterparts a ON a.counterpart_id = r.counterpart_id_a
                  JOIN counterparts b ON b.counterpart_id = r.counterpart_id_b""")
    assert review == [("hassan ali", "hassan alim", "pending")]


def test_same_name_in_two_countries_is_two_counterparts(tmp_path, load, q):
    rows = [row(), row(engagement_id="T-2", country="SSD", latitude="4.85", longitude="31.6", admin1="",
                checkpoint="")]
    load(write_csv(tmp_path / "two.csv", rows))
    assert q("SELECT iso3 FROM counterparts ORDER BY 1") == [("SSD",), ("YEM",)]
