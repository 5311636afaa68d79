"""The input tables of a region, defined once.

Every table in ../shared/design/DATA.md is described here as data: its columns, their types, units, whether
they are required, allowed values or ranges, defaults and a plain-English description. Loading, validation,
the documentation table (`rcc schema`) and the blank templates (`rcc template DIR`) are all driven from these
definitions, so a change to the contract is made here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from data.vocabulary import (  # noqa: F401  (the vocabulary the schema's columns are checked against)
    ADAPTATIONS,
    ANNUAL_MEASURES,
    CARED_ALONGSIDE,
    DOL_CONDITIONS,
    DOL_SETTING_TYPES,
    EDUCATION_NEEDS,
    EDUCATION_PROVISIONS,
    GB_LAT,
    GB_LON,
    HOME_KINDS,
    NEEDS,
    OFSTED_GRADES,
    OWNERSHIP,
    PET_NEEDS,
    PUBLIC_GROUP_LABELS,
    PUBLIC_GROUPS,
    RATIOS,
    REGISTRATION_STATUSES,
    RISK_LEVELS,
    RISKS,
    SECTORS,
    SETTING_TYPE_LABELS,
    SETTING_TYPES,
    SEXES,
    SSDA903_LS,
    SSDA903_PLACE,
    SSDA903_PLACE_PROVIDER,
    SSDA903_REC,
    SSDA903_RNE,
    SSDA903_SEX,
    SUITABILITY,
    SUITABILITY_COLUMN_BY_SETTING_TYPE,
    SUPPRESSION_CODES,
)

# --- the schema machinery ---------------------------------------------------------------------------------

DTYPES = ("str", "int", "float", "bool", "date", "list")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    unit: str = ""
    unique: bool = False
    references: str | None = None  # "table.column" this column must match
    not_in_future: bool = False
    # "english" or "english_or_welsh": an ONS council code that must be in rcc's register (data/authorities.py);
    # Welsh codes are allowed where a home may be in Wales
    council_code: str = ""
    # a required column whose cells may be blank, and what a blank means (e.g. vacancies "not known")
    blank_means: str = ""
    # the column's old name, still read as this column with a warning saying so (`formerly_note` adds why)
    formerly: str = ""
    formerly_note: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name}: dtype {self.dtype!r} is not one of {DTYPES}")
        if self.required and self.default is not None:
            raise ValueError(f"column {self.name}: a required column cannot have a default")

    def rule_text(self) -> str:
        """The constraint on this column's values, in words (docs table and template notes)."""
        parts = []
        if self.allowed:
            parts.append("one of " + ", ".join(self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{self.minimum:g} to {self.maximum:g}")
        elif self.minimum is not None:
            parts.append(f"at least {self.minimum:g}")
        elif self.maximum is not None:
            parts.append(f"at most {self.maximum:g}")
        if self.unique:
            parts.append("unique")
        if self.references:
            parts.append(f"must match {self.references}")
        if self.not_in_future:
            parts.append("not in the future")
        if self.council_code:
            parts.append("an ONS code of an English council" + (" (or a Welsh one)" if "welsh" in self.council_code
                                                                  else ""))
        if self.blank_means:
            parts.append(f"blank means {self.blank_means}")
        if self.formerly:
            parts.append(f"formerly {self.formerly} (still read as this, with a warning)")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    optional_table: bool = False
    ssda903: bool = False
    key: str | None = None

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def with_defaults(self, frame):
        """`frame` (a pandas DataFrame) with exactly this table's columns, in order: a column it lacks, or a blank
        cell, takes the column's default. For rows made in code (step-down referrals, placeholders), so that an
        optional column added to the contract never arrives blank where its default is meant."""
        import pandas as pd

        out = frame.reindex(columns=self.column_names)
        for c in self.columns:
            if c.default is None:
                continue
            if c.dtype == "list":
                values = [tuple(v) if isinstance(v, (tuple, list)) else c.default for v in out[c.name]]
            else:
                values = [c.default if pd.isna(v) else v for v in out[c.name]]
            out[c.name] = pd.Series(values, index=out.index, dtype=object)
        return out


def _lat(name: str, required: bool, what: str) -> Column:
    return Column(name, "float", f"Latitude of {what} (WGS84, postcode-sector centroid)", required=required,
                  minimum=-90, maximum=90, unit="degrees")


def _lon(name: str, required: bool, what: str) -> Column:
    return Column(name, "float", f"Longitude of {what} (WGS84, postcode-sector centroid)", required=required,
                  minimum=-180, maximum=180, unit="degrees")


# --- deprivation of liberty (issue 18, item 3): the two legal routes, and the homes able to meet a DoL order -----
# data/vocabulary.py says what each route means and where each may lead; optimiser/match applies it as hard rules.

DOL_CONDITION_WORDS = "; ".join(f"{code}: {label}" for code, label in DOL_CONDITIONS.items())
SECURE_REQUIRED_NOTE = (
    "secure_required is the old name of secure_order: read as secure_order, a secure accommodation order (Children "
    "Act 1989 s.25), which places the child in a secure children's home only. A child on a deprivation-of-liberty "
    "order, who must never be placed in a secure children's home, needs dol_order instead: rename the column "
    "secure_order, and mark such children dol_order")

DOL_SETTING_COLUMNS = (
    Column("dol_capable", "bool", "Can meet a deprivation-of-liberty order's conditions (registered children's homes "
           "only: " + ", ".join(DOL_SETTING_TYPES) + "; ignored, with a warning, on any other type)", default=False),
    Column("dol_shared_ok", "bool", "Can meet a DoL order while other children live there without restricting them "
           "(e.g. a separate wing with its own staff); otherwise a child on an order lives there alone",
           default=False),
    Column("dol_conditions_met", "list", "DoL conditions a dol_capable home can meet (';'-separated); blank: every "
           "condition. Staffing conditions are met by max_ratio. Codes as referrals.dol_conditions",
           allowed=tuple(DOL_CONDITIONS), default=()),
)

DOL_CHILD_COLUMNS = (
    Column("dol_order", "bool", "On a deprivation-of-liberty order now (inherent jurisdiction or the statutory "
           "route); flagged where the law forbids the placement, where the setting is unregistered and when the "
           "order's review is due", default=False),
    Column("dol_conditions", "list", "Conditions the order authorises (';'-separated)", allowed=tuple(DOL_CONDITIONS),
           default=()),
    Column("dol_order_start", "date", "Date the order was made (with placement_start, when Ofsted must be told of "
           "an unregistered placement)", not_in_future=True),
    Column("dol_review_date", "date", "Date the court next reviews the order"),
)

DOL_REFERRAL_COLUMNS = (
    Column("secure_order", "bool", "A secure accommodation order (Children Act 1989 s.25) applies or is sought: "
           "a secure children's home, and only a secure children's home", default=False,
           formerly="secure_required", formerly_note=SECURE_REQUIRED_NOTE),
    Column("dol_order", "bool", "A deprivation-of-liberty order applies or is sought (inherent jurisdiction or the "
           "statutory route): a registered children's home able to meet it (dol_capable), never a secure "
           "children's home, supported accommodation, foster care or parents; the child lives alone unless the "
           "home can meet the order without restricting the others (dol_shared_ok)", default=False),
    Column("dol_conditions", "list", "Conditions the order authorises (';'-separated), each of which the home must "
           "meet. Codes: " + DOL_CONDITION_WORDS, allowed=tuple(DOL_CONDITIONS), default=()),
    Column("dol_review_date", "date", "Date the court next reviews the order (flagged when passed or near)"),
)


# --- the home-search standard's fuller referral (issue 18, item 4) -----------------------------------------------
# Optional columns with safe defaults (blank: nothing asked, nothing stated), so older files load as they are. Each
# is a hard rule of the match or a cost term (its reason in allocations.csv's cost_reasons); the descriptions say
# which, and optimiser/match/search.py applies them.

def _codes(labels: dict) -> str:
    return "; ".join(f"{code}: {label}" for code, label in labels.items())


SEARCH_REFERRAL_COLUMNS = (
    Column("risks", "list", "Risks the child brings (';'-separated). Hard rule: a home that lists the risks it "
           "manages (settings.risks_managed) must list each; cost term: each risk a home states nothing about costs "
           "risk_unstated_cost. Codes: " + _codes(RISKS), allowed=tuple(RISKS), default=()),
    Column("pets", "str", "Pets. Hard rule: no_pets_in_home never goes to a home with animals (pets_in_home); "
           "cost term: bringing_a_pet costs pet_cost where the home does not accept pets (pets_accepted)",
           allowed=tuple(PET_NEEDS), default="no_preference"),
    Column("language", "str", "The child's first language where it is not English (e.g. Polish, Arabic). Cost "
           "term: language_cost where the home does not list it (settings.languages)", default=""),
    Column("religion", "str", "The child's religion, where it matters to them. Cost term: culture_cost where the "
           "home does not list it (settings.religions)", default=""),
    Column("culture", "str", "The child's cultural or ethnic heritage, where it matters to the search. Cost term: "
           "culture_cost where the home does not list it (settings.cultures)", default=""),
    Column("adaptations", "list", "Adaptations a disability needs (';'-separated). Hard rule: the home has each "
           "(settings.adaptations). Codes: " + _codes(ADAPTATIONS), allowed=tuple(ADAPTATIONS), default=()),
    Column("education_provision", "str", "Education the child needs. Hard rule: on_site only where the home lists "
           "on_site; cost term: education_cost where the home does not list mainstream, special_school or "
           "alternative_provision when that is needed (settings.education_provision). Codes: "
           + _codes(EDUCATION_PROVISIONS), allowed=EDUCATION_NEEDS, default="not_specified"),
)

SEARCH_SETTING_COLUMNS = (
    Column("risks_managed", "list", "Risks the home says it can manage (';'-separated, as referrals.risks); blank: "
           "not stated", allowed=tuple(RISKS), default=()),
    Column("pets_in_home", "bool", "Animals live in the home (a foster family's dog, say)", default=False),
    Column("pets_accepted", "bool", "A child's pet may come with them", default=False),
    Column("languages", "list", "Languages spoken in the home besides English (';'-separated, free text)",
           default=()),
    Column("religions", "list", "Religions the home shares or supports in practice (';'-separated, free text)",
           default=()),
    Column("cultures", "list", "Cultural or ethnic heritages the home shares (';'-separated, free text)", default=()),
    Column("adaptations", "list", "Adaptations the home has (';'-separated, as referrals.adaptations)",
           allowed=tuple(ADAPTATIONS), default=()),
    Column("education_provision", "list", "Education the home gives or is within reach of (';'-separated, as "
           "referrals.education_provision); blank: not stated", allowed=tuple(EDUCATION_PROVISIONS), default=()),
)


AUTHORITIES = Table(
    "authorities",
    "The councils (local authorities) of the region.",
    (
        Column("la_code", "str", "ONS code of the council, e.g. E08000003", required=True, unique=True,
               council_code="english"),
        Column("la_name", "str", "Name of the council", required=True),
        _lat("lat", True, "the council's centroid"),
        _lon("lon", True, "the council's centroid"),
        Column("population_0_17", "int", "Children aged 0-17 living in the council (for rates per 10,000)",
               minimum=0, unit="children"),
    ),
    key="la_code",
)

PROVIDERS = Table(
    "providers",
    "The organisations that run settings.",
    (
        Column("provider_id", "str", "Pseudonymous or Ofsted provider id", required=True, unique=True),
        Column("provider_name", "str", "Name of the provider", required=True),
        Column("sector", "str", "Who runs it", required=True, allowed=SECTORS),
        Column("parent_group", "str", "Ultimate owner, for group-level oversight", default=""),
        Column("ownership", "str", "Kind of owner", allowed=OWNERSHIP, default="other"),
        Column("financial_year_end", "date", "End of the financial year the figures cover"),
        Column("revenue", "float", "Revenue for the financial year", minimum=0, unit="£ per year"),
        Column("operating_profit", "float", "Operating profit for the financial year (negative for a loss)",
               unit="£ per year"),
        Column("difficult_to_replace", "bool", "Designated difficult to replace (the Bill's financial oversight); "
               "rcc also derives the designation from the data (flags.csv, difficult_to_replace_derived) and this "
               "overrides it", default=False),
        Column("prior_revenue", "float", "Revenue for the financial year before (for the margin's trend; blank: not "
               "known)", minimum=0, unit="£ per year"),
        Column("prior_operating_profit", "float", "Operating profit for the financial year before (blank: not known)",
               unit="£ per year"),
        Column("debt", "float", "Borrowings at the financial year end (blank: not known, not scored)", minimum=0,
               unit="£"),
        Column("interest", "float", "Interest payable for the financial year (blank: not known, not scored)",
               minimum=0, unit="£ per year"),
    ),
    key="provider_id",
)

SETTINGS = Table(
    "settings",
    "Places a child can live: children's homes, foster households, supported accommodation (the supply).",
    (
        Column("setting_id", "str", "Ofsted URN where registered, else a pseudonymous id", required=True,
               unique=True),
        Column("provider_id", "str", "Provider that runs it", required=True, references="providers.provider_id"),
        Column("setting_type", "str", "Kind of setting", required=True, allowed=SETTING_TYPES),
        Column("registration_status", "str", "Ofsted registration status", required=True,
               allowed=REGISTRATION_STATUSES),
        Column("la_code", "str", "Council the setting is in (it may be outside the region)", required=True,
               council_code="english_or_welsh"),
        _lat("lat", True, "the setting"),
        _lon("lon", True, "the setting"),
        Column("places", "int", "Registered or approved places", required=True, minimum=0, maximum=500,
               unit="places", blank_means="not known (Ofsted's oldest lists publish no places)"),
        Column("vacancies", "int", "Places free to offer now", required=True, minimum=0, unit="places",
               blank_means="not known (Ofsted does not publish vacancies): the match offers the setting to no "
               "child until they are filled in"),
        Column("age_min", "int", "Youngest age taken", minimum=0, maximum=25, default=0, unit="years"),
        Column("age_max", "int", "Oldest age taken (supported accommodation: 16-17)", minimum=0, maximum=25,
               default=17, unit="years"),
        Column("needs_met", "list", "Needs the setting can meet (';'-separated)", allowed=NEEDS, default=()),
        Column("solo_only", "bool", "A single-child home", default=False),
        Column("max_ratio", "str", "Highest adult:child staffing ratio it can give", allowed=RATIOS,
               default="standard"),
        Column("ofsted_grade", "str", "Latest Ofsted overall grade", allowed=OFSTED_GRADES,
               default="not_inspected"),
        Column("previous_ofsted_grade", "str", "The overall grade of the inspection before the latest (for the "
               "group-level quality trend; not_inspected: none known)", allowed=OFSTED_GRADES,
               default="not_inspected"),
        Column("weekly_fee", "float", "Fee the provider charges", minimum=0, unit="£ per week"),
        Column("block_contract", "bool", "Beds already bought by the RCC", default=False),
        Column("location_approximate", "bool", "lat/lon are the council's label point, not the setting's own "
               "(Ofsted redacts children's homes' addresses)", default=False),
        Column("setting_name", "str", "Name (never shown with a child)", default=""),
        *DOL_SETTING_COLUMNS,
        *SEARCH_SETTING_COLUMNS,
    ),
    key="setting_id",
)

CHILDREN = Table(
    "children",
    "Children looked after now, and where they live.",
    (
        Column("child_id", "str", "Pseudonymous child id", required=True, unique=True),
        Column("la_code", "str", "Responsible council", required=True, references="authorities.la_code"),
        Column("age", "int", "Age in whole years (required unless dob is given)", minimum=0, maximum=25,
               unit="years"),
        Column("dob", "date", "Date of birth (used for age when age is blank)", not_in_future=True),
        Column("sex", "str", "Sex", required=True, allowed=SEXES),
        Column("current_setting_id", "str", "Setting the child lives in (blank: family, kinship, outside data)",
               default=""),
        Column("placement_start", "date", "Start of the current placement", not_in_future=True),
        Column("weekly_cost", "float", "What the council actually pays", minimum=0, unit="£ per week"),
        _lat("home_lat", False, "the family home"),
        _lon("home_lon", False, "the family home"),
        Column("needs", "list", "Needs (';'-separated)", allowed=NEEDS, default=()),
        Column("uasc", "bool", "Unaccompanied asylum-seeking child", default=False),
        Column("legal_status", "str", "SSDA903 legal status code", allowed=SSDA903_LS, default=""),
        Column("place", "str", "SSDA903 placement type code", allowed=SSDA903_PLACE, default=""),
        *DOL_CHILD_COLUMNS,
    ),
    key="child_id",
)

REFERRALS = Table(
    "referrals",
    "Home searches: children who need a home now (after the RCC home-search data standard).",
    (
        Column("referral_id", "str", "Pseudonymous referral id", required=True, unique=True),
        Column("child_id", "str", "Pseudonymous child id", required=True),
        Column("la_code", "str", "Council making the referral", required=True, references="authorities.la_code"),
        Column("age", "int", "Age in whole years", required=True, minimum=0, maximum=25, unit="years"),
        Column("sex", "str", "Sex", required=True, allowed=SEXES),
        Column("needed_by", "date", "Date the home is needed by", required=True),
        Column("emergency", "bool", "Needs a home today", default=False),
        Column("sibling_group", "str", "Siblings sharing an id must be placed together", default=""),
        _lat("family_lat", False, "the family home"),
        _lon("family_lon", False, "the family home"),
        Column("close_to_family", "bool", "Being near family matters more than usual", default=False),
        _lat("school_lat", False, "the child's school"),
        _lon("school_lon", False, "the child's school"),
        Column("keep_school", "bool", "The child should stay at the same school", default=False),
        Column("foster_suitability", "str", "Is foster care right for the child", allowed=SUITABILITY,
               default="not_specified"),
        Column("residential_suitability", "str", "Is a children's home right for the child", allowed=SUITABILITY,
               default="not_specified"),
        Column("supported_suitability", "str", "Is supported accommodation right for the child (16-17 only)",
               allowed=SUITABILITY, default="not_specified"),
        *DOL_REFERRAL_COLUMNS,
        Column("needs", "list", "Needs the home must meet (';'-separated)", allowed=NEEDS, default=()),
        Column("cared_alongside", "str", "Who the child can live with", allowed=CARED_ALONGSIDE,
               default="no_preference"),
        Column("ratio", "str", "Adult:child staffing ratio the child needs", allowed=RATIOS, default="standard"),
        Column("risk_to_self", "str", "Risk to self", allowed=RISK_LEVELS, default="none"),
        Column("risk_to_others", "str", "Risk to others", allowed=RISK_LEVELS, default="none"),
        _lat("avoid_lat", False, "a place the child must not live near"),
        _lon("avoid_lon", False, "a place the child must not live near"),
        Column("avoid_radius_km", "float", "Radius around the avoid point", minimum=0, unit="km"),
        Column("max_distance_km", "float", "Furthest the home may be from the family", minimum=0, unit="km"),
        Column("current_setting_id", "str", "Setting the child must move from, e.g. an unregistered one",
               default=""),
        *SEARCH_REFERRAL_COLUMNS,
    ),
    key="referral_id",
)

HEADER = Table(
    "header",
    "SSDA903 header: one row per child ever looked after (DfE return, council column added).",
    (
        Column("CHILD", "str", "Pseudonymous child id", required=True, unique=True),
        Column("SEX", "str", "1 male, 2 female (M and F are read as 1 and 2; U, not known, is read and reported as "
               "DfE rule 101)", required=True, allowed=(*SSDA903_SEX, "U")),
        Column("DOB", "date", "Date of birth", required=True, not_in_future=True),
        Column("ETHNIC", "str", "Ethnicity code", default=""),
        Column("LA", "str", "Responsible council (ONS code)", required=True, references="authorities.la_code"),
    ),
    optional_table=True,
    ssda903=True,
    key="CHILD",
)

EPISODES = Table(
    "episodes",
    "SSDA903 episodes: one row per change of placement, legal status or care period.",
    (
        Column("CHILD", "str", "Pseudonymous child id", required=True, references="header.CHILD"),
        Column("DECOM", "date", "Date the episode started", required=True, not_in_future=True),
        Column("RNE", "str", "Reason for new episode", required=True, allowed=SSDA903_RNE),
        Column("LS", "str", "Legal status", required=True, allowed=SSDA903_LS),
        Column("CIN", "str", "Category of need (N1-N8)", default=""),
        Column("PLACE", "str", "Placement type", required=True, allowed=SSDA903_PLACE),
        Column("PLACE_PROVIDER", "str", "Placement provider", required=True, allowed=SSDA903_PLACE_PROVIDER),
        Column("DEC", "date", "Date the episode ceased (blank if open)", not_in_future=True),
        Column("REC", "str", "Reason episode ceased", allowed=SSDA903_REC, default=""),
        Column("REASON_PLACE_CHANGE", "str", "Reason for placement change", default=""),
        Column("HOME_POST", "str", "Home postcode sector", default=""),
        Column("PL_POST", "str", "Placement postcode sector", default=""),
        Column("URN", "str", "Ofsted URN of the placement", default=""),
        Column("LA", "str", "Responsible council (ONS code)", required=True, references="authorities.la_code"),
    ),
    optional_table=True,
    ssda903=True,
)

UASC = Table(
    "uasc",
    "SSDA903 UASC: children who were unaccompanied asylum-seeking children, and when that ceased.",
    (
        Column("CHILD", "str", "Pseudonymous child id", required=True, references="header.CHILD"),
        Column("DUC", "date", "Date UASC status ceased (18th birthday or status decided)"),
        Column("LA", "str", "Responsible council (ONS code)", required=True, references="authorities.la_code"),
    ),
    optional_table=True,
    ssda903=True,
)

# --- SSDA903 deprivation-of-liberty orders (issue 18: a council's own returns) -----------------------------

DOL_ORDERS = Table(
    "dol_orders",
    "SSDA903 deprivation-of-liberty orders (the DfE's DoLo table, from 2026/27): one row per order a looked-after "
    "child was subject to, with its start and end (`rcc import-903` reads DoLo.csv as councils return it and adds "
    "the council).",
    (
        Column("CHILD", "str", "Pseudonymous child id", required=True),
        Column("DOB", "date", "Date of birth (as the DoLo table repeats it)", not_in_future=True),
        Column("DOLO_START", "date", "Date the deprivation-of-liberty order started", required=True,
               not_in_future=True),
        Column("DOLO_END", "date", "Date the order ended (blank while it is in force)"),
        Column("LA", "str", "Responsible council (ONS code)", required=True, references="authorities.la_code"),
    ),
    optional_table=True,
    ssda903=True,
)

CONTROL_ACTIONS = ("lock", "veto")

CONTROLS = Table(
    "controls",
    "Council controls on the match (an rcc extension to DATA.md): lock a child to a named setting, or veto a "
    "setting or a whole provider for a child.",
    (
        Column("referral_id", "str", "Referral the control applies to", required=True,
               references="referrals.referral_id"),
        Column("action", "str", "lock: the child must go to setting_id; veto: the child must not go to "
               "setting_id, or to any setting of provider_id", required=True, allowed=CONTROL_ACTIONS),
        Column("setting_id", "str", "Setting locked or vetoed", default="", references="settings.setting_id"),
        Column("provider_id", "str", "Provider vetoed (all its settings)", default="",
               references="providers.provider_id"),
        Column("note", "str", "Why (kept with the run for audit)", default=""),
    ),
    optional_table=True,
)

MEMBERS = Table(
    "members",
    "Which councils of the region are members of the RCC (an rcc extension to DATA.md). Without the file every "
    "council of authorities.csv is a member from the start. A non-member's children are not matched by the RCC; "
    "the settings in its area stay in the market, competing for their vacancies, of which the match counts on "
    "non_member_vacancy_share (optimiser/match/match.toml).",
    (
        Column("la_code", "str", "Council (ONS code)", required=True, unique=True, references="authorities.la_code"),
        Column("member", "bool", "Whether the council is a member of the RCC", default=True),
        Column("start_month", "date", "First day of the month the council's membership starts (e.g. 2026-04-01); "
               "before it the council is not yet a member; blank: a member from the start", default=None),
        Column("reserved_share", "float", "Share of the council's own in-house places (council-run settings in its "
               "area) reserved for its own children: other councils' children may use the rest only (rounded down "
               "to whole places); the council's account shows what the reservation costs the region", minimum=0,
               maximum=1, default=0.0, unit="share"),
    ),
    optional_table=True,
    key="la_code",
)

OPTION_KINDS = ("block_contract", "new_home", "foster_recruitment")

OPTIONS = Table(
    "options",
    "Commissioning options for the sufficiency strategy (an rcc extension to DATA.md): beds to block-contract "
    "with a provider, new homes to open, foster carers to recruit. When the file is absent rcc generates "
    "defaults from the region's providers, settings and fees (optimiser/strategy/options.py).",
    (
        Column("option_id", "str", "Id of the option", required=True, unique=True),
        Column("kind", "str", "block_contract: beds bought from a provider at a discounted fee for a minimum "
               "term; new_home: a home the RCC opens; foster_recruitment: recruiting and approving foster "
               "households", required=True, allowed=OPTION_KINDS),
        Column("provider_id", "str", "Provider of a block contract (blank for the other kinds)", default="",
               references="providers.provider_id"),
        Column("la_code", "str", "Council whose children the places serve (where they are)", required=True,
               references="authorities.la_code"),
        Column("group", "str", "Kind of home the places are", required=True, allowed=HOME_KINDS),
        Column("places", "float", "Block contract: most beds on offer; new home: its places; foster "
               "recruitment: children placed per household approved (approved places x share filled)",
               required=True, minimum=0, unit="places"),
        Column("capital_cost", "float", "One-off cost: building or buying a home; recruiting and assessing one "
               "household", minimum=0, default=0.0, unit="£ per unit"),
        Column("weekly_cost", "float", "Running cost of one place, paid whether or not a child is in it (a "
               "block bed's discounted fee, a home's running cost per place, a carer's fee and allowance)",
               required=True, minimum=0, unit="£ per place per week"),
        Column("lead_time_quarters", "int", "Quarters from the decision until the places can take children",
               minimum=0, maximum=40, default=0, unit="quarters"),
        Column("min_term_quarters", "int", "Shortest contract (block contracts): a contract is paid for at least "
               "this long, even past the plan's horizon", minimum=0, maximum=40, default=0, unit="quarters"),
        Column("max_units", "int", "How many units may be taken: homes of this design (new_home), households "
               "a quarter (foster_recruitment); ignored for block contracts (places caps the beds)", minimum=0,
               default=1, unit="units"),
        Column("note", "str", "Where the figures come from (kept with the plan)", default=""),
    ),
    optional_table=True,
    key="option_id",
)

CLA_ANNUAL = Table(
    "cla_annual",
    "Published yearly figures per council (an rcc extension to DATA.md): the DfE's children looked after at 31 "
    "March by placement group, starts, ceases and placements away from home, as `rcc public region` writes them "
    "from the DfE's LA tables. A region built from public data has this instead of an SSDA903 history.",
    (
        Column("la_code", "str", "Council (ONS code)", required=True, references="authorities.la_code"),
        Column("year", "int", "Year ending 31 March (2024: at 31 March 2024, or during 2023-24)", required=True,
               minimum=2000, maximum=2100),
        Column("measure", "str", "What is counted: " + "; ".join(f"{k}: {v}" for k, v in ANNUAL_MEASURES.items()),
               required=True, allowed=tuple(ANNUAL_MEASURES)),
        Column("group", "str", "Placement group: every group for looked_after, all and childrens_home for "
               "placed_outside_la, all for the other measures", required=True, allowed=PUBLIC_GROUPS),
        Column("value", "float", "Number of children; blank when the DfE did not publish it (see status)",
               minimum=0, unit="children"),
        Column("status", "str", "Blank when published; else why not: " + "; ".join(
            f"{k}: {v}" for k, v in SUPPRESSION_CODES.items()), default=""),
        Column("source", "str", "Publication file and year the figure comes from", default=""),
    ),
    optional_table=True,
)

TABLES: dict[str, Table] = {
    t.name: t for t in (AUTHORITIES, PROVIDERS, SETTINGS, CHILDREN, REFERRALS, HEADER, EPISODES, UASC, CONTROLS,
                        OPTIONS, CLA_ANNUAL, DOL_ORDERS, MEMBERS)
}


def docs_markdown() -> str:
    """The data contract as Markdown tables, generated from the schema (so docs never drift from code)."""
    lines = []
    for table in TABLES.values():
        note = " (optional table)" if table.optional_table else ""
        lines += [f"### {table.file_name}{note}", "", table.description, "",
                  "| column | type | unit | required | default | rule | description |",
                  "|---|---|---|---|---|---|---|"]
        for c in table.columns:
            default = "" if c.default is None else (";".join(c.default) if isinstance(c.default, tuple)
                                                    else str(c.default))
            lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {'yes' if c.required else ''} | {default} | "
                         f"{c.rule_text()} | {c.description} |")
        lines.append("")
    return "\n".join(lines)
