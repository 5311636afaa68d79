"""No member council worse off than alone (`--fairness no-worse`), or each keeping its share of the saving
(`proportional`): one constraint per council in the regional model, and the price the region pays for them.

A council's part of the objective (optimiser/match/accounts.py) is linear in the pair choices x:
    part_c(x) = P_c + M_c x,   P_c its children's unmatched penalties, M_c[p] its children's cost less penalty in p
and its stand-alone part A_c is that of today's practice on the same referrals and supply (baseline.py). The rules:
    no-worse       M_c x <= A_c - P_c
    proportional   A_c - part_c(x) >= share * w_c * (sum A - sum part(x))   w_c: the council's share of referrals
                   i.e. M_c x - share * w_c * (sum_d M_d x) <= A_c - P_c - share * w_c * (sum A - sum P)
Today's practice splits siblings whom one home could take, which the regional model never does, so a council's
stand-alone part can be out of the model's reach: then the rows cannot all hold. The least total shortfall is found
first (each row given a slack, the slacks minimised), the region's best answer within it second, and the run says
which council could not be held, by how much and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse

from data.region import Region
from optimiser.match.candidates import Candidates, build_candidates
from optimiser.match.params import MatchParams
from optimiser.match.solvers import CORE_PAIRS_PER_UNIT, ExtraRows, SolveReport, solve, solve_full_with_rows

INFEASIBLE = "infeasible"  # solve_full_with_rows's message when HiGHS proves no allocation keeps the rows
TOLERANCE = 1e-6  # £-equivalent: HiGHS's feasibility tolerance on rows worth hundreds of thousands
ROUTED = ("the fast backend's flow, repair and core rest on the model being an assignment with vacancies, which a "
          "row over a council's every pair breaks: the fairness rows are solved as one HiGHS model with every pair")
FAIRNESS_COLUMNS = ["la_code", "la_name", "rule", "stand_alone_objective", "objective_without", "objective_with",
                    "gain_without", "gain_with", "shortfall", "why"]


@dataclass
class Fairness:
    """The fairness rule for one region: its councils' stand-alone parts, and (once `solve` has run) the outcome."""

    region: Region
    params: MatchParams
    stand_alone: pd.Series  # la_code -> the council's part of the objective searching alone
    alone_referrals: pd.Series  # la_code -> its referrals (the proportional rule's weights)
    split_alone: set[str]  # councils whose stand-alone result splits siblings one home could take
    real_ids: set[str]  # the region's referrals (the look-ahead adds placeholders that are no council's children)
    reservations: object = None  # reservations.Reservations: councils' reserved in-house places, kept as hard rows
    fell_back: bool = False  # no answer under the rule in time: the answer is the region's optimum without it
    table: pd.DataFrame = field(default_factory=pd.DataFrame)  # FAIRNESS_COLUMNS, after solve
    record: dict = field(default_factory=dict)  # the run record's fairness entry, after solve

    @classmethod
    def for_region(cls, region: Region, params: MatchParams, run_date: date) -> Fairness:
        """Each council's stand-alone part: today's practice on the region's referrals (baseline.py)."""
        from optimiser.match.accounts import council_objectives
        from optimiser.match.allocation import allocation_table
        from optimiser.match.baseline import SHORTAGE_BASELINE, la_by_la_baseline

        candidates = build_candidates(region, params, run_date=run_date)
        chosen = la_by_la_baseline(region, candidates).set_index("referral_id")["setting_id"]
        alone = allocation_table(region, candidates, chosen, shortage=SHORTAGE_BASELINE)
        unpriced_split = alone["sibling_split"] & alone["split_cost"].astype(float).fillna(0).eq(0)
        return cls(region=region, params=params, stand_alone=council_objectives(alone, candidates, params),
                   alone_referrals=alone.groupby("la_code").size(),
                   split_alone=set(alone.loc[unpriced_split, "la_code"]),
                   real_ids=set(region.referrals["referral_id"]))

    # --- the rows ---------------------------------------------------------------------------------------------

    def _parts(self, candidates: Candidates) -> tuple[list[str], sparse.csr_matrix, np.ndarray]:
        """(councils, M: council x pair, P: each council's penalties) for the real children of `candidates` (the
        look-ahead's placeholders belong to no council)."""
        councils = sorted(self.stand_alone.index)
        row_of = {la: i for i, la in enumerate(councils)}
        referrals = candidates.referrals[candidates.referrals["la_code"].isin(row_of)
                                         & candidates.referrals["referral_id"].isin(self.real_ids)]
        penalty = referrals.set_index("referral_id")["penalty"]
        council = referrals.set_index("referral_id")["la_code"]
        pair_of = pd.Series(np.arange(len(candidates.pairs)),
                            index=pd.MultiIndex.from_frame(candidates.pairs[["unit_id", "setting_id"]]))
        members = candidates.member_pairs[candidates.member_pairs["group_fits"]
                                          & candidates.member_pairs["referral_id"].isin(penalty.index)]
        keys = pd.MultiIndex.from_frame(members[["unit_id", "setting_id"]])
        column = pair_of.reindex(keys).to_numpy()
        ok = ~np.isnan(column)  # a member pair whose unit cannot go there whole is no column of the model
        values = (members["cost"].to_numpy(dtype=float)
                  - members["referral_id"].map(penalty).to_numpy(dtype=float))[ok]
        rows = members["referral_id"].map(council).map(row_of).to_numpy(dtype=int)[ok]
        M = sparse.csr_matrix((values, (rows, column[ok].astype(int))), shape=(len(councils), len(candidates.pairs)))
        P = penalty.groupby(council).sum().reindex(councils).fillna(0.0).to_numpy()
        return councils, M, P

    def rows(self, candidates: Candidates) -> tuple[list[str], sparse.csr_matrix, np.ndarray, ExtraRows]:
        councils, M, P = self._parts(candidates)
        A_alone = self.stand_alone.reindex(councils).to_numpy()
        if self.params.fairness == "no-worse":
            A, upper = M, A_alone - P
        else:
            w = self.alone_referrals.reindex(councils).fillna(0).to_numpy() / max(self.alone_referrals.sum(), 1)
            share = self.params.fairness_share * w
            A = (M - sparse.csr_matrix(share[:, None]) @ sparse.csr_matrix(M.sum(axis=0))).tocsr()
            upper = A_alone - P - share * (A_alone.sum() - P.sum())
        return councils, M, P, ExtraRows(A=A.tocsr(), upper=upper + TOLERANCE, names=tuple(councils))

    # --- the solve --------------------------------------------------------------------------------------------

    def solve(self, candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
        """The region's best answer under the rule (the solver hook of allocation.match_region), keeping what the
        answer without the rule was, for the price of fairness."""
        hard = None if self.reservations is None else self.reservations.rows(candidates)
        free, free_report = (solve if self.reservations is None else self.reservations.solve)(candidates, params)
        councils, M, P, rows = self.rows(candidates)
        x_free = free.to_numpy(dtype=float)
        without = P + M @ x_free
        broken_by_free = np.maximum(rows.A @ x_free - rows.upper, 0.0)
        shortfall = np.zeros(len(councils))
        chosen, report, note = free, free_report, ROUTED
        if not broken_by_free.any():
            note = "the region's optimum already keeps the rule: fairness costs nothing here"
        else:
            # A core first (each unit's cheapest pairs and the pairs of the answer without the rule): small enough
            # for HiGHS to find an answer under the rule quickly at regional scale, which then warm-starts the whole
            # model; without it the whole model found none in 60 s on the South East.
            rank = candidates.pairs.groupby("unit_id")["cost"].rank(method="first").to_numpy()
            core = (rank <= CORE_PAIRS_PER_UNIT) | free.to_numpy(dtype=bool)
            in_core, core_report, _ = solve_full_with_rows(candidates, params, rows, hard=hard, columns=core)
            start = in_core.to_numpy(dtype=float) if core_report.status != "failed" else None
            fair, fair_report, _ = solve_full_with_rows(candidates, params, rows, hard=hard, start=start)
            if fair_report.status != "failed":
                chosen, report = fair, fair_report
            elif fair_report.message == INFEASIBLE:
                # some council cannot be held: the least shortfall first, then the best answer within it
                _, phase_one, slack = solve_full_with_rows(candidates, params, rows, elastic=True, hard=hard)
                if phase_one.status != "failed":
                    shortfall = np.where(slack > TOLERANCE, slack, 0.0)
                    loosened = ExtraRows(A=rows.A, upper=rows.upper + shortfall + TOLERANCE, names=rows.names)
                    fair, fair_report, _ = solve_full_with_rows(candidates, params, loosened, hard=hard)
                    if fair_report.status != "failed":
                        chosen, report = fair, fair_report
            if chosen is free:
                # no answer under the rule within the time limit: the region's optimum stands, and the run says
                # which councils it leaves short of the rule rather than passing it off as fair
                shortfall = broken_by_free
                note = (f"HiGHS found no allocation under the rule within {params.time_limit_s:g} s on the whole "
                        "model: this is the region's optimum without the rule (give it more time with --time-limit)")
        self.fell_back = chosen is free and bool(broken_by_free.any())
        with_rule = P + M @ chosen.to_numpy(dtype=float)
        self._report(councils, without, with_rule, shortfall, free_report, report, note)
        # a rule that leaves children unplaced who could have had a home is the costly kind: the run says how many
        self.record |= {"children_unmatched_without": self._unmatched(candidates, free),
                        "children_unmatched_with": self._unmatched(candidates, chosen)}
        return chosen, report

    def _unmatched(self, candidates: Candidates, chosen: pd.Series) -> int:
        placed = set(candidates.pairs.loc[chosen.to_numpy(dtype=bool), "unit_id"])
        real = candidates.referrals[candidates.referrals["referral_id"].isin(self.real_ids)]
        return int((~real["unit_id"].isin(placed)).sum())

    def _report(self, councils, without, with_rule, shortfall, free: SolveReport, fair: SolveReport,
                note: str) -> None:
        names = self.region.authorities.set_index("la_code")["la_name"]
        alone = self.stand_alone.reindex(councils).to_numpy()
        why = [self.why(la, short) for la, short in zip(councils, shortfall)]
        self.table = pd.DataFrame({
            "la_code": councils, "la_name": [names.get(la, "") for la in councils], "rule": self.params.fairness,
            "stand_alone_objective": alone, "objective_without": without, "objective_with": with_rule,
            "gain_without": alone - without, "gain_with": alone - with_rule, "shortfall": shortfall, "why": why},
            columns=FAIRNESS_COLUMNS)
        self.record = {
            "rule": self.params.fairness,
            **({"share": self.params.fairness_share} if self.params.fairness == "proportional" else {}),
            "objective_without": round(float(free.objective), 2), "objective_with": round(float(fair.objective), 2),
            "price_of_fairness": round(float(fair.objective - free.objective), 2),
            "solver_without": free.solver, "solver_with": fair.solver, "note": note,
            "councils_not_held": {la: text for la, text, short in zip(councils, why, shortfall) if short > 0},
            "councils_worse_off_without": [la for la, a, w in zip(councils, alone, without) if w > a + TOLERANCE],
            "rule_held": not bool(shortfall.any()), "answer_without_rule": self.fell_back,
        }

    def why(self, la_code: str, shortfall: float) -> str:
        """Why a council's constraint could not hold ("" when it held)."""
        if shortfall <= 0:
            return ""
        name = self.region.authorities.set_index("la_code")["la_name"].get(la_code, la_code)
        rule = ("no worse off than alone" if self.params.fairness == "no-worse"
                else f"{self.params.fairness_share:.0%} of its proportional share of the region's saving")
        if shortfall > 0 and self.fell_back:
            return (f"{name} is left £{shortfall:,.0f} (objective, £-equivalent) short of the rule ({rule}): no "
                    "allocation under the rule was found in time")
        reason = (f"searching alone {name} splits siblings whom one home could take, which the regional match never "
                  "does, so its stand-alone result is out of the regional model's reach"
                  if la_code in self.split_alone else
                  f"with the other councils held to the rule, the region's supply leaves {name} no allocation that "
                  "good")
        return f"{name} could not be kept {rule}: it is £{shortfall:,.0f} (objective, £-equivalent) short; {reason}"
