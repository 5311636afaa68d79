"""The monthly Markov chain's rates, per council x placement group x age band.

Each month a child in (group g, age band a) first leaves care (other than by turning 18) with probability
exit[g, a]; a child who stays may change group to g2 with probability move[g, a, g2] (move to g itself is staying
put), and then grows older: below 16, up an age band with probability ageing[g2, a], measured as the share of
stayers whose band went up in the reference window, so it carries the real mix of ages within each band; from
16, by counting down the months to the 18th birthday exactly (groups.AGE_STATES).

Rates are estimated from the reference window of months before the origin. A council's rate is shrunk towards
the regional rate with a prior worth `shrinkage` child-months, so a small council's rare events borrow from its
neighbours while a large council's data speak for themselves. For simulation, rates are drawn from Beta /
Dirichlet distributions around those means: one draw per path for each council, plus a regional shift shared by
all councils in the path (rates drift for the whole region at once, which independent council draws would
average away). `evidence_discount` scales the posterior's concentration down, because the months ahead differ
from the reference window by more than sampling error alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.flows import History, band_sum
from forecasts.groups import AGE_BANDS, AGED_18
from forecasts.params import ForecastParams
from forecasts.shock import SharedShock, estimate_shock

RATE_COLUMNS = ["la_code", "rate", "group", "age_band", "to_group", "events", "exposure", "regional", "mean"]
# A state the whole region never saw gets the region's rate pooled over all states, worth one child-month.
REGIONAL_PRIOR = 1.0


@dataclass(frozen=True)
class Evidence:
    """The counts behind one kind of rate: events and child-months at risk, (council, group, band[, to])."""
    events: np.ndarray
    exposure: np.ndarray


@dataclass(frozen=True)
class ChainRates:
    """Posterior means and concentrations of the chain's rates: exit and ageing (council, group, band), move
    (council, group, band, to group); regional_* the same without the council axis."""
    la_codes: tuple[str, ...]
    exit: np.ndarray
    ageing: np.ndarray
    move: np.ndarray
    regional_exit: np.ndarray
    regional_ageing: np.ndarray
    regional_move: np.ndarray
    exit_evidence: Evidence
    ageing_evidence: Evidence
    move_evidence: Evidence
    concentration: np.ndarray  # (council, group, band): child-months of evidence after discounting
    regional_concentration: np.ndarray  # (group, band)
    window: tuple[pd.Timestamp, pd.Timestamp]
    exit_shock: SharedShock = SharedShock()  # moves every council's exit rates together, month by month

    def table(self) -> pd.DataFrame:
        """Every rate with its evidence: events, exposure (child-months), regional rate and the shrunk mean."""
        la = np.asarray(self.la_codes, dtype=object)
        groups, bands = np.asarray(PLACEMENT_GROUPS, dtype=object), np.asarray(AGE_BANDS, dtype=object)
        c, g, a = np.indices(self.exit.shape).reshape(3, -1)
        frames = [pd.DataFrame({"la_code": la[c], "rate": name, "group": groups[g], "age_band": bands[a],
                                "to_group": "", "events": evidence.events.reshape(-1),
                                "exposure": evidence.exposure.reshape(-1), "regional": regional[g, a],
                                "mean": mean.reshape(-1)})
                  for name, mean, regional, evidence in (
                      ("exit", self.exit, self.regional_exit, self.exit_evidence),
                      ("ageing", self.ageing, self.regional_ageing, self.ageing_evidence))]
        c, g, a, g2 = np.indices(self.move.shape).reshape(4, -1)
        off = g != g2
        frames.append(pd.DataFrame({
            "la_code": la[c[off]], "rate": "move", "group": groups[g[off]], "age_band": bands[a[off]],
            "to_group": groups[g2[off]], "events": self.move_evidence.events.reshape(-1)[off],
            "exposure": self.move_evidence.exposure[c[off], g[off], a[off]],
            "regional": self.regional_move[g[off], a[off], g2[off]], "mean": self.move.reshape(-1)[off]}))
        out = pd.concat(frames, ignore_index=True)[RATE_COLUMNS]
        # From 16 children age by their dates of birth, not by a rate.
        return out[~((out["rate"] == "ageing") & (out["age_band"] == AGE_BANDS[-1]))].reset_index(drop=True)


def fit_chain(history: History, origin: int, params: ForecastParams) -> ChainRates:
    """Rates from the `params.reference_months` steps ending at month index `origin` (data after it unused)."""
    steps = history.window(origin, params.reference_months)
    at_risk = band_sum(history.stock[:, steps].sum(axis=1), axis=2).astype(float)
    exits = history.exits[:, steps].sum(axis=1).astype(float)
    left = exits.sum(axis=-1) - exits[..., AGED_18]
    survivors = at_risk - left
    aged = history.aged[:, steps].sum(axis=1).astype(float)
    moves = history.moves[:, steps].sum(axis=1).astype(float)

    kappa = params.shrinkage
    exit, regional_exit = _shrunk_rate(left, at_risk, kappa)
    ageing, regional_ageing = _shrunk_rate(aged, survivors, kappa)
    stay_put = np.eye(len(PLACEMENT_GROUPS))[:, None, :]
    regional_counts = moves.sum(axis=0) + REGIONAL_PRIOR * stay_put
    regional_move = regional_counts / regional_counts.sum(axis=-1, keepdims=True)
    stayers = moves.sum(axis=-1)
    move = (kappa * regional_move + moves) / (kappa + stayers)[..., None]
    return ChainRates(
        la_codes=history.la_codes, exit=exit, ageing=ageing, move=move, regional_exit=regional_exit,
        regional_ageing=regional_ageing, regional_move=regional_move,
        exit_evidence=Evidence(left, at_risk), ageing_evidence=Evidence(aged, survivors),
        move_evidence=Evidence(moves, stayers),
        concentration=params.evidence_discount * (kappa + at_risk),
        regional_concentration=params.evidence_discount * at_risk.sum(axis=0),
        window=(history.months[steps.start], history.months[steps.stop]),
        exit_shock=_exit_shock(history, steps, exit, params.shrink_shared_shock) if params.shared_shock
        else SharedShock())


def _exit_shock(history: History, steps: slice, exit: np.ndarray, shrink: bool) -> SharedShock:
    """The common shock in each month's leavers (other than at 18) against the fitted rates times the stock at
    risk, per council, beyond the month-of-year pattern they share (forecasts.shock)."""
    at_risk = band_sum(history.stock[:, steps], axis=3).astype(float)  # (council, step, group, band)
    exits = history.exits[:, steps]
    left = (exits.sum(axis=-1) - exits[..., AGED_18]).sum(axis=(2, 3))
    calendar = history.months[steps.start + 1:steps.stop + 1].month.to_numpy()  # the month each step's exits are in
    return estimate_shock(left, np.einsum("ctga,cga->ct", at_risk, exit), calendar=calendar, shrink=shrink)


def _shrunk_rate(events: np.ndarray, exposure: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """(council rates shrunk towards the regional rate, regional rate); axis 0 is the council."""
    pooled = events.sum() / max(exposure.sum(), 1.0)
    regional = (events.sum(axis=0) + REGIONAL_PRIOR * pooled) / (exposure.sum(axis=0) + REGIONAL_PRIOR)
    return (kappa * regional + events) / (kappa + exposure), regional


@dataclass(frozen=True)
class ChainDraws:
    """One set of rates per simulated path: exit and ageing (path, council, group, band), move (..., to group)."""
    exit: np.ndarray
    ageing: np.ndarray
    move: np.ndarray


def draw_chain(rates: ChainRates, paths: int, rng: np.random.Generator) -> ChainDraws:
    """Rates for each path: council draws around the shrunk means, moved together by a regional shift."""
    conc = rates.concentration[None]
    return ChainDraws(
        exit=_regional_shift(_beta(rng, rates.exit, conc, paths), rates.regional_exit,
                             rates.regional_concentration, rng),
        ageing=_beta(rng, rates.ageing, conc, paths),
        move=_moves(rng, rates, paths))


def _beta(rng: np.random.Generator, mean: np.ndarray, conc: np.ndarray, paths: int) -> np.ndarray:
    shape = (paths, *mean.shape)
    x = gammas(rng, np.broadcast_to(mean * conc, shape))
    y = gammas(rng, np.broadcast_to((1 - mean) * conc, shape))
    total = x + y
    return np.divide(x, total, out=np.broadcast_to(mean, shape).copy(), where=total > 0)


def _regional_shift(draws: np.ndarray, regional: np.ndarray, conc: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Move every council's draw in a path by the same log-odds shift as a draw of the regional rate."""
    shifted_region = _beta(rng, regional, conc, draws.shape[0])
    shift = _logit(shifted_region) - _logit(regional)[None]
    return _expit(_logit(draws) + shift[:, None])


