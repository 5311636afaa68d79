"""Scenarios: named policy levers plus raw edits of any rate, saved and loaded as TOML.

Levers and edits change the drawn rates of every simulated path, so a scenario's forecast keeps its uncertainty.
Probabilities stay probabilities: an edit that would push a child's chance of leaving a state above 1 is scaled
back (the state keeps nobody), and rates never go below 0.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from data.toml_files import load_toml
from data.vocabulary import PLACEMENT_GROUPS
from forecasts.groups import AGE_BANDS, BAND_OF_STATE, GROUP_INDEX
from forecasts.markov import ChainDraws

RATES = ("exit", "ageing", "move", "entry")
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Levers:
    """Named policy levers; 0 everywhere is the baseline."""
    # Share of non-UASC entries diverted by family group decision making. DfE's impact assessment (January 2025)
    # estimates 8,656 children diverted by 2030-31: against 33,050 starts a year (DfE 2023-24) over five years,
    # 5.2% of entries. Unaccompanied children have no family here to convene, so only other entries are diverted.
    fgdm_diversion: float = 0.0
    step_down_per_year: float = 0.0  # extra share of children in children's homes moving to foster care a year
    uasc_change: float = 0.0  # relative change in unaccompanied arrivals: 0.2 is 20% more, -0.5 half as many
    foster_recruitment: float = 0.0  # relative change in flows into in-house foster care, from or to IFAs

    def __post_init__(self) -> None:
        problems = [f"{name} must be between 0 and 1 (got {value})"
                    for name, value in (("fgdm_diversion", self.fgdm_diversion),
                                        ("step_down_per_year", self.step_down_per_year))
                    if not 0 <= value <= 1]
        problems += [f"{name} must be above -1 (got {value})"
                     for name, value in (("uasc_change", self.uasc_change),
                                         ("foster_recruitment", self.foster_recruitment)) if value < -1]
        if problems:
            raise ValueError("invalid scenario levers: " + "; ".join(problems))


@dataclass(frozen=True)
class RateEdit:
    """Multiply, then add to, one kind of rate where it matches (blank matches everything).

    exit, ageing and move rates are monthly probabilities; for entry, `multiply` scales entries into the
    group x age band and `add` is extra children a month."""
    rate: str
    multiply: float = 1.0
    add: float = 0.0
    la_code: str = ""
    group: str = ""
    age_band: str = ""
    to_group: str = ""

    def __post_init__(self) -> None:
        problems = []
        if self.rate not in RATES:
            problems.append(f"rate must be one of {', '.join(RATES)} (got {self.rate!r})")
        for name in ("group", "to_group"):
            value = getattr(self, name)
            if value and value not in PLACEMENT_GROUPS:
                problems.append(f"{name} {value!r} is not a placement group ({', '.join(PLACEMENT_GROUPS)})")
        if self.age_band and self.age_band not in AGE_BANDS:
            problems.append(f"age_band {self.age_band!r} is not one of {', '.join(AGE_BANDS)}")
        if self.to_group and self.rate != "move":
            problems.append("to_group only applies to move rates")
        if self.multiply < 0:
            problems.append(f"multiply must not be negative (got {self.multiply})")
        if problems:
            raise ValueError("invalid rate edit: " + "; ".join(problems))


@dataclass(frozen=True)
class Scenario:
    name: str = "baseline"
    description: str = ""
    levers: Levers = field(default_factory=Levers)
    edits: tuple[RateEdit, ...] = ()

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read from TOML; keys left out keep their defaults, unknown keys are an error."""
        return load_toml(path, cls.from_dict)

    @classmethod
    def from_dict(cls, values: dict) -> Scenario:
        known = {"name", "description", "levers", "edits"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown scenario key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(name=values.get("name", "baseline"), description=values.get("description", ""),
                   levers=Levers(**values.get("levers", {})),
                   edits=tuple(RateEdit(**edit) for edit in values.get("edits", [])))

    def to_toml(self) -> str:
        lines = [f"name = {json.dumps(self.name)}", f"description = {json.dumps(self.description)}", "",
                 "[levers]"]
        lines += [f"{k} = {v!r}" for k, v in dataclasses.asdict(self.levers).items()]
        for edit in self.edits:
            lines += ["", "[[edits]]"]
            lines += [f"{k} = {json.dumps(v) if isinstance(v, str) else repr(float(v))}"
                      for k, v in dataclasses.asdict(edit).items()]
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_toml())
        return path

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Adjusted:
    """A path's rates after the scenario: the chain's draws, entries into each state as a share of the month's
    entries (path, council, group, age state), children added a month (council, group, age state), and how
    many rows of move probabilities had to be scaled back to keep outflows at most 1."""
    chain: ChainDraws
    entry_share: np.ndarray
    entry_add: np.ndarray
    renormalised: int


