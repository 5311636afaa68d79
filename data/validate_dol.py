"""Rules across cells for the two legal routes that restrict a child's liberty (data/vocabulary.py says what each
means): a child is on one route or the other, conditions belong to an order, and only a registered children's home
can be marked able to meet a deprivation-of-liberty order. Called from data/validate.py's cross_table_checks;
collects into Problems like every other check, never raising.
"""

from __future__ import annotations

import pandas as pd

from data.problems import Problems
from data.vocabulary import DOL_SETTING_TYPES, SETTING_TYPE_LABELS

HOME_WORDS = " or ".join(SETTING_TYPE_LABELS[t] for t in DOL_SETTING_TYPES)


def check_dol(tables: dict[str, pd.DataFrame], file, problems: Problems) -> None:
    """Every deprivation-of-liberty rule across cells; `file(name)` is the name a table's problems are reported
    under."""
    referrals, settings = tables["referrals"], tables["settings"]
    both = referrals["secure_order"].astype(bool) & referrals["dol_order"].astype(bool)
    problems.add_mask(file("referrals"), both, "dol_order", referrals["dol_order"],
                      "both secure_order and dol_order are marked: a child is on one route or the other (a secure "
                      "accommodation order places the child in a secure children's home only; a deprivation-of-"
                      "liberty order never does): mark the one the court made or is asked for")
    for name in ("referrals", "children"):
        frame = tables[name]
        stray = frame["dol_conditions"].map(bool) & ~frame["dol_order"].astype(bool)
        problems.add_mask(file(name), stray, "dol_conditions", frame["dol_conditions"].map(";".join),
                          "conditions are given but dol_order is not marked: they are ignored (is the child on a "
                          "deprivation-of-liberty order?)", severity="warning")
    other_type = ~settings["setting_type"].isin(DOL_SETTING_TYPES)
    for column in ("dol_capable", "dol_shared_ok"):
        marked = settings[column].astype(bool) & other_type
        problems.add_mask(file("settings"), marked, column, settings["setting_type"],
                          f"{column} is marked on a setting that is not a {HOME_WORDS}: only a registered "
                          f"{HOME_WORDS} can meet a deprivation-of-liberty order, so rcc ignores it here",
                          severity="warning")
    capable = settings["dol_capable"].astype(bool)
    for column, what in (("dol_shared_ok", "marked"), ("dol_conditions_met", "given")):
        given = settings[column].map(bool) & ~capable & ~other_type
        problems.add_mask(file("settings"), given, column, settings[column].astype(str),
                          f"{column} is {what} but dol_capable is not: rcc ignores it (mark dol_capable if the home "
                          "can meet deprivation-of-liberty orders)", severity="warning")
    children = tables["children"]
    backwards = (children["dol_review_date"] < children["dol_order_start"]).fillna(False)
    problems.add_mask(file("children"), backwards, "dol_review_date", children["dol_review_date"],
                      "the order's review date is before the order was made (dol_order_start)")
