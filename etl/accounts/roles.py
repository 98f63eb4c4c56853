"""What each role may see, as data: the one table the sign-in page and the query layer read.

Issue 5 defines four roles. Their rules live here as frozen values rather than as ``if role ==``
branches scattered over pages, so that the query layer can enforce them in one place and a test
can hold the table against the issue's wording.

A user's *effective* reach is their role combined with the regions granted to them
(:func:`scope_for`): an ``hq`` user sees every region pseudonymised, and in clear only where a
region is also granted; an ``admin`` sees no negotiation content unless granted regions.

>>> s = scope_for("hq", ("Asia",))
>>> s.can_reach("Eastern Europe"), s.names_in_clear("Eastern Europe"), s.names_in_clear("Asia")
(True, False, True)
>>> scope_for("admin", ()).can_reach("Asia")
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ALL_REGIONS = "*"
"""Stored in a user's regions to grant every region (hq only): names and notes in clear everywhere."""

# What a page or an action needs. The app maps its pages onto these; the query layer checks them.
TRENDS = "trends"  # headline figures, monthly outcomes, maps: aggregates
PATTERNS = "patterns"  # obstacles, counterpart patterns by type and region: aggregates
COUNTERPART_LOOKUP = "counterpart_lookup"  # search one counterpart by name
PROFILES = "profiles"  # one counterpart's full history and the printable brief
USERS = "users"  # manage sign-ins (admin pages)
LOADS = "loads"  # loads, provenance, rejected rows, uploads
AUDIT_LOG = "audit_log"  # who looked at what

CONTENT = frozenset({TRENDS, PATTERNS, COUNTERPART_LOOKUP, PROFILES})
"""Capabilities that show negotiation content: only ever within a region the user can reach."""


@dataclass(frozen=True)
class Role:
    """One role's rules.

    :param name: as stored in the users file and given to ``--role``.
    :param wording: the issue's own sentence for the role, shown to admins (``users list``, admin page).
    :param reach: which regions' rows the role reaches: ``all`` whatever is granted, ``granted`` only the
        regions granted to the user.
    :param pseudonymise_names: counterpart identities are shown as stable codes outside the user's granted
        regions (inside them they are in clear).
    :param hide_notes: confidential notes are hidden outside the user's granted regions.
    :param capabilities: what the role may use without any region granted.
    :param with_regions: what a granted region adds (admin: the content of a coordinator, for those regions).
    :param needs_regions: a user of this role without a granted region would see nothing, so the CLI
        refuses to create one.
    """

    name: str
    wording: str
    reach: Literal["all", "granted"]
    pseudonymise_names: bool
    hide_notes: bool
    capabilities: frozenset[str]
    with_regions: frozenset[str] = frozenset()
    needs_regions: bool = False


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role(
            name="hq",
            wording="every region, trends and patterns; counterpart identities pseudonymised (stable codes) "
            "and confidential notes hidden, unless the user is also granted a region",
            reach="all",
            pseudonymise_names=True,
            hide_notes=True,
            capabilities=frozenset({TRENDS, PATTERNS}),
            # Granted regions lift the pseudonyms there; the counterpart pages then make sense.
            with_regions=frozenset({COUNTERPART_LOOKUP, PROFILES}),
        ),
        Role(
            name="coordinator",
            wording="full detail for the regions granted to the user",
            reach="granted",
            pseudonymise_names=False,
            hide_notes=False,
            capabilities=frozenset(),
            with_regions=CONTENT,
            needs_regions=True,
        ),
        Role(
            name="negotiator",
            wording="counterpart lookup and profiles with notes, for the regions granted",
            reach="granted",
            pseudonymise_names=False,
            hide_notes=False,
            capabilities=frozenset(),
            with_regions=frozenset({COUNTERPART_LOOKUP, PROFILES}),
            needs_regions=True,
        ),
        Role(
            name="admin",
            wording="users, loads, audit log; no negotiation content unless also granted regions",
            reach="granted",
            pseudonymise_names=False,
            hide_notes=False,
            capabilities=frozenset({USERS, LOADS, AUDIT_LOG}),
            with_regions=CONTENT,
        ),
    )
}
ROLE_NAMES: tuple[str, ...] = tuple(ROLES)


@dataclass(frozen=True)
class Scope:
    """One signed-in user's effective reach: what the query layer filters and redacts by.

    :param role: the role name.
    :param every_region: rows of every region are reachable (hq).
    :param regions: the regions granted; when ``every_region`` is False, the only reachable ones.
    :param clear_everywhere: names and notes in clear in every reachable region (hq granted ``*``).
    """

    role: str
    every_region: bool
    regions: frozenset[str]
    clear_everywhere: bool
    capabilities: frozenset[str]
    pseudonymise_names: bool
    hide_notes: bool

    def can_reach(self, region: str) -> bool:
        """Whether rows of ``region`` may be shown at all (aggregated or not)."""
        return self.every_region or region in self.regions

    def names_in_clear(self, region: str) -> bool:
        """Whether counterpart names in ``region`` are shown as logged (else as stable codes)."""
        if not self.can_reach(region):
            return False
        return not self.pseudonymise_names or self.clear_everywhere or region in self.regions

    def notes_visible(self, region: str) -> bool:
        """Whether confidential notes of engagements in ``region`` are shown."""
        if not self.can_reach(region):
            return False
        return not self.hide_notes or self.clear_everywhere or region in self.regions

    def may(self, capability: str) -> bool:
        """Whether the user may use a page or action (one of the capability constants above)."""
        return capability in self.capabilities


def scope_for(role_name: str, regions: tuple[str, ...] | frozenset[str]) -> Scope:
    """The effective scope of a user with ``role_name`` and ``regions`` granted.

    An unknown role reaches nothing (fail closed): a hand-edited users file cannot widen access.

    >>> scope_for("negotiator", ("Asia",)).may(PROFILES), scope_for("negotiator", ()).may(PROFILES)
    (True, False)
    """
    role = ROLES.get(role_name)
    if role is None:
        return Scope(role_name, False, frozenset(), False, frozenset(), True, True)
    granted = frozenset(r for r in regions if r != ALL_REGIONS)
    everything = ALL_REGIONS in regions
    capabilities = role.capabilities | (role.with_regions if granted or everything else frozenset())
    return Scope(
        role=role.name,
        every_region=role.reach == "all" or everything,
        regions=granted,
        clear_everywhere=everything,
        capabilities=capabilities,
        pseudonymise_names=role.pseudonymise_names,
        hide_notes=role.hide_notes,
    )
