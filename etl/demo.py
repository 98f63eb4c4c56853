"""Deterministic demo engagement logs: one realistic field-office log per demo country.

:func:`write_demo_logs` writes the logs that the demo dashboard is built from. The real ETL
loads them exactly like field files, so they use the documented column names or their
synonyms (:mod:`etl.logs.columns`) and the vocabulary synonyms of :mod:`etl.vocab`, with each
office writing its own header spellings, date format and labels. The same arguments always
give byte-identical files: all randomness comes from ``random.Random(seed)`` and
``numpy.random.default_rng((seed, ...))``, never from the clock.

Everything in the logs is fictional: people, units, armed groups, organisations, towns and
checkpoints are made up (names are random combinations of common given and family names of the
region, and place names are made of random syllables). Only the countries and their admin-1
areas (from ``data/boundaries/admin1.geojson``) are real.

Content
-------
Three years of engagements ending at ``end_date`` (the default window is 2023-11-01 to
2026-10-31), in 12 country offices (AFG, BFA, CAF, IRQ, NER, NGA, PAK, SSD, SYR, UGA, UKR, YEM
in the shipped boundaries). Each office has 30-40 counterparts (officers, units, offices,
armed-group commanders, community leaders, militia leaders; plus a near-namesake, see below),
each with a type, an affiliation and a level, and 5-8 checkpoints; about half of
the engagements happen at a checkpoint. A request has 1-3 engagements sharing ``request_id``
(earlier ones deferred or unanswered). About 30% of counterpart mentions are written as a
variant of the name (rank added, dropped or abbreviated, case, spacing, punctuation,
transliteration such as Mohammed/Muhammad/Mohamed, Abdul/Abdel/Abd al, Al-/El-), all of which
give the same :func:`etl.counterparts.names.name_key`. Ten pairs of *different* counterparts in one country
have near-identical names ("Cmdr. Hassan Ali" / "Cmdr. Hassan Alim"); they are listed in the
manifest under ``patterns.near_duplicate_pairs``.

Patterns a coordinator should find
----------------------------------
Dates below are for the default ``end_date`` (2026-10-31); they move with it.

1. **Counterparts growing more restrictive.** Three counterparts' denial probability rises
   linearly from 10% on the first day to 65% on the last day of the window, on every
   engagement (their requests are answered in one engagement):

   * ``Col. Idris Bakhit`` (YEM, state armed forces, "23rd Mechanised Brigade", mid level);
   * ``Mawlawi Rahmatullah Safi`` (AFG, de facto authority, senior level);
   * ``Cmdr. Musa Garba Tanko`` (NGA, non-state armed group, "Dunkura Hills Front", mid level).

   Each has about 2% of all engagements (a key interlocutor of a big office).
2. **Seasonal physical obstacles.** In SSD (and SDN when present) from June to October (rainy
   season) and in AFG from December to February (winter), about half of the engagements log a
   physical-environment obstacle ("impassable road", "flooding", "mud", "damaged bridge",
   "snow", "landslide"...) and answers are deferred far more often (three times as often on a
   request's last engagement; 85% instead of 65% of the earlier ones).
3. **A military offensive in Upper Nile (SSD, P-code SS07)** from 2025-01-15 to 2025-05-14
   (120 days starting on the 15th of the month 21 months before ``end_date``'s month): denial
   probability is 72% on every engagement in the area, 85% of engagements log "military
   operations", "armed clashes", "shelling", "fighting" or "airstrikes", and engagement volume in
   the area rises (half of SSD requests in the period move there). Denials then ease linearly back
   to the usual rate over 60 days (to 2025-07-13).
4. **Obstacles recurring at the same checkpoints.** About 20% of checkpoints have a signature
   obstacle ("illegal taxation", "checkpoint delay", "requests for staff lists", "convoy
   detained", ...) logged in about 80% of their engagements; the manifest lists them under
   ``patterns.signature_checkpoints``.
5. **Conditions follow the counterpart.** Escorts mostly come from state armed forces and
   police, staff lists from de facto authorities, fees at militia and NSAG checkpoints,
   inspections at border crossings (75% of conditional answers there). About a third of denials and
   a tenth of deferrals also log the conditions that were demanded and not accepted.

Files
-----
One file per country office, ``demo_<iso3>_access_log.<ext>``. For ``rows <= 200_000`` the
offices use mixed formats (shipped boundaries, any seed):

* CSV, UTF-8: BFA, NGA, UGA (``5-Mar-2025`` dates), CAF, NER, SYR (``05/03/2025``, day-first),
  PAK, UKR (ISO ``2025-03-05``); YEM in UTF-8 with a BOM and CRLF line ends, day-first dates;
* XLSX with real Excel date cells: SSD (a title row and a blank row above the header) and AFG;
* JSON: IRQ, an array of objects with KoboToolbox-style ``group/question`` keys, every value a
  string (numbers too) or null.

Each office spells its headers differently (synonyms from :mod:`etl.logs.columns`, e.g. "Date of
engagement", "Counterpart name", "Result", "Lat"/"Lon"), drops a few optional columns, writes its
own labels (CAF, BFA and NER write outcomes in French: "Accordé", "Refusé"...) and writes the
country as ISO3 or name. About 1 note in 200 is hostile text (``<script>``, an ``onerror``
image, a right-to-left override, SQL, a ``javascript:`` link, or 3,000 characters): these rows
are valid and must load. For larger runs every office writes a streamed UTF-8 CSV with ISO
dates, in constant memory (about 160 MB; a million rows take about 9 seconds).

About 2.5% of the rows are *dirty*: each has exactly one defect of the kinds in
:data:`DEFECT_KINDS`, in equal shares, spread over all files; every row (clean or dirty) has its
own ``engagement_id`` (``SSD-2025-000123``). ``_manifest.json`` in ``out_dir`` gives the
counts (overall and per file), the ETL rejection reason each defect should get
(``etl_reasons``), every file's format, encoding, date style, header row and columns, and the
pattern details above. It is not a log: load the returned paths, or skip it when loading the
folder.

Incident feeds
--------------
Beside the logs, :mod:`etl.demo_incidents` writes synthetic public incident feeds so that the
dashboard's incident views have data: ``demo_awsd_incidents.csv`` in the Aid Worker Security
Database's export format (about one incident per 150 engagements, at least 40, at most 20,000;
concentrated in the offensive, around the restrictive counterparts and the armed actors; a third
name a demo counterpart as perpetrator; a few rows with AWSD's dirt), and, for mixed-format runs,
``demo_insecurity_insight_incidents.xlsx``, which re-reports some of them (cross-source
duplicates). They are among the returned paths and load through the normal ``load`` path (the
loader recognises their headers). The manifest's ``incident_feeds`` says what loading them gives.

Example::

    >>> from pathlib import Path
    >>> paths = write_demo_logs(Path("/tmp/demo_logs"), rows=3000)  # doctest: +SKIP
    >>> [p.name for p in paths][:2]  # doctest: +SKIP
    ['demo_afg_access_log.xlsx', 'demo_bfa_access_log.csv']
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from etl import vocab as V
from etl.counterparts.names import TITLES as _TITLE_WORDS
from etl.counterparts.names import name_key as _key  # variants are exactly the ones the ETL treats as obvious
from etl.logs.columns import match_column

__all__ = ["DEFECT_KINDS", "MANIFEST_NAME", "write_demo_logs"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BOUNDARIES = REPO_ROOT / "data" / "boundaries" / "admin1.geojson"
MANIFEST_NAME = "_manifest.json"  # starts with "_": folder loads skip it
FILE_PREFIX = "demo_"
# Above this many rows every office writes a streamed ISO-dated CSV.
MIXED_FORMATS_MAX_ROWS = 200_000
CHUNK_ROWS = 50_000
DIRTY_SHARE = 0.025
VARIANT_SHARE = 0.30
HOSTILE_NOTE_SHARE = 1 / 200
YEARS = 3

# Every dirty row has exactly one of these defects; the shares are equal (to within one row).
DEFECT_KINDS: tuple[str, ...] = (
    "bad_date",  # impossible ("31/02/2025"), unparseable ("sometime in May") or blank date
    "future_date",  # the engagement date moved 400-700 days past end_date (a typo in the year)
    "unknown_outcome",  # "maybe", "see notes"...
    "missing_counterpart",
    "missing_activity",
    "swapped_coordinates",  # latitude and longitude exchanged (the swapped point is in no demo country)
    "latitude_out_of_range",  # e.g. 123.45
    "coordinates_in_other_country",  # a point inside another demo country, over 1 degree from this one
    "unknown_obstacle",  # "bad vibes at gate" added to the obstacles
    "negative_people_targeted",
    "non_numeric_people_targeted",  # "many"
    "unknown_country",  # "Atlantis"
)

# The rejection reason (etl.logs.validate.REASONS) each defect should get: one reason per dirty row.
ETL_REASON = {
    "bad_date.impossible": "impossible_date", "bad_date.unparseable": "bad_date",
    "bad_date.blank": "missing_date", "future_date": "future_date", "unknown_outcome": "unknown_outcome",
    "missing_counterpart": "missing_counterpart",
    "missing_activity": "missing_activity", "swapped_coordinates": "swapped_coordinates",
    "latitude_out_of_range": "coordinate_out_of_range", "coordinates_in_other_country": "outside_country",
    "unknown_obstacle": "unknown_obstacle", "negative_people_targeted": "negative_number",
    "non_numeric_people_targeted": "bad_number", "unknown_country": "unknown_country",
}

OUTCOME_CODES = tuple(V.OUTCOMES.codes)  # granted, granted_with_conditions, partially_granted, denied, ...
O_GRANTED, O_COND, O_PARTIAL, O_DENIED, O_DEFERRED, O_NORESP = range(6)
TYPE_CODES = tuple(V.COUNTERPART_TYPES.codes)
T_STATE, T_POLICE, T_NSAG, T_DFA, T_LOCAL, T_COMMUNITY, T_MILITIA, T_OTHER = range(8)
LEVEL_CODES = ("frontline", "mid", "senior")
ACTIVITY_CODES = tuple(V.ACTIVITIES.codes)
CHANNEL_CODES = ("in_person", "phone", "intermediary", "written")
PRIORITY_CODES = ("high", "medium", "low")
KIND_CODES = ("fixed", "partial", "mobile", "border_crossing", "road_gate", "roadblock")

# ----------------------------------------------------------------------------- pattern settings

# (iso3, canonical name, type, affiliation, level, controls a checkpoint)
RESTRICTIVE_COUNTERPARTS: tuple[tuple[str, str, int, str, str, bool], ...] = (
    ("YEM", "Col. Idris Bakhit", T_STATE, "23rd Mechanised Brigade", "mid", True),
    ("AFG", "Mawlawi Rahmatullah Safi", T_DFA, "De facto provincial administration", "senior", False),
    ("NGA", "Cmdr. Musa Garba Tanko", T_NSAG, "Dunkura Hills Front", "mid", True),
)
RESTRICTIVE_SHARE = 0.02  # of all engagements, each (their requests have one engagement)
MEAN_ENGAGEMENTS_PER_REQUEST = 1.49  # 1, 2 or 3 with probabilities 0.62, 0.27, 0.11
DENIAL_START, DENIAL_END = 0.10, 0.65

# Offensive: first (iso3, admin-1 name) present in the boundaries.
OFFENSIVE_AREAS = (("SSD", "Upper Nile"), ("SDN", "South Kordofan"), ("NGA", "Borno"), ("SYR", "Idleb"))
OFFENSIVE_MONTHS_BEFORE_END = 21
OFFENSIVE_DAYS = 120
OFFENSIVE_EASE_DAYS = 60
OFFENSIVE_DENIAL = 0.72
OFFENSIVE_AREA_SHARE = 0.22  # of the country's requests outside the offensive
OFFENSIVE_SURGE = 0.5  # of the country's requests during the offensive move to the area

# iso3 -> (months, labels): physical obstacles and more deferrals in these months.
SEASONS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "SSD": ((6, 7, 8, 9, 10), ("impassable road", "flooding", "road impassable", "mud", "damaged bridge",
                               "rainy season", "floods")),
    "SDN": ((6, 7, 8, 9, 10), ("impassable road", "flooding", "road impassable", "mud", "damaged bridge",
                               "rainy season")),
    "AFG": ((12, 1, 2), ("snow", "impassable road", "road impassable", "landslide", "snow", "weather")),
}
SEASON_OBSTACLE_P = 0.55
SEASON_DEFERRAL_FACTOR = 3.0

HOSTILITY_LABELS = ("military operations", "armed clashes", "shelling", "fighting", "airstrikes",
                    "military operations", "armed clashes")
CHECKPOINT_SHARE = 0.5  # of engagements that happen at a checkpoint
SIGNATURE_SHARE = 0.20
SIGNATURE_P = 0.80
# signature obstacle by the controlling counterpart's type
SIGNATURE_LABELS = {
    T_STATE: ("checkpoint delay", "convoy detained", "checkpoint blockage or delay",
              "requests for staff lists"),
    T_POLICE: ("checkpoint delay", "requests for staff lists", "harassment"),
    T_NSAG: ("illegal taxation", "illegal taxation or levies", "checkpoint delay", "looting of aid"),
    T_DFA: ("requests for staff lists", "requests for beneficiary data", "checkpoint delay"),
    T_MILITIA: ("illegal taxation", "illegal taxation or levies", "harassment"),
    T_LOCAL: ("checkpoint delay",),
    T_COMMUNITY: ("checkpoint delay",),
    T_OTHER: ("illegal taxation",),
}

# -------------------------------------------------------------------------------- base rates

# Outcome probabilities for a request's final engagement, by counterpart type:
# granted, with conditions, partial, denied, deferred, no response.
BASE_OUTCOMES = np.array([
    [0.40, 0.20, 0.08, 0.14, 0.12, 0.06],  # state armed forces
    [0.48, 0.15, 0.07, 0.10, 0.13, 0.07],  # police
    [0.30, 0.22, 0.08, 0.18, 0.10, 0.12],  # NSAG
    [0.30, 0.28, 0.08, 0.16, 0.14, 0.04],  # de facto authority
    [0.52, 0.10, 0.08, 0.06, 0.18, 0.06],  # local authority
    [0.60, 0.10, 0.10, 0.04, 0.10, 0.06],  # community leader
    [0.32, 0.24, 0.08, 0.16, 0.08, 0.12],  # militia
    [0.30, 0.10, 0.05, 0.20, 0.10, 0.25],  # other
])
# Denial multiplier by operational region.
REGION_DENIAL = {"Middle East and North Africa": 1.25, "Asia": 1.1, "West and Central Africa": 1.15,
                 "East and Horn of Africa": 0.95, "Eastern Europe": 0.8}

# Share of requests by office (others 0.06), and counterpart types by office.
COUNTRY_WEIGHT = {"SSD": 0.12, "AFG": 0.12, "YEM": 0.11, "SYR": 0.10, "NGA": 0.10, "UKR": 0.08, "BFA": 0.08,
                  "CAF": 0.07, "IRQ": 0.06, "NER": 0.06, "PAK": 0.05, "UGA": 0.05}
#                state police nsag  dfa  local comm militia other
TYPE_MIX = {
    "SSD": (0.22, 0.04, 0.12, 0.00, 0.20, 0.22, 0.18, 0.02),
    "SDN": (0.30, 0.03, 0.25, 0.00, 0.15, 0.13, 0.12, 0.02),
    "UGA": (0.20, 0.15, 0.03, 0.00, 0.30, 0.25, 0.02, 0.05),
    "YEM": (0.16, 0.05, 0.08, 0.25, 0.14, 0.14, 0.15, 0.03),
    "SYR": (0.12, 0.05, 0.18, 0.22, 0.14, 0.14, 0.12, 0.03),
    "IRQ": (0.25, 0.15, 0.02, 0.00, 0.28, 0.15, 0.12, 0.03),
    "AFG": (0.00, 0.10, 0.03, 0.45, 0.08, 0.28, 0.02, 0.04),
    "PAK": (0.25, 0.20, 0.05, 0.00, 0.28, 0.18, 0.01, 0.03),
    "CAF": (0.12, 0.04, 0.30, 0.00, 0.14, 0.16, 0.20, 0.04),
    "NGA": (0.25, 0.06, 0.18, 0.00, 0.15, 0.16, 0.17, 0.03),
    "BFA": (0.28, 0.04, 0.16, 0.00, 0.14, 0.18, 0.16, 0.04),
    "NER": (0.28, 0.08, 0.14, 0.00, 0.18, 0.20, 0.08, 0.04),
    "UKR": (0.38, 0.14, 0.00, 0.00, 0.33, 0.10, 0.00, 0.05),
}
DEFAULT_TYPE_MIX = (0.22, 0.08, 0.18, 0.03, 0.17, 0.17, 0.12, 0.03)
FRENCH_OFFICES = frozenset({"CAF", "BFA", "NER", "MLI", "TCD", "COD", "CMR", "HTI", "COG", "BEN", "TGO",
                            "MRT"})

# ------------------------------------------------------------------------------------- names

# Transliteration groups used to write variants (the spec's groups).
TRANSLIT = (("Mohammed", "Muhammad", "Mohamed", "Mohamad", "Mohammad"), ("Ahmed", "Ahmad"),
            ("Hussein", "Husain", "Hussain"), ("Yusuf", "Youssef", "Yousef"), ("Osman", "Othman", "Uthman"),
            ("Omar", "Umar"))
_TRANSLIT_OF = {w: g for g in TRANSLIT for w in g}

# Title forms: the first is the canonical one; variants use another form or drop the title.
TITLE_FORMS: dict[str, tuple[str, ...]] = {
    "lt": ("Lt.", "Lieutenant", "Lt", "LT"),
    "capt": ("Capt.", "Captain", "Capt", "CAPT", "Cpt."),
    "maj": ("Maj.", "Major", "Maj", "MAJ"),
    "ltcol": ("Lt. Col.", "Lieutenant Colonel", "Lt Col", "LTCOL"),
    "col": ("Col.", "Colonel", "Col", "COL"),
    "brig": ("Brig.", "Brigadier", "Brig"),
    "gen": ("Gen.", "General", "Gen", "GEN"),
    "cmdr": ("Cmdr.", "Commander", "Cdr", "Cmdr", "Cdr."),
    "sheikh": ("Sheikh", "Shaykh", "Sh."),
    "mawlawi": ("Mawlawi", "Maulvi"),
    "mullah": ("Mullah",),
    "haji": ("Haji", "Hajji"),
    "chief": ("Chief",),
    "chef": ("Chef",),
    "sultan": ("Sultan",),
    "imam": ("Imam",),
    "mr": ("Mr.", "Mr"),
}
# Parts of a name that variants never drop: not titles for etl.counterparts.names, or part of the office.
FIXED_TITLES = ("Governor", "Commissioner", "Mayor")

_ARABIC_GIVEN = ("Idris", "Mohammed", "Ahmed", "Hussein", "Yusuf", "Osman", "Omar", "Abdul Rahman",
                 "Abdul Karim", "Abdul Latif", "Abdul Aziz", "Abdul Majid", "Khalid", "Ibrahim", "Ismail",
                 "Salih", "Tariq", "Faisal", "Hamza", "Bashir", "Adil", "Jamal", "Kamal", "Musa", "Issa",
                 "Nasser", "Saif", "Walid", "Anwar", "Hashim", "Hassan", "Mahmoud", "Mustafa", "Suleiman",
                 "Said", "Ziad", "Fadi", "Nabil", "Majid", "Qasim", "Raed", "Samir", "Yasin", "Munir",
                 "Ayman", "Zakaria", "Haitham", "Sa'ad", "Ma'mun")
STYLES: dict[str, dict[str, tuple[str, ...]]] = {
    "yemeni": {
        "given": _ARABIC_GIVEN,
        "family": ("Al-Sharabi", "Al-Maqtari", "Al-Hakimi", "Al-Sanani", "Al-Adeni", "Ba-Wazir",
                   "Al-Hamdani", "Al-Kibsi", "Al-Qubati", "Shamsan", "Ghaleb", "Mansour", "Al-Nur",
                   "Al-Amin", "Al-Tayeb", "Al-Khatib", "Al-Sharif", "Qaid", "Al-Absi", "Al-Wesabi",
                   "Nasher", "Al-Dhalei", "Ali", "Hamid", "Adam", "Nur", "Rashid", "Amin", "Mahdi"),
        "elder": ("sheikh",), "fixed_elder": ("Aqil",),
    },
    "syrian": {
        "given": _ARABIC_GIVEN,
        "family": ("Al-Halabi", "Al-Hamwi", "Al-Khatib", "Haddad", "Khoury", "Al-Hassan", "Al-Omar",
                   "Al-Shami", "Darwish", "Al-Jabr", "Al-Masri", "Qassab", "Al-Rifai", "Hamadeh",
                   "Al-Najjar", "Al-Sabbagh", "Al-Nur", "Kanaan", "Al-Ali", "Ali", "Hamid", "Adam",
                   "Rashid", "Amin", "Nur"),
        "elder": ("sheikh",), "fixed_elder": ("Mukhtar",),
    },
    "iraqi": {
        "given": _ARABIC_GIVEN + ("Rebwar", "Karwan", "Shwan", "Dilshad", "Hemin", "Aras", "Soran", "Azad"),
        "family": ("Al-Obeidi", "Al-Dulaimi", "Al-Jubouri", "Al-Tamimi", "Al-Ani", "Al-Rawi", "Al-Saadi",
                   "Al-Shammari", "Al-Khafaji", "Al-Bayati", "Al-Hiti", "Mahmoud", "Salih", "Rasul",
                   "Qadir", "Kakai", "Al-Nur", "Ali", "Hamid", "Rashid", "Amin"),
        "elder": ("sheikh",), "fixed_elder": ("Mukhtar",),
    },
    "south_sudanese": {
        "given": ("Deng", "Garang", "Majok", "Mabior", "Kuol", "Akol", "Nyuon", "Gatluak", "Lual",
                  "Malual", "Wani", "Lado", "Lokiru", "Bol", "Chol", "Peter", "John", "James", "Joseph",
                  "Samuel", "David", "Simon", "Gabriel", "Daniel", "Stephen", "Angelo", "Santino",
                  "Mawien", "Makur", "Thon", "Ajang", "Gai", "Puok", "Koang", "Duop", "Yohannes", "Elia"),
        "family": ("Ajak", "Akech", "Bol", "Chol", "Dut", "Kur", "Mading", "Nhial", "Ruai", "Wek", "Thon",
                   "Yak", "Lual", "Akuei", "Ayuel", "Mayen", "Wol", "Gatdet", "Tut", "Jok", "Loku", "Ladu",
                   "Modi", "Kenyi", "Nyang", "Gatkuoth", "Mawut"),
        "elder": ("chief", "sultan"), "fixed_elder": (),
    },
    "ugandan": {
        "given": ("Moses", "Patrick", "Simon", "Joseph", "Geoffrey", "Denis", "Charles", "Godfrey",
                  "Richard", "Samuel", "Robert", "Francis", "Alex", "Emmanuel", "Okot", "Lokol", "Grace",
                  "Florence"),
        "family": ("Okello", "Otim", "Opio", "Ocen", "Odongo", "Lokiru", "Lomongin", "Nakiru", "Kato",
                   "Ssempala", "Mugisha", "Tumusiime", "Byaruhanga", "Wasswa", "Ochola", "Akena", "Loum",
                   "Adupa", "Obua", "Lochap"),
        "elder": ("chief",), "fixed_elder": ("Rwot",),
    },
    "pashto": {
        "given": ("Rahmatullah", "Noorullah", "Hamidullah", "Naqibullah", "Shafiq", "Wahid", "Bashir",
                  "Qadir", "Mohammad", "Ahmad", "Omar", "Osman", "Yusuf", "Abdul Hadi", "Abdul Qadir",
                  "Abdul Wahid", "Khalil", "Sardar", "Nasir", "Hekmat", "Najib", "Farid", "Obaidullah",
                  "Ezatullah", "Asadullah", "Lutfullah", "Mirwais", "Jawad", "Hussain", "Sadiq"),
        "family": ("Safi", "Zazai", "Mangal", "Shinwari", "Popal", "Sherzad", "Amiri", "Karimi", "Rahimi",
                   "Hotak", "Barakzai", "Nuristani", "Kakar", "Jalali", "Momand", "Wardak", "Kohistani",
                   "Hashimi", "Noori", "Rahmani", "Azizi", "Hakimi", "Khostai", "Paktiawal", "Ludin",
                   "Amini"),
        "elder": ("haji", "mullah"), "fixed_elder": ("Malik",),
    },
    "pakistani": {
        "given": ("Mohammad", "Ahmed", "Tariq", "Bilal", "Faisal", "Usman", "Kamran", "Adnan", "Zubair",
                  "Shahid", "Naveed", "Saleem", "Javed", "Irfan", "Waqas", "Hamza", "Farhan", "Sajid",
                  "Junaid", "Noman", "Yusuf", "Omar", "Abdul Qayyum", "Hussain"),
        "family": ("Khattak", "Bangash", "Orakzai", "Durrani", "Marwat", "Mohmand", "Awan", "Chaudhry",
                   "Malik", "Butt", "Raza", "Iqbal", "Mirza", "Siddiqui", "Baig", "Jadoon", "Swati",
                   "Tanoli", "Khan", "Rana"),
        "elder": ("haji",), "fixed_elder": ("Malik",),
    },
    "hausa_kanuri": {
        "given": ("Abubakar", "Musa", "Ibrahim", "Usman", "Bello", "Sani", "Aminu", "Yakubu", "Haruna",
                  "Lawal", "Modu", "Bukar", "Mohammed", "Ahmed", "Umar", "Yusuf", "Idris", "Kabiru",
                  "Nasiru", "Isa", "Mustapha", "Zakari", "Bashir"),
        "family": ("Garba", "Bala", "Maigari", "Dankano", "Shehu", "Tanko", "Yaro", "Adamu", "Gambo",
                   "Kyari", "Zannah", "Goni", "Bukar", "Gana", "Kolo", "Waziri", "Abdullahi", "Aliyu",
                   "Dikko", "Bako", "Jibrin", "Lawal"),
        "elder": ("sheikh", "chief"), "fixed_elder": ("Alhaji", "Mai"),
    },
    "burkinabe": {
        "given": ("Amadou", "Boubacar", "Issa", "Moussa", "Hamidou", "Adama", "Souleymane", "Idrissa",
                  "Oumarou", "Salif", "Harouna", "Abdoulaye", "Seydou", "Karim", "Lassané", "Inoussa",
                  "Rasmané", "Boukary", "Dramane", "Noufou"),
        "family": ("Ouédraogo", "Sawadogo", "Zongo", "Tiendrébéogo", "Ilboudo", "Nikiéma", "Diallo",
                   "Sana", "Zoungrana", "Bationo", "Kiemdé", "Guiro", "Belem", "Tapsoba", "Kinda", "Maïga",
                   "Cissé", "Ganamé", "Tamboura"),
        "elder": ("chef", "imam"), "fixed_elder": ("Naaba",),
    },
    "nigerien": {
        "given": ("Moussa", "Abdou", "Hamani", "Garba", "Mahamane", "Souley", "Oumarou", "Boubacar",
                  "Hassane", "Idrissa", "Amadou", "Adamou", "Salissou", "Yacouba", "Maman", "Sani",
                  "Ibrah", "Rabiou"),
        "family": ("Hamani", "Abdou", "Garba", "Maïga", "Hama", "Harouna", "Tahirou", "Adamou", "Soumana",
                   "Mounkaila", "Djibo", "Alzouma", "Issaka", "Kimba", "Seyni", "Ag Alhassane", "Daouda"),
        "elder": ("chef", "sultan"), "fixed_elder": ("Alhaji",),
    },
    "central_african": {
        "given": ("Jean-Claude", "Thierry", "Fidèle", "Brice", "Rodrigue", "Ghislain", "Hervé", "Serge",
                  "Aimé", "Célestin", "Firmin", "Gervais", "Norbert", "Prosper", "Armel", "Crépin",
                  "Dieudonné", "Sylvain", "Abakar", "Ousmane", "Zakaria"),
        "family": ("Ngaba", "Kossingou", "Yangba", "Mbolissa", "Gbazanga", "Ouanga", "Sérémalé",
                   "Ngouandji", "Yakété", "Mbaïkoua", "Doko", "Zanga", "Kongbo", "Namsio", "Bétoua",
                   "Wabanga", "Gbadin", "Mandaba", "Koyanda"),
        "elder": ("chef",), "fixed_elder": (),
    },
    "ukrainian": {
        "given": ("Oleksandr", "Andriy", "Mykola", "Serhiy", "Vasyl", "Yuriy", "Taras", "Bohdan", "Dmytro",
                  "Ihor", "Petro", "Roman", "Olena", "Iryna", "Nataliya", "Oksana", "Viktor", "Pavlo",
                  "Maksym", "Hennadiy", "Ruslan", "Stepan", "Yaroslav"),
        "family": ("Kovalenko", "Shevchuk", "Bondarenko", "Tkachuk", "Melnychuk", "Boychenko", "Marchenko",
                   "Lysenko", "Rudenko", "Savchenko", "Petrenko", "Hnatyuk", "Levchenko", "Pavlenko",
                   "Kravets", "Polishchuk", "Oliynyk", "Ostapenko", "Danylenko", "Ivanenko", "Zinchenko",
                   "Honchar", "Symonenko"),
        "elder": (), "fixed_elder": ("Father",),
    },
}
COUNTRY_STYLE = {"YEM": "yemeni", "SYR": "syrian", "IRQ": "iraqi", "SDN": "yemeni", "SSD": "south_sudanese",
                 "UGA": "ugandan", "AFG": "pashto", "PAK": "pakistani", "NGA": "hausa_kanuri",
                 "BFA": "burkinabe",
                 "NER": "nigerien", "CAF": "central_african", "UKR": "ukrainian"}
# Combinations that would name well-known real people: never generated.
_BLOCKED_KEYS = ("muhammad yusuf", "abubakar shekau", "ibrahim traore", "taban deng", "john garang",
                 "james wani", "kuol manyang", "michael makuei", "yuriy boychenko", "andriy melnychuk",
                 "oleksandr tkachuk", "khalid mahmoud", "ahmad shah")
# Syllable combinations that spell a well-known person's name: never used as a place.
_BLOCKED_PLACES = frozenset({"bokassa", "kolingba", "dacko", "patasse", "bozize", "kony", "garang", "kiir",
                             "tandja", "kountche", "sankara", "shekau", "zulum"})
# Second member of a near-identical pair: family name -> a different real name one letter away.
NEAR_FAMILY = {"Ali": "Alim", "Hamid": "Hamidi", "Adam": "Adham", "Nur": "Nuri", "Rashid": "Rashidi",
               "Amin": "Amini", "Karimi": "Kazimi", "Rahimi": "Rahmani", "Jalali": "Jamali", "Amiri": "Amini",
               "Lawal": "Lawan", "Garba": "Gariba", "Chol": "Chuol", "Akech": "Akec", "Okello": "Okello-Ojok",
               "Opio": "Opiyo", "Kovalenko": "Kovalchenko", "Petrenko": "Petrychenko",
               "Marchenko": "Martchenko",
               "Sana": "Sanou", "Hama": "Hamma", "Zongo": "Zongo-Sawadogo", "Kossingou": "Kossingoa",
               "Khattak": "Khattab", "Butt": "Bhatt", "Al-Khatib": "Al-Khatibi", "Darwish": "Darwich",
               "Mahmoud": "Mahmoudi", "Salih": "Salihi", "Qadir": "Qadiri", "Rasul": "Rasuli",
               "Haddad": "Hadad", "Bol": "Bul", "Mansour": "Mansouri", "Hamani": "Hamadi"}

# Place-name syllables (fictional towns and villages).
PLACE_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "arabic": (("", "", "", "Um ", "Abu ", "Wadi ", "Jebel ", "Bir ", "Tell ", "Ain ", "Kafr ", "Deir ",
                "Khor "),
               ("Sar", "Kad", "Tam", "Hal", "Bur", "Dal", "Nak", "Qur", "Mar", "Sib", "Far", "Jur", "Dub",
                "Hat", "Zah", "Ras", "Mash", "Kur"),
               ("a", "i", "ab", "ein", "iya", "ar", "um", "at", "ana", "ush", "ra")),
    "south_sudanese": (("", "", "", "Pan", "Mal", "Wun"),
                       ("Ayi", "Nyi", "Lok", "Kaj", "Pi", "Ruk", "Ma", "Ton", "Ako", "Nas", "Gum", "Yir",
                        "Tha"),
                       ("diit", "tok", "kuei", "rol", "jang", "bor", "luak", "wel", "nyang", "ruai", "kang")),
    "ugandan": (("", "", "Ki", "Bu", "Ka"),
                ("ton", "lor", "mor", "pad", "gul", "kit", "lak", "nak", "amu", "bon"),
                ("go", "oto", "ere", "uru", "ang", "ibi", "ama", "ok")),
    "pashto": (("", "", "", "Deh ", "Sar-e ", "Qala-e ", "Bagh-e "),
               ("Shin", "Gul", "Zar", "Nar", "Tor", "Spin", "Kand", "Bar", "Sang", "Dar", "Mir", "Khak",
                "Pir"),
               ("abad", "khel", "kot", "gul", "zai", "dara", "kalay", "ghar", "bagh")),
    "hausa": (("", "", "", "Tudun ", "Unguwar ", "Dan "),
              ("Kan", "Gid", "Mai", "Yan", "Dun", "Gar", "Bak", "Kur", "Tsa", "Gwo", "Dam", "Mal"),
              ("kwari", "gora", "baki", "dawa", "rimi", "tsaba", "maje", "kura", "ri", "wa", "bo")),
    "sahel": (("", "", "", "Tin-", "In-"),
              ("Dou", "Kou", "Ten", "Bou", "Sar", "Gan", "Ziniar", "Kom", "Tan", "Pis", "Tou"),
              ("ssaba", "ndjari", "gou", "rame", "bara", "koro", "ga", "lé", "dogo", "sin")),
    "central_african": (("", "", "", "", "Ndé-", "Gba-"),
                        ("Ba", "Bo", "Ka", "Ngo", "Mba", "Ya", "Gba", "Ze", "Bou", "Da", "Ndo", "Sa", "Bé",
                         "Ko"),
                        ("ngassou", "kouma", "loko", "mbari", "gana", "kassa", "dji", "ngo", "bali",
                         "zoro", "léa", "gbali", "mbé", "yanga")),
    "ukrainian": (("", "", "", "Nova ", "Stara ", "Velyka "),
                  ("Ver", "Kam", "Bil", "Zel", "Stav", "Kras", "Pol", "Lys", "Hor", "Sos", "Dub", "Lip"),
                  ("yanka", "ivka", "ove", "ky", "ne", "yne", "opil", "ivtsi", "ivske", "hirne")),
}
STYLE_PLACES = {"yemeni": "arabic", "syrian": "arabic", "iraqi": "arabic", "south_sudanese": "south_sudanese",
                "ugandan": "ugandan", "pashto": "pashto", "pakistani": "pashto", "hausa_kanuri": "hausa",
                "burkinabe": "sahel", "nigerien": "sahel", "central_african": "central_african",
                "ukrainian": "ukrainian"}

ORGANISATIONS = ("Open Roads Relief", "Lantern Health Alliance", "Common Harvest Food Trust",
                 "Riverstone Humanitarian", "Bridgewell Child Aid", "Meridian Water and Sanitation",
                 "Kindle Protection Network", "Northwind Emergency Medical")
INTERMEDIARIES = ("village elder", "partner NGO liaison", "community committee chair", "local driver",
                  "religious leader", "women's group leader", "market traders' association",
                  "UN access focal point", "local health worker", "youth leader",
                  "teacher from the village", "clan elder")
HOSTILE_NOTES = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Convoy held at \u202eetaG htroN\u202c for 3 hours",
    "'; DROP TABLE engagements; --",
    "[see the full report](javascript:alert(1)) **urgent**",
    "LONG",  # replaced by a 3,000-character note
)
UNKNOWN_OUTCOMES = ("maybe", "see notes", "unclear", "ask HQ")
UNKNOWN_OBSTACLES = ("bad vibes at gate", "general difficulties", "commander in a bad mood")
NON_NUMERIC_PEOPLE = ("many", "lots", "several hundred", "whole village")
UNPARSEABLE_DATES = ("sometime in May", "last week", "after Eid", "early March")
UNKNOWN_COUNTRIES = ("Atlantis",)
BAD_LATITUDES = ("123.45", "95.2", "-91.7", "181.0", "123.4567")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ------------------------------------------------------------------------------------- world


@dataclass
class Area:
    index: int
    country: int
    iso3: str
    pcode: str
    name: str
    geom: Any


@dataclass
class Country:
    index: int
    iso3: str
    name: str
    region: str
    areas: list[int]
    style: str
    weight: float
    geom: Any = None


@dataclass
class Person:
    title: str | None  # key of TITLE_FORMS
    given: tuple[str, ...]
    family: tuple[str, ...]
    fixed: str = ""  # honorific that is part of the name ("U", "Alhaji", "Father")

    def render(self) -> str:
        parts = [TITLE_FORMS[self.title][0]] if self.title else []
        if self.fixed:
            parts.append(self.fixed)
        return " ".join([*parts, *self.given, *self.family])


@dataclass
class Counterpart:
    index: int
    country: int
    name: str
    ctype: int
    affiliation: str
    level: int
    area: int
    type_label: str
    person: Person | None = None
    variants: list[str] = field(default_factory=list)
    weight: float = 1.0
    denial_factor: float = 1.0
    restrictive: bool = False
    checkpoints: list[int] = field(default_factory=list)  # checkpoints it can be met at
    controls: list[int] = field(default_factory=list)
    p_checkpoint: float = 0.0


@dataclass
class Checkpoint:
    index: int
    country: int
    area: int
    name: str
    kind: int
    lat: float
    lon: float
    controller: int
    signature: str | None = None


@dataclass
class Place:
    index: int
    area: int
    name: str
    lat: float
    lon: float


@dataclass
class Office:
    iso3: str
    country: int
    fmt: str  # csv, xlsx, json
    encoding: str | None
    date_style: str  # iso, dmy, dmon, excel
    columns: list[tuple[str, str]]  # (header, canonical column)
    country_value: str
    title_rows: bool = False
    xlsx_date_format: str = "yyyy-mm-dd"
    lineterminator: str = "\n"
    obstacle_sep: str = "; "
    condition_sep: str = "; "
    label_case: str = "lower"
    coord_decimals: int = 5
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{FILE_PREFIX}{self.iso3.lower()}_access_log.{self.fmt}"


@dataclass
class World:
    countries: list[Country]
    areas: list[Area]
    counterparts: list[Counterpart]
    checkpoints: list[Checkpoint]
    places: list[Place]
    start: date
    end: date
    offensive: dict[str, Any] | None
    near_pairs: list[dict[str, str]]
    notes: dict[tuple[int, int], list[str]]


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def _window(end_date: date) -> tuple[date, date]:
    try:
        first = end_date.replace(year=end_date.year - YEARS)
    except ValueError:  # 29 February
        first = end_date.replace(year=end_date.year - YEARS, day=28)
    return first + timedelta(days=1), end_date


def _load_boundaries(path: Path) -> tuple[list[Country], list[Area]]:
    if not path.exists():
        raise FileNotFoundError(
            f"Boundaries file {path} not found: the demo places every row in an admin-1 area. "
            "Build it with `python scripts/build_boundaries.py`, or pass boundaries=<path to a GeoJSON "
            "FeatureCollection with pcode, name, iso3, country and region properties>.")
    doc = json.loads(path.read_text(encoding="utf-8"))
    keep: set[str] | None = None
    regions_csv = path.parent.parent / "regions.csv"
    if regions_csv.exists():
        with regions_csv.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if rows and "demo" in rows[0]:
            keep = {r["iso3"] for r in rows if str(r.get("demo", "")).strip().lower() in ("1", "true",
                                                                                          "yes", "y")}
    by_iso: dict[str, list[dict[str, Any]]] = {}
    for feat in doc["features"]:
        props = feat["properties"]
        if keep is not None and props["iso3"] not in keep and keep:
            continue
        by_iso.setdefault(props["iso3"], []).append(feat)
    if not by_iso:
        raise ValueError(f"No demo countries in {path}: check its iso3 properties against data/regions.csv.")
    countries: list[Country] = []
    areas: list[Area] = []
    for ci, iso3 in enumerate(sorted(by_iso)):
        feats = sorted(by_iso[iso3], key=lambda f: f["properties"]["pcode"])
        props0 = feats[0]["properties"]
        country = Country(ci, iso3, props0.get("country") or iso3, props0.get("region") or "", [],
                          COUNTRY_STYLE.get(iso3, "yemeni"), COUNTRY_WEIGHT.get(iso3, 0.06))
        for feat in feats:
            geom = shape(feat["geometry"])
            shapely.prepare(geom)
            area = Area(len(areas), ci, iso3, feat["properties"]["pcode"], feat["properties"]["name"], geom)
            areas.append(area)
            country.areas.append(area.index)
        country.geom = shapely.union_all([areas[i].geom for i in country.areas])
        shapely.prepare(country.geom)
        countries.append(country)
    return countries, areas


def _points_in(geom: Any, n: int, rng: np.random.Generator, inset: float = 0.02) -> np.ndarray:
    """n points inside geom (and at least `inset` degrees from its edge when possible), by rejection."""
    minx, miny, maxx, maxy = geom.bounds
    inner = geom.buffer(-inset) if inset else geom
    target = inner if (not inner.is_empty and inner.area > geom.area * 0.05) else geom
    shapely.prepare(target)
    out: list[np.ndarray] = []
    got = 0
    for _ in range(200):
        xs = rng.uniform(minx, maxx, 256)
        ys = rng.uniform(miny, maxy, 256)
        ok = shapely.contains_xy(target, xs, ys)
        pts = np.column_stack([ys[ok], xs[ok]])  # lat, lon
        out.append(pts)
        got += len(pts)
        if got >= n:
            break
    pts = np.concatenate(out)[:n]
    if len(pts) < n:  # tiny area: use its representative point
        rp = geom.representative_point()
        pts = np.vstack([pts, np.tile([rp.y, rp.x], (n - len(pts), 1))])
    return np.round(pts, 5)


def _place_name(rnd: random.Random, style: str, used: set[str]) -> str:
    pre, mid, end = PLACE_PARTS[STYLE_PLACES.get(style, "arabic")]
    for _ in range(100):
        p, m = rnd.choice(pre), rnd.choice(mid)
        if p and not p.endswith((" ", "-")):  # a prefix glued to the stem: "Wun" + "nyang" -> "Wunnyang"
            m = m.lower()
        name = re.sub(r"(.)\1\1+", r"\1\1", p + m + rnd.choice(end))
        name = name[0].upper() + name[1:]
        if name not in used and name.split()[-1].lower() not in _BLOCKED_PLACES:
            used.add(name)
            return name
    name = f"{name} {len(used)}"
    used.add(name)
    return name


def _person(rnd: random.Random, style: str, title: str | None, used_keys: set[str], reserved: set[str],
            fixed: str = "") -> Person:
    pool = STYLES[style]
    given_pool = [g for g in pool["given"] if _key(g).split()[0] not in _TITLE_WORDS]
    family_pool = [f for f in pool["family"] if f not in reserved]
    for _ in range(200):
        given = rnd.choice(given_pool)
        family = [rnd.choice(family_pool)]
        if rnd.random() < 0.35 and style not in ("ukrainian",):
            family.insert(0, rnd.choice([g for g in given_pool if " " not in g and g != given]))
        person = Person(title, tuple(given.split()), tuple(family), fixed)
        key = _key(person.render())
        if key in used_keys or any(re.search(rf"\b{b}\b", key) for b in _BLOCKED_KEYS):
            continue
        used_keys.add(key)
        return person
    raise RuntimeError("name pool exhausted")  # pragma: no cover


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


TYPE_LABELS: dict[int, tuple[str, ...]] = {
    T_STATE: ("Army", "SAF", "State armed forces", "Military", "Government forces", "State security forces"),
    T_POLICE: ("Police", "Border police", "Gendarmerie", "Security services", "Intelligence"),
    T_NSAG: ("NSAG", "Armed group", "Non-state armed group", "AOG", "Armed opposition group", "Rebels"),
    T_DFA: ("DFA", "De facto authorities", "De facto", "De facto government"),
    T_LOCAL: ("Local authority", "Local authorities", "Local government", "Government official",
              "Civil authority"),
    T_COMMUNITY: ("Community leader", "Traditional leader", "Elder", "Chief", "Tribal leader",
                  "Religious leader"),
    T_MILITIA: ("Militia", "Local militia", "Self-defence group", "Vigilantes", "Community defence force"),
    T_OTHER: ("Criminal group", "Private security", "Unknown", "Gang"),
}
TYPE_LABELS_FR: dict[int, tuple[str, ...]] = {
    T_STATE: ("Armée", "FDS", "Military"), T_POLICE: ("Gendarmerie", "Police"), T_NSAG: ("Groupe armé",
                                                                                         "NSAG"),
    T_DFA: ("De facto authorities",), T_LOCAL: ("Autorité locale", "Prefect", "Mayor"),
    T_COMMUNITY: ("Chef de village", "Chief", "Religious leader"), T_MILITIA: ("Self-defence group",
                                                                               "Militia"),
    T_OTHER: ("Criminal group", "Unknown"),
}


def _make_counterpart(rnd: random.Random, world_c: Country, areas: list[Area], ctype: int, area: int,
                      used: set[str], reserved: set[str], towns: list[str], groups: dict[int, list[str]],
                      french: bool) -> tuple[str, str, int, Person | None, str]:
    """(name, affiliation, level, person, type label) for a new counterpart."""
    style = world_c.style
    aname = areas[area].name
    town = rnd.choice(towns)
    elder_titles = STYLES[style]["elder"]
    fixed_elder = STYLES[style]["fixed_elder"]
    person: Person | None = None
    labels = (TYPE_LABELS_FR if french else TYPE_LABELS)[ctype]
    type_label = rnd.choice(labels)
    r = rnd.random()
    if ctype == T_STATE:
        formation = rnd.choice(groups[T_STATE])
        if r < 0.6:
            title = rnd.choice(("lt", "capt", "capt", "maj", "maj", "ltcol", "col", "col", "brig", "gen"))
            person = _person(rnd, style, title, used, reserved)
            level = {"lt": 0, "capt": 0, "maj": 1, "ltcol": 1, "col": 1, "brig": 2, "gen": 2}[title]
            return person.render(), formation, level, person, type_label
        kind = rnd.choice(("brigade", "battalion", "sector", "post", "task"))
        n = rnd.randint(2, 140)
        name = {"brigade": f"{_ordinal(n)} Infantry Brigade",
                "battalion": f"{_ordinal(n % 60 + 1)} Battalion",
                "sector": f"{aname} Sector Command", "post": f"{town} Military Post",
                "task": f"Task Force {rnd.choice(towns)}"}[kind]
        level = {"brigade": 1, "battalion": 1, "sector": 2, "post": 0, "task": 1}[kind]
        return name, formation, level, None, type_label
    if ctype == T_POLICE:
        if r < 0.5:
            title = rnd.choice(("capt", "maj", "col", "lt"))
            person = _person(rnd, style, title, used, reserved)
            level = {"lt": 0, "capt": 0, "maj": 1, "col": 2}[title]
            return person.render(), f"{aname} Police Command", level, person, type_label
        kind = rnd.choice(("station", "border", "command"))
        name = {"station": f"{town} Police Station", "border": f"Border Police Post {town}",
                "command": f"{aname} Police Command"}[kind]
        return name, "Ministry of Interior", {"station": 0, "border": 0, "command": 2}[kind], None, type_label
    if ctype == T_NSAG:
        group = rnd.choice(groups[T_NSAG])
        if r < 0.7:
            rank = rnd.choice(("cmdr", "cmdr", "cmdr", "gen", "col", None))
            person = _person(rnd, style, rank, used, reserved)
            level = rnd.choice((0, 1, 1, 2)) if rank != "gen" else 2
            return person.render(), group, level, person, type_label
        kind = rnd.choice(("sector", "battalion"))
        name = (f"{group}, {aname} sector" if kind == "sector"
                else f"{_ordinal(rnd.randint(1, 12))} Battalion, {group}")
        return name, group, 1, None, type_label
    if ctype == T_DFA:
        admin = (f"De facto provincial administration, {aname}" if world_c.iso3 == "AFG"
                 else rnd.choice(groups[T_DFA]))
        if r < 0.5:
            title = rnd.choice(("mawlawi", "mullah", "mr")) if style == "pashto" else rnd.choice(("mr",
                                                                                                  "sheikh"))
            person = _person(rnd, style, title, used, reserved)
            return person.render(), admin, rnd.choice((1, 2)), person, type_label
        dept = rnd.choice(("Directorate of Economy", "Department of Humanitarian Coordination",
                           "Intelligence Directorate", "Directorate of Public Health",
                           "Department of Security"))
        return f"{dept}, {aname}", admin, rnd.choice((1, 1, 2)), None, type_label
    if ctype == T_LOCAL:
        gov = f"{aname} administration"
        if r < 0.35:
            role = rnd.choice(("Commissioner", "Governor", "Mayor", "mr"))
            if role == "mr":
                person = _person(rnd, style, "mr", used, reserved)
            else:
                person = _person(rnd, style, None, used, reserved, fixed=role)
            level = {"Governor": 2, "Commissioner": 1, "Mayor": 1, "mr": 1}[role]
            return person.render(), gov, level, person, type_label
        kind = rnd.choice(("governor", "commissioner", "municipality", "health", "social"))
        name = {"governor": f"Office of the Governor, {aname}",
                "commissioner": f"District Commissioner of {town}",
                "municipality": f"Municipality of {town}", "health": f"{aname} Directorate of Health",
                "social": f"Ministry of Social Affairs, {aname} office"}[kind]
        level = {"governor": 2, "commissioner": 1, "municipality": 0, "health": 1, "social": 1}[kind]
        return name, gov if kind != "social" else "Ministry of Social Affairs", level, None, type_label
    if ctype == T_COMMUNITY:
        if r < 0.75:
            if elder_titles and (not fixed_elder or rnd.random() < 0.7):
                person = _person(rnd, style, rnd.choice(elder_titles), used, reserved)
            else:
                person = _person(rnd, style, None, used, reserved, fixed=rnd.choice(fixed_elder or ("",)))
            return person.render(), f"Traditional authority of {town}", rnd.choice((0, 0,
                                                                                    1)), person, type_label
        kind = rnd.choice(("elders", "committee"))
        name = f"Elders' council of {town}" if kind == "elders" else f"{town} community committee"
        return name, f"Traditional authority of {town}", 0, None, type_label
    if ctype == T_MILITIA:
        network = rnd.choice(groups[T_MILITIA])
        if r < 0.6:
            person = _person(rnd, style, rnd.choice(("cmdr", None, None)), used, reserved)
            return person.render(), network, rnd.choice((0, 0, 1)), person, type_label
        kind = rnd.choice(("self", "youth", "hunters"))
        name = {"self": f"{town} Self-Defence Group", "youth": f"{town} Youth Vigilantes",
                "hunters": f"{town} Hunters' Association"}[kind]
        return name, network, 0, None, type_label
    kind = rnd.choice(("union", "security", "gang"))
    name = {"union": f"{town} Transporters' Union", "security": f"Private security, {town} market",
            "gang": f"Armed men at {town} junction"}[kind]
    return name, "none known", 0, None, type_label


def _groups(rnd: random.Random, style: str, used_places: set[str]) -> dict[int, list[str]]:
    def stem() -> str:
        return _place_name(rnd, style, used_places)

    nsag_forms = ("{} Hills Front", "{} Liberation Front", "{} Brigades", "Movement for the Defence of {}",
                  "{} Valley Army", "Revolutionary Council of {}")
    nsag = [rnd.choice(nsag_forms).format(stem()) for _ in range(3)]
    state = [f"{_ordinal(rnd.randint(1, 30))} Infantry Division", f"{_ordinal(rnd.randint(1, 9))} Army Corps",
             f"{rnd.choice(('Northern', 'Southern', 'Eastern', 'Western', 'Central'))} Military Region",
             "Border Guard Command"]
    militia = [rnd.choice(("{} self-defence network", "{} clan militia", "{} community defence forces",
                           "{} vigilance committees")).format(stem()) for _ in range(3)]
    dfa = [f"{stem()} de facto administration", f"Supreme Council of {stem()}"]
    return {T_STATE: state, T_NSAG: nsag, T_MILITIA: militia, T_DFA: dfa}


def _name_variants(cp: Counterpart, rnd: random.Random, n: int = 8) -> list[str]:
    """Obvious variants of a counterpart name: all share its name key."""
    canon = cp.name
    key = _key(canon)
    found: list[str] = []
    for _ in range(80):
        if cp.person is not None:
            p = cp.person
            words: list[str] = []
            if p.title:
                forms = TITLE_FORMS[p.title]
                pick = rnd.random()
                if pick < 0.35 and (p.given or p.family):
                    pass  # title dropped
                elif pick < 0.75 and len(forms) > 1:
                    words.append(rnd.choice(forms[1:]))
                else:
                    words.append(forms[0])
            elif rnd.random() < 0.15 and cp.ctype in (T_NSAG, T_MILITIA):
                words.append(rnd.choice(TITLE_FORMS["cmdr"]))
            if p.fixed:
                words.append(p.fixed)
            names = list(p.given) + list(p.family)
            out: list[str] = []
            i = 0
            while i < len(names):
                w = names[i]
                if w == "Abdul" and i + 1 < len(names) and rnd.random() < 0.6:
                    nxt = names[i + 1]
                    out.append(rnd.choice((f"Abdel {nxt}", f"Abd al-{nxt}", f"Abdul-{nxt}", f"Abd el-{nxt}",
                                           f"Abdel-{nxt}")))
                    i += 2
                    continue
                if w in _TRANSLIT_OF and rnd.random() < 0.6:
                    w = rnd.choice(_TRANSLIT_OF[w])
                elif w.startswith("Al-") and rnd.random() < 0.5:
                    w = rnd.choice(("El-", "Al ", "al-", "El ", "el-")) + w[3:]
                elif "'" in w and rnd.random() < 0.6:
                    w = w.replace("'", "")
                elif w in ("Said", "Saad") and rnd.random() < 0.5:
                    w = w[:2] + "'" + w[2:]
                out.append(w)
                i += 1
            text = " ".join(words + out)
        else:
            text = canon
            r = rnd.random()
            if ", " in text and r < 0.5:
                text = text.replace(", ", rnd.choice((" - ", " ", " , ", "; ")), 1)
        r = rnd.random()
        if r < 0.12:
            text = text.upper()
        elif r < 0.22:
            text = text.lower()
        if rnd.random() < 0.18 and " " in text:
            spaces = [i for i, ch in enumerate(text) if ch == " "]
            j = rnd.choice(spaces)
            text = text[:j] + "  " + text[j + 1:]
        if rnd.random() < 0.06:
            text = text + "."
        if text != canon and text not in found and _key(text) == key:
            found.append(text)
        if len(found) >= n:
            break
    if not found:
        found = [canon.upper()] if canon.upper() != canon else [canon + "."]
    while len(found) < n:
        found.append(found[len(found) % max(1, len(found))])
    return found[:n]


def _note_pool(rnd: random.Random, towns: list[str], cps: list[str], outcome: int) -> list[str]:
    t = lambda: rnd.choice(towns)  # noqa: E731
    c = lambda: rnd.choice(cps) if cps else rnd.choice(towns)  # noqa: E731
    templates: dict[int, list[Callable[[], str]]] = {
        O_GRANTED: [lambda: f"Passage granted after short discussion at {c()}.",
                    lambda: "Commander agreed; convoy crossed the same day.",
                    lambda: "Approved by phone, confirmed in writing next day.",
                    lambda: "Team allowed through after ID check.",
                    lambda: f"Agreement from last month holds; no issues on the road to {t()}.",
                    lambda: f"Tea offered, cordial. Access to {t()} confirmed.",
                    lambda: 'Counterpart said "you are welcome any time".'],
        O_COND: [lambda: "Escort imposed; departure delayed 2 hours.",
                 lambda: "Asked for staff names before approval; HQ consulted.",
                 lambda: f"Fee demanded at {c()}; refused to pay, agreed on escort instead.",
                 lambda: "Daylight movement only, back before 17:00.",
                 lambda: "Cargo searched, all trucks released.",
                 lambda: f"Approved if we notify 48 hours ahead via the office in {t()}."],
        O_PARTIAL: [lambda: f"Only {rnd.randint(2, 6)} of {rnd.randint(7, 15)} trucks allowed.",
                    lambda: f"Access to {t()} only; {t()} still closed.",
                    lambda: "Assessment allowed, distribution not.",
                    lambda: "National staff allowed, internationals turned back."],
        O_DENIED: [lambda: "Refused citing security; will escalate to sector command.",
                   lambda: f"Turned back at {c()}.",
                   lambda: "Counterpart says no movement until further notice.",
                   lambda: "Denied without explanation.",
                   lambda: f"Told the road to {t()} is closed for 'operations'.",
                   lambda: "New commander in post, does not recognise earlier agreement.",
                   lambda: "Convoy held 4 hrs.\nReleased after call, but told to return to base."],
        O_DEFERRED: [lambda: "Asked to come back next week.",
                     lambda: "Decision pending approval from higher command.",
                     lambda: f"Awaiting letter from the office in {t()}.",
                     lambda: "Commander away; deputy cannot decide.",
                     lambda: "Follow up after the market day."],
        O_NORESP: [lambda: f"Calls unanswered for {rnd.randint(2, 9)} days.",
                   lambda: "Letter delivered, no reply yet.",
                   lambda: "Intermediary could not reach the commander.",
                   lambda: "Phone network down in the area."],
    }
    return [rnd.choice(templates[outcome])() for _ in range(24)]


def _can_hold_checkpoint(cp: Counterpart) -> bool:
    """Armed actors hold checkpoints; of the de facto authorities' offices, only the security ones."""
    if cp.ctype not in (T_STATE, T_POLICE, T_NSAG, T_MILITIA, T_DFA):
        return False
    return cp.ctype != T_DFA or cp.person is not None or cp.name.startswith(("Intelligence", "Department of Sec"))


