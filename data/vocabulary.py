"""rcc's vocabulary, defined once: the codes every table uses, how they map onto each other, and the words shown
to people for each.

Three levels of "kind of placement" meet in rcc, and each has one mapping to the next:
- setting types (the supply: settings.csv) -> placement groups (DATA.md "Placement groups": what forecasts count,
  with SSDA903 PLACE codes mapped to them too) -> kinds of home (what a child needs and the strategy plans in:
  foster care whoever employs the carer, children's homes, secure homes, supported accommodation);
- DATA.md's "Placement groups" table maps SSDA903 episodes and the supply's setting types onto the groups side by
  side, so both halves live here: one table, one place. forecasts/groups.py only applies the episode half (it is
  the one reader of episodes), and the data layer (the synthetic histories) uses the same codes;
- the DfE's published placement breakdown (PUBLIC_GROUPS) is coarser still and has its own list.
Labels are written for sentences ("2 children's homes", "a council foster household"): a chart or table that
needs a note adds it itself.
"""

from __future__ import annotations

from datetime import date

SECTORS = ("local_authority", "private", "voluntary", "health_authority")
SETTING_TYPES = (
    "childrens_home",
    "secure_childrens_home",
    "foster_inhouse",
    "foster_ifa",
    "supported_accommodation",
    "residential_special_school",
)
SETTING_TYPE_LABELS = {
    "childrens_home": "children's home",
    "secure_childrens_home": "secure children's home",
    "foster_inhouse": "council foster household",
    "foster_ifa": "agency foster household",
    "supported_accommodation": "supported accommodation",
    "residential_special_school": "residential special school",
}
REGISTRATION_STATUSES = ("active", "suspended", "resigned", "cancelled", "applied", "unregistered")
RATIOS = ("standard", "1:1", "2:1", "3:1")
OFSTED_GRADES = ("outstanding", "good", "requires_improvement", "inadequate", "not_inspected")
SEXES = ("m", "f", "other")
SUITABILITY = ("preferred", "suitable", "unsuitable", "not_specified")
CARED_ALONGSIDE = ("solo", "with_others", "older_only", "younger_only", "no_preference")
RISK_LEVELS = ("none", "low", "high")
NEEDS = (
    "emotional_behavioural",
    "mental_health",
    "learning_disability",
    "physical_disability",
    "sensory_impairment",
    "complex_health",
    "exploitation_risk",
    "substance_misuse",
    "parent_and_child",
    "uasc",
)
OWNERSHIP = ("private_equity", "listed", "family", "charity", "council", "nhs", "other")

# What the DfE publishes per council each year ("Children looked after in England including adoptions", LA
# tables): children looked after at 31 March by a placement breakdown coarser than DATA.md's groups, and the only
# one every year's tables allow (2010-2017 wide SFR files, 2021 on tidy files). childrens_home holds secure homes
# too; before 2018 the DfE's "secure units, children's homes and semi-independent living" also held hostels.
PUBLIC_GROUPS = ("all", "foster", "childrens_home", "independent_living", "with_parents", "other")
PUBLIC_GROUP_LABELS = {
    "all": "all children looked after",
    "foster": "foster placements",
    "childrens_home": "children's homes (secure homes included)",
    "independent_living": "independent and semi-independent living, supported accommodation",
    "with_parents": "placed with parents",
    "other": "other placements (adoption, residential schools, other residential, other)",
}
ANNUAL_MEASURES = {
    "looked_after": "children looked after at 31 March",
    "started": "children who started to be looked after during the year to 31 March",
    "ceased": "children who ceased to be looked after during the year to 31 March",
    "placed_outside_la": "children looked after at 31 March placed outside their council's boundary",
    "placed_over_20_miles": "children looked after at 31 March placed more than 20 miles from home",
}
# The DfE's codes for a figure it does not publish (kept beside the missing value, never turned into a zero).
SUPPRESSION_CODES = {
    "c": "suppressed to protect confidentiality",
    "k": "suppressed: fewer than 0.5",
    "x": "not available or suppressed (small number)",
    "z": "not applicable",
    "u": "low reliability",
    "..": "not available",
    "low": "fewer than 0.5 (rounded)",
    "not_published": "not published for this year",
}

