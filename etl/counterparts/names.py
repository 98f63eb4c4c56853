"""Counterpart names: one key for the obvious variants, a review list for the doubtful ones.

Field teams write the same commander as "Col. Mohammed Idris", "COLONEL MUHAMMAD IDRIS" and
"col mohamed  idris". Those are *obvious* variants: titles and ranks, case, spacing,
punctuation and common transliterations. They get the same :func:`name_key` and resolve to one
counterpart.

Anything less certain is a *doubtful* match: two keys of one country that are similar ("Hassan
Ali" vs "Hassan Alim"), or that sound the same once romanisation is set aside ("Idriss Bakheet" vs
"Idris Bakhit", :mod:`etl.counterparts.sounds`). The two stay separate counterparts and the pair
goes to the ``counterpart_review`` table for a person to decide. Names are never merged silently
on a similarity score or a sound key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from etl.counterparts.sounds import sound_key
from etl.vocab import label_key

# Titles, ranks and honorifics dropped from the key (after lower-casing and removing punctuation).
TITLES = frozenset(
    """
    mr mrs ms miss dr prof hon honourable honorable excellency his her he
    gen general lt ltgen lieutenant maj major majgen brig brigadier brigadiergeneral col colonel ltcol
    capt cpt captain cmdr cdr comdr commander comd sgt sergeant cpl corporal pvt private officer
    adm admiral field marshal fm
    sheikh shaykh sheik shaikh sh cheikh emir amir mullah mawlawi maulvi imam haji hajji hadj
    sultan chief chef ustaz ustadh sayed sayyid syed
    """.split()
)
# Spelling groups: every member maps to the first. Applied word by word.
TRANSLITERATIONS: dict[str, str] = {}
for _group in (
    "muhammad mohammed mohamed mohamad mohammad muhammed mohamud mahamat mouhamed",
    "ahmad ahmed ahmet",
    "hussein husain hussain husein hosein hossein",
    "hassan hasan",
    "yusuf youssef yousef yousif yusif",
    "uthman osman othman usman",
    "umar omar",
    "abdul abdel abdal abdoul",
    "ibrahim ibraheem brahim",
    "ismail ismael",
    "khalid khaled",
    "mahmud mahmoud mahmood",
    "mustafa mostafa moustafa",
    "sulaiman suleiman sulayman soliman",
    "abubakar abubakr aboubakar",
    "ali aly",
    "said saeed saied",
    "al el ul",
):
    _words = _group.split()
    for _w in _words:
        TRANSLITERATIONS[_w] = _words[0]

# "Abd al Rahman", "Abd-el-Rahman" and "Abdul Rahman" are one name: join "abd al"/"abd el" first.
_ABD = re.compile(r"\babd\s+(?:al|el|ul)\s+")


def name_key(raw: str) -> str:
    """Key under which obvious variants of a counterpart name coincide.

    >>> name_key("Col. Mohammed  Idris")
    'muhammad idris'
    >>> name_key("COLONEL MUHAMMAD IDRIS")
    'muhammad idris'
    >>> name_key("Abd el-Rahman Al-Nur")
    'abdul rahman al nur'
    >>> name_key("Office of the Governor, Kassala")
    'office of the governor kassala'
    """
    text = _ABD.sub("abdul ", label_key(str(raw).replace("`", "")) + " ").strip()
    words = [TRANSLITERATIONS.get(w, w) for w in text.split()]
    # Drop leading titles only ("Commander Ali" -> "ali"), so that unit names such as
    # "Northern Sector Command" or "Office of the Governor" keep their meaning.
    while len(words) > 1 and words[0] in TITLES and words[1] not in ("of", "the", "de", "du"):
        words.pop(0)
    return " ".join(words)


def stable_id(prefix: str, *parts: str) -> str:
    """A short id that is the same on every machine and every reload for the same parts.

    >>> stable_id("CP", "SDN", "muhammad idris")
    'CP-E458A56DD3'
    """
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:10].upper()
    return f"{prefix}-{digest}"


@dataclass(frozen=True)
class DoubtfulMatch:
    """Two counterpart keys in one country similar enough that a person should look at them."""

    iso3: str
    key_a: str
    key_b: str
    score: float


# Names at or above this similarity (rapidfuzz ratio, 0-100) but with different keys are doubtful.
DOUBTFUL_SCORE = 88.0
# Same sound key: doubtful when that key has at least this many letters (short names such as "Edo" /
# "Edu" sound alike too easily) and the names are still this similar ("Gole" / "Kula" are not).
SOUND_MIN_LETTERS = 6
SOUND_MIN_SCORE = 70.0
# At most this many look-alikes are listed for one new key, by each of the two tests (the most similar).
PAIRS_PER_KEY = 5


def doubtful_pairs(
    new_keys: Iterable[tuple[str, str]], known_keys: Iterable[tuple[str, str]], threshold: float = DOUBTFUL_SCORE
) -> list[DoubtfulMatch]:
    """Doubtful matches between new (iso3, key) pairs and all keys known in the same country.

    A pair is doubtful when its similarity is at least ``threshold``, or when both keys have the
    same :func:`~etl.counterparts.sounds.sound_key` of at least ``SOUND_MIN_LETTERS`` letters and
    a similarity of at least ``SOUND_MIN_SCORE`` (its score is the similarity, below ``threshold``). Each unordered pair is reported once. Exact key matches are not doubtful: they are the
    same counterpart.

    >>> [(p.key_a, p.key_b, p.score) for p in doubtful_pairs([("SDN", "idriss bakheet")], [("SDN", "idris bakhit")])]
    [('idris bakhit', 'idriss bakheet', 84.6)]
    """
    by_country: dict[str, set[str]] = {}
    for iso3, key in known_keys:
        by_country.setdefault(iso3, set()).add(key)
    new_by_country: dict[str, set[str]] = {}
    for iso3, key in new_keys:
        new_by_country.setdefault(iso3, set()).add(key)
        by_country.setdefault(iso3, set()).add(key)
    seen: set[tuple[str, str, str]] = set()
    out: list[DoubtfulMatch] = []
    for iso3 in sorted(new_by_country):
        pool = sorted(by_country[iso3])
        sounds: dict[str, list[str]] = {}
        for known in pool:
            sounds.setdefault(sound_key(known), []).append(known)
        for key in sorted(new_by_country[iso3]):
            similar = [(o, s) for o, s, _ in process.extract(key, pool, scorer=fuzz.ratio, score_cutoff=threshold,
                                                              limit=PAIRS_PER_KEY)]
            sound = sound_key(key)
            alike = sounds.get(sound, []) if len(sound) >= SOUND_MIN_LETTERS else []
            same_sound = sorted(((o, s) for o in alike if o != key and (s := fuzz.ratio(key, o)) >= SOUND_MIN_SCORE),
                                key=lambda pair: (-pair[1], pair[0]))[:PAIRS_PER_KEY]
            for other, score in similar + same_sound:
                if other == key:
                    continue
                a, b = sorted((key, other))
                if (iso3, a, b) in seen:
                    continue
                seen.add((iso3, a, b))
                out.append(DoubtfulMatch(iso3, a, b, round(float(score), 1)))
    return out
