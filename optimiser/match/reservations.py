"""Council priorities: a member council may reserve a share of its in-house places (members.csv reserved_share) for
its own children. Other councils' children may then use at most the rest of them, rounded down to whole places:
    sum(weight[p] x[p] for p of another council's child into the council's in-house settings)
        <= floor((1 - reserved_share) * the council's in-house vacancies)
one row per reserving council in the same model (solvers.ExtraRows; a run with reservations is solved as one HiGHS
model with every pair, as fairness runs are). What a reservation costs the region is the objective with every
reservation less the objective with all but that council's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from data.region import Region
from optimiser.match.candidates import Candidates
from optimiser.match.params import MatchParams
from optimiser.match.solvers import ExtraRows, SolveReport, solve, solve_full_with_rows


def reserved_shares(region: Region) -> pd.Series:
    """la_code -> the share of its in-house places a council reserves (only councils reserving any)."""
    members = region.members
    if members is None or members.empty or "reserved_share" not in members:
        return pd.Series(dtype=float)
    shares = members.set_index("la_code")["reserved_share"].astype(float).fillna(0.0)
    return shares[shares > 0]


@dataclass
class Reservations:
    region: Region
    shares: pd.Series  # la_code -> reserved share (> 0)
    costs: dict[str, float] = field(default_factory=dict)  # la_code -> what its reservation costs the region

    @classmethod
    def for_region(cls, region: Region) -> Reservations | None:
        shares = reserved_shares(region)
        return cls(region, shares) if len(shares) else None

    def rows(self, candidates: Candidates, leave_out: str | None = None) -> ExtraRows:
        """One row per reserving council (but `leave_out`)."""
        from optimiser.match.accounts import in_house_council

        pairs = candidates.pairs
        owner = pairs["setting_id"].map(in_house_council(self.region)).to_numpy()
        council = pairs["unit_id"].map(candidates.referrals.groupby("unit_id")["la_code"].first()).to_numpy()
        capacity = pairs.groupby("setting_id")["capacity"].first()
        councils = [la for la in self.shares.index if la != leave_out]
        rows, cols, values, upper = [], [], [], []
        for i, la in enumerate(councils):
            others = np.flatnonzero((owner == la) & (council != la))
            rows += [i] * len(others)
            cols += others.tolist()
            values += pairs["weight"].to_numpy(dtype=float)[others].tolist()
            own = capacity[capacity.index.map(in_house_council(self.region)) == la].sum()
            upper.append(math.floor((1 - self.shares[la]) * own + 1e-9))
        A = sparse.csr_matrix((values, (rows, cols)), shape=(len(councils), len(pairs)))
        return ExtraRows(A=A, upper=np.asarray(upper, dtype=float), names=tuple(councils))

    def _objective(self, candidates: Candidates, params: MatchParams, leave_out: str | None) -> float:
        rows = self.rows(candidates, leave_out)
        if not len(rows.upper):
            return solve(candidates, params)[1].objective
        return solve_full_with_rows(candidates, params, rows)[1].objective

    def solve(self, candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
        """The region's best answer with every reservation (the solver hook of allocation.match_region), and what
        each reservation costs the region."""
        chosen, report, _ = solve_full_with_rows(candidates, params, self.rows(candidates))
        self.costs = {la: float(report.objective - self._objective(candidates, params, la))
                      for la in self.shares.index}
        return chosen, report
