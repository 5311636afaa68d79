"""Children on deprivation-of-liberty (DoL) orders, the homes able to meet them, and the month's DoL applications.

Calibrated to the DfE's count of children deprived of liberty through the High Court (about 100 in 2017/18, over
1,300 in 2022/23) in the region's share of children looked after: a twelfth of the latest year's count applies
this month, and DOL_MEAN_ORDER_MONTHS twelfths are on an order at the snapshot (facts.py). Of the month's
applications, 52.8% are for children in unregistered provision (Nuffield FJO's sample): that many of the
region's children found in unregistered settings are on orders (Ofsted's "12% of children in unregistered
provision" is the check on it). The other children on orders live in registered children's homes, mostly alone,
and those homes are marked dol_capable (dol_shared_ok where others live there too, as a home lawfully holding a
child on an order with others must be able to); a few more homes are marked able to meet orders, so the month's
applications have somewhere to go. Planted for the flags: children on orders in a secure home or supported
accommodation (forbidden), and orders whose review date has passed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic import facts, truth
from data.synthetic.days import SNAPSHOT, iso
from data.synthetic.sampling import pick, top_k
from data.vocabulary import DOL_STAFFING_RATIO, RATIOS

LATEST = max(facts.ENGLAND_DOL_CHILDREN)
RATIO_RANK = {r: i for i, r in enumerate(RATIOS)}
REVIEW_AFTER_SNAPSHOT_DAYS = (30, 30 + 91)  # the next review: 1-4 months after the snapshot (DOL_REVIEW_MONTHS)


def region_share(hosts: pd.DataFrame) -> float:
    """The region's share of England's children looked after."""
    return float(hosts.loc[hosts["role"].eq("member"), "cla"].sum()) / facts.ENGLAND_CLA


def monthly_applications(hosts: pd.DataFrame) -> int:
    return round(facts.ENGLAND_DOL_CHILDREN[LATEST] / 12 * region_share(hosts))


def children_on_orders(hosts: pd.DataFrame) -> int:
    return round(facts.ENGLAND_DOL_CHILDREN[LATEST] * facts.DOL_MEAN_ORDER_MONTHS / 12 * region_share(hosts))


def conditions(rng: np.random.Generator, n: int, most_staffing: np.ndarray | None = None) -> list[list[str]]:
    """Each order's conditions: staffing (never above `most_staffing`, a rank of RATIOS, where given) and others."""
    staffing = pick(rng, list(facts.DOL_STAFFING_SHARES), list(facts.DOL_STAFFING_SHARES.values()), n)
    if most_staffing is not None:
        rank = np.array([RATIO_RANK[DOL_STAFFING_RATIO[s]] if s else 0 for s in staffing])
        capped = np.array([next((c for c, r in DOL_STAFFING_RATIO.items() if RATIO_RANK[r] == m), "")
                           for m in most_staffing], dtype=object)
        staffing = np.where(rank > most_staffing, capped, staffing)
    others = np.column_stack([rng.random(n) < rate for rate in facts.DOL_CONDITION_RATES.values()]) if n else \
        np.zeros((0, len(facts.DOL_CONDITION_RATES)), dtype=bool)
    names = list(facts.DOL_CONDITION_RATES)
    return [sorted(([s] if s else []) + [names[j] for j in np.flatnonzero(row)]) for s, row in zip(staffing, others)]


