"""The pandas baseline, part 2: the counterpart lookup and the Data page, and the dispatch from query labels."""

from __future__ import annotations

import math

from bench.pages.pandas_changes import ChangePages
from bench.pages.pandas_pages import TIMELINE_ROWS, pd_frame


class PandasPages(ChangePages):
    """The dashboard's aggregates computed with pandas: every page (:meth:`impl` by query label)."""

    def profile_incidents_rows(self, cp, limit: int = 500):  # type: ignore[no-untyped-def]
        d = self.t["decisions"]
        merged = d[(d["action"] == "merge") & d["active"].astype(bool) & (d["result_id"] == cp)]
        me = self.cp.loc[cp] if cp in self.cp.index else {"name_key": None, "iso3": None}  # merged away: none
        keys = {me["name_key"], *merged["name_key_b"].dropna()}
        i = self.I
        i = i[(i["iso3"] == me["iso3"]) & i["duplicate_of"].isna() & i["perpetrator_key"].notna()
              & i["perpetrator_key"].isin(keys)]
        i = i.sort_values("incident_date", ascending=False, kind="stable").head(limit)
        return i.assign(date=i["incident_date"], area=i["admin1_pcode"].map(self.area_name).fillna(i["admin1_name"]),
                        perpetrator_type=i["perpetrator_label"])[
            ["date", "date_precision", "area", "place", "perpetrator_type", "perpetrator_name", "means_of_attack",
             "killed", "injured", "kidnapped", "detained", "source", "source_id"]].reset_index(drop=True)

    # ------------------------------------------------------------------ counterpart lookup

    def search_index(self, cp):  # type: ignore[no-untyped-def]
        c = self.t["counterparts"].merge(self.t["aliases"][["counterpart_id", "alias", "times_seen"]],
                                         on="counterpart_id")
        c["counterpart_type"] = self.label("counterpart_type", c["counterpart_type"], "Unknown type")
        c = self.top(c, ["engagements", "counterpart_id", "times_seen"], [False, True, False])
        return c[["counterpart_id", "name", "iso3", "region", "counterpart_type", "engagements", "alias"]]

    def profile(self, cp):  # type: ignore[no-untyped-def]
        c = self.t["counterparts"]
        c = c[c["counterpart_id"] == cp]
        return c.assign(counterpart_type=self.label("counterpart_type", c["counterpart_type"], "Unknown type"),
                        level=self.label("counterpart_level", c["level"], "Unknown level"),
                        country=c["iso3"].map(self.t["countries"].set_index("iso3")["name"]))[
            ["counterpart_id", "name", "counterpart_type", "affiliation", "level", "iso3", "country", "region",
             "first_seen", "last_seen", "engagements"]].reset_index(drop=True)

    def profile_aliases(self, cp):  # type: ignore[no-untyped-def]
        a = self.t["aliases"]
        return self.top(a[a["counterpart_id"] == cp][["alias", "times_seen"]], "times_seen", False)

    def mine(self, cp):  # type: ignore[no-untyped-def]
        return self.E[(self.E["counterpart_id"] == cp).to_numpy()]

    def profile_places(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        g = e.assign(checkpoint=e["checkpoint_name"].fillna("(no checkpoint)"), area=e["area_name"])
        out = g.groupby(["checkpoint", "area"], dropna=False).agg(
            engagements=("granted", "size"), share_granted=("granted", "mean"),
            last_engagement=("engagement_date", "max")).reset_index()
        return self.top(out, "engagements", False)

    def profile_timeline(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        ids = set(e["engagement_id"])
        c = self.CO[self.CO["engagement_id"].isin(ids)]
        conds = (c.assign(label=self.label("condition", c["condition"])).groupby("engagement_id")["label"]
                 .agg(lambda s: "; ".join(sorted(s.dropna()))))
        o = self.OB[self.OB["engagement_id"].isin(ids)]
        obst = o.groupby("engagement_id")["raw_label"].agg(lambda s: "; ".join(s.drop_duplicates()))
        e = e.sort_values(["engagement_date", "engagement_id"], ascending=[False, True]).head(TIMELINE_ROWS)
        out = e.assign(activity=self.label("activity", e["activity"]), outcome=self.label("outcome", e["outcome"]),
                       conditions=e["engagement_id"].map(conds), obstacles=e["engagement_id"].map(obst),
                       channel=self.label("channel", e["channel"]))
        return out.rename(columns={"engagement_date": "date", "checkpoint_name": "checkpoint"})[
            ["date", "activity", "outcome", "conditions", "obstacles", "channel", "intermediary", "checkpoint",
             "location", "organisation", "days_to_resolution", "follow_up_due", "notes"]].reset_index(drop=True)

    def profile_outcomes_by_quarter(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        q = e["engagement_date"].dt.to_period("Q").dt.start_time.astype(e["engagement_date"].dtype)
        out = e.assign(quarter=q).groupby(["quarter", "outcome"]).size().rename("engagements").reset_index()
        return out

    def profile_peers(self, cp):  # type: ignore[no-untyped-def]
        me = self.cp.loc[cp]
        E = self.E
        same_type = (E["counterpart_type"].isna() if me["counterpart_type"] is None or
                     (isinstance(me["counterpart_type"], float) and math.isnan(me["counterpart_type"]))
                     else E["counterpart_type"] == me["counterpart_type"])
        e = E[(same_type & (E["region"] == me["region"])).to_numpy()]
        who = self.np.where(e["counterpart_id"] == cp, "This counterpart", "Peers: same type, same region")
        out = e.assign(who=who, gwc=e["outcome"].eq("granted_with_conditions")).groupby("who").agg(
            counterparts=("counterpart_id", "nunique"), engagements=("granted", "size"),
            share_granted=("granted", "mean"), share_denied=("denied", "mean"), share_with_conditions=("gwc", "mean"),
            median_days=("days_to_resolution", "median")).reset_index()
        return self.top(out, "who", False)

    def profile_channels(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        out = (e.assign(channel=self.label("channel", e["channel"], "Not recorded")).groupby("channel")
               .agg(engagements=("granted", "size"), share_granted=("granted", "mean")).reset_index())
        return self.top(out, "engagements", False)

    def profile_intermediaries(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        e = e[e["intermediary"].notna()]
        out = e.groupby("intermediary").agg(engagements=("granted", "size"), granted=("granted", "sum"),
                                            share_granted=("granted", "mean")).reset_index()
        return self.top(out, ["granted", "engagements"], [False, False])

    def profile_related(self, cp):  # type: ignore[no-untyped-def]
        me = self.cp.loc[cp]
        E = self.E
        mine = E.loc[(E["counterpart_id"] == cp).to_numpy(), "checkpoint_id"].dropna().unique()
        others = E[(E["checkpoint_id"].isin(mine) & (E["counterpart_id"] != cp)).to_numpy()]
        shared = others.groupby("counterpart_id")["checkpoint_id"].nunique()
        c = self.t["counterparts"]
        c = c[(c["counterpart_id"] != cp) & (c["iso3"] == me["iso3"])]
        c = c.assign(shared_checkpoints=c["counterpart_id"].map(shared))
        same = c["affiliation"].notna() & (c["affiliation"] == me["affiliation"])
        c = c[c["shared_checkpoints"].notna() | same].assign(same_affiliation=same)
        c["shared_checkpoints"] = c["shared_checkpoints"].fillna(0).astype("int64")
        c["counterpart_type"] = self.label("counterpart_type", c["counterpart_type"], "Unknown type")
        c = self.top(c, ["same_affiliation", "shared_checkpoints", "engagements"], [False, False, False], 15)
        return c[["counterpart_id", "name", "counterpart_type", "affiliation", "shared_checkpoints",
                  "same_affiliation", "engagements"]]

    def profile_conditions(self, cp):  # type: ignore[no-untyped-def]
        e = self.mine(cp)
        c = self.CO[self.CO["engagement_id"].isin(set(e["engagement_id"]))]
        out = (c.assign(condition=self.label("condition", c["condition"])).groupby("condition")
               .agg(engagements=("engagement_id", "nunique"), last_demanded=("engagement_date", "max")).reset_index())
        out.insert(2, "share_of_engagements", out["engagements"] / len(e))
        return self.top(out, ["engagements", "condition"], [False, True])

    def profile_follow_ups(self, cp, today, overdue_days: int = 60):  # type: ignore[no-untyped-def]
        import pandas as pd

        today = pd.Timestamp(today)
        e = self.mine(cp)
        e = e[e["follow_up_due"] >= today - pd.Timedelta(days=overdue_days)]
        E = self.E
        last = E.loc[E["request_id"].isin(set(e["request_id"])).to_numpy()].groupby("request_id")[
            "engagement_date"].max()
        later = (e["request_id"].map(last) > e["engagement_date"]).to_numpy()
        e = e[(e["follow_up_due"] >= today).to_numpy() | ~later]
        out = e.assign(status=self.np.where(e["follow_up_due"] >= today, "Due", "Overdue"),
                       activity=self.label("activity", e["activity"]), outcome=self.label("outcome", e["outcome"]))
        out = self.top(out, ["status", "follow_up_due", "engagement_date"], True)
        return out.rename(columns={"engagement_date": "date", "checkpoint_name": "checkpoint"})[
            ["follow_up_due", "status", "date", "activity", "outcome", "checkpoint", "organisation", "notes"]]

    def profile_incidents(self, cp):  # type: ignore[no-untyped-def]
        return self.profile_incidents_rows(cp)

    def profile_review(self, cp):  # type: ignore[no-untyped-def]
        r = self.t["review"]
        r = r[(r["counterpart_id_a"] == cp) | (r["counterpart_id_b"] == cp)]
        names = self.cp["name"]
        is_a = r["counterpart_id_a"] == cp
        return r.assign(similar_name=self.np.where(is_a, r["counterpart_id_b"].map(names),
                                                   r["counterpart_id_a"].map(names)),
                        counterpart_id=self.np.where(is_a, r["counterpart_id_b"], r["counterpart_id_a"]))[
            ["similar_name", "counterpart_id", "similarity", "status"]].reset_index(drop=True)

    # ------------------------------------------------------------------ data

    def loads(self, f):  # type: ignore[no-untyped-def]
        d = self.t["loads"]
        d = d.assign(finished=d["finished_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M UTC"))
        return self.top(d, "load_id", False)[
            ["load_id", "file_name", "file_format", "status", "rows_read", "rows_loaded", "rows_rejected",
             "rows_duplicate", "finished", "loaded_by", "content_sha256", "source_path", "column_mapping",
             "ignored_columns", "date_order"]]

    def rejected_summary(self, f):  # type: ignore[no-untyped-def]
        r = self.t["rejected"]
        rows = r.drop_duplicates(["reason_code", "load_id", "sheet", "row_number"]).groupby("reason_code").size()
        out = pd_frame({"reason_code": rows.index, "rows_": rows.to_numpy(),
                        "problems": r.groupby("reason_code").size().reindex(rows.index).to_numpy()})
        return self.top(out, ["rows_", "reason_code"], [False, True])

    def rejected(self, f, limit: int = 1000):  # type: ignore[no-untyped-def]
        r = self.t["rejected"]
        r = r.assign(_nosheet=r["sheet"].notna()).sort_values(["load_id", "_nosheet", "sheet", "row_number"],
                                                               ascending=[False, True, True, True], kind="stable")
        return r.head(limit)[["load_id", "source_file", "sheet", "row_number", "column_name", "value",
                              "reason_code", "reason"]].reset_index(drop=True)

    def merged_into(self) -> dict:
        """Counterpart id -> the id it ended up in, following active merges to the end of the chain."""
        d = self.t["decisions"]
        d = d[(d["action"] == "merge") & d["active"].astype(bool)]
        step: dict = {}
        for src, dst in zip(d["counterpart_id_b"], d["counterpart_id_a"], strict=True):
            step.setdefault(src, []).append(dst)
        final = {}
        for start in step:
            # Deepest id reached within 100 steps, as the SQL's arg_max(id, depth) over its recursive walk.
            frontier, best, depth = [start], None, 0
            while frontier and depth < 100:
                frontier = [n for x in frontier for n in step.get(x, [])]
                depth += 1
                if frontier:
                    best = frontier[0]
            final[start] = best
        return final

    def review_queue(self, f):  # type: ignore[no-untyped-def]
        r = self.t["review"]
        r = r[r["status"] == "pending"]
        final = self.merged_into()
        p = pd_frame({"iso3": r["iso3"].to_numpy(),
                      "counterpart_id_a": [final.get(x, x) for x in r["counterpart_id_a"]],
                      "counterpart_id_b": [final.get(x, x) for x in r["counterpart_id_b"]],
                      "similarity": r["similarity"].to_numpy()})
        p = p[p["counterpart_id_a"].isin(self.cp.index) & p["counterpart_id_b"].isin(self.cp.index)
              & (p["counterpart_id_a"] != p["counterpart_id_b"])]
        for side in ("a", "b"):
            ids = p[f"counterpart_id_{side}"]
            p = p.assign(**{f"name_{side}": ids.map(self.cp["name"]), f"engagements_{side}": ids.map(
                self.cp["engagements"])})
        keys = ["iso3", "counterpart_id_a", "name_a", "engagements_a", "counterpart_id_b", "name_b", "engagements_b"]
        out = p.groupby(keys, dropna=False)["similarity"].max().reset_index()
        return self.top(out, ["similarity", "iso3", "name_a", "name_b"], [False, True, True, True])

    # ------------------------------------------------------------------ by query label

    def impl(self, label: str, f, cp: str):  # type: ignore[no-untyped-def]
        """A zero-argument function computing, in pandas, the query ``label`` names; None if there is none.

        Labels are those of :func:`query_labels`: ``headline() (previous)``, ``denial_change(area)``,
        ``PROFILE_PLACES``...; the pandas methods have the same names in lower case.
        """
        g = f.previous() if label.endswith(" (previous)") else f
        name, _, rest = label.removesuffix(" (previous)").partition("(")
        args = [a.strip() for a in rest.rstrip(")").split(",") if a.strip()]
        fn = getattr(self, name.lower(), None)
        if fn is None or name.startswith("_") or name in ("impl", "mask", "label", "top", "mine"):
            return None
        if name.isupper() and name.startswith(("PROFILE", "SEARCH")):
            return lambda: fn(cp)
        if name.startswith("profile_"):
            return lambda: fn(cp, f.end)
        return lambda: fn(g, *args)
