"""The pandas baseline, part 3: Trends' additions of issue 13 (data freshness, what changed most and why, the
alerts' monthly counts), computed the usual Streamlit way on the DataFrames of part 1."""

from __future__ import annotations

import math

from bench.pages.pandas_pages import FilteredPages, pd_frame

LEVEL_COLUMNS = {"area": "admin1_pcode", "checkpoint": "checkpoint_id", "counterpart": "counterpart_id"}


class ChangePages(FilteredPages):
    """Freshness, :func:`dashboard.db.change_queries.changes` and the alerts' reads (:mod:`etl.analysis.sql`)."""

    # ------------------------------------------------------------------ freshness

    def country_name(self, iso3):  # type: ignore[no-untyped-def]
        return iso3.map(self.t["countries"].set_index("iso3")["name"]).fillna(iso3)

    def stale_countries(self, f):  # type: ignore[no-untyped-def]
        import pandas as pd

        e = self.E
        for column, values in (("region", f.regions), ("iso3", f.countries)):  # place filters only
            if values:
                e = e[e[column].isin(values)]
        if f.areas:
            a = self.t["areas"]
            e = e[e["iso3"].isin(a.loc[a["pcode"].isin(f.areas), "iso3"])]
        g = e.groupby("iso3")["engagement_date"].max().rename("latest_engagement").reset_index()
        g = g[g["latest_engagement"] < pd.Timestamp(f.end)]
        g = g.assign(country=self.country_name(g["iso3"]))[["country", "iso3", "latest_engagement"]]
        return self.top(g, ["latest_engagement", "country"], [True, True])

    def _with_loads(self):  # type: ignore[no-untyped-def]
        loads = self.t["loads"].set_index("load_id")
        e = self.E[["iso3", "load_id", "engagement_date"]]
        return e.assign(country=self.country_name(e["iso3"]), file_name=e["load_id"].map(loads["file_name"]),
                        loaded_by=e["load_id"].map(loads["loaded_by"]),
                        finished=e["load_id"].map(loads["finished_at"].dt.date))

    def by_country(self, f):  # type: ignore[no-untyped-def]
        out = self._with_loads().groupby(["country", "iso3"], dropna=False).agg(
            latest_engagement=("engagement_date", "max"), latest_load=("finished", "max")).reset_index()
        return self.top(out, ["latest_engagement", "country"], [True, True])

    def by_office(self, f):  # type: ignore[no-untyped-def]
        e = self._with_loads().rename(columns={"file_name": "log_file"})
        out = e.groupby(["country", "log_file", "loaded_by"], dropna=False).agg(
            latest_engagement=("engagement_date", "max"), loaded_on=("finished", "max")).reset_index()
        return self.top(out, ["country", "latest_engagement", "log_file"], [True, False, True])

    # ------------------------------------------------------------------ the alerts' monthly counts

    def _history(self, months, regions=(), countries=(), areas=(), counterpart_id=None):  # type: ignore[no-untyped-def]
        import pandas as pd

        from etl.analysis.alerts import AlertRules, add_months

        rules = AlertRules()
        start = add_months(min(months), -(rules.history_months + 2 * rules.quiet_months + rules.cusum_window))
        end = add_months(max(months), 1)
        d = self.E["engagement_date"]
        m = ((d >= pd.Timestamp(start)) & (d < pd.Timestamp(end))).to_numpy()
        for column, values in (("region", regions), ("iso3", countries), ("admin1_pcode", areas)):
            if values:
                m = m & self.E[column].isin(values).to_numpy()
        if counterpart_id is not None:
            m = m & (self.E["counterpart_id"] == counterpart_id).to_numpy()
        return self.E[m]

    def _place_months(self, e):  # type: ignore[no-untyped-def]
        import pandas as pd

        names = {"area": self.t["areas"].set_index("pcode")["name"], "checkpoint": self.ck["name"],
                 "counterpart": self.cp["name"]}
        parts = []
        for level, column in LEVEL_COLUMNS.items():
            g = e.groupby([column, "month"]).agg(iso3=("iso3", "min"), engagements=("denied", "size"),
                                                 denied=("denied", "sum")).reset_index()
            g = g.rename(columns={column: "key"}).assign(level=level)
            parts.append(g.assign(name=g["key"].map(names[level]).fillna(g["key"])))
        out = pd.concat(parts, ignore_index=True)
        out = out.assign(country=self.country_name(out["iso3"]))
        return self.top(out, ["level", "key", "month"], [True, True, True])[
            ["level", "key", "name", "iso3", "country", "month", "engagements", "denied"]]

    def alert_place_months(self, f):  # type: ignore[no-untyped-def]
        from dashboard.db.alerts import month_of

        return self._place_months(self._history([month_of(f)], f.regions, f.countries, f.areas))

    def alert_country_months(self, f):  # type: ignore[no-untyped-def]
        from dashboard.db.alerts import month_of

        e = self._history([month_of(f)], f.regions, f.countries, f.areas)
        out = e.groupby(["iso3", "month"]).agg(engagements=("denied", "size"), loads=("load_id", "nunique"),
                                               organisations=("organisation", "nunique")).reset_index()
        out = out.assign(name=self.country_name(out["iso3"]))
        return self.top(out, ["iso3", "month"], [True, True])[
            ["iso3", "name", "month", "engagements", "loads", "organisations"]]

    def profile_alert_months(self, cp, last_seen):  # type: ignore[no-untyped-def]
        from dashboard.db.alerts import profile_months

        return self._place_months(self._history(profile_months(last_seen), counterpart_id=cp))

    # ------------------------------------------------------------------ what changed, and why

    def changes(self, f, min_engagements: int = 10, limit: int = 10, drivers: int = 5):  # type: ignore[no-untyped-def]
        import pandas as pd

        from dashboard.db.change_queries import RATE_STEP

        prev = f.previous()
        d = self.E["engagement_date"]
        in_period = lambda a, b: ((d >= pd.Timestamp(a)) & (d <= pd.Timestamp(b))).to_numpy()  # noqa: E731
        e = self.E[self.mask(self.E, f, dates=False) & (in_period(prev.start, prev.end) | in_period(f.start, f.end))]
        e = e.assign(cur=(e["engagement_date"] >= pd.Timestamp(f.start)).to_numpy())
        least = max(1, min_engagements)
        ranked = []
        for level, column in LEVEL_COLUMNS.items():
            g = e.groupby([column, "cur"])["denied"].agg(["size", "sum"]).unstack("cur", fill_value=0)
            g = g.reindex(columns=[(a, b) for a in ("size", "sum") for b in (True, False)], fill_value=0)
            g = g.set_axis(["engagements", "engagements_before", "denials", "denials_before"], axis=1)
            g = g[(g["engagements"] >= least) & (g["engagements_before"] >= least)].rename_axis("key").reset_index()
            g["share_denied"] = g["denials"] / g["engagements"]
            g["share_denied_before"] = g["denials_before"] / g["engagements_before"]
            g["change"] = g["share_denied"] - g["share_denied_before"]
            g["volume_change"] = g["engagements"] / g["engagements_before"] - 1
            g["rate_score"] = g["change"].abs() / RATE_STEP
            g["volume_score"] = (g["engagements"] / g["engagements_before"]).map(math.log).abs() / math.log(2)
            g["score"] = g[["rate_score", "volume_score"]].max(axis=1)
            ranked.append(self.top(g, ["score", "key"], [False, True], limit).assign(level=level))
        r = pd.concat(ranked, ignore_index=True)
        lists = [self._drivers(e, level, key, drivers) for level, key in zip(r["level"], r["key"], strict=True)]
        tables = {"area": self.t["areas"].set_index("pcode"), "checkpoint": self.ck, "counterpart": self.cp}
        r["name"] = [tables[lv]["name"].get(k, k) for lv, k in zip(r["level"], r["key"], strict=True)]
        iso3 = pd_frame({"iso3": [tables[lv]["iso3"].get(k) for lv, k in zip(r["level"], r["key"], strict=True)]})
        r["country"] = self.country_name(iso3["iso3"]).to_numpy()
        r["measure"] = ["rate" if a >= b else "volume" for a, b in zip(r["rate_score"], r["volume_score"], strict=True)]
        r["drivers"] = lists
        r = self.top(r, ["level", "score", "key"], [True, False, True])
        return r[["level", "key", "name", "country", "engagements", "engagements_before", "denials", "denials_before",
                  "share_denied", "share_denied_before", "change", "volume_change", "measure", "drivers"]]

    def _drivers(self, e, level: str, key: str, limit: int) -> list[dict]:
        """One ranked row's drivers: its parts, obstacle categories and conditions, the largest changes of each."""
        mine = e[(e[LEVEL_COLUMNS[level]] == key).to_numpy()]
        rows: list[tuple] = []
        kinds = [k for k in ("checkpoint", "counterpart") if k != level] + (["area"] if level == "counterpart" else [])
        for kind in kinds:
            col = LEVEL_COLUMNS[kind]
            for part, g in mine[mine[col].notna()].groupby(col):
                cur = g["cur"].to_numpy()
                rows.append((kind, part, int(cur.sum()), int((~cur).sum()), int(g["denied"][cur].sum()),
                             int(g["denied"][~cur].sum())))
        cur_of = dict(zip(mine["engagement_id"], mine["cur"], strict=True))
        o = self.OB[self.OB["engagement_id"].isin(cur_of)]
        for part, g in o.groupby("category"):
            cur = g["engagement_id"].map(cur_of).to_numpy(dtype=bool)
            rows.append(("obstacle", part, int(cur.sum()), int((~cur).sum()), None, None))
        c = self.CO[self.CO["engagement_id"].isin(cur_of)].drop_duplicates(["engagement_id", "condition"])
        for part, g in c.groupby("condition"):
            cur = g["engagement_id"].map(cur_of).to_numpy(dtype=bool)
            rows.append(("condition", part, int(cur.sum()), int((~cur).sum()), None, None))
        names = {"checkpoint": self.ck["name"], "counterpart": self.cp["name"],
                 "area": self.t["areas"].set_index("pcode")["name"],
                 "obstacle": self.t["categories"].set_index("category")["name"],
                 "condition": self.labels.get("condition", {})}
        top: list[tuple] = []
        for kind in ("checkpoint", "counterpart", "area", "obstacle", "condition"):
            mine_kind = [x for x in rows if x[0] == kind]
            weight = lambda x: max(abs((x[4] - x[5]) if x[4] is not None else 0), abs(x[2] - x[3]))  # noqa: E731
            top += sorted(mine_kind, key=lambda x: (-weight(x), x[1]))[:limit]
        out = []
        for kind, part, n, n_before, dn, dn_before in sorted(top, key=lambda x: (x[0], x[1])):
            name = names[kind].get(part)
            out.append({"kind": kind, "key": part, "name": part if name is None or name != name else name,
                        "engagements": n, "engagements_before": n_before, "denials": dn, "denials_before": dn_before})
        return out
