"""Children deprived of their liberty by a court order: where they live against what the law allows.

A child on a deprivation-of-liberty (DoL) order (children.dol_order, or a referral's dol_order for a child living
somewhere now) is flagged
- dol_unregistered: in a setting that is not registered with Ofsted (unregistered, cancelled, resigned, suspended,
  or a setting id nobody knows). The order does not exempt the home from registration: running it unregistered is
  an offence, and the placing council must tell Ofsted within `ofsted_notice_working_days` working days of the
  placement (or of the order, when it came later); the flag says by when and whether that day has passed;
- dol_forbidden_setting: in a setting the DfE's 2026/27 rules forbid for a child on a DoL order (a secure children's
  home, supported accommodation; or, by SSDA903 PLACE code, with parents or in a young offender institution:
  data/vocabulary.py DOL_FORBIDDEN_*);
- dol_review_due: the court's review date (dol_review_date) has passed (high), or falls within
  `review_warning_days` (medium).
Each council's counts, and the region's, are the monthly report's table (summary_table). Children in unregistered
settings are flagged by unlawful.py as well; the DoL flag adds the order and the Ofsted deadline.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import DOL_FORBIDDEN_PLACES, DOL_FORBIDDEN_SETTING_TYPES
from optimiser.flags.common import WEEKS_PER_YEAR, aged, council, council_names, empty_flags, money, plural
from optimiser.flags.params import LibertyParams
from optimiser.match.stepdown import UNLAWFUL_STATUSES

FLAGS = ("dol_unregistered", "dol_forbidden_setting", "dol_review_due")
SUMMARY_COLUMNS = ["level", "id", "name", "children_on_dol_orders", "in_unregistered_settings",
                   "ofsted_notice_overdue", "in_forbidden_settings", "reviews_overdue", "reviews_due_soon"]


def children_on_orders(region: Region, placed: pd.DataFrame) -> pd.DataFrame:
    """One row per child on a DoL order now: council, age, where they live (from `placed`, the placements table;
    blank for a child in no setting), since when, the order's start and review date and the PLACE code."""
    children = region.children.set_index("child_id")
    referrals = region.referrals
    by_referral = referrals[referrals["dol_order"].astype(bool)].drop_duplicates("child_id").set_index("child_id")
    ids = children.index[children["dol_order"].astype(bool)].union(by_referral.index.intersection(children.index))
    kids = children.loc[ids]
    review = kids["dol_review_date"].fillna(by_referral["dol_review_date"].reindex(ids))
    at = placed.drop_duplicates("child_id").set_index("child_id").reindex(ids)
    return pd.DataFrame({
        "child_id": ids, "la_code": kids["la_code"].to_numpy(), "age": kids["age"].to_numpy(),
        "setting_id": kids["current_setting_id"].fillna("").to_numpy(),
        "known": at["known"].eq(True).to_numpy(),
        "setting_type": at["setting_type"].to_numpy(), "registration_status": at["registration_status"].to_numpy(),
        "placement_start": kids["placement_start"].to_numpy(), "order_start": kids["dol_order_start"].to_numpy(),
        "review_date": review.to_numpy(), "place": kids["place"].fillna("").to_numpy(),
        "weekly_cost": at["weekly_cost"].astype(float).fillna(kids["weekly_cost"].astype(float)).to_numpy(),
    }).reset_index(drop=True)


def ofsted_deadline(placement_start: pd.Series, order_start: pd.Series, working_days: int) -> pd.Series:
    """The last day to tell Ofsted of an unregistered placement: `working_days` working days (Monday to Friday;
    bank holidays are not taken off, so the day is never later than the law's) after the placement began, or the
    order was made when that came later. NaT where neither date is known."""
    start = pd.concat([pd.to_datetime(placement_start), pd.to_datetime(order_start)], axis=1).max(axis=1)
    known = start.notna().to_numpy()
    out = np.full(len(start), np.datetime64("NaT"), dtype="datetime64[D]")
    if known.any():
        days = start[known].to_numpy().astype("datetime64[D]")
        # a weekend start counts from the Friday before: the first working day after it is the Monday
        out[known] = np.busday_offset(days, working_days, roll="backward")
    return pd.Series(pd.to_datetime(out), index=start.index)


