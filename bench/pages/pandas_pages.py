"""The pandas baseline, part 1: the data loaded into DataFrames and the aggregates of the filtered pages
(trends, map, obstacles, counterparts, incidents), computed the usual Streamlit way."""

from __future__ import annotations

import datetime as dt

# --------------------------------------------------------------------- the pandas baseline

TIMELINE_ROWS = 1_000  # dashboard.db.profile_queries.TIMELINE_ROWS: the profile shows the latest ones


def pd_series(values: list):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.Series(values, dtype=object)


def pd_frame(data: dict):  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.DataFrame(data)


LOAD_ENGAGEMENTS = """
SELECT e.engagement_id, e.request_id, e.engagement_date, e.counterpart_id, e.checkpoint_id, e.location, e.iso3,
       e.admin1_pcode, e.region, e.organisation, e.activity, e.channel, e.intermediary, e.outcome,
       e.days_to_resolution, e.follow_up_due, e.people_targeted, e.people_reached, e.notes, e.load_id,
       c.name AS counterpart_name, c.counterpart_type, k.name AS checkpoint_name, a.name AS area_name
FROM engagements e JOIN counterparts c USING (counterpart_id)
LEFT JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
LEFT JOIN admin_areas a ON a.pcode = e.admin1_pcode
"""
# Columns of an engagement copied onto its obstacle and condition rows, so those can be filtered alone.
FILTER_COLUMNS = ["engagement_id", "engagement_date", "month", "region", "iso3", "admin1_pcode", "activity",
                  "organisation", "checkpoint_id", "outcome", "granted"]
SMALL_TABLES = {
    "counterparts": "SELECT * FROM counterparts", "aliases": "SELECT * FROM counterpart_aliases",
    "review": "SELECT * FROM counterpart_review", "checkpoints": "SELECT * FROM checkpoints",
    "areas": "SELECT * FROM admin_areas", "countries": "SELECT * FROM countries",
    "vocabulary": "SELECT * FROM vocabulary", "categories": "SELECT * FROM obstacle_categories",
    "loads": "SELECT * FROM loads",
    "rejected": "SELECT load_id, source_file, sheet, row_number, column_name, value, reason_code, reason "
                "FROM rejected_rows",
    # Public incident feeds: small (one row per incident, ~1 per 150 engagements in the demo).
    "incidents": "SELECT incident_id, source, source_id, incident_date, date_precision, iso3, admin1_name, place, "
                 "latitude, longitude, perpetrator_type, perpetrator_name, perpetrator_key, means_of_attack, "
                 "killed, injured, kidnapped, detained, admin1_pcode, duplicate_of FROM incidents",
    # Merge decisions: the review list and a counterpart's incidents follow them.
    "decisions": "SELECT decision_id, action, active, counterpart_id_a, counterpart_id_b, name_key_b, result_id "
                 "FROM counterpart_decisions",
}


