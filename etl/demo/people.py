"""Counterparts and the words about them: person and place names, counterpart names and types,
the obvious spelling variants of each name, organisations, intermediaries and the note pools.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from etl.counterparts.names import TITLES as _TITLE_WORDS
from etl.counterparts.names import name_key as _key  # variants are exactly the ones the ETL treats as obvious
from etl.demo.constants import (
    O_COND,
    O_DEFERRED,
    O_DENIED,
    O_GRANTED,
    O_NORESP,
    O_PARTIAL,
    T_COMMUNITY,
    T_DFA,
    T_LOCAL,
    T_MILITIA,
    T_NSAG,
    T_OTHER,
    T_POLICE,
    T_STATE,
)
from etl.demo.model import Area, Counterpart, Country, Person
from etl.demo.name_pools import (
    _BLOCKED_KEYS,
    _BLOCKED_PLACES,
    _TRANSLIT_OF,
    PLACE_PARTS,
    STYLE_PLACES,
    STYLES,
    TITLE_FORMS,
)

ORGANISATIONS = ("Open Roads Relief", "Lantern Health Alliance", "Common Harvest Food Trust",
                 "Riverstone Humanitarian", "Bridgewell Child Aid", "Meridian Water and Sanitation",
                 "Kindle Protection Network", "Northwind Emergency Medical")
INTERMEDIARIES = ("village elder", "partner NGO liaison", "community committee chair", "local driver",
                  "religious leader", "women's group leader", "market traders' association",
                  "UN access focal point", "local health worker", "youth leader",
                  "teacher from the village", "clan elder")

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