def liberty_findings(region: Region, placed: pd.DataFrame, params: LibertyParams, run_date: date) -> pd.DataFrame:
    """One row per child on a DoL order and finding (flag column: one of FLAGS), with the figures behind it."""
    kids = children_on_orders(region, placed)
    if kids.empty:
        return kids.assign(flag=pd.Series(dtype=object), detail=pd.Series(dtype=object))
    today = pd.Timestamp(run_date)
    unregistered = kids["setting_id"].ne("") & (~kids["known"] | kids["registration_status"].isin(UNLAWFUL_STATUSES))
    deadline = ofsted_deadline(kids["placement_start"], kids["order_start"], params.ofsted_notice_working_days)
    kids = kids.assign(ofsted_deadline=deadline, notice_overdue=unregistered & deadline.lt(today))
    by_type = kids["setting_type"].map(DOL_FORBIDDEN_SETTING_TYPES)
    forbidden = by_type.where(by_type.notna(), kids["place"].map(DOL_FORBIDDEN_PLACES))
    review = pd.to_datetime(kids["review_date"])
    overdue = review.lt(today)
    soon = ~overdue & review.le(today + pd.Timedelta(days=params.review_warning_days))
    parts = [kids[unregistered].assign(flag="dol_unregistered", detail=""),
             kids[forbidden.notna()].assign(flag="dol_forbidden_setting", detail=forbidden[forbidden.notna()]),
             kids[overdue | soon].assign(flag="dol_review_due", detail=np.where(overdue[overdue | soon], "overdue",
                                                                                 "soon"))]
    return pd.concat(parts, ignore_index=True)


def liberty_flags(region: Region, found: pd.DataFrame, params: LibertyParams, run_date: date) -> pd.DataFrame:
    """The flags table rows for `liberty_findings`."""
    if found.empty:
        return empty_flags()
    today = pd.Timestamp(run_date)
    rows = []
    for row in found.itertuples(index=False):
        who = (f"Child {row.child_id} ({council(region, row.la_code)}, {aged(row.age)}) is on a "
               "deprivation-of-liberty order")
        where = row.setting_id or "no setting rcc knows"
        cost = (f" {council(region, row.la_code)} pays {money(row.weekly_cost)} a week for the placement "
                f"({money(row.weekly_cost * WEEKS_PER_YEAR)} a year)." if pd.notna(row.weekly_cost)
                else " No weekly cost is recorded for the placement.")
        if row.flag == "dol_unregistered":
            where_text = (f"{row.setting_id}, which is in no settings table rcc was given (possibly unregistered)"
                          if not row.known else f"{row.setting_id}, which is not registered with Ofsted"
                          if row.registration_status == "unregistered" else
                          f"{row.setting_id}, whose Ofsted registration is {row.registration_status}")
            evidence = (f"{who} and lives in {where_text}. The order does not make an unregistered home lawful: "
                        "running it is an offence under the Care Standards Act 2000.")
            if pd.isna(row.ofsted_deadline):
                evidence += (f" Ofsted must be told within {params.ofsted_notice_working_days} working days of the "
                             "placement; no placement or order date is recorded to count from.")
                action = "Tell Ofsted of the placement now, record its start date, and search for a registered home."
            else:
                due = pd.Timestamp(row.ofsted_deadline)
                late = (today - due).days
                evidence += (f" Ofsted had to be told by {due:%d %B %Y} ({params.ofsted_notice_working_days} "
                             "working days from the placement or the order)" + (f", {plural(late, 'day')} ago."
                                                                                if late > 0 else "."))
                action = ("Tell Ofsted of the placement now (the deadline has passed), " if late > 0 else
                          f"Tell Ofsted of the placement by {due:%d %B %Y}, ") + (
                          "ask the provider to apply for registration, and search for a registered home able to "
                          "meet the order (`rcc match` adds a step-down referral).")
            rows.append((row.flag, row.child_id, "high", evidence + cost, action))
        elif row.flag == "dol_forbidden_setting":
            evidence = (f"{who} and lives in {where}, {row.detail}: the DfE's rules for 2026/27 say a child on a "
                        "deprivation-of-liberty order is never placed in a secure children's home, with parents, in "
                        "a young offender institution or in supported accommodation." + cost)
            action = ("Find a registered children's home able to meet the order (dol_capable in settings.csv); if "
                      "the child needs a secure home, the route is a secure accommodation order (s.25) instead.")
            rows.append((row.flag, row.child_id, "high", evidence, action))
        else:
            review = pd.Timestamp(row.review_date)
            gap = (review - today).days
            when = (f"was due on {review:%d %B %Y}, {plural(-gap, 'day')} ago" if row.detail == "overdue"
                    else f"is due on {review:%d %B %Y}, in {plural(gap, 'day')}")
            evidence = f"{who}; the court's review of the order {when}." + cost
            action = ("Ask the court for the review now: a child may be deprived of liberty only while an order in "
                      "force authorises it." if row.detail == "overdue" else
                      "Prepare the review: the child's circumstances, the conditions still needed, and the home.")
            rows.append((row.flag, row.child_id, "high" if row.detail == "overdue" else "medium", evidence, action))
    flags, ids, severity, evidence, action = zip(*rows)
    return pd.DataFrame({"flag": flags, "subject_type": "child", "subject_id": ids, "severity": severity,
                         "evidence": evidence, "action": action})


