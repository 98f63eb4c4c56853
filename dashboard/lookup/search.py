"""Find a counterpart by any spelling: the name search behind the Counterpart lookup page.

Field logs write one commander many ways ("Col. Mohammed Idris", "COL MUHAMMAD IDRIS", "idris").
Every alias seen in the logs is indexed twice:

- by its :func:`etl.counterparts.names.name_key` (titles dropped, transliterations unified), so that
  "col mohamed idris" and "Colonel Muhammad Idris" meet on ``muhammad idris``;
- by a *plain* form that keeps titles and unit words ("mawlawi", "office of the governor"), so that
  a search for a rank or a title still finds people.

The query gets the same two forms and is compared with rapidfuzz's ``WRatio`` (typos, word order,
a part of a longer name). A counterpart scores its best alias; ties go to the one engaged most.
Nothing here needs Streamlit: the page passes the rows of ``profile_queries.SEARCH_INDEX``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

from dashboard.ui.safe_text import markdown_text
from etl.counterparts.names import TRANSLITERATIONS, name_key

# Below this WRatio score (0-100) a name is not shown as a match.
MIN_SCORE = 70.0
# Results scoring more than this below the best one are noise ("col idris" should not list every colonel).
BEHIND_BEST = 15.0
# Queries shorter than this (after normalising) only match the start of a word.
SHORT_QUERY = 3
RESULT_COLUMNS = ["counterpart_id", "name", "counterpart_type", "iso3", "country", "region", "engagements", "matched",
                  "score"]

_NON_WORD = re.compile(r"[^0-9a-z]+")
_ID = re.compile(r"^cp-[0-9a-f]{10}$")


def plain(text: object) -> str:
    """Lower case ASCII words with transliterations unified, titles kept.

    >>> plain("Mawlawi  Rahmatullah-Safi")
    'mawlawi rahmatullah safi'
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    ascii_text = ascii_text.replace("'", "").replace("`", "")
    return " ".join(TRANSLITERATIONS.get(w, w) for w in _NON_WORD.sub(" ", ascii_text).split())


@dataclass(frozen=True)
class SearchIndex:
    """Normalised spellings of every counterpart, ready for fuzzy matching."""

    counterparts: pd.DataFrame  # one row per counterpart: id, name, type, iso3, country (its name), region, engagements
    choices: list[str]  # unique normalised spellings
    owners: list[list[tuple[int, str]]]  # per choice: (row in counterparts, alias as logged)

    @classmethod
    def from_frame(cls, rows: pd.DataFrame) -> SearchIndex:
        """Build from rows of ``profile_queries.SEARCH_INDEX`` (one row per counterpart and alias)."""
        cols = ["counterpart_id", "name", "counterpart_type", "iso3", "country", "region", "engagements"]
        counterparts = (rows[cols].drop_duplicates("counterpart_id").reset_index(drop=True)
                        if not rows.empty else pd.DataFrame(columns=cols))
        position = {cid: i for i, cid in enumerate(counterparts["counterpart_id"])}
        seen: dict[str, dict[int, str]] = {}

        def add(form: str, row: int, alias: str) -> None:
            if form:
                seen.setdefault(form, {}).setdefault(row, alias)

        for cid, name, alias in zip(rows["counterpart_id"], rows["name"], rows["alias"], strict=True):
            row = position[cid]
            for spelling in (name, alias):
                if spelling is None or (isinstance(spelling, float) and pd.isna(spelling)):
                    continue
                add(name_key(spelling), row, str(spelling))
                add(plain(spelling), row, str(spelling))
        choices = list(seen)
        owners = [list(seen[c].items()) for c in choices]
        return cls(counterparts=counterparts, choices=choices, owners=owners)

    def __len__(self) -> int:
        return len(self.counterparts)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=RESULT_COLUMNS)


def _in_scope(counterparts: pd.DataFrame, countries: tuple[str, ...], regions: tuple[str, ...]) -> pd.Series:
    keep = pd.Series(True, index=counterparts.index)
    if countries:
        keep &= counterparts["iso3"].isin(countries)
    if regions:
        keep &= counterparts["region"].isin(regions)
    return keep


def _short_match(query: str, choice: str) -> float:
    """Very short queries ("al", "mu") only count at the start of a word, else everything matches."""
    return 100.0 if any(w.startswith(query) for w in choice.split()) else 0.0


def search(index: SearchIndex, text: str, limit: int = 20, countries: tuple[str, ...] = (),
           regions: tuple[str, ...] = (), min_score: float = MIN_SCORE) -> pd.DataFrame:
    """Counterparts matching ``text``, best first (columns :data:`RESULT_COLUMNS`), at most
    :data:`BEHIND_BEST` points below the best match.

    An empty ``text`` lists the counterparts engaged most. ``countries`` / ``regions`` (ISO3 codes,
    region names) narrow the results when given. A full counterpart id (``CP-...``) matches itself.
    """
    cps = index.counterparts
    if cps.empty:
        return _empty()
    scope = _in_scope(cps, countries, regions)
    text = (text or "").strip()[:200]
    if not text:
        top = cps[scope].sort_values(["engagements", "name"], ascending=[False, True]).head(limit)
        return top.assign(matched=top["name"], score=float("nan"))[RESULT_COLUMNS].reset_index(drop=True)
    if _ID.match(text.lower()):
        hit = cps[scope & (cps["counterpart_id"].str.lower() == text.lower())]
        return hit.assign(matched=hit["counterpart_id"], score=100.0)[RESULT_COLUMNS].reset_index(drop=True)

    forms = {f for f in (name_key(text), plain(text)) if f}
    if not forms:
        return _empty()
    best: dict[int, tuple[float, str]] = {}
    for form in forms:
        if len(form.replace(" ", "")) < SHORT_QUERY:
            matches = [(c, _short_match(form, c), i) for i, c in enumerate(index.choices)]
            matches = [m for m in matches if m[1] > 0]
        else:
            matches = process.extract(form, index.choices, scorer=fuzz.WRatio, processor=None,
                                      score_cutoff=min_score, limit=None)
        for choice, score, i in matches:
            # Identical normalised spellings rank above near misses that WRatio also scores 100.
            score = float(score) + (1.0 if choice == form else 0.0)
            for row, alias in index.owners[i]:
                if row not in best or score > best[row][0]:
                    best[row] = (score, alias)
    if not best:
        return _empty()
    rows = list(best)
    hits = cps.loc[rows].assign(matched=[best[r][1] for r in rows],
                                score=[round(min(best[r][0], 100.0), 1) for r in rows],
                                _rank=[best[r][0] for r in rows])
    hits = hits[scope.loc[rows].to_numpy()]
    if not hits.empty:
        hits = hits[hits["_rank"] >= hits["_rank"].max() - BEHIND_BEST]
    hits = hits.sort_values(["_rank", "engagements", "name"], ascending=[False, False, True]).head(limit)
    return hits[RESULT_COLUMNS].reset_index(drop=True)


def escape_markdown(text: object, limit: int | None = None) -> str:
    r"""Text from a log, made inert for Streamlit markdown (headings, captions, alerts): see
    :func:`dashboard.ui.safe_text.markdown_text`.

    >>> print(escape_markdown("**urgent** [x](y) <b>"))
    \*\*urgent\*\* \[x\](y) \<b\>
    >>> print(escape_markdown("1. Brigade"))
    1\. Brigade
    """
    return markdown_text(text, limit)
