"""Thresholds of the market flags: validated frozen dataclasses, one per concept, loadable from TOML.

The documented defaults live in optimiser/flags.toml (as the match's in optimiser/match/match.toml; a test keeps
the file and the code identical). Each TOML section is one dataclass here: [unlawful], [liberty], [profit],
[fees], [concentration], [stress], [replace], [fragility], [quality]. A run records every value with its outputs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from data.toml_files import build_parameters, check_parameters, load_toml

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "flags.toml"
SETTING_TYPES_FOR_SECURE = ("secure_childrens_home", "childrens_home", "residential_special_school")
PLACEMENT_GROUPS = ("foster_inhouse", "foster_ifa", "childrens_home", "secure", "supported")
STRESS_RANKINGS = ("children", "places")


@dataclass(frozen=True)
class UnlawfulParams:
    secure_lawful_types: tuple[str, ...] = SETTING_TYPES_FOR_SECURE
    propose_alternatives: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "secure_lawful_types", tuple(self.secure_lawful_types))
        unknown = sorted(set(self.secure_lawful_types) - set(SETTING_TYPES_FOR_SECURE))
        check_parameters("unlawful flag", [(not unknown and bool(self.secure_lawful_types),
                             f"secure_lawful_types must be some of {', '.join(SETTING_TYPES_FOR_SECURE)} "
                             f"(got {', '.join(self.secure_lawful_types) or 'none'})")])


@dataclass(frozen=True)
class LibertyParams:
    ofsted_notice_working_days: int = 7
    review_warning_days: int = 28

    def __post_init__(self) -> None:
        check_parameters("liberty flag", [
            (self.ofsted_notice_working_days >= 1,
             f"ofsted_notice_working_days must be at least 1 (got {self.ofsted_notice_working_days})"),
            (self.review_warning_days >= 0,
             f"review_warning_days must not be negative (got {self.review_warning_days})"),
        ])


@dataclass(frozen=True)
class ProfitParams:
    benchmark_margin: float = 0.226
    company_points_over_benchmark: float = 10.0
    group_points_over_benchmark: float = 4.0
    robust_z: float = 3.0
    min_points_over_peers: float = 10.0
    min_peers: int = 8
    mad_floor_points: float = 3.0
    min_revenue: float = 100_000.0

    def __post_init__(self) -> None:
        check_parameters("profit flag", [
            (0 < self.benchmark_margin < 1,
             f"benchmark_margin is a fraction such as 0.226 (got {self.benchmark_margin})"),
            (self.company_points_over_benchmark >= 0, "company_points_over_benchmark must not be negative"),
            (self.group_points_over_benchmark >= 0, "group_points_over_benchmark must not be negative"),
            (self.robust_z > 0, f"robust_z must be positive (got {self.robust_z})"),
            (self.min_points_over_peers >= 0, "min_points_over_peers must not be negative"),
            (self.min_peers >= 3, f"min_peers must be at least 3 for a median and MAD (got {self.min_peers})"),
            (self.mad_floor_points > 0, f"mad_floor_points must be positive (got {self.mad_floor_points})"),
            (self.min_revenue >= 0, f"min_revenue must not be negative (got {self.min_revenue})"),
        ])


@dataclass(frozen=True)
class FeeParams:
    robust_z: float = 3.0
    min_ratio: float = 2.0
    min_gap: float = 500.0
    list_fee_ratio: float = 1.5
    high_cost: float = 10_000.0
    min_log_scale: float = 0.10
    quantile: float = 0.5
    min_placements: int = 30

    def __post_init__(self) -> None:
        check_parameters("fee flag", [
            (self.robust_z > 0, f"robust_z must be positive (got {self.robust_z})"),
            (self.min_ratio >= 1, f"min_ratio must be at least 1 (got {self.min_ratio})"),
            (self.min_gap >= 0, f"min_gap must not be negative (got {self.min_gap})"),
            (self.list_fee_ratio > 1, f"list_fee_ratio must be above 1 (got {self.list_fee_ratio})"),
            (self.high_cost > 0, f"high_cost must be positive (got {self.high_cost})"),
            (self.min_log_scale > 0, f"min_log_scale must be positive (got {self.min_log_scale})"),
            (0 < self.quantile < 1, f"quantile must be in (0, 1) (got {self.quantile})"),
            (self.min_placements >= 10, f"min_placements must be at least 10 (got {self.min_placements})"),
        ])


@dataclass(frozen=True)
class ConcentrationParams:
    hhi_moderate: float = 1500.0
    hhi_high: float = 2500.0
    dominant_share: float = 0.5
    min_places: int = 20
    min_settings: int = 5
    council_markets: tuple[str, ...] = ("childrens_home", "foster_ifa", "supported")
    dtr_high_share: float = 0.10

    def __post_init__(self) -> None:
        object.__setattr__(self, "council_markets", tuple(self.council_markets))
        unknown = sorted(set(self.council_markets) - set(PLACEMENT_GROUPS))
        check_parameters("concentration flag", [
            (0 < self.hhi_moderate <= self.hhi_high <= 10_000,
             f"need 0 < hhi_moderate <= hhi_high <= 10000 (got {self.hhi_moderate}, {self.hhi_high})"),
            (0 < self.dominant_share <= 1, f"dominant_share must be in (0, 1] (got {self.dominant_share})"),
            (self.min_places >= 1, f"min_places must be at least 1 (got {self.min_places})"),
            (self.min_settings >= 1, f"min_settings must be at least 1 (got {self.min_settings})"),
            (not unknown, f"council_markets must be some of {', '.join(PLACEMENT_GROUPS)} (got {', '.join(unknown)})"),
            (0 < self.dtr_high_share <= 1, f"dtr_high_share must be in (0, 1] (got {self.dtr_high_share})"),
        ])


@dataclass(frozen=True)
class StressParams:
    run: bool = True
    group: str = ""
    largest_by: str = "children"

    def __post_init__(self) -> None:
        check_parameters("stress flag", [(self.largest_by in STRESS_RANKINGS,
                           f"largest_by must be one of {', '.join(STRESS_RANKINGS)} (got {self.largest_by!r})")])


@dataclass(frozen=True)
class ReplaceParams:
    region_share: float = 0.15
    council_share: float = 0.30
    min_council_places: int = 10
    min_children: int = 5
    unhoused_share: float = 0.25
    max_tested: int = 6

    def __post_init__(self) -> None:
        check_parameters("replace flag", [
            (0 < self.region_share <= 1, f"region_share must be in (0, 1] (got {self.region_share})"),
            (0 < self.council_share <= 1, f"council_share must be in (0, 1] (got {self.council_share})"),
            (self.min_council_places >= 1, f"min_council_places must be at least 1 (got {self.min_council_places})"),
            (self.min_children >= 1, f"min_children must be at least 1 (got {self.min_children})"),
            (0 < self.unhoused_share <= 1, f"unhoused_share must be in (0, 1] (got {self.unhoused_share})"),
            (self.max_tested >= 0, f"max_tested must not be negative (got {self.max_tested})"),
        ])


@dataclass(frozen=True)
class FragilityParams:
    thin_margin: float = 0.05
    score_thin_margin: int = 1
    score_loss: int = 3
    score_loss_before: int = 1
    margin_drop_points: float = 5.0
    score_margin_drop: int = 2
    council_revenue_share: float = 0.5
    score_one_council: int = 1
    small_revenue: float = 500_000.0
    score_small: int = 1
    debt_to_revenue: float = 1.0
    score_debt: int = 2
    interest_cover: float = 1.5
    score_interest: int = 2
    medium_score: int = 3
    high_score: int = 4

    def __post_init__(self) -> None:
        scores = [getattr(self, f.name) for f in dataclasses.fields(self) if f.name.startswith("score_")]
        check_parameters("fragility flag", [
            (0 < self.thin_margin < 1, f"thin_margin is a fraction such as 0.05 (got {self.thin_margin})"),
            (all(v >= 0 for v in scores), "the score_ values must not be negative"),
            (self.margin_drop_points > 0, f"margin_drop_points must be positive (got {self.margin_drop_points})"),
            (0 < self.council_revenue_share <= 1,
             f"council_revenue_share must be in (0, 1] (got {self.council_revenue_share})"),
            (self.small_revenue >= 0, f"small_revenue must not be negative (got {self.small_revenue})"),
            (self.debt_to_revenue > 0, f"debt_to_revenue must be positive (got {self.debt_to_revenue})"),
            (self.interest_cover > 0, f"interest_cover must be positive (got {self.interest_cover})"),
            (1 <= self.medium_score <= self.high_score,
             f"need 1 <= medium_score <= high_score (got {self.medium_score}, {self.high_score})"),
        ])


@dataclass(frozen=True)
class QualityParams:
    min_homes: int = 3
    weak_share: float = 0.3
    declined_share: float = 0.25

    def __post_init__(self) -> None:
        check_parameters("quality flag", [
            (self.min_homes >= 2, f"min_homes must be at least 2 for a spread (got {self.min_homes})"),
            (0 < self.weak_share <= 1, f"weak_share must be in (0, 1] (got {self.weak_share})"),
            (0 < self.declined_share <= 1, f"declined_share must be in (0, 1] (got {self.declined_share})"),
        ])


SECTIONS = {"unlawful": UnlawfulParams, "liberty": LibertyParams, "profit": ProfitParams, "fees": FeeParams,
            "concentration": ConcentrationParams, "stress": StressParams, "replace": ReplaceParams,
            "fragility": FragilityParams, "quality": QualityParams}


@dataclass(frozen=True)
class FlagParams:
    unlawful: UnlawfulParams = field(default_factory=UnlawfulParams)
    liberty: LibertyParams = field(default_factory=LibertyParams)
    profit: ProfitParams = field(default_factory=ProfitParams)
    fees: FeeParams = field(default_factory=FeeParams)
    concentration: ConcentrationParams = field(default_factory=ConcentrationParams)
    stress: StressParams = field(default_factory=StressParams)
    replace: ReplaceParams = field(default_factory=ReplaceParams)
    fragility: FragilityParams = field(default_factory=FragilityParams)
    quality: QualityParams = field(default_factory=QualityParams)

    def __post_init__(self) -> None:
        for name, cls in SECTIONS.items():
            if not isinstance(getattr(self, name), cls):
                raise ValueError(f"invalid flag parameters: {name} must be a {cls.__name__}")

    @classmethod
    def from_toml(cls, path: str | Path) -> FlagParams:
        """Read parameters from TOML; keys left out keep their defaults, unknown keys are an error."""
        return load_toml(path, cls.from_dict)

    @classmethod
    def from_dict(cls, values: dict) -> FlagParams:
        return build_parameters(cls, values, SECTIONS)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