# SSDA903 code lists (DfE SSDA903 guide; Z1 and Z11-Z14 from 2025/26).
SSDA903_PLACE = (
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1", "Z11", "Z12", "Z13", "Z14",
)
SSDA903_RNE = ("S", "L", "P", "T", "B", "U")
SSDA903_PLACE_PROVIDER = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
SSDA903_LS = ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
SSDA903_SEX = ("1", "2")
SSDA903_REC = (
    "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41", "E45", "E46", "E47",
    "E48", "E5", "E6", "E7", "E8", "E9", "X1",
)

# Supported accommodation is unlawful for a child under 16 (since September 2021): validation, the match and the
# flags hold to this one age.
SUPPORTED_MIN_AGE = 16

# Setting types that are (or may be) the home a child is in; which referral suitability column governs each.
SUITABILITY_COLUMN_BY_SETTING_TYPE = {
    "foster_inhouse": "foster_suitability",
    "foster_ifa": "foster_suitability",
    "childrens_home": "residential_suitability",
    "residential_special_school": "residential_suitability",
    "secure_childrens_home": "residential_suitability",
    "supported_accommodation": "supported_suitability",
}

# --- deprivation of liberty (issue 18, item 3) ---------------------------------------------------------------
# Two legal routes restrict a child's liberty, and they lead to different homes:
# - a secure accommodation order (Children Act 1989 s.25): a secure children's home, and only there;
# - a deprivation-of-liberty (DoL) order (the High Court's inherent jurisdiction, and the statutory route the
#   Children's Wellbeing and Schools Bill creates): somewhere that is *not* a secure home, usually a registered
#   children's home able to meet the order's conditions. The DfE's 2026/27 validation rules: a child on a DoL order
#   is never placed in a secure children's home, with parents, in a young offender institution or in supported
#   accommodation (PLACE K2, Z12 or Z13 expected). The restrictions on one child must not deprive the children
#   living with them of their liberty (DfE impact assessment, January 2025).
# The conditions a DoL order authorises (referrals.dol_conditions, children.dol_conditions, and what a home can
# meet: settings.dol_conditions_met).
DOL_CONDITIONS = {
    "staffing_1_1": "one adult with the child at all times (1:1)",
    "staffing_2_1": "two adults with the child at all times (2:1)",
    "staffing_3_1": "three adults with the child at all times (3:1)",
    "constant_supervision": "constant supervision, within sight at all times",
    "locked_doors": "external doors and windows locked: the child may not leave freely",
    "accompanied_outside": "leaves the home only with staff",
    "no_phone": "no mobile phone, or its use supervised",
    "internet_restricted": "internet use restricted or supervised",
    "restraint": "physical restraint authorised",
    "searches": "the child's room and belongings may be searched",
}
# A staffing condition is met by the home's staffing (settings.max_ratio), not by a listed capability.
DOL_STAFFING_RATIO = {"staffing_1_1": "1:1", "staffing_2_1": "2:1", "staffing_3_1": "3:1"}
# The settings that may meet a DoL order (settings.dol_capable): registered children's homes only.
DOL_SETTING_TYPES = ("childrens_home",)
# Where a child on a DoL order must never live (the DfE's 2026/27 rules): by setting type, and by SSDA903 PLACE code
# for placements outside any setting (with parents) or outside children's social care (a young offender
# institution).
DOL_FORBIDDEN_SETTING_TYPES = {"secure_childrens_home": "a secure children's home",
                               "supported_accommodation": "supported accommodation"}
DOL_FORBIDDEN_PLACES = {"K1": "a secure children's home", "K3": "supported accommodation",
                        "H5": "supported accommodation", "P1": "placed with parents",
                        "R5": "a young offender institution or prison"}
# DfE rule 710 names these codes only: H5, the code semi-independent living had before supported accommodation was
# regulated (K3), is not in the rule's text, so the return's check leaves it out while the flags (which judge
# where a child lives, whatever code an older return used) keep it.
DOL_RULE_710_PLACES = tuple(code for code in DOL_FORBIDDEN_PLACES if code != "H5")

