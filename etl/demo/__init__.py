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
Beside the logs, :mod:`etl.demo.feeds` writes synthetic public incident feeds so that the
dashboard's incident views have data: ``demo_awsd_incidents.csv`` in the Aid Worker Security
Database's export format (about one incident per 150 engagements, at least 40, at most 20,000;
concentrated in the offensive, around the restrictive counterparts and the armed actors; a third
name a demo counterpart as perpetrator; a few rows with AWSD's dirt), and, for mixed-format runs,
``demo_insecurity_insight_incidents.xlsx``, which re-reports some of them (cross-source
duplicates). They are among the returned paths and load through the normal ``load`` path (the
loader recognises their headers). The manifest's ``incident_feeds`` says what loading them gives.

:mod:`etl.demo.conflict` adds conflict context: ``demo_acled_events.csv`` (ACLED's export format,
about one event per 20 engagements, a quarter of the political violence naming a demo
counterpart; two dirty rows) and ``demo_hdx_hapi_conflict_events.csv`` (the same events as HDX
HAPI's monthly counts per admin-1 area). The manifest's ``conflict_feeds`` says what they give.

Modules
-------
One job each; dependencies run one way, from the data up to :mod:`etl.demo.build`:

* :mod:`~etl.demo.constants`: paths, sizes, codes and the kinds of dirty row;
* :mod:`~etl.demo.patterns`: the patterns above and the base rates they stand out from;
* :mod:`~etl.demo.name_pools`: what names are made of (data only);
* :mod:`~etl.demo.model`: the world's dataclasses;
* :mod:`~etl.demo.people`: names, counterparts, spelling variants, note pools;
* :mod:`~etl.demo.world`: the world built from the boundaries and one seed;
* :mod:`~etl.demo.offices`: each office's format, headers and labels;
* :mod:`~etl.demo.sampling`: the engagements, vectorised, chunk by chunk;
* :mod:`~etl.demo.render`: rows as each office writes them, with their defects;
* :mod:`~etl.demo.writers`: CSV, JSON and XLSX files, byte for byte reproducible;
* :mod:`~etl.demo.incidents` and :mod:`~etl.demo.feeds`: the incident feeds;
* :mod:`~etl.demo.conflict`: the conflict-event feeds (ACLED, HDX HAPI);
* :mod:`~etl.demo.build`: :func:`write_demo_logs` and the manifest.

Names starting with ``_`` are the package's own: other modules of the package import them,
nothing outside it should.

Example::

    >>> from pathlib import Path
    >>> paths = write_demo_logs(Path("/tmp/demo_logs"), rows=3000)  # doctest: +SKIP
    >>> [p.name for p in paths][:2]  # doctest: +SKIP
    ['demo_afg_access_log.xlsx', 'demo_bfa_access_log.csv']
"""

from etl.demo.build import write_demo_logs
from etl.demo.constants import (
    DEFAULT_BOUNDARIES,
    DEFECT_KINDS,
    MANIFEST_NAME,
    T_DFA,
    T_MILITIA,
    T_NSAG,
    T_POLICE,
    T_STATE,
)
from etl.demo.model import World

__all__ = ["DEFAULT_BOUNDARIES", "DEFECT_KINDS", "MANIFEST_NAME", "T_DFA", "T_MILITIA", "T_NSAG", "T_POLICE",
           "T_STATE", "World", "write_demo_logs"]
