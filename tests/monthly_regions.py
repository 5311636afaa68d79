"""Two small months of the embedded region for the monthly batch's tests: two of its councils, and the same two a
month later with known changes (who stopped searching, who is new, which flags appear and go)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data import EMBEDDED_REGION as EMBEDDED

COUNCILS = ("E08000001", "E08000002")  # Bolton and Bury
NEW_CHILD = "C9990001"


def read(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.stem: pd.read_csv(path, dtype=str, keep_default_na=False)
            for path in sorted(folder.glob("*.csv")) if path.stem != "synthetic_truth"}


def write(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    return folder


def two_councils() -> dict[str, pd.DataFrame]:
    """The embedded region cut to two councils: their children, referrals and SSDA903 history, the settings in
    their area or holding one of their children, and every provider."""
    t = read(EMBEDDED)
    ours = lambda frame, column: frame[frame[column].isin(COUNCILS)]  # noqa: E731
    children, referrals = ours(t["children"], "la_code"), ours(t["referrals"], "la_code")
    header = ours(t["header"], "LA")
    used = set(children["current_setting_id"]) | set(referrals["current_setting_id"])
    settings = t["settings"][t["settings"]["la_code"].isin(COUNCILS) | t["settings"]["setting_id"].isin(used)]
    return {"authorities": ours(t["authorities"], "la_code"), "providers": t["providers"], "settings": settings,
            "children": children, "referrals": referrals, "header": header,
            "episodes": t["episodes"][t["episodes"]["CHILD"].isin(set(header["CHILD"]))],
            "uasc": t["uasc"][t["uasc"]["CHILD"].isin(set(header["CHILD"]))]}


def next_month(tables: dict[str, pd.DataFrame], leaving_referral: str, profit_provider: str) -> dict[str, pd.DataFrame]:
    """A month later: `leaving_referral`'s child has been placed (the referral is gone), a new child entered care on
    30 November and is searching (a copy of the first referral under a new id), and `profit_provider` now reports a
    60% operating margin."""
    t = {name: frame.copy() for name, frame in tables.items()}
    referrals = t["referrals"][t["referrals"]["referral_id"] != leaving_referral]
    new = referrals.iloc[[0]].assign(referral_id="R999001", child_id=NEW_CHILD, sibling_group="",
                                     needed_by="2026-11-30")
    t["referrals"] = pd.concat([referrals, new], ignore_index=True)
    la = new["la_code"].iloc[0]
    t["header"] = pd.concat([t["header"], pd.DataFrame([{"CHILD": NEW_CHILD, "SEX": "1", "DOB": "2012-03-04",
                                                         "ETHNIC": "WBRI", "LA": la}])], ignore_index=True)
    episode = {column: "" for column in t["episodes"].columns} | {
        "CHILD": NEW_CHILD, "DECOM": "2026-11-30", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1",
        "PLACE_PROVIDER": "PR1", "LA": la}
    t["episodes"] = pd.concat([t["episodes"], pd.DataFrame([episode])], ignore_index=True)
    providers = t["providers"]
    row = providers["provider_id"] == profit_provider
    revenue = pd.to_numeric(providers.loc[row, "revenue"])
    providers.loc[row, "operating_profit"] = (0.6 * revenue).round(0).astype(int).astype(str)
    return t