# --- the home-search standard's fuller referral (issue 18, item 4) ------------------------------------------------
# What commissioners decide on beyond needs and staffing. Risks the child brings (referrals.risks) against the risks a
# home says it can manage (settings.risks_managed); pets; adaptations for a disability; the education the child
# needs. Language, religion and culture are free text (a home lists what it offers), compared without case.
RISKS = {
    "going_missing": "going missing",
    "fire_setting": "fire-setting",
    "self_harm": "self-harm",
    "exploitation": "exploitation (criminal or sexual)",
    "harmful_sexual_behaviour": "harmful sexual behaviour",
    "violence": "violence",
}
PET_NEEDS = {"no_preference": "no preference", "bringing_a_pet": "the child's pet should come too",
             "no_pets_in_home": "no animals in the home (allergy or fear)"}
ADAPTATIONS = {
    "wheelchair_access": "step-free, wheelchair-accessible home",
    "ground_floor_bedroom": "a ground-floor bedroom",
    "hoist": "a hoist",
    "adapted_bathroom": "an adapted bathroom",
    "sensory_room": "a sensory room",
    "hearing_loop": "a hearing loop",
}
EDUCATION_PROVISIONS = {
    "mainstream": "a mainstream school within reach",
    "special_school": "a special school within reach",
    "alternative_provision": "alternative provision within reach",
    "on_site": "education on site (the home's own school)",
}
EDUCATION_NEEDS = ("not_specified", *EDUCATION_PROVISIONS)

# Great Britain's extent, generously rounded: coordinates outside it are a typo (a swapped lat/lon, a missing
# minus sign) rather than a real home; the RCCs are all in England.
GB_LAT = (49.8, 60.95)
GB_LON = (-8.7, 1.85)



# --- mappings between the levels ------------------------------------------------------------------------

PLACEMENT_GROUPS = ("kinship", "foster_inhouse", "foster_ifa", "childrens_home", "secure", "supported",
                    "with_parents", "adoption", "other")
PLACEMENT_GROUP_LABELS = {
    "kinship": "kinship care", "foster_inhouse": "council foster care", "foster_ifa": "agency foster care",
    "childrens_home": "children's homes", "secure": "secure children's homes",
    "supported": "supported accommodation", "with_parents": "placed with parents",
    "adoption": "placed for adoption", "other": "other placements",
}
# DATA.md "Placement groups": the supply setting types counted in each group (residential special schools with
# children's homes, as SSDA903 counts residential schools, S1, with them).
PLACEMENT_GROUP_OF_SETTING_TYPE = {
    "foster_inhouse": "foster_inhouse", "foster_ifa": "foster_ifa", "childrens_home": "childrens_home",
    "residential_special_school": "childrens_home", "secure_childrens_home": "secure",
    "supported_accommodation": "supported",
}
# SSDA903 episodes to groups (DATA.md "Placement groups"): PLACE codes by group, with foster care (FOSTER_PLACES) split
# by PLACE_PROVIDER into the council's own carers (PR1-PR3: own LA, other LA, other public) and independent agencies
# (PR4-PR5: private, voluntary); every other code is "other". Before 2025/26 supported accommodation was returned as
# H5 (semi-independent) or P2 (independent living); K3 replaced both when Ofsted registration began, so episodes
# starting from K3_FROM with H5 or P2 are "other".
KINSHIP_PLACES = ("U1", "U2", "U3")
FOSTER_PLACES = ("U4", "U5", "U6")
INHOUSE_PROVIDERS = ("PR1", "PR2", "PR3")
IFA_PROVIDERS = ("PR4", "PR5")
PLACEMENT_GROUP_OF_PLACE = {
    **{p: "kinship" for p in KINSHIP_PLACES},
    "K2": "childrens_home", "R1": "childrens_home", "S1": "childrens_home",
    "K1": "secure",
    "K3": "supported",
    "P1": "with_parents",
    **{p: "adoption" for p in ("A3", "A4", "A5", "A6")},
}
LEGACY_SUPPORTED_PLACES = ("H5", "P2")
K3_FROM = date(2025, 4, 1)
# What a child needs and the strategy plans in. Foster care is one kind whoever employs the carer: who does is a
# commissioning choice, not the child's need.
HOME_KINDS = ("foster", "childrens_home", "dol", "secure", "supported")
HOME_KIND_LABELS = {"foster": "foster care", "childrens_home": "children's homes",
                    "dol": "homes able to meet deprivation-of-liberty orders", "secure": "secure homes",
                    "supported": "supported accommodation"}
HOME_KIND_OF_PLACEMENT_GROUP = {"foster_inhouse": "foster", "foster_ifa": "foster", "childrens_home": "childrens_home",
                                "secure": "secure", "supported": "supported", "dol": "dol"}
