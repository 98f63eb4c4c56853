"""P-code gazetteers: reading them, checking P-codes against them, and reconciling names to them.

A gazetteer is the list of a country's admin areas with their OCHA P-codes (OCHA's global
P-code CSV, or the attribute tables of a COD-AB Excel workbook). Boundary files that carry no
P-codes (geoBoundaries, GADM) only become useful once each area's *name* is tied to a P-code;
:func:`reconcile` does that conservatively, because a wrong P-code silently moves every
engagement of an area to another area, while an unmatched name is visible and can be fixed.

Matching goes in three stages, each only looked at for the names the previous one left:

1. **exact**: equal after :func:`etl.vocab.label_key` (case, accents, apostrophes, punctuation);
2. **normalised**: equal after also dropping generic words ("State", "Oblast", "Governorate",
   Arabic articles...), unifying direction words across languages ("Upper"/"Haut",
   "North"/"Nord") and ignoring spaces ("Naypyitaw" = "Nay Pyi Taw");
3. **fuzzy**: the best rapidfuzz candidate, only when it scores at least ``min_score`` *and*
   beats the runner-up by ``min_lead`` points.

Everything else is returned unmatched with its best candidates; nothing is guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from etl.errors import InputFileError
from etl.vocab import label_key

# Words that say what kind of unit a place is rather than which one ("South Darfur State").
GENERIC_WORDS = frozenset({
    "state", "states", "province", "provincia", "provinsi", "governorate", "gouvernorat", "muhafazah",
    "muhafazat", "region", "regione", "oblast", "oblasti", "wilayah", "wilayat", "vilayet", "county",
    "district", "prefecture", "departement", "department", "division", "council", "municipality",
    "of", "the",
    # Arabic articles, written as separate words once label_key has turned hyphens into spaces.
    "al", "el", "ar", "as", "ad", "ash", "at", "az", "aj", "an", "adh", "ath",
})
# The same direction or position in the languages boundary files come in.
SYNONYMS = {
    **dict.fromkeys(("north", "northern", "nord", "norte"), "north"),
    **dict.fromkeys(("south", "southern", "sud", "sur"), "south"),
    **dict.fromkeys(("east", "eastern", "est", "este", "oriental", "orientale"), "east"),
    **dict.fromkeys(("west", "western", "ouest", "oeste", "occidental", "occidentale"), "west"),
    **dict.fromkeys(("upper", "haut", "haute", "alto"), "upper"),
    **dict.fromkeys(("lower", "bas", "basse", "bajo"), "lower"),
    **dict.fromkeys(("central", "centre", "center", "centrale", "centro"), "central"),
    **dict.fromkeys(("middle", "moyen", "moyenne", "medio"), "middle"),
}
_VOWELS = re.compile(r"[aeiouhwy]")
_DOUBLES = re.compile(r"(.)\1+")
_ENDINGS = re.compile(r"(?:[sz]k(?:aya|yi|iy|a))?[aeiouy]*$")


def core_words(name: str) -> list[str]:
    """The words of a name that say which place it is: generic words dropped, directions unified.

    >>> core_words("South Darfur State"), core_words("Al-Hasakah Governorate")
    (['south', 'darfur'], ['hasakah'])
    """
    return [SYNONYMS.get(w, w) for w in label_key(name).split() if w not in GENERIC_WORDS]


def core_key(name: str) -> str:
    """:func:`core_words` without spaces: "Naypyitaw" and "Nay Pyi Taw" are one name.

    >>> core_key("Naypyitaw  Council") == core_key("Nay Pyi Taw")
    True
    """
    return "".join(core_words(name))


def core_key_sorted(name: str) -> str:
    """:func:`core_key` with the words in alphabetical order ("Central Kasai" = "Kasai-Central").

    >>> core_key_sorted("Central Kasai") == core_key_sorted("Kasai-Central")
    True
    """
    return "".join(sorted(core_words(name)))


def stem(key: str) -> str:
    """A key without Slavic adjectival endings and final vowels ("Sumska" oblast = "Sumy").

    >>> stem("sumska") == stem("sumy"), stem("zaporizka"), stem("khersonska")
    (True, 'zapori', 'kherson')
    """
    return _ENDINGS.sub("", key)


def skeleton(key: str) -> str:
    """Consonants of a core key, for transliteration variants ("Gezira" / "Jazirah").

    >>> skeleton("gezira") == skeleton("jazirah")
    True
    """
    text = _VOWELS.sub("", key.replace("j", "g").replace("q", "k"))
    return _DOUBLES.sub(r"\1", text)


@dataclass(frozen=True)
class Place:
    """One gazetteer entry a name can be matched to."""

    pcode: str
    name: str


@dataclass
class NameMatch:
    """The outcome for one name: its P-code and how it was found, or its best candidates."""

    raw: str
    pcode: str | None = None
    name: str | None = None  # the gazetteer's name for the P-code
    how: str | None = None  # exact | normalised | fuzzy (None: unmatched)
    score: float = 0.0
    candidates: list[tuple[str, str, float]] = field(default_factory=list)  # (name, pcode, score)


def _fuzzy_scores(raws: Sequence[str], places: Sequence[Place]) -> np.ndarray:
    """Score matrix (names x places): the best of a weighted ratio on the core words, and ratios
    (worth at most 90) of their consonant skeletons and of their stems."""
    a = [" ".join(core_words(r)) or label_key(r) for r in raws]
    b = [" ".join(core_words(p.name)) or label_key(p.name) for p in places]
    words = process.cdist(a, b, scorer=fuzz.WRatio, dtype=np.float32)
    scores = [words]
    for transform in (skeleton, stem):
        ta = [transform(x.replace(" ", "")) for x in a]
        tb = [transform(x.replace(" ", "")) for x in b]
        alt = process.cdist(ta, tb, scorer=fuzz.ratio, dtype=np.float32) * 0.9
        short = np.array([len(x) < 3 for x in ta])[:, None] | np.array([len(x) < 3 for x in tb])[None, :]
        alt[short] = 0.0  # two letters say nothing
        scores.append(alt)
    return np.maximum.reduce(scores)


def reconcile(
    raw_names: Sequence[str],
    places: Sequence[Place],
    *,
    one_to_one: bool = True,
    min_score: float = 80.0,
    min_lead: float = 10.0,
) -> list[NameMatch]:
    """Match each name to a gazetteer place (see the module docstring for the three stages).

    With ``one_to_one`` (boundary files: each feature is a different area) a place taken by one
    name is no longer a candidate for the others, so "Kyiv" (the city) and "Kyiv Oblast" end up
    on different P-codes; without it (log entries), several spellings may share a place.

    :param raw_names: the names to match, in order (the result has the same order).
    :param places: the gazetteer entries of one country and admin level.

    >>> gaz = [Place("UA80", "Kyiv"), Place("UA32", "Kyivska"), Place("UA65", "Khersonska")]
    >>> [(m.pcode, m.how) for m in reconcile(["Kyiv Oblast", "Kyiv", "Kherson Oblast", "Atlantis"], gaz)]
    [('UA32', 'fuzzy'), ('UA80', 'exact'), ('UA65', 'fuzzy'), (None, None)]
    """
    out = [NameMatch(raw) for raw in raw_names]
    if not places or not out:
        return out
    taken: set[int] = set()

    def accept(m: NameMatch, j: int, how: str, score: float) -> None:
        m.pcode, m.name, m.how, m.score = places[j].pcode, places[j].name, how, score
        if one_to_one:
            taken.add(j)

    for key_of, how in ((label_key, "exact"), (core_key, "normalised"), (core_key_sorted, "normalised")):
        index: dict[str, list[int]] = {}
        for j, p in enumerate(places):
            if (k := key_of(p.name)):
                index.setdefault(k, []).append(j)
        proposals: dict[int, list[NameMatch]] = {}
        for m in out:
            if m.pcode is None and (k := key_of(m.raw)):
                free = [j for j in index.get(k, []) if j not in taken]
                if len(free) == 1:  # two places with one key: ambiguous, leave it to later stages
                    proposals.setdefault(free[0], []).append(m)
        for j, names in proposals.items():
            if len(names) == 1 or not one_to_one:
                for m in names:
                    accept(m, j, how, 100.0)

    pending = [m for m in out if m.pcode is None]
    if not pending:
        return out
    scores = _fuzzy_scores([m.raw for m in pending], places)
    open_rows = list(range(len(pending)))
    while open_rows:
        free_cols = [j for j in range(len(places)) if j not in taken]
        if not free_cols:
            break
        sub = scores[np.ix_(open_rows, free_cols)]
        order = np.argsort(-sub, axis=1)
        best = sub[np.arange(len(open_rows)), order[:, 0]]
        second = sub[np.arange(len(open_rows)), order[:, 1]] if len(free_cols) > 1 else np.zeros(len(open_rows))
        wins: dict[int, list[tuple[float, int]]] = {}
        for r, row_i in enumerate(open_rows):
            if best[r] >= min_score and best[r] - second[r] >= min_lead:
                wins.setdefault(free_cols[int(order[r, 0])], []).append((float(best[r]), row_i))
        accepted: list[int] = []
        for j, claims in wins.items():
            claims.sort(reverse=True)
            # Two names wanting one place: only the clear winner gets it (or both, for log names).
            if not one_to_one:
                chosen = claims
            elif len(claims) == 1 or claims[0][0] - claims[1][0] >= min_lead:
                chosen = claims[:1]
            else:
                chosen = []
            for score, row_i in chosen:
                accept(pending[row_i], j, "fuzzy", round(score, 1))
                accepted.append(row_i)
        if not accepted or not one_to_one:
            break
        open_rows = [r for r in open_rows if r not in accepted]

    for i, m in enumerate(pending):
        if m.pcode is None:
            top = np.argsort(-scores[i])[:3]
            m.candidates = [(places[j].name, places[j].pcode, round(float(scores[i, j]), 1)) for j in top]
    return out


# --------------------------------------------------------------------------- gazetteer files

PCODE_COLUMNS = ("iso3", "admin_level", "pcode", "name", "parent_pcode", "valid_from")
_ADM = re.compile(r"^adm([0-5])_pcode$", re.IGNORECASE)
# Name columns of a COD-AB table at level N, best first ({n} is the level).
_COD_NAME_FIELDS = ("adm{n}_en", "adm{n}_name", "adm{n}_fr", "adm{n}_es", "adm{n}_pt", "adm{n}_ref",
                    "adm{n}_name1", "adm{n}_ar")


@dataclass
class Gazetteer:
    """What a gazetteer file held: P-codes (one frame) and/or P-code lengths (another)."""

    path: Path
    kind: str  # 'global_pcodes' | 'cod_ab' | 'lengths'
    label: str
    pcodes: pd.DataFrame  # PCODE_COLUMNS
    lengths: pd.DataFrame  # iso3, admin_level, length (NULL: no fixed length)
    rows_read: int = 0
    skipped: list[str] = field(default_factory=list)  # why rows were left out, one line each
    duplicates: int = 0
    repeated: list[str] = field(default_factory=list)  # P-codes found more than once at one level
    sheets: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    encoding: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


def _empty_pcodes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PCODE_COLUMNS})


def _empty_lengths() -> pd.DataFrame:
    return pd.DataFrame({"iso3": pd.Series(dtype=object), "admin_level": pd.Series(dtype=object),
                         "length": pd.Series(dtype=object)})


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    return str(value).strip()


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def iso3_from_code(code: str) -> str | None:
    """ISO3 from a country code written as ISO3 or ISO2 (COD-AB ``ADM0_PCODE`` is ISO2).

    >>> iso3_from_code("YE"), iso3_from_code("caf"), iso3_from_code("XX")
    ('YEM', 'CAF', None)
    """
    from hdx.location.country import Country

    Country.set_use_live_default(False)
    text = code.strip().upper()
    if len(text) == 3 and text.isalpha():
        return text if Country.get_country_name_from_iso3(text) else None
    if len(text) == 2 and text.isalpha():
        found = Country.get_iso3_from_iso2(text)
        return found.upper() if found else None
    return None


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            return frame, "utf-8" if encoding == "utf-8-sig" else "latin-1"
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
            raise InputFileError(path, f"cannot be read as CSV ({str(exc).splitlines()[0]}).",
                                 "Export it again as CSV UTF-8.") from exc
    raise InputFileError(path, "cannot be decoded.", "Export it again as CSV UTF-8.")  # pragma: no cover


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    """label_key of each header -> the header as written."""
    return {label_key(str(c)): str(c) for c in frame.columns}


def gazetteer_kind(columns: Sequence[str]) -> str | None:
    """Which kind of gazetteer a table with these headers is, or None.

    >>> gazetteer_kind(["Location", "Admin Level", "P-Code", "Name", "Parent P-Code", "Valid from date"])
    'global_pcodes'
    >>> gazetteer_kind(["Location", "Country Length", "Admin 1 Length"])
    'lengths'
    >>> gazetteer_kind(["adm1_name", "adm1_pcode", "adm0_pcode"])
    'cod_ab'
    """
    keys = {label_key(str(c)) for c in columns}
    if {"location", "admin level", "p code", "name"} <= keys:
        return "global_pcodes"
    if {"location", "country length", "admin 1 length"} <= keys:
        return "lengths"
    if any(_ADM.match(str(c).strip()) for c in columns):
        return "cod_ab"
    return None


def _global_pcodes(path: Path, frame: pd.DataFrame, g: Gazetteer) -> None:
    cols = _columns(frame)
    loc, lvl, pc, nm = cols["location"], cols["admin level"], cols["p code"], cols["name"]
    parent, valid = cols.get("parent p code"), cols.get("valid from date")
    g.mapping = {loc: "iso3", lvl: "admin_level", pc: "pcode", nm: "name"}
    if parent:
        g.mapping[parent] = "parent_pcode"
    if valid:
        g.mapping[valid] = "valid_from"
    g.ignored = [c for c in map(str, frame.columns) if c not in g.mapping]
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False), start=2):  # row 1 is the header
        r = dict(zip(map(str, frame.columns), rec, strict=True))
        iso3, level, pcode = _text(r[loc]).upper(), _text(r[lvl]), _text(r[pc]).upper()
        problem = None
        if not pcode:
            problem = f"row {i}, column '{pc}': no P-code"
        elif not level.isdigit():
            problem = f"row {i}, column '{lvl}': '{level}' is not an admin level (0-5)"
        elif len(iso3) != 3 or not iso3.isalpha():
            problem = f"row {i}, column '{loc}': '{iso3}' is not an ISO3 country code"
        if problem:
            g.skipped.append(problem)
            continue
        rows.append((iso3, int(level), pcode, _text(r[nm]) or pcode, _text(r[parent]).upper() if parent else None,
                     _date(r[valid]) if valid else None))
    g.pcodes = pd.DataFrame(rows, columns=list(PCODE_COLUMNS))


def _lengths(path: Path, frame: pd.DataFrame, g: Gazetteer) -> None:
    cols = _columns(frame)
    loc = cols["location"]
    level_cols = [(0, cols.get("country length"))] + [(n, cols.get(f"admin {n} length")) for n in range(1, 6)]
    g.mapping = {loc: "iso3", **{c: f"admin {n} length" for n, c in level_cols if c}}
    g.ignored = [c for c in map(str, frame.columns) if c not in g.mapping]
    rows: list[tuple[str, int, int | None]] = []
    for i, rec in enumerate(frame.itertuples(index=False), start=2):
        r = dict(zip(map(str, frame.columns), rec, strict=True))
        iso3 = _text(r[loc]).upper()
        if len(iso3) != 3 or not iso3.isalpha():
            g.skipped.append(f"row {i}, column '{loc}': '{iso3}' is not an ISO3 country code")
            continue
        for n, col in level_cols:
            cell = _text(r[col]) if col else ""
            if not cell:
                continue  # the country has no P-codes at this level
            for part in cell.split("|"):  # '2|7': either length is in use
                part = part.strip()
                if part.lstrip("-").isdigit():
                    rows.append((iso3, n, int(part) if int(part) > 0 else None))  # -1: no fixed length
                else:
                    g.skipped.append(f"row {i}, column '{col}': '{cell}' is not a length")
    g.lengths = pd.DataFrame(rows, columns=["iso3", "admin_level", "length"])


def _cod_table(frame: pd.DataFrame, iso3_hint: str | None, where: str, g: Gazetteer) -> pd.DataFrame:
    """P-code rows of one COD-AB attribute table (the finest adm level of its columns)."""
    lower = {str(c).strip().lower(): str(c) for c in frame.columns}
    levels = sorted(int(m.group(1)) for c in frame.columns if (m := _ADM.match(str(c).strip())))
    n = levels[-1]
    pc = lower[f"adm{n}_pcode"]
    name = next((lower[f.format(n=n)] for f in _COD_NAME_FIELDS if f.format(n=n) in lower), None)
    parent = lower.get(f"adm{n - 1}_pcode") if n >= 1 else None
    iso_col = lower.get("iso3")
    adm0 = lower.get("adm0_pcode")
    valid = lower.get("valid_on") or lower.get("validon")
    used = {pc: "pcode"}
    for col, role in ((name, "name"), (parent, "parent_pcode"), (iso_col or adm0, "iso3"), (valid, "valid_from")):
        if col:
            used[col] = role
    g.mapping.update({f"{where}: {k}" if where else k: v for k, v in used.items()})
    rows = []
    for i, rec in enumerate(frame.itertuples(index=False), start=2):
        r = dict(zip(map(str, frame.columns), rec, strict=True))
        pcode = _text(r[pc]).upper()
        if not pcode:
            g.skipped.append(f"{where + ', ' if where else ''}row {i}, column '{pc}': no P-code")
            continue
        iso3 = _text(r[iso_col]).upper() if iso_col else ""
        if not iso3 and adm0:
            iso3 = iso3_from_code(_text(r[adm0])) or ""
        iso3 = iso3 or (iso3_hint or "")
        if not iso3:
            raise InputFileError(g.path, f"{where + ': ' if where else ''}the country of the P-codes is not given "
                                 "(no iso3 or adm0_pcode column).", "Add --iso3 ISO3 to the command.", row=i)
        parent_code = _text(r[parent]).upper() if parent else ""
        rows.append((iso3, n, pcode, (_text(r[name]) if name else "") or pcode,
                     parent_code or (iso3 if n == 1 else None), _date(r[valid]) if valid else None))
    return pd.DataFrame(rows, columns=list(PCODE_COLUMNS))


def read_gazetteer(path: Path, iso3_hint: str | None = None) -> Gazetteer | None:
    """Read a P-code gazetteer (CSV or Excel); None when its columns are not a gazetteer's.

    Kinds, told apart by their columns: OCHA's global P-code list (``Location, Admin Level,
    P-Code, Name, Parent P-Code, Valid from date``), OCHA's P-code lengths (``Location, Country
    Length, Admin 1 Length...``) and COD-AB attribute tables (``adm1_pcode, adm1_name...``; in an
    Excel workbook one sheet per level). Rows without a P-code are left out and listed.

    >>> g = read_gazetteer(Path("global_pcodes_adm1_adm2.csv"))  # doctest: +SKIP
    """
    g = Gazetteer(path, "", "", _empty_pcodes(), _empty_lengths())
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, g.encoding = _read_csv(path)
        kind = gazetteer_kind(list(frame.columns))
        if kind is None:
            return None
        g.kind, g.rows_read = kind, len(frame)
        if kind == "global_pcodes":
            g.label = "P-code gazetteer (OCHA global P-code list)"
            _global_pcodes(path, frame, g)
        elif kind == "lengths":
            g.label = "P-code lengths (OCHA)"
            _lengths(path, frame, g)
        else:
            g.label = "P-code gazetteer (COD-AB table)"
            g.pcodes = _cod_table(frame, iso3_hint, "", g)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="calamine")
        except Exception as exc:  # calamine raises its own error types for damaged workbooks
            raise InputFileError(path, f"cannot be read as an Excel workbook ({str(exc).splitlines()[0][:200]}).",
                                 "Open it in Excel and save it again as .xlsx.") from exc
        parts = []
        for sheet, frame in sheets.items():
            if gazetteer_kind(list(frame.columns)) != "cod_ab" or frame.empty:
                g.ignored.append(f"sheet {sheet}")
                continue
            g.sheets.append(str(sheet))
            g.rows_read += len(frame)
            parts.append(_cod_table(frame, iso3_hint, f"sheet '{sheet}'", g))
        if not parts:
            return None
        g.kind, g.label = "cod_ab", "P-code gazetteer (COD-AB workbook)"
        g.pcodes = pd.concat(parts, ignore_index=True)
    else:
        return None
    # A P-code repeated at one level (real COD tables have a few) is kept once; the same code at two
    # levels (OCHA's list has 'ECISLA' as an admin-1 and an admin-2 area) is two entries.
    repeated = g.pcodes.duplicated(["iso3", "admin_level", "pcode"], keep="first")
    g.repeated = sorted(set(g.pcodes.loc[repeated, "pcode"]))
    g.pcodes = g.pcodes[~repeated].reset_index(drop=True)
    g.duplicates = int(repeated.sum())
    if g.pcodes.empty and g.lengths.empty:
        first = f" (first: {g.skipped[0]})" if g.skipped else ""
        raise InputFileError(path, f"has the columns of a {g.label} but no usable rows{first}.",
                             "Check it is the complete export.")
    return g


# --------------------------------------------------------------------------- P-code checks


def expected_lengths(lengths: dict[int, list[int | None]], level: int) -> set[int] | None:
    """Total lengths a P-code of ``level`` may have, from per-level lengths; None if not fixed.

    >>> sorted(expected_lengths({0: [2], 1: [2], 2: [2, 7]}, 2))
    [6, 11]
    >>> expected_lengths({0: [3], 1: [3], 2: [4], 3: [None]}, 3) is None
    True
    """
    totals = {0}
    for n in range(level + 1):
        parts = lengths.get(n)
        if not parts or any(p is None for p in parts):
            return None
        totals = {t + p for t in totals for p in parts if p is not None}
    return totals