def apply(scenario: Scenario, la_codes: tuple[str, ...], chain: ChainDraws, entry_mix: np.ndarray,
          uasc_share: np.ndarray, regional_move: np.ndarray) -> Adjusted:
    """The scenario's rates for every path. `regional_move` (group, band, to group) splits step-down between
    in-house and agency foster care as children's homes already send children to each."""
    levers = scenario.levers
    if levers == Levers() and not scenario.edits:  # the baseline: drawn rates are valid probabilities already
        return Adjusted(chain=chain, entry_share=entry_mix, entry_add=np.zeros(entry_mix.shape[1:]), renormalised=0)
    exit, ageing, move = chain.exit.copy(), chain.ageing.copy(), chain.move.copy()
    uasc = uasc_share[..., BAND_OF_STATE]
    share = entry_mix * (1 - levers.fgdm_diversion * (1 - uasc)) * (1 + levers.uasc_change * uasc)
    add = np.zeros(entry_mix.shape[1:])
    home, inhouse, ifa = GROUP_INDEX["childrens_home"], GROUP_INDEX["foster_inhouse"], GROUP_INDEX["foster_ifa"]
    if levers.step_down_per_year:
        monthly = 1 - (1 - levers.step_down_per_year) ** (1 / MONTHS_PER_YEAR)
        to_foster = np.stack([regional_move[home, :, inhouse], regional_move[home, :, ifa]])  # (2, band)
        total = to_foster.sum(axis=0)
        split = np.divide(to_foster, total, out=np.full_like(to_foster, 0.5), where=total > 0)
        move[:, :, home, :, inhouse] += monthly * split[0]
        move[:, :, home, :, ifa] += monthly * split[1]
    if levers.foster_recruitment:
        _shift_foster(share, axis_group=2, change=levers.foster_recruitment)
        others = [g for g in range(len(PLACEMENT_GROUPS)) if g not in (inhouse, ifa)]
        part = move[:, :, others]
        _shift_foster(part, axis_group=4, change=levers.foster_recruitment)
        move[:, :, others] = part
    paths = np.arange(move.shape[0])
    for edit in scenario.edits:
        councils, groups, bands = _selector(edit, la_codes)
        if edit.rate == "exit":
            at = np.ix_(paths, councils, groups, bands)
            exit[at] = np.clip(exit[at] * edit.multiply + edit.add, 0, 1)
        elif edit.rate == "ageing":
            at = np.ix_(paths, councils, groups, bands)
            ageing[at] = np.clip(ageing[at] * edit.multiply + edit.add, 0, 1)
        elif edit.rate == "entry":
            # Entries are by age state; children added to a band are spread evenly over its states.
            states = np.flatnonzero(np.isin(BAND_OF_STATE, bands))
            at = np.ix_(paths, councils, groups, states)
            share[at] = share[at] * edit.multiply
            at = np.ix_(councils, groups, states)
            add[at] = np.maximum(add[at] + edit.add / len(states), 0)
        else:
            to = [GROUP_INDEX[edit.to_group]] if edit.to_group else list(range(len(PLACEMENT_GROUPS)))
            at = np.ix_(paths, councils, groups, bands, to)
            move[at] = np.maximum(move[at] * edit.multiply + edit.add, 0)
    move, renormalised = renormalise(move)
    return Adjusted(chain=ChainDraws(exit=exit, ageing=ageing, move=move), entry_share=share, entry_add=add,
                    renormalised=renormalised)


def renormalise(move: np.ndarray) -> tuple[np.ndarray, int]:
    """Recompute staying (the diagonal) as 1 minus the outflows, scaling outflows down where they exceed 1."""
    eye = np.eye(len(PLACEMENT_GROUPS), dtype=bool)[:, None, :]
    off = np.where(eye, 0.0, np.maximum(move, 0))
    out = off.sum(axis=-1, keepdims=True)
    over = out > 1
    off = np.where(over, off / np.where(over, out, 1), off)
    # A row scaled back to outflows of 1 can sum a hair above it: staying must not round below 0, which would
    # make leaving the cell more likely than certain.
    return off + eye * np.maximum(1 - off.sum(axis=-1, keepdims=True), 0), int(over.sum())


def _shift_foster(flows: np.ndarray, axis_group: int, change: float) -> None:
    """In place: in-house foster inflows change by `change` (relative), the difference taken from or given to
    agency foster care, so total foster inflows are unchanged."""
    inhouse = np.take(flows, GROUP_INDEX["foster_inhouse"], axis=axis_group)
    ifa = np.take(flows, GROUP_INDEX["foster_ifa"], axis=axis_group)
    shift = np.minimum(change * inhouse, ifa) if change > 0 else -np.minimum(-change * inhouse, inhouse)
    index = [slice(None)] * flows.ndim
    index[axis_group] = GROUP_INDEX["foster_inhouse"]
    flows[tuple(index)] = inhouse + shift
    index[axis_group] = GROUP_INDEX["foster_ifa"]
    flows[tuple(index)] = ifa - shift


def _selector(edit: RateEdit, la_codes: tuple[str, ...]) -> tuple[list[int], list[int], list[int]]:
    """Councils, groups and age bands an edit touches (blank: all of them)."""
    if edit.la_code and edit.la_code not in la_codes:
        raise ValueError(f"scenario edit names council {edit.la_code}, which is not in this region "
                         f"({', '.join(la_codes)})")
    councils = [la_codes.index(edit.la_code)] if edit.la_code else list(range(len(la_codes)))
    groups = [GROUP_INDEX[edit.group]] if edit.group else list(range(len(PLACEMENT_GROUPS)))
    bands = [AGE_BANDS.index(edit.age_band)] if edit.age_band else list(range(len(AGE_BANDS)))
    return councils, groups, bands