HOME_KIND_OF_SETTING_TYPE = {t: HOME_KIND_OF_PLACEMENT_GROUP[g] for t, g in PLACEMENT_GROUP_OF_SETTING_TYPE.items()}
# The deprivation-of-liberty cohort ("dol" above): a line of the Demand table of its own (forecasts/liberty.py),
# carved out of the placement groups its children are in, and its kind of home (children's homes marked
# dol_capable: the places the strategy plans for it apart from other children's homes, and secure homes apart from
# both).
DOL_GROUP = "dol"
DEMAND_GROUPS = (*PLACEMENT_GROUPS, DOL_GROUP)
DEMAND_GROUP_LABELS = {**PLACEMENT_GROUP_LABELS, DOL_GROUP: "placements under deprivation-of-liberty orders"}
# The kind of home each of a referral's suitability columns asks for (a secure home is asked for by secure_order
# instead), in the order a preference is read: at the same level a later column wins, so foster care, a family,
# comes first when a referral marks several kinds alike.
HOME_KIND_OF_SUITABILITY_COLUMN = {"supported_suitability": "supported", "residential_suitability": "childrens_home",
                                   "foster_suitability": "foster"}
SECTOR_LABELS = {"local_authority": "council", "private": "private", "voluntary": "voluntary",
                 "health_authority": "health authority"}

