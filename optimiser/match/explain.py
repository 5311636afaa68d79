"""Why children were not matched, in numbers a commissioner can act on, and the region's sufficiency gap.

For each unmatched child, each rule is counted over the region's available settings: how many fail it, and how
many fail *only* it (relaxing that rule alone would open them: the binding rules), with the nearest such
setting. The gap table counts unmatched children by council x kind of home (data.vocabulary.HOME_KINDS) x need:
what is missing where.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from data.region import Region
from data.vocabulary import HOME_KIND_OF_SETTING_TYPE, HOME_KIND_OF_SUITABILITY_COLUMN
from optimiser.match.candidates import RULE_TEXT, RULES, rule_table
from optimiser.match.params import MatchParams

RULE_CODES = [code for code, _, _ in RULES if code != "available"]
EXPLANATION_COLUMNS = ["referral_id", "rule", "requirement", "settings_failing", "binding_settings",
                       "nearest_binding_km", "explanation"]
GAP_COLUMNS = ["la_code", "group", "need", "unmatched"]
NO_NEED = "none recorded"
NO_KIND = "unspecified"  # a referral that marks no kind of home suitable


def explanations(region: Region, allocations: pd.DataFrame, params: MatchParams,
                 run_date: date | None = None) -> pd.DataFrame:
    """One row per unmatched referral and rule that rules out at least one setting."""
    unmatched = allocations.loc[allocations["status"] == "unmatched", "referral_id"].tolist()
    if not unmatched:
        return pd.DataFrame(columns=EXPLANATION_COLUMNS)
    table = rule_table(region, params, unmatched, run_date)
    verdicts = table[RULE_CODES].to_numpy()
    fails_only = (~verdicts) & (verdicts.sum(axis=1, keepdims=True) == len(RULE_CODES) - 1)
    rows = []
    for code_index, code in enumerate(RULE_CODES):
        frame = pd.DataFrame({"referral_id": table["referral_id"], "failing": ~verdicts[:, code_index],
                              "binding": fails_only[:, code_index], "distance_km": table["distance_km"]})
        per_referral = frame.groupby("referral_id").agg(
            settings_failing=("failing", "sum"), binding_settings=("binding", "sum"))
        nearest = frame[frame["binding"]].groupby("referral_id")["distance_km"].min()
        per_referral["nearest_binding_km"] = nearest.reindex(per_referral.index).round(1)
        per_referral["rule"] = code
        rows.append(per_referral[per_referral["settings_failing"] > 0].reset_index())
    out = pd.concat(rows, ignore_index=True)
    out["requirement"] = out["rule"].map(RULE_TEXT)
    out["explanation"] = out.apply(_sentence, axis=1)
    order = {code: i for i, code in enumerate(RULE_CODES)}
    out = out.sort_values(["referral_id", "binding_settings", "rule"], ascending=[True, False, True],
                          key=lambda c: c.map(order) if c.name == "rule" else c)
    return out[EXPLANATION_COLUMNS].reset_index(drop=True)


def _sentence(row: pd.Series) -> str:
    text = f"{row['settings_failing']} available setting(s) fail the rule that the setting {row['requirement']}"
    if row["binding_settings"]:
        text += (f"; for {row['binding_settings']} of them it is the only obstacle (nearest "
                 f"{row['nearest_binding_km']:.1f} km from home)")
    return text


def needed_group(referrals: pd.DataFrame) -> pd.Series:
    """The kind of home (HOME_KINDS) a referral is looking for: secure on a secure order, a home able to meet a
    deprivation-of-liberty order on one, else its preferred kind, else one it marks suitable; "unspecified" when it
    marks none."""
    preference = pd.Series(NO_KIND, index=referrals.index)
    for level in ("suitable", "preferred"):  # preferred overrides suitable
        for column, kind in HOME_KIND_OF_SUITABILITY_COLUMN.items():
            preference = preference.mask(referrals[column].eq(level), kind)
    secure = HOME_KIND_OF_SETTING_TYPE["secure_childrens_home"]
    preference = preference.mask(referrals["dol_order"].astype(bool), "dol")
    return preference.mask(referrals["secure_order"].astype(bool), secure)


def exploded_needs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per child and need, in a `need` column: a child with two needs counts under each, a child with
    none under "none recorded"."""
    return frame.assign(need=frame["needs"].map(lambda needs: list(needs) or [NO_NEED])).explode("need")


def sufficiency_gap(region: Region, allocations: pd.DataFrame) -> pd.DataFrame:
    """Unmatched children by council x kind of home x need (a child with two needs counts under each)."""
    referrals = region.referrals.set_index("referral_id")
    unmatched = referrals.loc[allocations.loc[allocations["status"] == "unmatched", "referral_id"]]
    if unmatched.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    frame = exploded_needs(pd.DataFrame({"la_code": unmatched["la_code"], "group": needed_group(unmatched),
                                         "needs": unmatched["needs"]}))
    gap = frame.groupby(["la_code", "group", "need"]).size().rename("unmatched").reset_index()
    return gap.sort_values(["unmatched", "la_code"], ascending=[False, True])[GAP_COLUMNS].reset_index(drop=True)
