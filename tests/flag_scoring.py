"""Score the market flags against the anomalies the synthetic generator planted (synthetic_truth.csv).

Only tests and benchmarks/flags.py use this; the flags code never sees the truth table. For each flag type:
  positives  the subjects planted (or, for a rule, the subjects the rule must catch);
  clean      the population that type judges, less the positives and less any subject that is legitimately
             affected by a neighbouring plant (a company inside a planted high-margin group, say);
  recall     positives flagged / positives;  false-positive rate  clean flagged / clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from data.region import Region
from data.vocabulary import PLACEMENT_GROUP_OF_SETTING_TYPE

# flag -> truth kind (planted) or "rule" (positives derived from the data by the rule itself)
TRUTH_KIND = {
    "unregistered_placement": "child_in_unregistered_setting",
    "under_16_supported": "under_16_in_supported",
    "secure_need_unmet": "secure_need_outside_registered_home",
    "unregistered_setting": "unregistered_setting",
    "dol_unregistered": "dol_in_unregistered_setting",
    "dol_forbidden_setting": "dol_in_forbidden_setting",
    "dol_review_due": "dol_review_overdue",
    "profit_outlier": "outlier_margin",
    "group_profit_outlier": "outlier_group_margin",
    "fee_outlier": "fee_outlier_placement",
    "market_concentration": "concentrated_market",
    "high_cost_placement": "rule",
    "difficult_to_replace_exposure": "rule",
    "financial_fragility": "fragile_group",
    "difficult_to_replace_derived": "hard_to_replace_group",
    "top_market_risk": "top_market_risk_group",
}
# flags that need the regional match (the re-housing test) to find what was planted: with [stress] run false only
# the input's designations are made, so these are scored only on a run with the match
NEEDS_MATCH = {"difficult_to_replace_derived", "top_market_risk"}


@dataclass(frozen=True)
class Score:
    flag: str
    positives: int
    found: int
    clean: int
    false_flags: int

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else float("nan")

    @property
    def false_positive_rate(self) -> float:
        return self.false_flags / self.clean if self.clean else float("nan")


def read_truth(folder) -> pd.DataFrame:
    return pd.read_csv(f"{folder}/synthetic_truth.csv", dtype=str, keep_default_na=False)


def score(region: Region, truth: pd.DataFrame, flags: pd.DataFrame, markets: pd.DataFrame,
          high_cost: float = 10_000.0, run_date: date = date(2026, 11, 22),
          review_warning_days: int = 28, thin_margin: float = 0.05) -> dict[str, Score]:
    """Recall and false flags per flag type (see the module docstring for the definitions). An order's review
    falling due within `review_warning_days` of `run_date` is rightly flagged, though not planted: exempt.

    The market-oversight flags judge owners (parent groups, and independent companies without one). Exempt:
    owners whose accounts added up show a loss or a margin under `thin_margin` (the fragility rule's first sign:
    flagged by the rule, not planted) for financial fragility; owners a provider of which the input designates
    difficult to replace (designated whatever the data say) for the derived designation and the top risk. A market
    whose largest independent owner is the planted hard-to-replace group is concentrated by that plant: exempt."""
    planted = {kind: set(rows["subject_id"]) for kind, rows in truth.groupby("kind")}
    flagged = {flag: set(rows["subject_id"]) for flag, rows in flags.groupby("flag")}
    children = region.children
    placed = children[children["current_setting_id"].fillna("").ne("")]
    settings = region.settings.set_index("setting_id")
    status = placed["current_setting_id"].map(settings["registration_status"])
    cost = placed["weekly_cost"].fillna(placed["current_setting_id"].map(settings["weekly_fee"]))
    providers = region.providers
    accounts = providers[providers["sector"].ne("local_authority") & (providers["revenue"] > 0)]
    group_of = providers.set_index("provider_id")["parent_group"].fillna("")
    planted_groups = planted.get("outlier_group_margin", set())
    in_planted_group = set(group_of[group_of.isin(planted_groups)].index)
    groups_with_outlier = set(group_of.reindex(list(planted.get("outlier_margin", set()))).dropna()) - {""}
    in_region = settings["la_code"].isin(region.authorities["la_code"])
    on_order = children[children["dol_order"].astype(bool)]
    review_soon = set(on_order.loc[on_order["dol_review_date"].le(
        pd.Timestamp(run_date) + pd.Timedelta(days=review_warning_days)).fillna(False), "child_id"])
    dtr = providers[providers["difficult_to_replace"].astype(bool)]["provider_id"]
    used = set(placed["current_setting_id"].map(settings["provider_id"]).dropna()) | set(
        settings.loc[in_region & settings["registration_status"].eq("active"), "provider_id"])
    independent = providers[providers["sector"].ne("local_authority")]
    owner_of = independent["parent_group"].fillna("").where(lambda g: g.ne(""), independent["provider_id"])
    owner_of.index = independent["provider_id"]
    every_owner = set(owner_of)
    books = accounts.assign(owner=accounts["provider_id"].map(owner_of)).groupby("owner")[
        ["revenue", "operating_profit"]].sum()
    strained = set(books.index[books["operating_profit"] < thin_margin * books["revenue"]])
    designated = set(owner_of[owner_of.index.isin(dtr)])
    risk_groups = planted.get("hard_to_replace_group", set())
    places = settings[in_region & settings["registration_status"].eq("active")
                      & settings["provider_id"].isin(owner_of.index)]
    places = places.assign(owner=places["provider_id"].map(owner_of),
                           market=places["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE))
    by_area = pd.concat([places.assign(area="region"), places.assign(area=places["la_code"])])
    held = by_area.groupby(["area", "market", "owner"])["places"].sum().reset_index()
    top = held.sort_values("places", ascending=False, kind="stable").drop_duplicates(["area", "market"])
    concentrated_by_plant = set(top.loc[top["owner"].isin(risk_groups), "area"] + ":"
                                + top.loc[top["owner"].isin(risk_groups), "market"])
    population = {
        "unregistered_placement": (set(placed["child_id"]), set()),
        "under_16_supported": (set(placed["child_id"]), set()),
        "secure_need_unmet": (set(placed["child_id"]), set()),
        "unregistered_setting": (set(settings.index), set()),
        "dol_unregistered": (set(placed["child_id"]), set()),
        "dol_forbidden_setting": (set(children["child_id"]), set()),
        "dol_review_due": (set(on_order["child_id"]), review_soon),
        "profit_outlier": (set(accounts["provider_id"]), in_planted_group),
        "group_profit_outlier": (set(group_of[group_of.ne("")]), groups_with_outlier),
        "fee_outlier": (set(placed.loc[status.eq("active") & cost.notna(), "child_id"]), set()),
        "market_concentration": (set(markets.loc[markets["assessed"], "area"] + ":"
                                     + markets.loc[markets["assessed"], "market"]), concentrated_by_plant),
        "high_cost_placement": (set(placed["child_id"]), set()),
        "difficult_to_replace_exposure": (set(providers["provider_id"]), set()),
        "financial_fragility": (every_owner, strained),
        "difficult_to_replace_derived": (every_owner, designated),
        "top_market_risk": (every_owner, designated),
    }
    rules = {"high_cost_placement": set(placed.loc[cost > high_cost, "child_id"]),
             "difficult_to_replace_exposure": set(dtr) & used}
    out = {}
    for flag, kind in TRUTH_KIND.items():
        positives = rules[flag] if kind == "rule" else planted.get(kind, set())
        judged, exempt = population[flag]
        clean = judged - positives - exempt
        mine = flagged.get(flag, set())
        out[flag] = Score(flag, len(positives), len(positives & mine), len(clean), len(clean & mine))
    return out


def table(scores: dict[str, Score]) -> pd.DataFrame:
    return pd.DataFrame([{"flag": s.flag, "positives": s.positives, "found": s.found, "recall": s.recall,
                          "clean": s.clean, "false_flags": s.false_flags, "false_positive_rate": s.false_positive_rate}
                         for s in scores.values()])