# --- column headings: what a person reads for each column code -----------------------------------------------
# One vocabulary for every table a person reads (the dashboard and the board packs: app/reports/readable.py applies
# it); the CSV downloads keep the codes, because they join to other data. Each column: (heading, how its values
# read): money (£ with thousands separators), km, share (a percentage), count (whole numbers), number (one decimal),
# text, council (a council's code shown as its name), or a vocabulary of codes named below (COLUMN_VALUE_LABELS).
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "la_code": ("council", "council"),
    "setting_la_code": ("council of the home", "council"),
    "area": ("area", "council"),
    "referral_id": ("referral", "text"),
    "child_id": ("child (pseudonym)", "text"),
    "setting_id": ("home", "text"),
    "new_setting_id": ("new home", "text"),
    "provider_id": ("provider", "text"),
    "provider_name": ("provider", "text"),
    "parent_group": ("provider group", "text"),
    "setting_type": ("type of home", "setting_type"),
    "new_setting_type": ("type of the new home", "setting_type"),
    "group": ("kind of home", "group"),
    "kind": ("kind of action", "action_kind"),
    "status": ("status", "text"),
    "reason": ("why not matched", "text"),
    "reason_code": ("reason", "reason"),
    "distance_km": ("distance from home", "km"),
    "weekly_fee": ("fee (£ a week)", "money"),
    "weekly_fee_after": ("fee after (£ a week)", "money"),
    "weekly_cost_before": ("cost now (£ a week)", "money"),
    "weekly_cost": ("cost (£ a week)", "money"),
    "weekly_cost_per_place": ("cost per place (£ a week)", "money"),
    "weekly_fees": ("fees of the matches (£ a week)", "money"),
    "weekly_spend": ("spend (£ a week)", "money"),
    "annual_spend": ("spend (£ a year)", "money"),
    "total_cost": ("model cost (£ a week equivalent)", "money"),
    "capital_cost": ("capital and one-off (£)", "money"),
    "running_cost": ("running cost over the plan (£)", "money"),
    "revenue": ("revenue (£ a year)", "money"),
    "operating_profit": ("profit (£ a year)", "money"),
    "margin": ("margin", "share"),
    "peer_median": ("peers' median margin", "share"),
    "top_share": ("largest owner's share", "share"),
    "top3_share": ("top three owners' share", "share"),
    "council_share": ("councils' own share", "share"),
    "hhi": ("concentration (HHI)", "count"),
    "robust_z": ("robust z", "number"),
    "age": ("age", "count"),
    "sex": ("sex", "text"),
    "needs": ("needs", "text"),
    "needed_by": ("needed by", "text"),
    "places": ("places", "count"),
    "vacancies": ("vacancies", "count"),
    "children": ("children", "count"),
    "unmatched": ("children unmatched", "count"),
    "referrals": ("referrals", "count"),
    "matched": ("matched", "count"),
    "places_expected": ("emergencies expected", "number"),
    "places_held": ("places held back", "count"),
    "setting_ids": ("homes held", "text"),
    "why": ("why", "text"),
    "need": ("need", "text"),
    "severity": ("severity", "text"),
    "subject_id": ("about", "text"),
    "evidence": ("evidence", "text"),
    "action": ("what to do", "text"),
    "decide_by": ("decide by", "month"),
    "places_from": ("places from", "text"),
    "rule": ("rule", "text"),
    "settings_failing": ("homes ruled out", "count"),
    "binding_settings": ("ruled out by this rule alone", "count"),
    "nearest_binding_km": ("nearest of those", "km"),
    "explanation": ("explanation", "text"),
    "distance_from": ("distance measured from", "text"),
    "month": ("month", "month"),
    "run_id": ("run", "text"),
    "started_at": ("started", "text"),
    "finished_at": ("finished", "text"),
    "code_version": ("rcc version", "text"),
    "input_hash": ("input (hash of the data)", "text"),
    "params_hash": ("parameters (hash)", "text"),
    "file": ("file", "text"),
    "row": ("row", "text"),
    "column": ("column", "text"),
    "value": ("value", "text"),
    "name": ("name", "text"),
    "area_name": ("area", "text"),
    "market": ("market", "text"),
    "owners": ("owners", "count"),
    "independent_places": ("independent places", "count"),
    "top_owner_name": ("largest owner", "text"),
    "flagged": ("flagged", "yes_no"),
    "sector": ("sector", "sector"),
    "children_unlawful": ("children living unlawfully", "count"),
    "children_in_unregistered": ("in unregistered settings", "count"),
    "settings": ("settings", "count"),
    "quarter": ("quarter (number)", "count"),
    "quarter_label": ("quarter", "text"),
    "units": ("units", "number"),
    "demand_mean": ("demand, mean (children)", "number"),
    "demand_at_service_level": ("demand at the service level (children)", "number"),
    "step_down_shift": ("step-downs in (+) or out (-) (children)", "number"),
    "own_places": ("councils' own places", "number"),
    "own_places_used": ("councils' own places used (children)", "number"),
    "commissioned_places": ("places the plan commissions", "number"),
    "spot_market_places": ("spot market available (places)", "number"),
    "spot_used": ("spot purchases, expected (children)", "number"),
    "shortfall_expected": ("short, expected (children)", "number"),
    "shortfall_probability": ("chance of a shortfall", "share"),
    "service_level_unmet": ("beyond reach at the service level (children)", "number"),
    "children_drawn": ("children expected", "count"),
    "children_unmet": ("children without a home", "count"),
    **{f"{plan}_{measure}": (f"{words}: {what}", kind) for plan, words in (
        ("do_nothing", "doing nothing"), ("quantile", "quantile plan"), ("two_stage", "two-stage plan"))
       for measure, what, kind in (
           ("shortfall_probability", "chance of a shortfall, worst quarter", "share"),
           ("shortfall_any_quarter", "chance of a shortfall in any quarter", "share"),
           ("shortfall_child_weeks", "child-weeks without a suitable home", "count"))},
}
# The code lists a column's values are read through (COLUMN_LABELS' second field), besides the council register.
ACTION_KIND_LABELS = {"new_home": "new homes", "foster_recruitment": "foster recruitment",
                      "block_contract": "block contracts", "step_down": "step-down to family"}
YES_NO = {True: "yes", False: "no", "True": "yes", "False": "no", "true": "yes", "false": "no"}
NEED_LABELS = {
    "emotional_behavioural": "emotional and behavioural needs", "mental_health": "mental health",
    "learning_disability": "learning disability", "physical_disability": "physical disability",
    "sensory_impairment": "sensory impairment", "complex_health": "complex health needs",
    "exploitation_risk": "risk of exploitation", "substance_misuse": "substance misuse",
    "parent_and_child": "parent and child", "uasc": "unaccompanied asylum-seeking child",
}
# Codes that turn up inside sentences the jobs write (a reason, a flag's evidence), in words.
CODE_WORDS = {**NEED_LABELS, **SETTING_TYPE_LABELS, **RISKS, **ADAPTATIONS, **DOL_CONDITIONS,
              "dol_shared_ok": "able to share with other children under an order",
              "childrens_home": "children's home"}