def _build_world(boundaries: Path, seed: int, end_date: date) -> World:
    countries, areas = _load_boundaries(boundaries)
    rnd = random.Random(seed)
    geo_rng = np.random.default_rng((seed, 1))
    start, end = _window(end_date)

    # offensive area
    offensive: dict[str, Any] | None = None
    for iso3, aname in OFFENSIVE_AREAS:
        hits = [a for a in areas if a.iso3 == iso3 and a.name.lower() == aname.lower()]
        if hits:
            off_start = _add_months(end, -OFFENSIVE_MONTHS_BEFORE_END) + timedelta(days=14)
            offensive = {"iso3": iso3, "admin1": hits[0].name, "pcode": hits[0].pcode, "area": hits[0].index,
                         "start": off_start, "end": off_start + timedelta(days=OFFENSIVE_DAYS - 1),
                         "ease_end": off_start + timedelta(days=OFFENSIVE_DAYS + OFFENSIVE_EASE_DAYS - 1)}
            break

    counterparts: list[Counterpart] = []
    places: list[Place] = []
    checkpoints: list[Checkpoint] = []
    notes: dict[tuple[int, int], list[str]] = {}
    restrictive_by_iso = {r[0]: r for r in RESTRICTIVE_COUNTERPARTS}
    for c in countries:
        french = c.iso3 in FRENCH_OFFICES
        used_places: set[str] = set()
        # places: 3-8 per area, fewer per area in countries with many areas
        per_area = max(3, min(8, 120 // max(1, len(c.areas))))
        towns: list[str] = []
        area_places: dict[int, list[int]] = {}
        for ai in c.areas:
            pts = _points_in(areas[ai].geom, per_area, geo_rng)
            area_places[ai] = []
            for lat, lon in pts:
                pname = _place_name(rnd, c.style, used_places)
                places.append(Place(len(places), ai, pname, float(lat), float(lon)))
                area_places[ai].append(len(places) - 1)
                towns.append(pname)
        groups = _groups(rnd, c.style, used_places)
        # area activity weights; the offensive area carries a fixed share of its country
        aw = {ai: float(np.exp(rnd.gauss(0, 0.7))) for ai in c.areas}
        # counterparts
        mix = np.array(TYPE_MIX.get(c.iso3, DEFAULT_TYPE_MIX))
        n_cp = rnd.randint(30, 40)
        used_keys: set[str] = set()
        reserved: set[str] = set()
        restr = restrictive_by_iso.get(c.iso3)
        if restr:
            reserved.update(restr[1].split()[-2:])
        types = rnd.choices(range(8), weights=mix.tolist(), k=n_cp)
        # at least three armed types that can hold checkpoints
        armed = [t for t in range(8) if mix[t] > 0 and t in (T_STATE, T_POLICE, T_NSAG, T_MILITIA, T_DFA)]
        for i in range(3):
            if sum(t in armed for t in types) < 6:
                types[i] = armed[i % len(armed)]
        first_cp = len(counterparts)
        area_list = list(c.areas)
        area_weights = [aw[a] for a in area_list]
        for t in sorted(types):
            home = rnd.choices(area_list, weights=area_weights)[0]
            name, aff, level, person, tlabel = _make_counterpart(rnd, c, areas, t, home, used_keys, reserved,
                                                                 towns,
                                                                 groups, french)
            if person is None:
                key = _key(name)
                if key in used_keys:
                    continue
                used_keys.add(key)
            cp = Counterpart(len(counterparts), c.index, name, t, aff, level, home, tlabel, person)
            cp.weight = float(np.exp(rnd.gauss(0, 0.8))) * (1.3, 1.0, 0.6)[level]
            cp.denial_factor = float(np.exp(rnd.gauss(0, 0.35)))
            counterparts.append(cp)
        if restr:
            _, rname, rtype, raff, rlevel, _ = restr
            title = {"Col.": "col", "Mawlawi": "mawlawi", "Cmdr.": "cmdr"}[rname.split()[0]]
            words = rname.split()[1:]
            person = Person(title, tuple(words[:-1]), (words[-1],))
            rarea = sorted(c.areas, key=lambda a: -aw[a])[1 % len(c.areas)]
            if rtype == T_DFA and c.iso3 == "AFG":
                raff = f"{raff}, {areas[rarea].name}"
            cp = Counterpart(len(counterparts), c.index, rname, rtype, raff, LEVEL_CODES.index(rlevel), rarea,
                             TYPE_LABELS[rtype][0], person, restrictive=True)
            counterparts.append(cp)
        country_cps = counterparts[first_cp:]
        # offensive area: make sure armed actors, an authority and a leader are based there
        if offensive and offensive["iso3"] == c.iso3:
            need = [T_STATE, T_STATE, T_NSAG, T_MILITIA, T_LOCAL, T_COMMUNITY, T_STATE]
            for t in need:
                cands = [cp for cp in country_cps if cp.ctype == t and cp.area != offensive["area"]
                         and not cp.restrictive]
                if cands:
                    cands[0].area = offensive["area"]
        # checkpoints
        n_chk = rnd.randint(5, 8)
        holders = [cp for cp in country_cps if _can_hold_checkpoint(cp)]
        armed_cps = [cp for cp in holders if cp.level < 2] or holders
        kinds = [3] + rnd.choices([0, 1, 2, 4, 5], weights=[35, 8, 15, 12, 15], k=n_chk - 1)
        border_dist = c.geom.boundary
        used_cp_names: set[str] = set()
        controllers_used: list[int] = []
        for kind in kinds:
            if kind == 3:
                pool = [cp for cp in armed_cps if cp.ctype in (T_STATE, T_POLICE, T_DFA)] or armed_cps
            else:
                pool = armed_cps
            fresh = [cp for cp in pool if cp.index not in controllers_used]
            restr_cp = [cp for cp in country_cps if cp.restrictive and restr and restr[5]]
            if restr_cp and restr_cp[0].index not in controllers_used and kind != 3:
                ctrl = restr_cp[0]
            elif offensive and offensive["iso3"] == c.iso3 and not any(
                    checkpoints[k].area == offensive["area"] for k in range(len(checkpoints))
                    if checkpoints[k].country == c.index):
                off_armed = [cp for cp in pool if cp.area == offensive["area"]] or pool
                ctrl = off_armed[0]
            else:
                ctrl = rnd.choice(fresh or pool)
            controllers_used.append(ctrl.index)
            area = ctrl.area
            if kind == 3:
                # border crossing: an area on the national border, the point near the border
                touching = [a for a in c.areas if areas[a].geom.distance(border_dist) < 1e-6
                            and areas[a].geom.boundary.intersection(border_dist).length > 0.05]
                if area not in touching and touching:
                    area = rnd.choice(touching)
                pts = _points_in(areas[area].geom, 40, geo_rng, inset=0.05)
                d = shapely.distance(shapely.points(pts[:, 1], pts[:, 0]), border_dist)
                lat, lon = pts[int(np.argmin(d))]
            else:
                lat, lon = _points_in(areas[area].geom, 1, geo_rng)[0]
            aname = areas[area].name
            for _ in range(50):
                town = rnd.choice([places[p].name for p in area_places[area]])
                name = {
                    0: rnd.choice((f"Km {rnd.randint(3, 140)} checkpoint", f"{town} checkpoint",
                                   f"{town} junction checkpoint", f"Airport road checkpoint ({town})")),
                    1: f"{town} market checkpoint",
                    2: rnd.choice((f"Mobile checkpoint, {town} road", f"Flying checkpoint near {town}")),
                    3: rnd.choice((f"{aname} border crossing", f"{town} crossing point")),
                    4: rnd.choice((f"Bridge Gate {rnd.choice(('North', 'South', 'East', 'West'))}",
                                   f"{town} {rnd.choice(('North', 'South'))} Gate", f"{town} road gate")),
                    5: rnd.choice((f"{town} roadblock", f"Earth mound at {town} junction")),
                }[kind]
                if name not in used_cp_names:
                    break
            used_cp_names.add(name)
            chk = Checkpoint(len(checkpoints), c.index, area, name, kind, float(lat), float(lon), ctrl.index)
            checkpoints.append(chk)
            ctrl.controls.append(chk.index)
        for outcome in range(6):
            notes[(c.index, outcome)] = _note_pool(
                rnd, towns, [ch.name for ch in checkpoints if ch.country == c.index], outcome)

    # signature obstacles at ~20% of checkpoints
    n_sig = max(1, round(SIGNATURE_SHARE * len(checkpoints)))
    for ci in sorted(rnd.sample(range(len(checkpoints)), n_sig)):
        chk = checkpoints[ci]
        chk.signature = rnd.choice(SIGNATURE_LABELS[counterparts[chk.controller].ctype])

    # where counterparts are met: controllers at their checkpoints, other armed actors at checkpoints
    # held by the same type in their country
    for cp in counterparts:
        if cp.controls:
            cp.checkpoints = list(cp.controls)
            cp.p_checkpoint = 0.8
        elif _can_hold_checkpoint(cp) and cp.level < 2:
            # checkpoints in their own area first; else those their kind holds elsewhere in the country
            here = [ch.index for ch in checkpoints if ch.area == cp.area]
            same = [ch.index for ch in checkpoints if ch.country == cp.country
                    and counterparts[ch.controller].ctype == cp.ctype]
            in_offensive = offensive is not None and cp.area == offensive["area"]
            cp.checkpoints = here or ([] if in_offensive else same)
            cp.p_checkpoint = 0.4 if here else 0.25 if cp.checkpoints else 0.0
    # request shares: country weight x counterpart weight; patterns get fixed shares
    total_w = sum(c.weight for c in countries)
    probs = np.zeros(len(counterparts))
    for c in countries:
        idx = [cp.index for cp in counterparts if cp.country == c.index]
        w = np.array([counterparts[i].weight * (1.6 if counterparts[i].controls else 1.0) for i in idx])
        share = c.weight / total_w
        p = w / w.sum() * share
        restr_idx = [k for k, i in enumerate(idx) if counterparts[i].restrictive]
        for k in restr_idx:
            others = np.ones(len(idx), bool)
            others[restr_idx] = False
            req_share = RESTRICTIVE_SHARE * MEAN_ENGAGEMENTS_PER_REQUEST
            p[others] *= (share - req_share * len(restr_idx)) / p[others].sum()
            p[k] = req_share
        if offensive and offensive["iso3"] == c.iso3:
            in_area = np.array([counterparts[i].area == offensive["area"] and not counterparts[i].restrictive
                                for i in idx])
            out_area = ~in_area & ~np.array([counterparts[i].restrictive for i in idx])
            free = p[in_area].sum() + p[out_area].sum()
            target = OFFENSIVE_AREA_SHARE * share
            p[in_area] *= target / p[in_area].sum()
            p[out_area] *= (free - target) / p[out_area].sum()
        probs[idx] = p
    probs /= probs.sum()
    for cp in counterparts:
        cp.weight = float(probs[cp.index])
    # scale checkpoint probabilities so that about half of the engagements happen at one
    # (engagement-weighted: restrictive counterparts' requests have one engagement, others 1.49)
    eng = {cp.index: cp.weight * (1.0 if cp.restrictive else MEAN_ENGAGEMENTS_PER_REQUEST)
           for cp in counterparts}
    for _ in range(8):  # clipping at 0.95 needs a few rounds
        expected = sum(eng[cp.index] * cp.p_checkpoint for cp in counterparts) / sum(eng.values())
        if expected <= 0 or abs(expected - CHECKPOINT_SHARE) < 0.002:
            break
        for cp in counterparts:
            cp.p_checkpoint = min(0.95, cp.p_checkpoint * CHECKPOINT_SHARE / expected)

    for cp in counterparts:
        cp.variants = _name_variants(cp, rnd)

    # near-identical pairs: a different counterpart whose family name is one letter away
    near_pairs: list[dict[str, str]] = []
    order = sorted(countries, key=lambda c: -c.weight)
    for round_ in range(4):
        for c in order:
            if len(near_pairs) >= 10:
                break
            cands = [cp for cp in counterparts if cp.country == c.index and cp.person is not None
                     and not cp.restrictive and cp.person.family and cp.person.family[-1] in NEAR_FAMILY
                     and not any(cp.name in (p["a"], p["b"]) for p in near_pairs)]
            if len(cands) <= round_:
                continue
            base = cands[round_]
            p = base.person
            assert p is not None
            twin_person = Person(p.title, p.given, (*p.family[:-1], NEAR_FAMILY[p.family[-1]]), p.fixed)
            twin_name = twin_person.render()
            if any(_key(twin_name) == _key(o.name) for o in counterparts if o.country == c.index):
                continue
            # near enough that a fuzzy matcher must hesitate (etl.counterparts.names flags ratio >= 88)
            if difflib.SequenceMatcher(None, _key(base.name), _key(twin_name)).ratio() < 0.9:
                continue
            same_type = [o for o in counterparts
                         if o.country == c.index and o.ctype == base.ctype and o is not base]
            twin = Counterpart(len(counterparts), c.index, twin_name, base.ctype,
                               rnd.choice(same_type).affiliation if same_type else base.affiliation,
                               base.level, rnd.choice(c.areas), base.type_label, twin_person)
            twin.weight = base.weight
            twin.denial_factor = float(np.exp(rnd.gauss(0, 0.35)))
            twin.checkpoints = list(base.checkpoints) if not base.controls else []
            twin.p_checkpoint = base.p_checkpoint if twin.checkpoints else 0.0
            twin.variants = _name_variants(twin, rnd)
            counterparts.append(twin)
            near_pairs.append({"iso3": c.iso3, "a": base.name, "b": twin_name})
    final = np.array([cp.weight for cp in counterparts])
    final /= final.sum()
    for cp in counterparts:
        cp.weight = float(final[cp.index])

    return World(countries, areas, counterparts, checkpoints, places, start, end, offensive, near_pairs,
                 notes)


# ----------------------------------------------------------------------------------- offices

HEADER_OPTIONS: dict[str, tuple[str, ...]] = {
    "engagement_id": ("Engagement ID", "ID", "Record ID", "Ref", "Reference", "Log ID", "Entry ID"),
    "date": ("Date", "Date of engagement", "Engagement date", "Meeting date", "Date of contact",
             "Event date"),
    "request_id": ("Request ID", "Request ref", "Request No", "Access request ID", "Request number"),
    "request_date": ("Date requested", "Request date", "Date of request", "Submission date"),
    "resolution_date": ("Resolution date", "Decision date", "Date resolved", "Response date",
                        "Date of decision"),
    "days_to_resolution": ("Days to resolution", "Days to access", "Delay (days)", "Processing days",
                           "Days to decision"),
    "organisation": ("Organisation", "Organization", "Agency", "Requesting agency", "Partner", "Org"),
    "activity": ("Activity", "Request type", "Type of request", "Purpose", "Activity type"),
    "priority": ("Priority", "Urgency", "Request priority"),
    "people_targeted": ("People targeted", "Beneficiaries", "Target population", "Beneficiaries targeted",
                        "People to reach"),
    "people_reached": ("People reached", "Beneficiaries reached", "Reached", "People assisted"),
    "country": ("Country", "Country ISO3", "Country code", "Country name"),
    "admin1": ("Admin1", "Admin 1", "ADM1 name"),
    "admin1_pcode": ("Admin1 Pcode", "ADM1_PCODE", "P-code", "Pcode", "Adm1 code"),
    "location": ("Location", "Place", "Village", "Site", "Destination", "Locality"),
    "checkpoint": ("Checkpoint", "Checkpoint name", "Crossing point", "CP"),
    "checkpoint_kind": ("Checkpoint type", "Type of checkpoint", "CP type"),
    "counterpart": ("Counterpart", "Counterpart name", "Interlocutor", "Actor name", "Authority", "Contact"),
    "counterpart_type": ("Counterpart type", "Actor type", "Type of counterpart", "Counterpart category"),
    "counterpart_affiliation": ("Affiliation", "Chain of command", "Parent group", "Parent unit"),
    "counterpart_level": ("Level", "Seniority", "Counterpart level"),
    "channel": ("Channel", "Contact channel", "Mode", "Means of contact", "Modality"),
    "intermediary": ("Intermediary", "Facilitator", "Via", "Mediator", "Go-between"),
    "outcome": ("Outcome", "Result", "Decision", "Response", "Access outcome"),
    "conditions": ("Conditions", "Conditions imposed", "Terms", "Conditions attached"),
    "obstacles": ("Obstacles", "Constraints", "Access constraints", "Impediments", "Obstacle type"),
    "follow_up_due": ("Follow-up due", "Follow-up date", "Next follow-up", "Follow up deadline"),
    "notes": ("Notes", "Comments", "Remarks", "Observations", "Narrative"),
}
COORD_HEADERS = (("Lat", "Lon"), ("Latitude", "Longitude"), ("GPS latitude", "GPS longitude"), ("lat",
                                                                                                "lng"),
                 ("Y", "X"))
ADMIN1_HEADER = {"SSD": "State", "SDN": "State", "NGA": "State", "AFG": "Province", "PAK": "Province",
                 "YEM": "Governorate", "SYR": "Governorate", "IRQ": "Governorate", "UGA": "Region",
                 "BFA": "Region",
                 "NER": "Region"}
FRENCH_HEADERS = {"country": "Pays", "counterpart": "Interlocuteur", "outcome": "Résultat"}
KOBO_GROUPS = {"engagement_id": "meta", "date": "engagement", "request_id": "request",
               "request_date": "request",
               "resolution_date": "request", "days_to_resolution": "request", "organisation": "request",
               "activity": "request", "priority": "request", "people_targeted": "request",
               "people_reached": "request", "country": "location", "admin1": "location",
               "admin1_pcode": "location",
               "location": "location", "checkpoint": "location", "checkpoint_kind": "location",
               "latitude": "location", "longitude": "location", "counterpart": "counterpart",
               "counterpart_type": "counterpart", "counterpart_affiliation": "counterpart",
               "counterpart_level": "counterpart", "channel": "engagement", "intermediary": "engagement",
               "outcome": "engagement", "conditions": "engagement", "obstacles": "engagement",
               "follow_up_due": "engagement", "notes": "engagement"}
KOBO_NAMES = {"engagement_id": "record_id", "date": "date_of_engagement", "latitude": "_gps_latitude",
              "longitude": "_gps_longitude", "counterpart": "counterpart_name", "admin1": "adm1_name",
              "admin1_pcode": "adm1_pcode", "obstacles": "access_constraints"}
CANONICAL_ORDER = ("engagement_id", "date", "request_id", "request_date", "resolution_date",
                   "days_to_resolution", "organisation", "activity", "priority", "people_targeted",
                   "people_reached", "country", "admin1", "admin1_pcode", "location", "checkpoint",
                   "checkpoint_kind", "latitude", "longitude", "counterpart", "counterpart_type",
                   "counterpart_affiliation", "counterpart_level", "channel", "intermediary", "outcome",
                   "conditions", "obstacles", "follow_up_due", "notes")
OPTIONAL_DROPS = ("checkpoint_kind", "intermediary", "days_to_resolution", "resolution_date",
                  "admin1_pcode", "counterpart_affiliation", "priority", "follow_up_due", "people_reached")

# Office layouts by iso3 (mixed-format runs); offices not listed write CSV.
OFFICE_LAYOUT: dict[str, dict[str, Any]] = {
    "SSD": {"fmt": "xlsx", "title_rows": True, "date_style": "excel", "xlsx_date_format": "dd-mmm-yyyy"},
    "AFG": {"fmt": "xlsx", "date_style": "excel", "xlsx_date_format": "dd/mm/yyyy"},
    "IRQ": {"fmt": "json", "date_style": "iso"},
    "YEM": {"fmt": "csv", "encoding": "utf-8-sig", "date_style": "dmy", "lineterminator": "\r\n"},
    "SYR": {"date_style": "dmy"}, "CAF": {"date_style": "dmy"}, "NER": {"date_style": "dmy"},
    "BFA": {"date_style": "dmon"}, "NGA": {"date_style": "dmon"}, "UGA": {"date_style": "dmon"},
    "UKR": {"date_style": "iso"}, "PAK": {"date_style": "iso"},
}

OUTCOME_LABELS = {
    O_GRANTED: ("Granted", "Approved", "ok'd", "OK", "Access granted", "Cleared", "Allowed", "Permitted"),
    O_COND: ("Granted with conditions", "Granted w/ conditions", "Conditional", "Approved with conditions",
             "Conditionally granted", "OK with conditions"),
    O_PARTIAL: ("Partially granted", "Partial", "Partial access", "Partly granted", "Partially approved"),
    O_DENIED: ("Denied", "Refused", "Rejected", "Blocked", "Turned back", "Not allowed", "Access denied"),
    O_DEFERRED: ("Deferred", "Postponed", "Pending", "On hold", "Delayed", "To be confirmed"),
    O_NORESP: ("No response", "no answer", "No reply", "Unanswered", "No feedback"),
}
OUTCOME_LABELS_FR = {
    O_GRANTED: ("Accordé", "accordé", "Autorisé", "Approuvé"),
    O_COND: ("Accordé sous conditions", "accordé avec conditions"),
    O_PARTIAL: ("Partiellement accordé", "Partiel"),
    O_DENIED: ("Refusé", "Rejeté", "refusé"),
    O_DEFERRED: ("Reporté", "En attente"),
    O_NORESP: ("Sans réponse", "Pas de réponse"),
}
ACTIVITY_LABELS = {
    "staff_movement": ("Movement of staff", "Staff movement", "Road movement", "Field mission",
                       "Staff travel"),
    "goods_delivery": ("Delivery of goods", "Convoy", "Aid convoy", "Food delivery", "Truck movement",
                       "Distribution"),
    "assessment": ("Assessment", "Needs assessment", "Rapid assessment", "Monitoring visit"),
    "medical_evacuation": ("Medical evacuation", "Medevac", "Referral", "Patient transfer"),
    "protection_visit": ("Protection visit", "Protection monitoring", "Protection mission"),
    "presence": ("Presence", "Office opening", "Establish presence", "Registration of office"),
    "programme_implementation": ("Programme implementation", "Mobile clinic", "Vaccination campaign",
                                 "Project implementation", "Service delivery"),
}
ACTIVITY_WEIGHTS = {"staff_movement": 30, "goods_delivery": 25, "assessment": 12, "medical_evacuation": 5,
                    "protection_visit": 6, "presence": 7, "programme_implementation": 15}
LEVEL_LABELS = (("Frontline", "Mid", "Senior"), ("frontline", "mid-level", "senior"),
                ("Field", "Middle", "High level"), ("Local", "District", "National"),
                ("Checkpoint", "Operational", "Strategic"))
PRIORITY_LABELS = (("High", "Medium", "Low"), ("1", "2", "3"), ("P1", "P2", "P3"), ("Urgent", "Normal",
                                                                                    "Routine"),
                   ("high", "med", "low"))
CHANNEL_LABELS = {
    "in_person": ("In person", "Face to face", "Meeting", "At checkpoint", "Visit"),
    "phone": ("Phone", "Phone call", "Telephone", "WhatsApp", "Sat phone", "Thuraya"),
    "intermediary": ("Through an intermediary", "Via intermediary", "Intermediary", "Third party"),
    "written": ("Written", "Letter", "Email", "Official letter", "Note verbale"),
}
CHANNEL_LABELS_FR = {"in_person": ("En personne",), "phone": ("Téléphone", "WhatsApp"),
                     "intermediary": ("Intermediary",), "written": ("Courrier", "Email")}
KIND_LABELS = {
    "fixed": ("Checkpoint", "Fixed checkpoint", "Permanent checkpoint", "Static checkpoint"),
    "partial": ("Partial checkpoint", "Partially staffed"),
    "mobile": ("Mobile checkpoint", "Flying checkpoint", "Mobile", "Temporary checkpoint"),
    "border_crossing": ("Border crossing", "Border post", "Crossing point"),
    "road_gate": ("Road gate", "Gate"),
    "roadblock": ("Roadblock", "Road block", "Earth mound"),
}
# Conditions: internal item -> labels (all map to the vocab code of the item's prefix).
CONDITION_ITEMS: dict[str, tuple[str, ...]] = {
    "escort_military": ("Military escort", "Armed escort", "Escort required"),
    "escort_police": ("Police escort", "Escort required"),
    "staff_list": ("Staff list", "List of staff", "Names of staff", "Copies of staff IDs"),
    "beneficiary_list": ("Beneficiary list", "List of beneficiaries", "Beneficiary data"),
    "fee": ("Fee", "Passage fee", "Toll", "Facilitation fee", "Cash payment", "Levy"),
    "inspection": ("Cargo inspection", "Vehicle search", "Inspection", "Cargo search"),
    "prior_notification": ("Prior notification", "Advance notice", "Notify in advance"),
    "route_change": ("Route change", "Alternative route"),
    "time_window": ("Daylight only", "Time window", "Limited hours"),
    "reduced_team": ("National staff only", "Reduced team", "No international staff", "Male staff only"),
    "mou": ("Sign MoU", "MoU", "Memorandum of understanding"),
    "share_of_aid": ("Share of assistance", "Portion of aid"),
    "local_hiring": ("Hire local staff", "Local recruitment"),
}
CONDITION_NAMES = tuple(CONDITION_ITEMS)
_CW: dict[int, dict[str, float]] = {
    T_STATE: {"escort_military": 6, "prior_notification": 1.5, "time_window": 1, "inspection": 1,
              "route_change": 0.5, "staff_list": 0.5},
    T_POLICE: {"escort_police": 5, "inspection": 1.5, "prior_notification": 1.5, "time_window": 0.5},
    T_NSAG: {"fee": 2, "share_of_aid": 1, "route_change": 1, "time_window": 1, "reduced_team": 0.5,
             "escort_military": 0.3},
    T_DFA: {"staff_list": 6, "mou": 1.5, "reduced_team": 1.5, "beneficiary_list": 1.2, "local_hiring": 0.8,
            "prior_notification": 0.5},
    T_LOCAL: {"prior_notification": 2.5, "beneficiary_list": 2, "local_hiring": 1.5, "mou": 1,
              "staff_list": 0.8},
    T_COMMUNITY: {"local_hiring": 2.5, "beneficiary_list": 2, "route_change": 0.5, "share_of_aid": 0.5},
    T_MILITIA: {"fee": 3, "share_of_aid": 1.5, "escort_military": 0.5, "route_change": 0.5},
    T_OTHER: {"fee": 4, "route_change": 1},
}
# Generic obstacles (sub-type labels) by counterpart type.
_OW: dict[int, dict[str, float]] = {
    T_STATE: {"denial of travel permit": 3, "checkpoint blockage or delay": 3, "convoy detained": 1.5,
              "military operations": 1.5, "curfew": 1, "road closure": 1, "harassment": 0.5,
              "requests for staff lists": 0.7, "shelling": 0.4,
              "people prevented from reaching assistance": 0.3},
    T_POLICE: {"checkpoint delay": 3, "permit delay": 2, "arrest of staff": 0.5, "harassment": 1,
               "requests for staff lists": 1, "bureaucratic impediments": 1},
    T_NSAG: {"illegal taxation or levies": 2.5, "threats against staff": 1.5, "looting of aid": 1,
             "abduction or detention of staff": 0.4, "armed clashes": 1.5, "presence of mines": 0.6,
             "IEDs": 0.5,
             "checkpoint blockage or delay": 1.5, "interference in beneficiary selection": 0.8},
    T_DFA: {"interference with programming": 2.5, "pressure to sign an MoU": 2,
            "interference with staff recruitment": 1.5, "requests for beneficiary data": 1.5,
            "denial of travel permit": 1.5, "temporary suspension of a programme": 0.5,
            "registration requirements": 1, "permanent closure of a facility": 0.2, "visa delays": 0.5},
    T_LOCAL: {"bureaucratic impediments": 2.5, "permit delay": 2,
              "interference in beneficiary selection": 1.5,
              "registration requirements": 1, "requests for beneficiary data": 1, "needs not recognised": 0.4,
              "customs clearance": 0.4, "visa delays": 0.3},
    T_COMMUNITY: {"interference in beneficiary selection": 2, "population movement restricted": 0.8,
                  "threats": 0.5, "needs not recognised": 0.6, "impassable road": 1},
    T_MILITIA: {"illegal taxation or levies": 3, "roadblock": 1.5, "looting of aid": 1.2, "harassment": 1.2,
                "threats against staff": 1, "carjacking": 0.5, "armed clashes": 0.8},
    T_OTHER: {"carjacking": 2, "looting": 2, "threats": 1.5, "insecurity": 2, "kidnapping": 0.5},
}
_MINES_COUNTRIES: dict[str, dict[str, float]] = {
    "UKR": {"UXO": 1.2, "explosive remnants of war": 0.8, "presence of mines": 1.0},
    "SYR": {"UXO": 0.8, "explosive remnants of war": 0.5},
    "AFG": {"presence of mines": 0.6, "UXO": 0.5},
    "IRQ": {"explosive remnants of war": 0.6},
}
# number of generic obstacles (0, 1, 2) by outcome
_N_OBST = np.array([[0.80, 0.18, 0.02], [0.45, 0.45, 0.10], [0.35, 0.50, 0.15], [0.10, 0.55, 0.35],
                    [0.40, 0.45, 0.15], [0.55, 0.35, 0.10]])


def _obstacle_labels() -> list[str]:
    labels: list[str] = []
    sources: list[Sequence[str]] = [list(d) for d in _OW.values()]
    sources += [list(d) for d in _MINES_COUNTRIES.values()]
    sources += [s[1] for s in SEASONS.values()] + [HOSTILITY_LABELS] + list(SIGNATURE_LABELS.values())
    for src in sources:
        for label in src:
            if label not in labels:
                labels.append(label)
    return labels


OBSTACLE_LABELS = tuple(_obstacle_labels())
_OBST_INDEX = {label: i for i, label in enumerate(OBSTACLE_LABELS)}


def _office_plan(world: World, seed: int, mixed: bool) -> list[Office]:
    rnd = random.Random(seed * 7919 + 11)
    offices: list[Office] = []
    # fall-back layouts for countries without an entry, so that each format still appears once
    needed: list[dict[str, Any]] = [
        {"fmt": "xlsx", "title_rows": True, "date_style": "excel", "xlsx_date_format": "dd-mmm-yyyy"},
        {"fmt": "xlsx", "date_style": "excel", "xlsx_date_format": "dd/mm/yyyy"},
        {"fmt": "json", "date_style": "iso"},
        {"fmt": "csv", "encoding": "utf-8-sig", "date_style": "dmy", "lineterminator": "\r\n"},
    ]
    present = [OFFICE_LAYOUT[c.iso3] for c in world.countries if c.iso3 in OFFICE_LAYOUT]
    missing = [n for n in needed if n not in present]
    styles = ("iso", "dmy", "dmon")
    for c in world.countries:
        layout: dict[str, Any] = dict(OFFICE_LAYOUT.get(c.iso3) or (
            missing.pop(0) if missing else {"date_style": styles[c.index % 3]}))
        if not mixed:
            layout = {"fmt": "csv", "date_style": "iso"}
        fmt = layout.get("fmt", "csv")
        french = c.iso3 in FRENCH_OFFICES
        # columns
        drops = set(rnd.sample(OPTIONAL_DROPS, rnd.randint(0, 3)))
        if {"resolution_date", "days_to_resolution"} <= drops:
            drops.discard("resolution_date")
        cols = [col for col in CANONICAL_ORDER if col not in drops]
        if c.index % 5 == 3:  # this office logs only the P-code, not the admin-1 name
            cols.remove("admin1")
            if "admin1_pcode" not in cols:
                cols.insert(CANONICAL_ORDER.index("admin1_pcode") - 1, "admin1_pcode")
        for _ in range(3):  # a few neighbouring columns in another order
            i = rnd.randrange(2, len(cols) - 1)
            cols[i], cols[i + 1] = cols[i + 1], cols[i]
        snake = c.index % 4 == 1 and fmt == "csv"
        lat_h, lon_h = rnd.choice(COORD_HEADERS)
        headers: list[tuple[str, str]] = []
        for col in cols:
            if fmt == "json":
                h = f"{KOBO_GROUPS[col]}/{KOBO_NAMES.get(col, col)}"
            elif snake:
                h = col
            elif col == "latitude":
                h = lat_h
            elif col == "longitude":
                h = lon_h
            elif french and col in FRENCH_HEADERS:
                h = FRENCH_HEADERS[col]
            elif col == "admin1" and c.iso3 in ADMIN1_HEADER and rnd.random() < 0.7:
                h = ADMIN1_HEADER[c.iso3]
            else:
                h = rnd.choice(HEADER_OPTIONS[col])
            if match_column(h) != col:  # the log format no longer takes this spelling
                h = col
            headers.append((h, col))
        country_value = rnd.choice([c.iso3, c.iso3, c.name] + (
            ["République centrafricaine"] if c.iso3 == "CAF" else []))
        office = Office(
            iso3=c.iso3, country=c.index, fmt=fmt,
            encoding=layout.get("encoding", "utf-8") if fmt != "xlsx" else None,
            date_style=layout.get("date_style", "iso"), columns=headers, country_value=country_value,
            title_rows=bool(layout.get("title_rows", False)),
            xlsx_date_format=layout.get("xlsx_date_format", "yyyy-mm-dd"),
            lineterminator=layout.get("lineterminator", "\n"),
            obstacle_sep=rnd.choice(("; ", ";", " ; ")), condition_sep=rnd.choice(("; ", ";")),
            label_case=rnd.choice(("lower", "sentence")), coord_decimals=rnd.choice((4, 5, 5, 6)),
        )
        office.labels = _office_labels(rnd, french)
        offices.append(office)
    return offices


def _office_labels(rnd: random.Random, french: bool) -> dict[str, Any]:
    """Each office's own way of writing the vocabularies: a main label per code and alternatives."""
    def pick(options: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        return rnd.choice(options), options

    out_src = OUTCOME_LABELS_FR if french else OUTCOME_LABELS
    chan_src = CHANNEL_LABELS_FR if french else CHANNEL_LABELS
    return {
        "outcome": [pick(out_src[o]) for o in range(6)],
        "type": [pick((TYPE_LABELS_FR if french else TYPE_LABELS)[t]) for t in range(8)],
        "activity": [pick(ACTIVITY_LABELS[a]) for a in ACTIVITY_CODES],
        "level": rnd.choice(LEVEL_LABELS),
        "priority": rnd.choice(PRIORITY_LABELS),
        "channel": [pick(chan_src[ch]) for ch in CHANNEL_CODES],
        "kind": [pick(KIND_LABELS[k]) for k in KIND_CODES],
        "condition": [rnd.choice(CONDITION_ITEMS[c]) for c in CONDITION_NAMES],
    }


# ---------------------------------------------------------------------------------- sampling


@dataclass
class _Tables:
    """World data as numpy arrays, for vectorised sampling."""

    cp_prob: np.ndarray
    cp_country: np.ndarray
    cp_type: np.ndarray
    cp_level: np.ndarray
    cp_area: np.ndarray
    cp_denial: np.ndarray
    cp_restrictive: np.ndarray
    cp_pcheck: np.ndarray
    cp_chk: np.ndarray  # [n_cp, max] checkpoint options
    cp_nchk: np.ndarray
    chk_area: np.ndarray
    chk_kind: np.ndarray
    chk_sig: np.ndarray  # obstacle label index or -1
    chk_ctrl_type: np.ndarray
    area_places: np.ndarray
    area_nplaces: np.ndarray
    country_region_denial: np.ndarray
    season: np.ndarray  # [n_countries, 13] bool
    season_labels: list[np.ndarray]
    off_area: int
    off_cps: np.ndarray
    off_cp_prob: np.ndarray
    cond_cum: np.ndarray  # [2, 8, n_items] cumulative (not at / at checkpoint)
    obst_cum: np.ndarray  # [n_countries, 8, n_labels]
    n_places: int
    site_lat: np.ndarray
    site_lon: np.ndarray
    site_swap_ok: np.ndarray
    foreign_sites: list[np.ndarray]
    org_sets: np.ndarray  # [n_countries, 5]


def _tables(world: World, seed: int) -> _Tables:
    rnd = random.Random(seed + 101)
    cps = world.counterparts
    n_cp = len(cps)
    max_chk = max(1, max(len(cp.checkpoints) for cp in cps))
    cp_chk = np.zeros((n_cp, max_chk), np.int64)
    cp_nchk = np.zeros(n_cp, np.int64)
    for cp in cps:
        if cp.checkpoints:
            cp_chk[cp.index, :len(cp.checkpoints)] = cp.checkpoints
            cp_nchk[cp.index] = len(cp.checkpoints)
    n_area = len(world.areas)
    by_area: list[list[int]] = [[] for _ in range(n_area)]
    for p in world.places:
        by_area[p.area].append(p.index)
    max_pl = max(len(v) for v in by_area)
    area_places = np.zeros((n_area, max_pl), np.int64)
    area_n = np.zeros(n_area, np.int64)
    for a, lst in enumerate(by_area):
        area_places[a, :len(lst)] = lst
        area_n[a] = len(lst)
    season = np.zeros((len(world.countries), 13), bool)
    season_labels: list[np.ndarray] = []
    for c in world.countries:
        months, labels = SEASONS.get(c.iso3, ((), ()))
        season[c.index, list(months)] = True
        season_labels.append(np.array([_OBST_INDEX[x] for x in labels] or [0], np.int64))
    off = world.offensive
    off_area = off["area"] if off else -1
    off_cps = np.array([cp.index for cp in cps if cp.area == off_area and not cp.restrictive], np.int64)
    off_prob = np.array([cps[i].weight for i in off_cps]) if len(off_cps) else np.zeros(0)
    if len(off_prob):
        off_prob = off_prob / off_prob.sum()
    # conditions
    cond = np.zeros((2, 8, len(CONDITION_NAMES)))
    for t, weights in _CW.items():
        for name, w in weights.items():
            cond[:, t, CONDITION_NAMES.index(name)] = w
        if t in (T_NSAG, T_MILITIA, T_OTHER):  # fees at armed groups' checkpoints
            cond[1, t, CONDITION_NAMES.index("fee")] *= 3.0
    cond /= cond.sum(axis=2, keepdims=True)
    # obstacles by country and type
    obst = np.zeros((len(world.countries), 8, len(OBSTACLE_LABELS)))
    for c in world.countries:
        for t, weights in _OW.items():
            for label, w in weights.items():
                obst[c.index, t, _OBST_INDEX[label]] += w
            for label, w in _MINES_COUNTRIES.get(c.iso3, {}).items():
                obst[c.index, t, _OBST_INDEX[label]] += w * (1.5 if t in (T_NSAG, T_STATE) else 0.5)
    obst /= obst.sum(axis=2, keepdims=True)
    # sites: places then checkpoints
    lat = np.array([p.lat for p in world.places] + [ch.lat for ch in world.checkpoints])
    lon = np.array([p.lon for p in world.places] + [ch.lon for ch in world.checkpoints])
    site_country = np.array([world.areas[p.area].country for p in world.places]
                            + [ch.country for ch in world.checkpoints])
    all_geom = shapely.union_all([c.geom for c in world.countries])
    swapped = shapely.points(lat, lon)  # x = latitude, y = longitude
    swap_ok = (np.abs(lon) <= 90) & (shapely.distance(swapped, all_geom) > 0.5)
    foreign: list[np.ndarray] = []
    for c in world.countries:
        # far from this country, read either way round (else the ETL would see swapped coordinates)
        d = shapely.distance(shapely.points(lon, lat), c.geom)
        d_swapped = shapely.distance(swapped, c.geom)
        foreign.append(np.flatnonzero((site_country != c.index) & (d > 1.0) & (d_swapped > 1.0)))
    org_sets = np.array([sorted(rnd.sample(range(len(ORGANISATIONS)), 5)) for _ in world.countries], np.int64)
    region_denial = np.array([REGION_DENIAL.get(c.region, 1.0) for c in world.countries])
    return _Tables(
        cp_prob=np.array([cp.weight for cp in cps]), cp_country=np.array([cp.country for cp in cps]),
        cp_type=np.array([cp.ctype for cp in cps]), cp_level=np.array([cp.level for cp in cps]),
        cp_area=np.array([cp.area for cp in cps]), cp_denial=np.array([cp.denial_factor for cp in cps]),
        cp_restrictive=np.array([cp.restrictive for cp in cps]),
        cp_pcheck=np.array([cp.p_checkpoint for cp in cps]),
        cp_chk=cp_chk, cp_nchk=cp_nchk,
        chk_area=np.array([ch.area for ch in world.checkpoints], np.int64),
        chk_kind=np.array([ch.kind for ch in world.checkpoints], np.int64),
        chk_sig=np.array([_OBST_INDEX[ch.signature] if ch.signature else -1 for ch in world.checkpoints],
                         np.int64),
        chk_ctrl_type=np.array([cps[ch.controller].ctype for ch in world.checkpoints], np.int64),
        area_places=area_places, area_nplaces=area_n, country_region_denial=region_denial, season=season,
        season_labels=season_labels, off_area=off_area, off_cps=off_cps, off_cp_prob=off_prob,
        cond_cum=np.cumsum(cond, axis=2), obst_cum=np.cumsum(obst, axis=2), n_places=len(world.places),
        site_lat=lat, site_lon=lon, site_swap_ok=swap_ok, foreign_sites=foreign, org_sets=org_sets)


def _cat(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a cumulative-probability matrix."""
    u = rng.random(cum.shape[0]) * cum[:, -1]
    return np.minimum((u[:, None] > cum).sum(axis=1), cum.shape[1] - 1)


def _time_quantile(u: np.ndarray, growth: float = 0.5) -> np.ndarray:
    """Inverse CDF of a density rising linearly by `growth` over the window (more logging later)."""
    return (-1 + np.sqrt(1 + 2 * growth * u * (1 + growth / 2))) / growth


def _generate_chunk(world: World, tb: _Tables, seed: int, chunk: int, n_chunks: int, n: int) -> dict[str,
                                                                                                     np.ndarray]:
    rng = np.random.default_rng((seed, 2, chunk))
    ndays = (world.end - world.start).days + 1
    # requests
    n_req = int(n / 1.3) + 64
    cp = rng.choice(len(tb.cp_prob), size=n_req, p=tb.cp_prob)
    u = (chunk + rng.random(n_req)) / n_chunks
    first = np.minimum((_time_quantile(u) * ndays).astype(np.int64), ndays - 1)
    off = world.offensive
    if off is not None and len(tb.off_cps):
        o0, o1 = (off["start"] - world.start).days, (off["end"] - world.start).days
        surge = ((tb.cp_country[cp] == world.areas[off["area"]].country) & (first >= o0) & (first <= o1)
                 & ~tb.cp_restrictive[cp] & (rng.random(n_req) < OFFENSIVE_SURGE))
        cp[surge] = rng.choice(tb.off_cps, size=int(surge.sum()), p=tb.off_cp_prob)
    k = 1 + np.searchsorted(np.array([0.62, 0.89]), rng.random(n_req), side="right")
    k[tb.cp_restrictive[cp]] = 1
    cs = np.cumsum(k)
    r_used = int(np.searchsorted(cs, n)) + 1
    cp, first, k = cp[:r_used], first[:r_used], k[:r_used].copy()
    k[-1] -= int(cs[r_used - 1] - n)
    # site of each request
    at_chk = (rng.random(r_used) < tb.cp_pcheck[cp]) & (tb.cp_nchk[cp] > 0)
    chk = tb.cp_chk[cp, (rng.random(r_used) * np.maximum(tb.cp_nchk[cp], 1)).astype(np.int64)]
    chk = np.where(at_chk, chk, -1)
    area = np.where(at_chk, tb.chk_area[np.maximum(chk, 0)], tb.cp_area[cp])
    place = tb.area_places[area, (rng.random(r_used) * tb.area_nplaces[area]).astype(np.int64)]
    org = tb.org_sets[tb.cp_country[cp], rng.integers(0, tb.org_sets.shape[1], r_used)]
    act_p = np.array([ACTIVITY_WEIGHTS[a] for a in ACTIVITY_CODES], float)
    activity = rng.choice(len(ACTIVITY_CODES), size=r_used, p=act_p / act_p.sum())
    priority = rng.choice(3, size=r_used, p=[0.3, 0.5, 0.2])
    priority[activity == ACTIVITY_CODES.index("medical_evacuation")] = 0
    targeted = np.clip(np.round(np.exp(rng.normal(math.log(2500), 1.1, r_used)), -1), 200,
                       50_000).astype(np.int64)
    req_gap = np.minimum(rng.geometric(0.25, r_used) - 1, 30)
    # engagements
    req = np.repeat(np.arange(r_used), k)
    starts = np.cumsum(k) - k
    pos = np.arange(n) - starts[req]
    is_final = pos == k[req] - 1
    gap = np.where(pos == 0, 0, rng.integers(2, 22, n))
    cum = np.cumsum(gap)
    within = cum - cum[starts[req]]
    span = within[starts + k - 1]
    first = np.clip(np.minimum(first, ndays - 1 - span), 0, None)
    day = first[req] + within
    request_day = first - req_gap
    ecp = cp[req]
    country = tb.cp_country[ecp]
    ctype = tb.cp_type[ecp]
    earea = area[req]
    echk = chk[req]
    # outcome probabilities
    months = np.array([(world.start + timedelta(days=int(d))).month for d in range(ndays)])
    month = months[day]
    p = BASE_OUTCOMES[ctype].copy()
    p[:, O_DENIED] *= tb.country_region_denial[country] * tb.cp_denial[ecp]
    in_season = tb.season[country, month]
    p[in_season, O_DEFERRED] *= SEASON_DEFERRAL_FACTOR
    p /= p.sum(axis=1, keepdims=True)
    p[~is_final] = [0, 0, 0, 0, 0.65, 0.35]
    p[~is_final & in_season] = [0, 0, 0, 0, 0.85, 0.15]  # "come back when the road dries"
    frac = day / max(1, ndays - 1)
    deny = np.full(n, np.nan)
    restr = tb.cp_restrictive[ecp]
    deny[restr] = DENIAL_START + (DENIAL_END - DENIAL_START) * frac[restr]
    off_level = np.zeros(n)
    if off is not None:
        o0, o1 = (off["start"] - world.start).days, (off["end"] - world.start).days
        e1 = (off["ease_end"] - world.start).days
        here = earea == tb.off_area
        during = here & (day >= o0) & (day <= o1)
        easing = here & (day > o1) & (day <= e1)
        off_level[during] = 1.0
        off_level[easing] = 1.0 - (day[easing] - o1) / (e1 - o1 + 1)
        base_d = p[:, O_DENIED]
        sel = during | easing
        deny[sel] = base_d[sel] + (OFFENSIVE_DENIAL - base_d[sel]) * off_level[sel]
    sel = ~np.isnan(deny)
    rest = p[sel].copy()
    rest[:, O_DENIED] = 0
    rest *= ((1 - deny[sel]) / rest.sum(axis=1))[:, None]
    rest[:, O_DENIED] = deny[sel]
    p[sel] = rest
    outcome = _cat(rng, np.cumsum(p, axis=1))
    # obstacles: context slots first, then generic ones by counterpart type
    slots = np.full((n, 5), -1, np.int64)
    hostile = off_level > 0
    pick_h = hostile & (rng.random(n) < 0.85 * off_level)
    slots[pick_h, 0] = rng.choice([_OBST_INDEX[x] for x in HOSTILITY_LABELS], size=int(pick_h.sum()))
    pick_s = in_season & (rng.random(n) < SEASON_OBSTACLE_P)
    for ci in np.unique(country[pick_s]):
        m = pick_s & (country == ci)
        slots[m, 1] = rng.choice(tb.season_labels[ci], size=int(m.sum()))
    sig = np.where(echk >= 0, tb.chk_sig[np.maximum(echk, 0)], -1)
    pick_g = (sig >= 0) & (rng.random(n) < SIGNATURE_P)
    slots[pick_g, 2] = sig[pick_g]
    n_gen = _cat(rng, np.cumsum(_N_OBST[outcome], axis=1))
    cum_o = tb.obst_cum[country, ctype]
    g1 = _cat(rng, cum_o)
    g2 = _cat(rng, cum_o)
    slots[:, 3] = np.where(n_gen >= 1, g1, -1)
    slots[:, 4] = np.where(n_gen >= 2, g2, -1)
    for j in range(1, 5):
        for i in range(j):
            dup = slots[:, j] == slots[:, i]
            slots[dup, j] = -1
    order = np.argsort(slots < 0, axis=1, kind="stable")
    slots = np.take_along_axis(slots, order, axis=1)[:, :3]
    # conditions
    conds = np.full((n, 2), -1, np.int64)
    has_c = (outcome == O_COND) | ((outcome == O_PARTIAL) & (rng.random(n) < 0.3))
    # Conditions demanded but not accepted: part of the denials and deferrals log what was asked
    # for, so that "how often did a condition come with a yes" is a real question.
    demanded = rng.random(n)
    has_c |= ((outcome == O_DENIED) & (demanded < 0.35)) | ((outcome == O_DEFERRED) & (demanded < 0.12))
    at_cp_e = echk >= 0
    cum_c = tb.cond_cum[at_cp_e.astype(np.int64), ctype]
    c1 = _cat(rng, cum_c)
    c2 = _cat(rng, cum_c)
    # inspections at border crossings, on top of what the counterpart asks for
    border = at_cp_e & (tb.chk_kind[np.maximum(echk, 0)] == 3)
    insp = border & (rng.random(n) < 0.75)
    c2[insp] = CONDITION_NAMES.index("inspection")
    conds[has_c, 0] = c1[has_c]
    two = has_c & (insp | (rng.random(n) < 0.35)) & (c2 != c1)
    conds[two, 1] = c2[two]
    # channel
    level = tb.cp_level[ecp]
    ch_p = np.array([[0.55, 0.25, 0.15, 0.05], [0.45, 0.25, 0.15, 0.15], [0.35, 0.20, 0.15, 0.30]])[level]
    ch_p[at_cp_e] = [0.90, 0.05, 0.05, 0.0]
    channel = _cat(rng, np.cumsum(ch_p, axis=1))
    # numbers and dates
    etarget = targeted[req]
    reached = np.full(n, -1, np.int64)
    frac_r = np.select([outcome == O_GRANTED, outcome == O_COND, outcome == O_PARTIAL, outcome == O_DENIED],
                       [np.ones(n), rng.uniform(0.6, 1.0, n), rng.uniform(0.2, 0.7, n), np.zeros(n)], -1.0)
    ok = frac_r >= 0
    reached[ok] = np.round(etarget[ok] * frac_r[ok]).astype(np.int64)
    resolved = outcome <= O_DENIED
    follow = np.where(~resolved, day + rng.integers(3, 15, n), -1)
    note_kind = rng.random(n)
    note_idx = rng.integers(0, 24, n)
    # order rows by date (ties at random), as an office log would be
    perm = np.lexsort((rng.random(n), day))
    out = {
        "cp": ecp, "country": country, "ctype": ctype, "level": level, "area": earea, "chk": echk,
        "place": place[req], "org": org[req], "activity": activity[req], "priority": priority[req],
        "targeted": etarget, "reached": reached, "day": day, "request_day": request_day[req],
        "resolved": resolved, "follow": follow, "outcome": outcome, "channel": channel,
        "obst": slots, "cond": conds, "req": req, "note_kind": note_kind, "note_idx": note_idx,
        "variant": np.where(rng.random(n) < VARIANT_SHARE, rng.integers(0, 8, n), -1),
        "type_pick": rng.random(n), "alt_pick": rng.random((n, 4)), "alt_idx": rng.integers(0, 1000, (n, 4)),
        "intermediary": rng.integers(0, len(INTERMEDIARIES), n),
    }
    return {key: val[perm] for key, val in out.items()}


# ---------------------------------------------------------------------------------- rendering


class _DateTables:
    def __init__(self, start: date, span: int, offset: int) -> None:
        self.offset = offset
        self.dates = [start + timedelta(days=i - offset) for i in range(span)]
        self.text = {
            "iso": np.array([d.isoformat() for d in self.dates], object),
            "dmy": np.array([f"{d.day:02d}/{d.month:02d}/{d.year}" for d in self.dates], object),
            "dmon": np.array([f"{d.day}-{MONTHS[d.month - 1]}-{d.year}" for d in self.dates], object),
        }
        self.obj = np.empty(span, object)
        self.obj[:] = self.dates
        self.year = np.array([d.year for d in self.dates])

    def column(self, style: str, days: np.ndarray) -> np.ndarray:
        idx = days + self.offset
        vals: np.ndarray = (self.obj if style == "excel" else self.text[style])[np.maximum(idx, 0)]
        vals[days == -10**9] = None
        return vals


def _impossible_date(style: str, rnd: random.Random, year: int) -> str:
    day, month = rnd.choice(((31, 2), (30, 2), (31, 4), (31, 6), (31, 9), (31, 11)))
    if style == "iso":
        return f"{year}-{month:02d}-{day:02d}"
    return f"{day:02d}/{month:02d}/{year}"


def _labels_column(primary: np.ndarray, alts: list[tuple[str, ...]], codes: np.ndarray, pick: np.ndarray,
                   alt_idx: np.ndarray, share: float = 0.15) -> np.ndarray:
    """Office's main label per code, or (for `share` of rows) another accepted label."""
    col = primary[codes]
    use_alt = pick < share
    if use_alt.any():
        idx = np.flatnonzero(use_alt)
        col = col.copy()
        pairs = zip(codes[idx].tolist(), alt_idx[idx].tolist(), strict=True)
        col[idx] = [alts[c][a % len(alts[c])] for c, a in pairs]
    return col


def _case(label: str, style: str) -> str:
    return label[0].upper() + label[1:] if style == "sentence" else label


def _join(cols: Sequence[np.ndarray], sep: str) -> list[str | None]:
    """Join up to three label columns, filled left to right ('' = none), with the office's separator."""
    out: list[str | None] = []
    if len(cols) == 2:
        for x, y in zip(cols[0].tolist(), cols[1].tolist(), strict=True):
            out.append(None if not x else (x if not y else x + sep + y))
        return out
    for x, y, z in zip(cols[0].tolist(), cols[1].tolist(), cols[2].tolist(), strict=True):
        out.append(None if not x else (x if not y else (x + sep + y if not z else x + sep + y + sep + z)))
    return out


class _Renderer:
    """Turns sampled rows into one office's cells (text for CSV/JSON, typed values for XLSX)."""

    def __init__(self, world: World, tb: _Tables, office: Office, dates: _DateTables, seed: int) -> None:
        self.world, self.tb, self.office, self.dates = world, tb, office, dates
        self.rnd = random.Random(seed * 31 + office.country)
        c = world.countries[office.country]
        lab = office.labels
        typed = office.fmt == "xlsx"
        self.typed = typed
        cps = world.counterparts
        self.cp_names = np.array([[cp.name, *cp.variants] for cp in cps], object)
        self.cp_type_label = np.array([cp.type_label for cp in cps], object)
        self.cp_aff = np.array([cp.affiliation for cp in cps], object)
        self.type_primary = np.array([x[0] for x in lab["type"]], object)
        self.type_alts = [x[1] for x in lab["type"]]
        self.out_primary = np.array([x[0] for x in lab["outcome"]], object)
        self.out_alts = [x[1] for x in lab["outcome"]]
        self.act_primary = np.array([x[0] for x in lab["activity"]], object)
        self.act_alts = [x[1] for x in lab["activity"]]
        self.ch_primary = np.array([x[0] for x in lab["channel"]], object)
        self.ch_alts = [x[1] for x in lab["channel"]]
        self.kind_primary = np.array([x[0] for x in lab["kind"]] + [None], object)
        self.level = np.array(lab["level"], object)
        self.priority = np.array(lab["priority"], object)
        self.obst = np.array([_case(x, office.label_case) for x in OBSTACLE_LABELS] + [""], object)
        self.cond = np.array(lab["condition"] + [""], object)
        self.orgs = np.array(ORGANISATIONS, object)
        self.area_name = np.array([a.name for a in world.areas], object)
        self.area_pcode = np.array([a.pcode for a in world.areas], object)
        self.place_name = np.array([p.name for p in world.places], object)
        self.chk_name = np.array([ch.name for ch in world.checkpoints] + [None], object)
        self.inter = np.array(INTERMEDIARIES, object)
        fmt = f"{{:.{office.coord_decimals}f}}"
        if typed:
            self.lat = np.array([round(x, office.coord_decimals) for x in tb.site_lat], object)
            self.lon = np.array([round(x, office.coord_decimals) for x in tb.site_lon], object)
        else:
            self.lat = np.array([fmt.format(x) for x in tb.site_lat], object)
            self.lon = np.array([fmt.format(x) for x in tb.site_lon], object)
        pools: list[str] = []
        self.note_offset = np.zeros(6, np.int64)
        for o in range(6):
            self.note_offset[o] = len(pools)
            pools.extend(world.notes[(c.index, o)])
        self.notes = np.array(pools, object)
        self.counter = 0
        self.req_counter = 0
        self.req_ids: dict[int, str] = {}
        self.req_chunk = -1

    def render(self, ch: dict[str, np.ndarray], rows: np.ndarray, defects: np.ndarray,
               chunk_key: int) -> tuple[list[np.ndarray | list[Any]], dict[str, int], int]:
        """Cells for the office's columns (column-major), defect counts and hostile-note count."""
        o = self.office
        tb = self.tb
        g = {k: v[rows] for k, v in ch.items()}
        n = len(rows)
        dates = self.dates
        d_style = o.date_style
        none_day = -10**9
        day = g["day"].copy()
        req_day = g["request_day"].copy()
        res_day = np.where(g["resolved"], day, none_day)
        follow = np.where(g["follow"] >= 0, g["follow"], none_day)
        defect = defects[rows]
        counts: dict[str, int] = {}
        # future dates: only the engagement date is wrong (the other dates stay plausible)
        fut = np.flatnonzero(defect == DEFECT_KINDS.index("future_date"))
        if len(fut):
            end_idx = (self.world.end - self.world.start).days
            day[fut] = end_idx + np.array([self.rnd.randint(400, 700) for _ in fut])
        cols: dict[str, Any] = {}
        # ids
        years = dates.year[g["day"] + dates.offset]
        seq = np.arange(self.counter + 1, self.counter + n + 1)
        self.counter += n
        cols["engagement_id"] = [f"{o.iso3}-{y}-{s:06d}"
                                 for y, s in zip(years.tolist(), seq.tolist(), strict=True)]
        rids: list[str] = []
        if chunk_key != self.req_chunk:  # a request never spans two chunks
            self.req_ids.clear()
            self.req_chunk = chunk_key
        for r in g["req"].tolist():
            rid = self.req_ids.get(r)
            if rid is None:
                self.req_counter += 1
                rid = f"REQ-{o.iso3}-{self.req_counter:06d}"
                self.req_ids[r] = rid
            rids.append(rid)
        cols["request_id"] = rids
        cols["date"] = dates.column(d_style, day)
        cols["request_date"] = dates.column(d_style, req_day)
        cols["resolution_date"] = dates.column(d_style, res_day)
        cols["follow_up_due"] = dates.column(d_style, follow)
        days_to = np.where(g["resolved"], g["day"] - g["request_day"], -1)
        cols["days_to_resolution"] = self._numbers(days_to)
        cols["organisation"] = self.orgs[g["org"]]
        cols["activity"] = _labels_column(self.act_primary, self.act_alts, g["activity"], g["alt_pick"][:, 0],
                                          g["alt_idx"][:, 0])
        cols["priority"] = self.priority[g["priority"]]
        cols["people_targeted"] = self._numbers(g["targeted"])
        cols["people_reached"] = self._numbers(g["reached"])
        country_col = np.empty(n, object)
        country_col[:] = o.country_value
        cols["country"] = country_col
        cols["admin1"] = self.area_name[g["area"]]
        cols["admin1_pcode"] = self.area_pcode[g["area"]]
        cols["location"] = self.place_name[g["place"]]
        at_chk = g["chk"] >= 0
        cols["checkpoint"] = self.chk_name[g["chk"]]
        kinds = np.where(at_chk, tb.chk_kind[np.maximum(g["chk"], 0)], len(KIND_CODES))
        cols["checkpoint_kind"] = self.kind_primary[kinds]
        site = np.where(at_chk, tb.n_places + g["chk"], g["place"])
        lat = self.lat[site]
        lon = self.lon[site]
        var = g["variant"]
        cols["counterpart"] = self.cp_names[g["cp"], var + 1]
        tp = g["type_pick"]
        cols["counterpart_type"] = np.where(tp < 0.75, self.cp_type_label[g["cp"]],
                                            _labels_column(self.type_primary, self.type_alts, g["ctype"],
                                                           g["alt_pick"][:, 1], g["alt_idx"][:, 1]))
        cols["counterpart_affiliation"] = self.cp_aff[g["cp"]]
        cols["counterpart_level"] = self.level[g["level"]]
        cols["channel"] = _labels_column(self.ch_primary, self.ch_alts, g["channel"], g["alt_pick"][:, 2],
                                         g["alt_idx"][:, 2])
        inter = self.inter[g["intermediary"]]
        cols["intermediary"] = np.where(g["channel"] == 2, inter, None)
        cols["outcome"] = _labels_column(self.out_primary, self.out_alts, g["outcome"], g["alt_pick"][:, 3],
                                         g["alt_idx"][:, 3], share=0.2)
        ob = g["obst"]
        obstacles = _join([self.obst[ob[:, 0]], self.obst[ob[:, 1]], self.obst[ob[:, 2]]], o.obstacle_sep)
        cd = g["cond"]
        conditions = _join([self.cond[cd[:, 0]], self.cond[cd[:, 1]]], o.condition_sep)
        # notes: ~35% blank, 1 in 200 of the others hostile
        nk = g["note_kind"]
        notes: np.ndarray = self.notes[self.note_offset[g["outcome"]] + g["note_idx"]]
        notes[nk < 0.35] = None
        hostile_rows = np.flatnonzero((nk >= 0.35) & (nk < 0.35 + 0.65 * HOSTILE_NOTE_SHARE))
        for i in hostile_rows.tolist():
            text = self.rnd.choice(HOSTILE_NOTES)
            if text == "LONG":
                unit = "Long negotiation at the gate; commander repeated the same demands. "
                text = (unit * (3000 // len(unit) + 1))[:3000]
            notes[i] = text
        cols["notes"] = notes
        # defects
        if (defect >= 0).any():
            for i in np.flatnonzero(defect >= 0).tolist():
                kind = DEFECT_KINDS[defect[i]]
                counts[kind] = counts.get(kind, 0) + 1
                self._apply_defect(kind, i, cols, lat, lon, obstacles, g, counts)
        cols["obstacles"] = obstacles
        cols["conditions"] = conditions
        cols["latitude"] = lat
        cols["longitude"] = lon
        return [cols[c] for _, c in o.columns], counts, len(hostile_rows)

    def _numbers(self, values: np.ndarray) -> np.ndarray:
        out = np.empty(len(values), object)
        ok = values >= 0
        if self.typed:
            out[ok] = values[ok].tolist()
        else:
            out[ok] = [str(v) for v in values[ok].tolist()]
        out[~ok] = None
        return out

    def _apply_defect(self, kind: str, i: int, cols: dict[str, Any], lat: np.ndarray, lon: np.ndarray,
                      obstacles: list[str | None], g: dict[str, np.ndarray], counts: dict[str, int]) -> None:
        rnd = self.rnd
        o = self.office
        if kind == "bad_date":
            sub = rnd.choice(("impossible", "unparseable", "blank"))
            counts[f"bad_date.{sub}"] = counts.get(f"bad_date.{sub}", 0) + 1
            year = int(self.dates.year[g["day"][i] + self.dates.offset])
            style = "iso" if o.date_style == "iso" else "dmy"  # numeric, so that it reads as a non-date
            cols["date"][i] = {"impossible": _impossible_date(style, rnd, year),
                               "unparseable": rnd.choice(UNPARSEABLE_DATES), "blank": None}[sub]
        elif kind == "unknown_outcome":
            cols["outcome"][i] = rnd.choice(UNKNOWN_OUTCOMES)
        elif kind == "missing_counterpart":
            cols["counterpart"][i] = None
        elif kind == "missing_activity":
            cols["activity"][i] = None
        elif kind == "swapped_coordinates":
            lat[i], lon[i] = lon[i], lat[i]
        elif kind == "latitude_out_of_range":
            bad = rnd.choice(BAD_LATITUDES)
            lat[i] = float(bad) if self.typed else bad
        elif kind == "coordinates_in_other_country":
            foreign = self.tb.foreign_sites[o.country]
            s = int(foreign[rnd.randrange(len(foreign))])
            lat[i], lon[i] = self.lat[s], self.lon[s]
        elif kind == "unknown_obstacle":  # added, or in place of the third so that there are at most 3
            bad = rnd.choice(UNKNOWN_OBSTACLES)
            parts = (obstacles[i] or "").split(o.obstacle_sep) if obstacles[i] else []
            obstacles[i] = o.obstacle_sep.join(parts[:2] + [bad])
        elif kind == "negative_people_targeted":
            v = int(g["targeted"][i])
            cols["people_targeted"][i] = -v if self.typed else f"-{v}"
        elif kind == "non_numeric_people_targeted":
            cols["people_targeted"][i] = rnd.choice(NON_NUMERIC_PEOPLE)
        elif kind == "unknown_country":
            cols["country"][i] = rnd.choice(UNKNOWN_COUNTRIES)
        # future_date is applied before the dates are written


# ------------------------------------------------------------------------------------ writers


class _CsvWriter:
    def __init__(self, path: Path, office: Office) -> None:
        self.fh = path.open("w", encoding=office.encoding or "utf-8", newline="")
        self.writer = csv.writer(self.fh, lineterminator=office.lineterminator)
        self.writer.writerow([h for h, _ in office.columns])

    def write(self, cols: list[Any]) -> None:
        self.writer.writerows(zip(*cols, strict=True))

    def close(self) -> None:
        self.fh.close()


class _JsonWriter:
    def __init__(self, path: Path, office: Office) -> None:
        self.fh = path.open("w", encoding="utf-8", newline="\n")
        self.keys = [h for h, _ in office.columns]
        self.first = True
        self.fh.write("[")

    def write(self, cols: list[Any]) -> None:
        keys = self.keys
        parts = []
        for row in zip(*cols, strict=True):
            obj = {k: (None if v is None else str(v)) for k, v in zip(keys, row, strict=True)}
            parts.append(("\n" if self.first else ",\n") + json.dumps(obj, ensure_ascii=False))
            self.first = False
        self.fh.write("".join(parts))

    def close(self) -> None:
        self.fh.write("\n]\n")
        self.fh.close()


class _XlsxWriter:
    def __init__(self, path: Path, office: Office, country_name: str, fixed_time: datetime) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        self.path = path
        self.fixed_time = fixed_time
        self.wb = Workbook(write_only=True)
        self.wb.properties.creator = "etl.demo"
        self.wb.properties.created = fixed_time
        self.wb.properties.modified = fixed_time
        self.ws = self.wb.create_sheet("Engagements" if office.title_rows else "Log")
        self._cell = WriteOnlyCell
        self.date_cols = {i for i, (_, c) in enumerate(office.columns)
                          if c in ("date", "request_date", "resolution_date", "follow_up_due")}
        self.date_format = office.xlsx_date_format
        if office.title_rows:
            self.ws.append([f"Humanitarian access log - {country_name} office (demo data)"])
            self.ws.append([])
        self.ws.append([h for h, _ in office.columns])

    def write(self, cols: list[Any]) -> None:
        date_cols = self.date_cols
        for row in zip(*cols, strict=True):
            out = list(row)
            for j in date_cols:
                v = out[j]
                if isinstance(v, date):
                    cell = self._cell(self.ws, value=v)
                    cell.number_format = self.date_format
                    out[j] = cell
            self.ws.append(out)

    def close(self) -> None:
        save_workbook(self.wb, self.path, self.fixed_time)


def save_workbook(wb: Any, path: Path, fixed_time: datetime) -> None:
    """Save an openpyxl workbook so that the same content always gives the same bytes.

    openpyxl stamps the save time into the zip entries and docProps/core.xml: both are fixed.
    """
    buf = io.BytesIO()
    wb.save(buf)
    stamp = fixed_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)


# ------------------------------------------------------------------------------------- driver


def _choose_defects(rng: np.random.Generator, ch: dict[str, np.ndarray], tb: _Tables, first_dirty: int,
                    n_dirty: int) -> np.ndarray:
    """Defect kind per row (-1 for clean rows); kinds cycle so that the shares stay equal."""
    n = len(ch["day"])
    defects = np.full(n, -1, np.int64)
    if n_dirty <= 0:
        return defects
    open_outcome = (ch["outcome"] >= O_DEFERRED) & (ch["cond"][:, 0] < 0)
    site = np.where(ch["chk"] >= 0, tb.n_places + ch["chk"], ch["place"])
    eligible = {
        "unknown_outcome": open_outcome,
        "negative_people_targeted": open_outcome,
        "non_numeric_people_targeted": open_outcome,
        "swapped_coordinates": tb.site_swap_ok[site],
    }
    wanted = [0] * len(DEFECT_KINDS)
    for g in range(first_dirty, first_dirty + n_dirty):
        wanted[g % len(DEFECT_KINDS)] += 1
    order = rng.permutation(n)
    taken = np.zeros(n, bool)
    # constrained kinds first, so that the others cannot use up their rows
    for kind in sorted(range(len(DEFECT_KINDS)), key=lambda k: DEFECT_KINDS[k] not in eligible):
        if not wanted[kind]:
            continue
        ok = ~taken[order]
        if DEFECT_KINDS[kind] in eligible:
            ok &= eligible[DEFECT_KINDS[kind]][order]
        rows = order[ok][:wanted[kind]]
        taken[rows] = True
        defects[rows] = kind
    return defects


def _clean_out_dir(out_dir: Path) -> None:
    from etl.demo_incidents import FEED_FILES

    manifest = out_dir / MANIFEST_NAME
    names: set[str] = set(FEED_FILES)
    if manifest.exists():
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            names |= {f["file"] for f in doc.get("files", [])}
            names |= {f["file"] for f in (doc.get("incident_feeds") or {}).get("files", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    for path in sorted(out_dir.glob(f"{FILE_PREFIX}*_access_log.*")):
        names.add(path.name)
    for name in sorted(names):
        target = out_dir / name
        if target.is_file() and target.name.startswith(FILE_PREFIX):
            target.unlink()
    if manifest.exists():
        manifest.unlink()


def write_demo_logs(out_dir: Path, rows: int = 30_000, seed: int = 7, end_date: date = date(2026, 10, 31),
                    boundaries: Path = DEFAULT_BOUNDARIES,
                    progress: Callable[[int], None] | None = None) -> list[Path]:
    """Write deterministic, realistic demo engagement logs (one file per country office).

    Earlier demo files in ``out_dir`` (those named in its manifest, ``demo_*_access_log.*`` and
    the incident feed files) are removed first; other files are left alone. The same arguments always give byte-identical
    files. See the module docstring for the content and the patterns to discover.

    :param out_dir: folder to write to (created if needed).
    :param rows: total number of data rows over all files (clean and dirty).
    :param seed: random seed.
    :param end_date: last day of the three-year window of engagements.
    :param boundaries: admin-1 GeoJSON (properties pcode, name, iso3, country, region); its
        countries (those flagged ``demo`` in the sibling ``regions.csv``, when present) are the offices.
    :param progress: called with the number of rows written so far after each chunk.
    :returns: the paths of the log and incident feed files written, sorted by name (the manifest
        is not included).

    >>> paths = write_demo_logs(Path("/tmp/demo"), rows=3000)  # doctest: +SKIP
    >>> json.loads((Path("/tmp/demo") / MANIFEST_NAME).read_text())["dirty_rows"]  # doctest: +SKIP
    75
    """
    if rows < 0:
        raise ValueError(f"rows must be zero or more, not {rows}.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_out_dir(out_dir)
    world = _build_world(Path(boundaries), seed, end_date)
    tb = _tables(world, seed)
    mixed = rows <= MIXED_FORMATS_MAX_ROWS
    offices = _office_plan(world, seed, mixed)
    ndays = (world.end - world.start).days + 1
    dates = _DateTables(world.start, ndays + 200 + 800, 200)
    fixed_time = datetime(end_date.year, end_date.month, end_date.day, 12, 0, 0)
    writers: list[Any] = []
    for office in offices:
        path = out_dir / office.filename
        if office.fmt == "xlsx":
            writers.append(_XlsxWriter(path, office, world.countries[office.country].name, fixed_time))
        elif office.fmt == "json":
            writers.append(_JsonWriter(path, office))
        else:
            writers.append(_CsvWriter(path, office))
    renderers = [_Renderer(world, tb, office, dates, seed) for office in offices]
    n_dirty_total = int(math.floor(rows * DIRTY_SHARE + 0.5))
    n_chunks = max(1, math.ceil(rows / CHUNK_ROWS))
    file_rows = [0] * len(offices)
    file_counts: list[dict[str, int]] = [{} for _ in offices]
    hostile = 0
    done = 0
    dirty_done = 0
    try:
        for chunk in range(n_chunks):
            n = rows // n_chunks + (1 if chunk < rows % n_chunks else 0)
            if n == 0:
                continue
            ch = _generate_chunk(world, tb, seed, chunk, n_chunks, n)
            target_dirty = n_dirty_total * (done + n) // rows if rows else 0
            defects = _choose_defects(np.random.default_rng((seed, 3, chunk)), ch, tb, dirty_done,
                                      target_dirty - dirty_done)
            dirty_done = target_dirty
            for oi, office in enumerate(offices):
                sel = np.flatnonzero(ch["country"] == office.country)
                if not len(sel):
                    continue
                cells, counts, n_hostile = renderers[oi].render(ch, sel, defects, chunk)
                writers[oi].write(cells)
                file_rows[oi] += len(sel)
                hostile += n_hostile
                for k, v in counts.items():
                    file_counts[oi][k] = file_counts[oi].get(k, 0) + v
            done += n
            if progress is not None:
                progress(done)
    finally:
        for w in writers:
            w.close()
    # Incident feeds (AWSD, Insecurity Insight) beside the logs: etl.demo_incidents.
    from etl.demo_incidents import write_incident_feeds

    feed_paths, feeds = write_incident_feeds(out_dir, world, rows, seed, mixed, fixed_time)
    paths = sorted([*(out_dir / o.filename for o in offices), *feed_paths])
    _write_manifest(out_dir, world, offices, rows, seed, file_rows, file_counts, hostile, mixed, feeds)
    return paths


def _write_manifest(out_dir: Path, world: World, offices: list[Office], rows: int, seed: int,
                    file_rows: list[int],
                    file_counts: list[dict[str, int]], hostile: int, mixed: bool,
                    feeds: dict[str, Any]) -> None:
    by_kind = {k: 0 for k in DEFECT_KINDS}
    detail: dict[str, int] = {}
    files: list[dict[str, Any]] = []
    for office, n, counts in zip(offices, file_rows, file_counts, strict=True):
        kinds = {k: counts.get(k, 0) for k in DEFECT_KINDS if counts.get(k, 0)}
        for k, v in counts.items():
            if k in by_kind:
                by_kind[k] += v
            else:
                detail[k] = detail.get(k, 0) + v
        dirty = sum(kinds.values())
        c = world.countries[office.country]
        files.append({
            "file": office.filename, "iso3": office.iso3, "country": c.name, "region": c.region,
            "format": office.fmt, "encoding": office.encoding, "date_style": office.date_style,
            "header_row": 3 if office.title_rows else 1, "first_data_row": 4 if office.title_rows else 2,
            "rows": n, "clean_rows": n - dirty, "dirty_rows": dirty, "dirty_by_kind": kinds,
            "columns": {h: col for h, col in office.columns},
        })
    dirty_total = sum(by_kind.values())
    reasons: dict[str, int] = {}
    for kind, n in by_kind.items():
        if kind != "bad_date" and n:
            reasons[ETL_REASON[kind]] = reasons.get(ETL_REASON[kind], 0) + n
    for sub, n in detail.items():
        code = ETL_REASON[sub]
        reasons[code] = reasons.get(code, 0) + n
    off = world.offensive
    manifest = {
        "generator": "etl.demo", "seed": seed, "end_date": world.end.isoformat(),
        "start_date": world.start.isoformat(), "mixed_formats": mixed,
        "rows_written": rows, "clean_rows": rows - dirty_total, "dirty_rows": dirty_total,
        "dirty_by_kind": by_kind,
        "bad_date_detail": {k.split(".", 1)[1]: v for k, v in sorted(detail.items())},
        "etl_reasons": dict(sorted(reasons.items())),
        "hostile_notes": hostile,
        "files": sorted(files, key=lambda f: f["file"]),
        "patterns": {
            "restrictive_counterparts": [
                {"iso3": iso3, "name": name, "counterpart_type": TYPE_CODES[t], "affiliation": next(
                    cp.affiliation for cp in world.counterparts if cp.name == name),
                 "level": level, "denial_start": DENIAL_START, "denial_end": DENIAL_END}
                for iso3, name, t, _aff, level, _ctrl in RESTRICTIVE_COUNTERPARTS
                if any(cp.name == name for cp in world.counterparts)],
            "offensive": None if off is None else {
                "iso3": off["iso3"], "admin1": off["admin1"], "pcode": off["pcode"],
                "start": off["start"].isoformat(), "end": off["end"].isoformat(),
                "ease_end": off["ease_end"].isoformat(), "denial": OFFENSIVE_DENIAL},
            "seasons": {iso3: {"months": list(m), "obstacles": sorted(set(labels))}
                        for iso3, (m, labels) in SEASONS.items()
                        if any(c.iso3 == iso3 for c in world.countries)},
            "signature_checkpoints": [
                {"iso3": world.countries[ch.country].iso3, "checkpoint": ch.name, "obstacle": ch.signature,
                 "controller": world.counterparts[ch.controller].name}
                for ch in world.checkpoints if ch.signature],
            "near_duplicate_pairs": world.near_pairs,
        },
        "counts": {"countries": len(world.countries), "counterparts": len(world.counterparts),
                   "checkpoints": len(world.checkpoints), "places": len(world.places)},
        "incident_feeds": feeds,
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