def orders(rng: np.random.Generator, kids: pd.DataFrame, settings: pd.DataFrame, hosts: pd.DataFrame) -> list[dict]:
    """Put children on orders and mark the homes able to meet them (kids' and settings' DoL columns, in place);
    return the truth rows of what was planted."""
    members = int(hosts["role"].eq("member").sum())
    by_id = settings.set_index("setting_id")
    home = kids["current_setting_id"].fillna("")
    stype = home.map(by_id["setting_type"]).fillna("")
    status = home.map(by_id["registration_status"]).fillna("")
    occupied = home.map(by_id["occupied"]).fillna(0).to_numpy()
    old_enough = kids["age"].to_numpy() >= facts.DOL_MIN_AGE
    free = old_enough & ~kids["unregistered"].to_numpy() & ~kids["under_16_supported"].to_numpy()
    total = children_on_orders(hosts)

    # in unregistered children's homes (one in unregistered supported accommodation would be two findings at once)
    unregistered = top_k(rng, (kids["unregistered"].to_numpy() & old_enough & stype.eq("childrens_home").to_numpy())
                         .astype(float),
                         round(facts.DOL_APPLICATIONS_UNREGISTERED_SHARE * monthly_applications(hosts)))
    planted = facts.PLANTED_DOL_FORBIDDEN * max(1, members // 40)
    secure = top_k(rng, (free & stype.eq("secure_childrens_home").to_numpy()).astype(float), (planted + 1) // 2)
    supported = top_k(rng, (free & stype.eq("supported_accommodation").to_numpy()
                            & (kids["age"].to_numpy() >= 16)).astype(float), planted - secure.size)
    in_home = free & stype.eq("childrens_home").to_numpy() & status.eq("active").to_numpy()
    # mostly children living alone: a child on an order shares a home only where it can keep the others free
    registered = top_k(rng, np.where(in_home, np.where(occupied <= 1, 20.0, 1.0), 0.0),
                       total - unregistered.size - secure.size - supported.size)
    chosen = np.concatenate([unregistered, secure, supported, registered]).astype(int)

    kids["dol_order"] = False
    kids.loc[kids.index[chosen], "dol_order"] = True
    ratio = home.map(by_id["max_ratio"]).map(RATIO_RANK).fillna(len(RATIOS) - 1).to_numpy(dtype=int)
    drawn = conditions(rng, chosen.size, np.where(np.isin(chosen, registered), ratio[chosen], len(RATIOS) - 1))
    text = np.full(len(kids), "", dtype=object)
    text[chosen] = [";".join(c) for c in drawn]
    kids["dol_conditions"] = text
    start = np.full(len(kids), -1, dtype=np.int64)
    placed = kids["placement_start"].to_numpy(dtype=np.int64)[chosen]
    start[chosen] = np.maximum(placed, SNAPSHOT - rng.integers(7, 330, chosen.size))
    review = np.full(len(kids), -1, dtype=np.int64)
    review[chosen] = SNAPSHOT + rng.integers(*REVIEW_AFTER_SNAPSHOT_DAYS, chosen.size)
    late = facts.PLANTED_DOL_REVIEWS_OVERDUE * max(1, members // 40)
    overdue = registered[top_k(rng, np.ones(registered.size), late)]
    review[overdue] = SNAPSHOT - rng.integers(1, 31, overdue.size)
    kids["dol_order_start"], kids["dol_review_date"] = iso(start), iso(review)

    _mark_homes(rng, settings, kids.iloc[registered], hosts)
    ids = kids["child_id"].to_numpy()
    forbidden = np.concatenate([secure, supported]).astype(int)
    return (truth.rows("dol_in_unregistered_setting", "child", ids[unregistered],
                       kids["current_setting_id"].to_numpy()[unregistered])
            + truth.rows("dol_in_forbidden_setting", "child", ids[forbidden],
                         [f"on a DoL order in {s}" for s in kids["current_setting_id"].to_numpy()[forbidden]])
            + truth.rows("dol_review_overdue", "child", ids[overdue], iso(review[overdue])))


def _mark_homes(rng: np.random.Generator, settings: pd.DataFrame, on_order: pd.DataFrame,
                hosts: pd.DataFrame) -> None:
    """dol_capable on the homes of children on orders (dol_shared_ok where others live there too), and on a share
    of the region's other active homes; a few list the conditions they meet, covering their residents' orders."""
    lives = settings["setting_id"].isin(on_order["current_setting_id"]).to_numpy()
    homes = settings["setting_type"].eq("childrens_home").to_numpy() & settings["registration_status"].eq(
        "active").to_numpy()
    in_region = settings["la_code"].isin(hosts.loc[hosts["role"].eq("member"), "la_code"]).to_numpy()
    others = homes & in_region & ~lives
    empty = (settings["vacancies"] == settings["places"]).to_numpy()
    extra = np.zeros(len(settings), dtype=bool)
    extra[top_k(rng, np.where(others, np.where(empty, 3.0, 1.0), 0.0),
                round(facts.DOL_EXTRA_CAPABLE_HOMES * others.sum()))] = True
    settings["dol_capable"] = lives | extra
    shares = extra & (rng.random(len(settings)) < facts.DOL_SHARED_OK_SHARE)
    settings["dol_shared_ok"] = (lives & (settings["occupied"].to_numpy() > 1)) | shares
    listed = settings["dol_capable"].to_numpy() & (rng.random(len(settings)) < facts.DOL_CONDITIONS_LISTED_SHARE)
    needed = on_order.groupby("current_setting_id")["dol_conditions"].agg(
        lambda c: {x for text in c for x in text.split(";") if x and x not in DOL_STAFFING_RATIO})
    text = np.full(len(settings), "", dtype=object)
    names = list(facts.DOL_CONDITION_RATES)
    for i in np.flatnonzero(listed):
        met = set(needed.get(settings["setting_id"].iat[i], set())) | {n for n in names if rng.random() < 0.6}
        text[i] = ";".join(sorted(met)) if met else names[0]
    settings["dol_conditions_met"] = text


def referral_orders(rng: np.random.Generator, searches: pd.DataFrame, kids: pd.DataFrame,
                    hosts: pd.DataFrame) -> None:
    """The month's DoL applications on the referrals (their DoL columns, in place): every child already on an order
    keeps it in the search, and enough other teenagers needing a home are applied for to make up the month's."""
    order = kids.set_index("child_id")[["dol_order", "dol_conditions", "dol_review_date"]]
    carried = searches["child_id"].map(order["dol_order"]).eq(True).to_numpy()
    candidates = (searches["tier"].eq("residential").to_numpy() & searches["sibling_group"].eq("").to_numpy()
                  & (searches["age"].to_numpy() >= 12) & ~carried)
    new = top_k(rng, candidates.astype(float), max(0, monthly_applications(hosts) - int(carried.sum())))
    applied = np.zeros(len(searches), dtype=bool)
    applied[new] = True
    on_order = carried | applied
    text = np.where(carried, searches["child_id"].map(order["dol_conditions"]).fillna("").to_numpy(dtype=object), "")
    text[new] = [";".join(c) for c in conditions(rng, new.size)]
    searches["dol_order"] = on_order
    searches["dol_conditions"] = text
    searches["dol_review_date"] = np.where(carried, searches["child_id"].map(order["dol_review_date"]).fillna("")
                                           .to_numpy(dtype=object), "")
    # the route of a child on an order is a registered children's home: never secure, foster or supported
    searches.loc[on_order, "secure_order"] = False
    searches.loc[on_order, "residential_suitability"] = "preferred"
    searches.loc[on_order, ["foster_suitability", "supported_suitability"]] = "unsuitable"
    staffing = [max([RATIO_RANK[DOL_STAFFING_RATIO[c]] for c in t.split(";") if c in DOL_STAFFING_RATIO],
                    default=0) for t in text]
    ratio = np.maximum(searches["ratio"].map(RATIO_RANK).to_numpy(), staffing)
    searches["ratio"] = np.asarray(RATIOS, dtype=object)[ratio]