def summary_table(region: Region, placed: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """Per council, and for the whole region: children on DoL orders, those in unregistered settings (and whose
    Ofsted notice is overdue), in forbidden settings, with the review overdue, and due within the warning days."""
    kids = children_on_orders(region, placed)

    def counts(frame: pd.DataFrame, flag: str, detail: str | None = None, column: str | None = None) -> pd.Series:
        rows = found[found["flag"].eq(flag)] if len(found) else found
        if detail is not None and len(rows):
            rows = rows[rows["detail"].eq(detail)]
        if column is not None and len(rows):
            rows = rows[rows[column].astype(bool)]
        return rows.drop_duplicates("child_id").groupby("la_code").size() if len(rows) else pd.Series(dtype=int)

    columns = {
        "children_on_dol_orders": kids.groupby("la_code").size() if len(kids) else pd.Series(dtype=int),
        "in_unregistered_settings": counts(found, "dol_unregistered"),
        "ofsted_notice_overdue": counts(found, "dol_unregistered", column="notice_overdue"),
        "in_forbidden_settings": counts(found, "dol_forbidden_setting"),
        "reviews_overdue": counts(found, "dol_review_due", "overdue"),
        "reviews_due_soon": counts(found, "dol_review_due", "soon"),
    }
    names = council_names(region)
    table = pd.DataFrame({k: v.reindex(names.index).fillna(0).astype(int) for k, v in columns.items()})
    table.insert(0, "name", names.astype(str))
    table = table.rename_axis("id").reset_index()
    table.insert(0, "level", "council")
    total = {"level": "region", "id": "region", "name": "whole region",
             **{k: int(v.sum()) for k, v in columns.items()}}
    return pd.concat([pd.DataFrame([total]), table], ignore_index=True)[SUMMARY_COLUMNS]


def region_counts(summary: pd.DataFrame) -> dict[str, int]:
    """The region's row of summary_table, as the run record's and the monthly summary's figures."""
    total = summary[summary["level"].eq("region")].iloc[0]
    return {k: int(total[k]) for k in SUMMARY_COLUMNS[3:]}