def _moves(rng: np.random.Generator, rates: ChainRates, paths: int) -> np.ndarray:
    """Dirichlet draws of each row of move probabilities; the regional shift scales the chance of moving at all."""
    conc = rates.concentration[..., None]
    # In place throughout: nationally at 500 paths each array of moves is 250 MB.
    move = gammas(rng, np.broadcast_to(rates.move * conc, (paths, *rates.move.shape)))
    total = move.sum(axis=-1, keepdims=True)
    empty = np.broadcast_to(total <= 0, move.shape)
    np.divide(move, total, out=move, where=~empty)
    np.copyto(move, np.broadcast_to(rates.move, move.shape), where=empty)
    stay_put = np.eye(len(PLACEMENT_GROUPS), dtype=bool)[:, None, :]
    move *= ~stay_put
    leave = move.sum(axis=-1)
    regional_leave = np.where(stay_put, 0.0, rates.regional_move).sum(axis=-1)
    shifted = _regional_shift(leave, regional_leave, rates.regional_concentration, rng)
    move *= np.divide(shifted, leave, out=np.ones_like(leave), where=leave > 0)[..., None]
    stay = np.einsum("...gag->...ga", move)  # a writable view of the diagonal (staying put), 0 so far
    stay += 1 - move.sum(axis=-1)
    return move


def gammas(rng: np.random.Generator, shape: np.ndarray) -> np.ndarray:
    """Standard gamma draws (for Beta and Dirichlet draws of rates), in double precision. They are drawn in single
    precision, a third quicker: drawing each path's rates was a quarter of a year-long simulation, and a rate's
    draw needs no more than seven significant figures."""
    return rng.standard_gamma(shape.astype(np.float32), dtype=np.float32).astype(np.float64)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))
