"""Transliteration variants of one name are offered for review; different people are not.

The pairs below are written by hand from how field logs spell the same Arabic, Chadian, Sudanese
or Somali name (titles with and without dots, doubled letters, ee/i, ou/u, kh/k, q/g, dh/d, th/t,
ch/sh, dj/j, al-/el-, Abdel-/Abdul, a final h), and from pairs of different people that look
alike (the same names in another order, a shared first name, Hassan / Hussein).
"""

from __future__ import annotations

import csv

import pytest
from rapidfuzz import fuzz

from etl.counterparts.names import (
    DOUBTFUL_SCORE,
    doubtful_pairs,
    name_key,
)
from etl.counterparts.sounds import sound_key
from tests.conftest import realdata, row, write_csv

# One person, two spellings: different name keys (two counterparts), so they must reach review.
VARIANTS = [
    ("Col Idriss Bakheet", "Col. Idris Bakhit"),
    ("Sheikh Ibrahim Moussa Adam", "Shaykh Ibrahim Musa Adam"),
    ("Gen. Qassim Hamdan", "General Gasim Hamdan"),
    ("Cmdr Abou Bakr Haroun", "Cmdr. Abu Bakr Harun"),
    ("Lt. Haitham Dhahir", "Lt Haytham Dahir"),
    ("Fatimah Zeinab Adam", "Fatima Zaynab Adam"),
    ("Maj. Abdelrahman Juma", "Major Abdul Rahman Jumaa"),
    ("Omar al-Bashir Hassan", "Omer Bashir Hasan"),
    ("Sheikh Mahamat Nour Abdelkerim", "Cheikh Mahamat Nur Abdel Karim"),
    ("Brig. Mohamed Hamdan Dagalo", "Brig. Mohammed Hamdan Daqalo"),
    ("Ahmed Haroun Djibril", "Ahmad Harun Jibril"),
    ("Cmdr Yasir Ould Cheikh", "Cmdr Yassir Ould Sheikh"),
    ("Col Ahmed Ali El-Tayeb", "Col. Ahmed Ali al-Tayyeb"),
    ("Capt. Mustapha Kachallah", "Captain Mustafa Kashalla"),
    ("Abdirahman Mohamed Farah", "Abdulrahman Mohamud Faarah"),
    ("Sultan Abdallah Ibn Saleh", "Sultan Abdullah bin Saleh"),
]

# Different people who look alike: never offered by the sound key.
DIFFERENT_PEOPLE = [
    ("Ahmed Ali", "Ali Ahmed"),                      # the same two names in another order
    ("Hassan Ali Musa", "Hussein Ali Musa"),         # Hasan and Husayn are two names
    ("Mahmoud Idris Adam", "Mohammed Idris Adam"),   # Mahmud and Muhammad are two names
    ("Omar Idris", "Ammar Idris"),
    ("Hassan Ali", "Hassan Omar"),                   # a shared first name
    ("Col. Idris Bakhit", "Col. Idris Bakhit Musa"),  # one more name: maybe the son
    ("Ibrahim Musa", "Ibrahim Isa"),
    ("Abdi Farah", "Abdul Farah"),
    ("Cmdr Issa", "Cmdr Isah"),                      # one short name: too little to go on
]


def _proposed(a: str, b: str, iso3_a: str = "SDN", iso3_b: str = "SDN") -> bool:
    return bool(doubtful_pairs([(iso3_a, name_key(a))], [(iso3_b, name_key(b))]))


@pytest.mark.parametrize(("a", "b"), VARIANTS)
def test_transliteration_variants_are_offered_for_review(a, b):
    assert name_key(a) != name_key(b)  # not silently one counterpart
    assert _proposed(a, b) and _proposed(b, a)


