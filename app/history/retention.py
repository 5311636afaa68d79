"""Retention: children's rows are kept only as long as the councils' retention period says (UK GDPR's storage
limitation). `purge` removes the child-level rows and published files of every run older than the limit and keeps
every aggregate the dashboard and `rcc runs diff` read (the run's summary, the forecast, the stocks, the gap, the
market's flags, the plan); the run record says what went and when.

A run's age is counted from the month it is for (the end of that month), not from when it was stored: the month's
children are the ones described, and a month re-run later is no younger for it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pandas as pd

AGE = re.compile(r"^\s*(\d+)\s*([md])\s*$")


def parse_age(text: str) -> pd.DateOffset:
    """'24m' (months) or '90d' (days); ValueError naming the form otherwise."""
    found = AGE.match(str(text).lower())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"retention {text!r}: write a number of months or days, e.g. 24m, 12m or 90d")
    count, unit = int(found.group(1)), found.group(2)
    return pd.DateOffset(months=count) if unit == "m" else pd.DateOffset(days=count)


def is_older(month: str, older_than: str, as_of: date) -> bool:
    """Whether a run of `month` (YYYY-MM) ended more than `older_than` before `as_of`."""
    month_end = pd.Period(month, freq="M").end_time.normalize()
    return month_end + parse_age(older_than) < pd.Timestamp(as_of)


def purge(store, older_than: str, as_of: date | None = None, keep: tuple[str, ...] = ()) -> list[dict]:
    """Purge the child-level rows of every run older than `older_than` on `as_of` (default today) that still has
    them, except the runs in `keep`. One transaction per run; returns, per run purged, its id, month and what was
    removed."""
    parse_age(older_than)  # a bad limit is refused before anything is touched
    as_of = as_of or date.today()
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    done = []
    for run in store.runs().itertuples():
        if run.run_id in keep or not is_older(run.month, older_than, as_of) or _already(run.purged):
            continue
        done.append({"run_id": run.run_id, "month": run.month,
                     **store.purge_children(run.run_id, when, older_than)})
    return done


def _already(purged) -> bool:
    return isinstance(purged, str) and bool(purged)
