"""Trends' "What changed most, and why": one tab per level, a sentence and links per row (the rows from
:func:`dashboard.db.change_queries.changes`, the sentences and links from :mod:`dashboard.ui.change_story`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import registry
from dashboard.db.change_queries import MIN_ENGAGEMENTS
from dashboard.db.filters import Filters
from dashboard.session.auth import current_scope
from dashboard.ui import change_story
from dashboard.ui.components import downloads, empty_state, table
from etl.accounts import roles

SENTENCE_ROW_PX = 76
LEVELS = {"area": "Admin areas", "checkpoint": "Checkpoints", "counterpart": "Counterparts"}


def least_engagements(k: int | None) -> int:
    """Engagements a row needs in each period: never fewer than ``k`` in a pseudonymised view."""
    return max(MIN_ENGAGEMENTS, k or 0)


def openable(scope: roles.Scope, k: int | None) -> list[str]:
    """The pages a row may open for this user: those the role opens; a profile only where names are in clear
    (a pseudonymised row has a code, not a profile)."""
    return [p.key for p in registry.PAGES if p.key in change_story.LINK_PAGES.values() and scope.may(p.needs)
            and (p.key != "counterpart" or (scope.may(roles.PROFILES) and k is None))]


def draw(changes: pd.DataFrame, f: Filters, before: tuple[dt.date, dt.date], k: int | None) -> None:
    """The caption, and one tab per level with its rows (what changed and why, the figures, the links)."""
    pages = openable(current_scope(), k)
    st.caption(f"Share denied or number of engagements against {before[0]:%d %b %Y} to {before[1]:%d %b %Y}, "
               f"among places and counterparts with at least {least_engagements(k)} engagements in both periods, "
               f"with what drove each change. {change_story.offer(pages)}".rstrip())
    for tab, level in zip(st.tabs(list(LEVELS.values())), LEVELS, strict=True):
        with tab:
            rows = changes[changes["level"] == level]
            if rows.empty:
                empty_state("Not enough engagements in both periods to compare. Try a longer period.")
                continue
            shown = change_story.table_rows(rows, f, pages, k)
            # Rows three lines high: the sentence wraps instead of being cut.
            table(shown.drop(columns=["key", "name"]), percent=("share_denied", "share_denied_before", "volume_change"),
                  points=("change",), row_height=SENTENCE_ROW_PX, links=tuple(change_story.LINK_PAGES),
                  change="Change in share denied (points)", open_map="Map", open_obstacles="Obstacles",
                  open_profile="Profile")
            downloads(shown, f"changes by {level}")