class FilteredPages:
    """The dashboard's aggregates computed with pandas on DataFrames held in memory: the filtered pages."""

    GRANTED = ("granted", "granted_with_conditions", "partially_granted")

    def __init__(self, con) -> None:  # type: ignore[no-untyped-def]
        import numpy as np

        self.np = np
        E = con.execute(LOAD_ENGAGEMENTS).df()
        E["granted"] = E["outcome"].isin(self.GRANTED)
        E["denied"] = E["outcome"].eq("denied")
        E["month"] = E["engagement_date"].values.astype("datetime64[M]").astype(E["engagement_date"].dtype)
        ob = con.execute("SELECT e.engagement_id, o.category, o.raw_label FROM engagement_obstacles o "
                         "JOIN engagements e USING (engagement_key)").df()
        E["n_obstacles"] = E["engagement_id"].map(ob.groupby("engagement_id").size()).fillna(0).astype("int64")
        self.OB = ob.merge(E[FILTER_COLUMNS], on="engagement_id")
        C = con.execute("SELECT e.engagement_id, c.condition FROM engagement_conditions c "
                        "JOIN engagements e USING (engagement_key)").df()
        self.CO = C.merge(E[FILTER_COLUMNS], on="engagement_id")
        self.E = E
        self.t = {name: con.execute(sql).df() for name, sql in SMALL_TABLES.items()}
        v = self.t["vocabulary"]
        self.labels = {voc: dict(zip(g["code"], g["label"], strict=True)) for voc, g in v.groupby("vocabulary")}
        self.cp = self.t["counterparts"].set_index("counterpart_id")
        self.ck = self.t["checkpoints"].set_index("checkpoint_id")
        self.area_name = self.t["areas"].set_index("pcode")["name"]
        cat = self.t["categories"].set_index("category")
        self.cat_name, self.cat_number = cat["name"], cat["number"]
        inc = self.t["incidents"]
        # The region an incident counts under: its country's, "Other" when the country has none.
        inc["region"] = inc["iso3"].map(self.t["countries"].set_index("iso3")["region"]).fillna("Other")
        inc["perpetrator_label"] = self.label("perpetrator_type", inc["perpetrator_type"]).fillna(
            inc["perpetrator_type"])
        self.I = inc

    def memory_mb(self) -> float:
        frames = [self.E, self.OB, self.CO, *self.t.values()]
        return sum(int(df.memory_usage(deep=True).sum()) for df in frames) / 2**20

    # ------------------------------------------------------------------ shared pieces

    def mask(self, df, f, dates: bool = True):  # type: ignore[no-untyped-def]
        import pandas as pd

        m = self.np.ones(len(df), dtype=bool)
        if dates:
            d = df["engagement_date"]
            m &= ((d >= pd.Timestamp(f.start)) & (d <= pd.Timestamp(f.end))).to_numpy()
        for column, values in (("region", f.regions), ("iso3", f.countries), ("admin1_pcode", f.areas),
                               ("activity", f.activities), ("organisation", f.organisations)):
            if values:
                m &= df[column].isin(values).to_numpy()
        if f.checkpoint:
            m &= (df["checkpoint_id"] == f.checkpoint).to_numpy()
        return m

    def compare_rows(self, f):  # type: ignore[no-untyped-def]
        """Rows of the current and previous period (other filters applied), and the ``cur`` flag."""
        import pandas as pd

        prev = f.previous()
        d = self.E["engagement_date"]
        m = self.mask(self.E, f, dates=False) & ((d >= pd.Timestamp(prev.start)) & (d <= pd.Timestamp(f.end))
                                                 ).to_numpy()
        e = self.E[m]
        return e, (e["engagement_date"] >= pd.Timestamp(f.start)).to_numpy()

    def label(self, vocabulary: str, codes, default=None):  # type: ignore[no-untyped-def]
        out = codes.map(self.labels.get(vocabulary, {}))
        return out if default is None else out.fillna(default)

    @staticmethod
    def top(df, by, ascending, limit=None):  # type: ignore[no-untyped-def]
        out = df.sort_values(by, ascending=ascending, kind="stable")
        return (out.head(limit) if limit else out).reset_index(drop=True)

    # ------------------------------------------------------------------ trends

    def headline(self, f):  # type: ignore[no-untyped-def]
        import pandas as pd

        e = self.E[self.mask(self.E, f)]
        r = (e.sort_values("engagement_date", kind="stable").groupby("request_id", sort=False)
             .agg(final=("outcome", "last"), targeted=("people_targeted", "max"), reached=("people_reached", "max")))
        gap = (r["targeted"].fillna(0) - r["reached"].fillna(0)).clip(lower=0)
        return pd.DataFrame([{
            "engagements": len(e), "requests": len(r), "share_granted": e["granted"].mean(),
            "share_denied": e["denied"].mean(), "median_days": e["days_to_resolution"].median(),
            "people_reached": r["reached"].sum(), "people_without_access": gap[r["final"] != "granted"].sum()}])

    def monthly_outcomes(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f)]
        return e.groupby(["month", "outcome"]).size().rename("engagements").reset_index()

    def by_region(self, f):  # type: ignore[no-untyped-def]
        e, cur = self.compare_rows(f)
        g = e[["granted", "denied", "days_to_resolution"]].assign(region=e["region"].fillna("Other"))
        now = g[cur].groupby("region").agg(engagements=("granted", "size"), share_granted=("granted", "mean"),
                                           share_denied=("denied", "mean"),
                                           median_days=("days_to_resolution", "median"))
        before = g[~cur].groupby("region").agg(share_denied_before=("denied", "mean"),
                                               engagements_before=("denied", "size"))
        out = now.join(before, how="left")
        out["engagements_before"] = out["engagements_before"].fillna(0).astype("int64")
        out = out.reset_index()[["region", "engagements", "share_granted", "share_denied", "share_denied_before",
                                 "median_days", "engagements_before"]]
        return self.top(out, "engagements", False)

    def denial_changes(self, f, min_engagements: int = 10, limit: int = 10):  # type: ignore[no-untyped-def]
        """The three levels of :meth:`denial_change` in one table, as ``queries.denial_changes`` returns it."""
        import pandas as pd

        parts = [self.denial_change(f, level, min_engagements, limit).assign(level=level)
                 for level in ("area", "checkpoint", "counterpart")]
        out = pd.concat(parts, ignore_index=True)
        return out[["level", "key", "name", "engagements", "engagements_before", "share_denied",
                    "share_denied_before", "change"]]

    def denial_change(self, f, level: str, min_engagements: int = 10, limit: int = 10):  # type: ignore[no-untyped-def]
        key = {"area": "admin1_pcode", "checkpoint": "checkpoint_id", "counterpart": "counterpart_id"}[level]
        e, cur = self.compare_rows(f)
        keep = e[key].notna().to_numpy()
        g = e.loc[keep, [key, "denied"]].assign(cur=cur[keep])
        s = g.groupby([key, "cur"])["denied"].agg(["size", "mean"]).unstack("cur")
        s = s.reindex(columns=[(a, b) for a in ("size", "mean") for b in (True, False)])
        out = s.set_axis(["engagements", "engagements_before", "share_denied", "share_denied_before"], axis=1)
        out[["engagements", "engagements_before"]] = out[["engagements", "engagements_before"]].fillna(0)
        out = out[(out["engagements"] >= min_engagements) & (out["engagements_before"] >= min_engagements)]
        out = out.rename_axis("key").reset_index()
        out["change"] = out["share_denied"] - out["share_denied_before"]
        table = {"area": self.t["areas"].set_index("pcode"), "checkpoint": self.ck, "counterpart": self.cp}[level]
        out["name"] = out["key"].map(table["name"] + " (" + table["iso3"] + ")")
        out = out.assign(_abs=out["change"].abs())
        out = self.top(out, ["_abs", "key"], [False, True], limit)
        return out[["key", "name", "engagements", "engagements_before", "share_denied", "share_denied_before",
                    "change"]]

    # ------------------------------------------------------------------ map

    def area_shapes(self, f):  # type: ignore[no-untyped-def]
        a = self.t["areas"]
        a = a[a["level"].isin((0, 1))][["pcode", "name", "iso3", "level", "geometry"]]
        return self.top(a, ["level", "pcode"], True)

    def area_measures(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f) & self.E["admin1_pcode"].notna().to_numpy()]
        out = e.groupby("admin1_pcode").agg(engagements=("denied", "size"), share_denied=("denied", "mean"),
                                             median_days=("days_to_resolution", "median"),
                                             n=("n_obstacles", "sum"))
        out["obstacles_per_engagement"] = out.pop("n") / out["engagements"]
        return out.rename_axis("pcode").reset_index()

    def checkpoint_points(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f) & self.E["checkpoint_id"].notna().to_numpy()]
        g = e.groupby("checkpoint_id").agg(engagements=("denied", "size"), share_denied=("denied", "mean"))
        recent = (e.sort_values("engagement_date", ascending=False, kind="stable").groupby("checkpoint_id")
                  .head(5).groupby("checkpoint_id")["outcome"].agg(list))
        k = self.ck.loc[g.index]
        out = g.assign(name=k["name"], latitude=k["latitude"], longitude=k["longitude"], iso3=k["iso3"],
                       controlled_by=k["controlling_counterpart_id"].map(self.cp["name"]), recent_outcomes=recent)
        out = out[out["latitude"].notna()].rename_axis("checkpoint_id").reset_index()
        out = out[["checkpoint_id", "name", "latitude", "longitude", "iso3", "controlled_by", "engagements",
                   "share_denied", "recent_outcomes"]]
        return self.top(out, "engagements", False)

    def engagements_list(self, f, limit: int = 500):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f)]
        e = e.sort_values(["engagement_date", "engagement_id"], ascending=[False, True]).head(limit)
        return e.assign(activity=self.label("activity", e["activity"]), outcome=self.label("outcome", e["outcome"])
                        ).rename(columns={"engagement_date": "date", "iso3": "country", "area_name": "area",
                                          "checkpoint_name": "checkpoint", "counterpart_name": "counterpart"})[
            ["date", "country", "area", "checkpoint", "counterpart", "activity", "outcome", "organisation",
             "days_to_resolution"]].reset_index(drop=True)

    # ------------------------------------------------------------------ obstacles

    def obstacles_monthly(self, f):  # type: ignore[no-untyped-def]
        o = self.OB[self.mask(self.OB, f)]
        out = o.groupby(["month", "category"]).size().rename("obstacles").reset_index()
        out["number"] = out["category"].map(self.cat_number)
        out["category"] = out["category"].map(self.cat_name)
        return self.top(out[["month", "category", "number", "obstacles"]], ["month", "number"], True)

    def obstacles_by_region(self, f):  # type: ignore[no-untyped-def]
        n = self.E.loc[self.mask(self.E, f), "region"].fillna("Other").value_counts()
        o = self.OB[self.mask(self.OB, f)]
        out = (o.assign(region=o["region"].fillna("Other")).groupby(["region", "category"]).size()
               .rename("obstacles").reset_index())
        out["number"] = out["category"].map(self.cat_number)
        out["category"] = out["category"].map(self.cat_name)
        out["per_engagement"] = out["obstacles"] / out["region"].map(n)
        return self.top(out[["region", "category", "number", "obstacles", "per_engagement"]],
                        ["region", "number"], True)

    def recurring_obstacles(self, f, level: str = "checkpoint", limit: int = 25):  # type: ignore[no-untyped-def]
        key = "checkpoint_id" if level == "checkpoint" else "admin1_pcode"
        o = self.OB[self.mask(self.OB, f) & self.OB[key].notna().to_numpy()]
        m = o[[key, "category", "month"]].drop_duplicates().rename(columns={key: "place"})
        m = m.sort_values(["place", "category", "month"])
        month_no = m["month"].dt.year * 12 + m["month"].dt.month
        m["island"] = month_no - m.groupby(["place", "category"]).cumcount()
        streaks = m.groupby(["place", "category", "island"])["month"].agg(["size", "min", "max"]).reset_index()
        streaks = streaks.sort_values("size", ascending=False, kind="stable")
        s = streaks.groupby(["place", "category"]).agg(
            longest_streak=("size", "max"), streak_from=("min", "first"), streak_to=("max", "first"),
            months_with_obstacle=("size", "sum"), first_seen=("min", "min"), last_seen=("max", "max")).reset_index()
        s = s[s["months_with_obstacle"] >= 2]
        table = self.ck if level == "checkpoint" else self.t["areas"].set_index("pcode")
        s["name"] = s["place"].map(table["name"] + " (" + table["iso3"] + ")")
        s["category"] = s["category"].map(self.cat_name)
        out = self.top(s, ["longest_streak", "months_with_obstacle", "name"], [False, False, True], limit)
        return out[["place", "name", "category", "longest_streak", "streak_from", "streak_to",
                    "months_with_obstacle", "first_seen", "last_seen"]]

    def conditions(self, f):  # type: ignore[no-untyped-def]
        n = int(self.mask(self.E, f).sum())
        c = self.CO[self.mask(self.CO, f)]
        out = c.assign(gwc=c["outcome"].eq("granted_with_conditions")).groupby("condition").agg(
            engagements=("engagement_id", "nunique"), share_granted=("granted", "mean"),
            share_granted_with_conditions=("gwc", "mean")).reset_index()
        out["share_of_engagements"] = out["engagements"] / n
        out["condition"] = self.label("condition", out["condition"])
        return self.top(out, "engagements", False)

    # ------------------------------------------------------------------ counterparts

    def counterpart_patterns(self, f):  # type: ignore[no-untyped-def]
        e, cur = self.compare_rows(f)
        g = e[["counterpart_id", "granted", "outcome", "days_to_resolution"]].assign(
            region=e["region"].fillna("Other"),
            counterpart_type=self.label("counterpart_type", e["counterpart_type"], "Unknown type"),
            gwc=e["outcome"].eq("granted_with_conditions"))
        keys = ["region", "counterpart_type"]
        now = g[cur].groupby(keys).agg(counterparts=("counterpart_id", "nunique"), engagements=("granted", "size"),
                                       share_granted=("granted", "mean"), share_with_conditions=("gwc", "mean"),
                                       median_days=("days_to_resolution", "median"))
        before = g[~cur].groupby(keys)["granted"].mean()
        now["change_granted"] = now["share_granted"] - before.reindex(now.index)
        now["engagements_before"] = g[~cur].groupby(keys).size().reindex(now.index).fillna(0).astype("int64")
        return self.top(now.reset_index(), ["region", "engagements"], [True, False])

    def counterpart_types(self, f):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f)]
        out = (e.assign(counterpart_type=self.label("counterpart_type", e["counterpart_type"], "Unknown type"))
               .groupby("counterpart_type").agg(engagements=("granted", "size"), share_granted=("granted", "mean"))
               .reset_index())
        return self.top(out, "share_granted", True)

    def stance_changes(self, f, recent_days: int = 90, min_engagements: int = 6,  # type: ignore[no-untyped-def]
                       limit: int = 20):
        import pandas as pd

        split = pd.Timestamp(f.end - dt.timedelta(days=recent_days - 1))
        before_start = split - pd.Timedelta(days=365)
        d = self.E["engagement_date"]
        m = self.mask(self.E, f, dates=False) & ((d >= before_start) & (d <= pd.Timestamp(f.end))).to_numpy()
        e = self.E.loc[m, ["counterpart_id", "denied", "engagement_date"]]
        s = (e.assign(recent=e["engagement_date"] >= split).groupby(["counterpart_id", "recent"])["denied"]
             .agg(["size", "mean"]).unstack("recent"))
        s = s.reindex(columns=[(a, b) for a in ("size", "mean") for b in (True, False)])
        g = s.set_axis(["recent", "before", "denied_recent", "denied_before"], axis=1)
        g[["recent", "before"]] = g[["recent", "before"]].fillna(0)
        g = g[(g["recent"] >= min_engagements) & (g["before"] >= min_engagements)]
        c = self.cp.loc[g.index]
        out = g.assign(name=c["name"], iso3=c["iso3"],
                       counterpart_type=self.label("counterpart_type", c["counterpart_type"], "Unknown type"),
                       change=g["denied_recent"] - g["denied_before"])
        out = out.rename_axis("counterpart_id").reset_index()
        out = self.top(out.assign(_abs=out["change"].abs()), ["_abs", "name"], [False, True], limit)
        return out[["counterpart_id", "name", "iso3", "counterpart_type", "recent", "before", "denied_recent",
                    "denied_before", "change"]]

    def checkpoint_control(self, f, limit: int = 200):  # type: ignore[no-untyped-def]
        e = self.E[self.mask(self.E, f) & self.E["checkpoint_id"].notna().to_numpy()]
        g = e.groupby("checkpoint_id").agg(engagements=("denied", "size"), share_denied=("denied", "mean"))
        k = self.ck.loc[g.index]
        ctl = k["controlling_counterpart_id"]
        out = g.assign(checkpoint=k["name"], kind=self.label("checkpoint_kind", k["kind"], "Unknown"),
                       iso3=k["iso3"], area=k["admin1_pcode"].map(self.area_name), controlled_by_id=ctl,
                       controlled_by=ctl.map(self.cp["name"]),
                       controller_type=self.label("counterpart_type", ctl.map(self.cp["counterpart_type"]),
                                                 "Unknown type"))
        out = out.rename_axis("checkpoint_id").reset_index()
        out = self.top(out, ["engagements", "checkpoint"], [False, True], limit)
        return out[["checkpoint_id", "checkpoint", "kind", "iso3", "area", "controlled_by_id", "controlled_by",
                    "controller_type", "engagements", "share_denied"]]

    # ------------------------------------------------------------------ incidents (public record)

    def incident_rows(self, f):  # type: ignore[no-untyped-def]
        """Incidents in the period, region, country and area filters; each incident once (not duplicates)."""
        import pandas as pd

        i = self.I
        d = i["incident_date"]
        m = (i["duplicate_of"].isna() & (d >= pd.Timestamp(f.start)) & (d <= pd.Timestamp(f.end))).to_numpy().copy()
        for column, values in (("region", f.regions), ("iso3", f.countries), ("admin1_pcode", f.areas)):
            if values:
                m &= i[column].isin(values).to_numpy()
        return i[m]

    @staticmethod
    def casualties(g):  # type: ignore[no-untyped-def]
        """Per-group sums of the casualty columns, a group without any figure counted as 0."""
        return g[["killed", "injured", "kidnapped", "detained"]].sum(min_count=0)

    def incidents_monthly(self, f):  # type: ignore[no-untyped-def]
        i = self.incident_rows(f)
        i = i[(i["date_precision"] != "year").to_numpy()]
        month = i["incident_date"].values.astype("datetime64[M]").astype(i["incident_date"].dtype)
        g = i.assign(month=month).groupby("month")
        out = self.casualties(g).assign(incidents=g.size()).reset_index()
        return out[["month", "incidents", "killed", "injured", "kidnapped", "detained"]]

    def incidents_by_perpetrator(self, f):  # type: ignore[no-untyped-def]
        i = self.incident_rows(f)
        g = i.groupby("perpetrator_label")
        s = self.casualties(g)
        out = pd_frame({"incidents": g.size(), "killed": s["killed"],
                        "kidnapped_or_detained": s["kidnapped"] + s["detained"],
                        "sources": g["source"].agg(lambda x: ", ".join(sorted(set(x))))})
        out = out.rename_axis("perpetrator_type").reset_index()
        return self.top(out, "incidents", False)

    def incident_points(self, f, limit: int = 3000):  # type: ignore[no-untyped-def]
        i = self.incident_rows(f)
        i = i[(i["latitude"].notna() & i["longitude"].notna()).to_numpy()]
        i = i.sort_values(["incident_date", "incident_id"], ascending=[False, True]).head(limit)
        return i.assign(perpetrator_type=i["perpetrator_label"])[
            ["incident_id", "incident_date", "date_precision", "latitude", "longitude", "iso3", "place",
             "perpetrator_type", "perpetrator_name", "means_of_attack", "killed", "injured", "kidnapped",
             "detained", "source"]].reset_index(drop=True)