def test_most_variants_are_found_by_the_sound_key_not_the_similarity():
    missed_by_similarity = [(a, b) for a, b in VARIANTS if fuzz.ratio(name_key(a), name_key(b)) < DOUBTFUL_SCORE]
    assert len(missed_by_similarity) >= 5, missed_by_similarity
    assert all(_proposed(a, b) for a, b in missed_by_similarity)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_PEOPLE)
def test_different_people_are_not_offered(a, b):
    assert fuzz.ratio(name_key(a), name_key(b)) < DOUBTFUL_SCORE  # the similarity alone would not list them
    assert not _proposed(a, b)


@pytest.mark.parametrize(("a", "b"), VARIANTS[:3])
def test_variants_in_two_countries_are_not_a_pair(a, b):
    assert not _proposed(a, b, "SDN", "TCD")


def test_the_sound_key_rules_one_by_one():
    # The rules of etl.counterparts.sounds, each on the smallest example.
    assert sound_key("bakheet") == sound_key("bakhit") == "bakit"       # kh -> k, ee -> i
    assert sound_key("idriss") == "idris"                                # doubled letters
    assert sound_key("qasim") == sound_key("gasim") == sound_key("kasim")
    assert sound_key("dhahir") == sound_key("dahir") and sound_key("uthman") == sound_key("utman")
    assert sound_key("cheikh") == sound_key("sheikh")
    assert sound_key("yusuf al amin") == sound_key("yusuf amin")         # the article
    assert sound_key("nur ad din") == sound_key("nur din")               # an assimilated article
    assert sound_key("fatimah") == "fatima"                              # a final h after a vowel
    assert sound_key("moussa") == sound_key("musa") == sound_key("mousa")
    assert sound_key("husayn") == sound_key("hussein") == sound_key("husain")
    assert sound_key("ahmed") == sound_key("ahmad")
    assert sound_key("post 1552") != sound_key("post 152")               # digits are kept as written
    assert sound_key("hassan") != sound_key("hussein") and sound_key("umar") != sound_key("amir")


def test_few_extra_pairs_on_real_names():
    """On OCHA's admin-1 and admin-2 names (31,671 distinct, 158 countries: real places, mostly
    different), the sound key adds few same-country pairs to those the similarity finds."""
    keys: set[tuple[str, str]] = set()
    with open(realdata("pcodes", "global_pcodes_adm1_adm2.csv"), encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            keys.add((r["Location"], name_key(r["Name"])))
    pairs = doubtful_pairs(keys, keys)
    by_sound_only = [p for p in pairs if p.score < DOUBTFUL_SCORE]
    assert len(keys) > 30_000
    assert all(sound_key(p.key_a) == sound_key(p.key_b) for p in by_sound_only)
    assert 20 <= len(by_sound_only) <= 60, len(by_sound_only)  # 54 when written: about 1 pair per 600 names


def test_loading_two_spellings_in_one_country_gives_two_counterparts_and_one_pending_pair(tmp_path, load, q):
    rows = [row(engagement_id="S1", counterpart="Col Idriss Bakheet"),
            row(engagement_id="S2", counterpart="Col. Idris Bakhit", date="2025-03-06")]
    load(write_csv(tmp_path / "one_country.csv", rows))
    assert q("SELECT count(*) FROM counterparts") == [(2,)]
    assert q("SELECT count(*) FROM counterpart_review WHERE status = 'pending'") == [(1,)]
    assert q("SELECT count(*) FROM counterpart_review") == [(1,)]


def test_loading_two_spellings_in_two_countries_gives_no_pair(tmp_path, load, q):
    rows = [row(engagement_id="S1", counterpart="Col Idriss Bakheet"),
            row(engagement_id="S2", counterpart="Col. Idris Bakhit", country="SSD", latitude="4.85",
                longitude="31.6", admin1="", checkpoint="")]
    load(write_csv(tmp_path / "two_countries.csv", rows))
    assert q("SELECT count(*) FROM counterparts") == [(2,)]
    assert q("SELECT count(*) FROM counterpart_review") == [(0,)]
