"""The match's cost game, for sharing money by the Shapley value (optimiser/strategy/sharing.py).

c(S), for a coalition S of councils: every council outside S searches alone first (today's practice among
themselves, first come first served: baseline.py), then S's children are matched together, optimally, to the
vacancies left. c(S) is S's children's part of the objective (pair costs and unmatched penalties, accounts.py).
c(all councils) is the regional optimum; c(no council) is 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from data.region import Region
from optimiser.match.baseline import la_by_la_baseline
from optimiser.match.candidates import Candidates
from optimiser.match.params import MatchParams
from optimiser.match.solvers import solve


def _keep_pairs(candidates: Candidates, keep: np.ndarray) -> Candidates:
    """The candidates with only the pairs `keep` marks, renumbered from 0 (the solvers index columns by position,
    and the age conflicts name pairs by it)."""
    position = np.full(len(candidates.pairs), -1)
    position[keep] = np.arange(int(keep.sum()))
    a, b = (candidates.conflicts[c].to_numpy(dtype=int) for c in ("pair_a", "pair_b"))
    both = keep[a] & keep[b]
    conflicts = candidates.conflicts[both].assign(pair_a=position[a[both]], pair_b=position[b[both]])
    return dataclasses.replace(candidates, pairs=candidates.pairs[keep].reset_index(drop=True),
                               conflicts=conflicts.reset_index(drop=True))


def _only(candidates: Candidates, referral_ids: set[str]) -> Candidates:
    """The candidates of some referrals only."""
    referrals = candidates.referrals[candidates.referrals["referral_id"].isin(referral_ids)]
    units = set(referrals["unit_id"])
    kept = _keep_pairs(candidates, candidates.pairs["unit_id"].isin(units).to_numpy())
    return dataclasses.replace(
        kept, referrals=referrals, units=candidates.units[candidates.units["unit_id"].isin(units)],
        member_pairs=candidates.member_pairs[candidates.member_pairs["referral_id"].isin(referral_ids)])


def _left_after(region: Region, candidates: Candidates, referral_ids: set[str]) -> pd.Series:
    """Vacancies per setting once these referrals have searched alone (a child who must live alone, or a
    single-child home, uses the whole setting, as in baseline.py's search)."""
    vacancies = region.settings.set_index("setting_id")["vacancies"].fillna(0).astype(int)
    if not referral_ids:
        return vacancies
    chosen = la_by_la_baseline(region, _only(candidates, referral_ids)).dropna(subset=["setting_id"])
    solo = set(candidates.referrals.loc[candidates.referrals["cared_alongside"].eq("solo"), "referral_id"])
    solo_only = region.settings.set_index("setting_id")["solo_only"].astype(bool)
    whole = chosen["referral_id"].isin(solo) | chosen["setting_id"].map(solo_only).to_numpy()
    left = vacancies.sub(chosen.groupby("setting_id").size(), fill_value=0)
    left[list(set(chosen.loc[whole, "setting_id"]))] = 0
    return left.clip(lower=0).astype(int)


def coalition_cost_game(region: Region, candidates: Candidates, params: MatchParams) -> Callable[[frozenset], float]:
    """c(S) for frozensets S of la_codes, on the match's own candidates (the regional match's)."""
    council = candidates.referrals.set_index("referral_id")["la_code"]
    # The regional model's own answer solves each coalition: the fast backend, whatever the run used.
    quick = dataclasses.replace(params, solver="fast", fairness="none")

    def cost(coalition: frozenset) -> float:
        inside = set(council.index[council.isin(coalition)])
        if not inside:
            return 0.0
        left = _left_after(region, candidates, set(council.index) - inside)
        sub = _only(candidates, inside)
        pairs = sub.pairs.copy()
        room = pairs["setting_id"].map(left).fillna(0).astype(int)
        # A pair that takes the whole setting (weight above its children) takes whatever is left of it. One whose
        # weight equals its size may also be a whole-setting pair of a setting with as many vacancies as children:
        # then the room left is either all of it (the same weight) or too little for its children (dropped).
        whole = pairs["weight"].ne(pairs["size"])
        pairs["capacity"] = room
        pairs["weight"] = np.where(whole, room, pairs["size"])
        sub = _keep_pairs(dataclasses.replace(sub, pairs=pairs), (room >= pairs["size"]).to_numpy())
        return float(solve(sub, quick)[1].objective)

    return cost
