"""Every figure the synthetic regions use, with its source beside it.

Published figures are copied from ../shared/design/FACTS.md, which names the primary sources. Figures marked
`assumption` have no published source: they are our own plausible choices, kept here so that every number the
generator relies on can be found, questioned and changed in one place.
"""

from __future__ import annotations

from datetime import date

SNAPSHOT = date(2026, 11, 1)  # assumption: the "as of" date of every synthetic region
HISTORY_START = date(2020, 4, 1)  # assumption: first day of the SSDA903 extract (six and a half years)
TWENTY_MILES_KM = 32.187  # 20 miles, the distance DfE reports placements against

# --- DfE "Children looked after in England including adoptions", 31 March 2024 -------------------------------
ENGLAND_CLA = 83_630
ENGLAND_STARTS = 33_050  # 2023-24
ENGLAND_CEASED = 33_620  # 2023-24
UASC_START_SHARE = 0.22
ENGLAND_UASC = 7_380
UASC_MALE_SHARE = 0.96
UASC_16_PLUS_SHARE = 0.89
MALE_SHARE = 0.57
AGE_BAND_SHARES = {(0, 1): 0.04, (1, 5): 0.13, (5, 10): 0.18, (10, 16): 0.38, (16, 18): 0.27}
LEGAL_STATUS_SHARES = {"C2": 0.75, "V2": 0.19, "E1": 0.06}
# Placements: kinship 16%, other foster 51%, children's homes 8,540, secure ~100, supported / independent living
# 6,250, placed with parents 6%, placed for adoption 2%, other residential 2%, other 5%.
ENGLAND_HOME_CHILDREN = 8_540
ENGLAND_SECURE_CHILDREN = 100
ENGLAND_SUPPORTED_CHILDREN = 6_250
PLACEMENT_SHARES = {
    "kinship": 0.16,
    "foster": 0.51,
    "childrens_home": ENGLAND_HOME_CHILDREN / ENGLAND_CLA,
    "secure": ENGLAND_SECURE_CHILDREN / ENGLAND_CLA,
    "supported": ENGLAND_SUPPORTED_CHILDREN / ENGLAND_CLA,
    "with_parents": 0.06,
    "adoption": 0.02,
    "other": 0.02 + 0.05,  # other residential settings + other placements
}
FOSTER_OWN_LA_SHARE = 0.60  # foster placements by provider: own LA 60%, private 32%, voluntary 8%
FOSTER_VOLUNTARY_SHARE_OF_IFA = 0.08 / (0.32 + 0.08)
OUTSIDE_LA_SHARE = 0.43
OVER_20_MILES_SHARE = 0.22
HOMES_OUTSIDE_LA_SHARE = 0.67
HOMES_OVER_20_MILES_SHARE = 0.49

# Greater Manchester, 31 March 2024 (DfE): la_code -> (children looked after, per 10,000, starts, ceased,
# placed outside the council).
GREATER_MANCHESTER = {
    "E08000001": (571, 77, 210, 202, 217),
    "E08000002": (344, 78, 109, 116, 185),
    "E08000003": (1303, 100, 483, 525, 662),
    "E08000004": (590, 94, 240, 195, 263),
    "E08000005": (605, 107, 162, 157, 230),
    "E08000006": (561, 91, 193, 186, 262),
    "E08000007": (495, 77, 188, 173, 178),
    "E08000008": (645, 124, 188, 200, 283),
    "E08000009": (377, 67, 142, 117, 180),
    "E08000010": (741, 105, 279, 214, 257),
}

# South East, children looked after 2024 (DfE); 56 per 10,000 across the region. Kent's starts are inflated by
# unaccompanied children arriving at Dover.
SOUTH_EAST_CLA = {
    "E06000036": 140, "E06000043": 354, "E06000060": 523, "E10000011": 657, "E10000014": 1917,
    "E06000046": 279, "E10000016": 1960, "E06000035": 476, "E06000042": 410, "E10000025": 770,
    "E06000044": 402, "E06000038": 266, "E06000039": 201, "E06000045": 488, "E10000030": 963,
    "E06000037": 187, "E10000032": 906, "E06000040": 140, "E06000041": 137,
}
KENT = "E10000016"

# --- Ofsted supply ----------------------------------------------------------------------------------------------
ENGLAND_HOMES = 3_946  # mainstream children's homes, 31 March 2025
ENGLAND_HOME_PLACES = 14_259
PRIVATE_HOME_SHARE = 0.84  # 2025 (DfE 2024 placements: ~81%); LA homes average 5.0 places, private 3.6
REGION_HOMES = {"greater-manchester": (230, 796), "south-east": (310, 1551)}  # homes, places (Ofsted 2023)
NORTH_WEST_HOME_SHARE = 0.26  # North West: 26% of mainstream homes ...
NORTH_WEST_CLA_SHARE = 0.18  # ... but 18% of children looked after
OFSTED_GRADE_SHARES = {"outstanding": 0.10, "good": 0.70, "requires_improvement": 0.18, "inadequate": 0.02}
ENGLAND_SECURE_HOMES = 13
ENGLAND_SECURE_PLACES = 217  # ~204-230; 217 is our split across the 13 (places.SECURE_HOMES)
ENGLAND_IFAS = 313  # independent fostering agencies, 2024-25
FOSTER_PLACES_FILLED_SHARE = 42_015 / 69_825  # filled / approved mainstream places, 2024-25
HOME_NEED_SHARES = {"emotional_behavioural": 0.93, "complex_health": 0.05, "sensory_impairment": 0.04}
UNREGISTERED_CHILDREN_FOUND_2023_24 = 982

# --- Deprivation of liberty (FACTS.md) ----------------------------------------------------------------------------
# Children deprived of their liberty through the High Court's inherent jurisdiction, England: about 100 in 2017/18,
# over 1,300 in 2022/23 (DfE impact assessment, January 2025).
ENGLAND_DOL_CHILDREN = {2018: 100, 2023: 1_300}
DOL_APPLICATIONS_UNREGISTERED_SHARE = 0.528  # a sample of DoL applications: 52.8% for unregistered placements
DOL_SHARE_OF_UNREGISTERED_CHILDREN = 0.12  # of children Ofsted found in unregistered provision (Nuffield FJO)

# --- Costs and profits --------------------------------------------------------------------------------------------
HOME_FEE_MEAN = 6_100  # NAO 2025: £318,400 per place per year
PSSRU_LA_HOME_FEE = 5_059
PSSRU_INDEPENDENT_HOME_FEE = 4_153
HOME_FEE_TAIL = 10_000  # LGA 2023: ~1,510 placements over £10,000 a week
IFA_FEE = (760, 820)  # CMA interim 2021
INHOUSE_FEE = (400, 650)  # CMA interim 2021, all in
IFA_MARGIN = 0.19  # CMA interim 2021
LARGE_GROUP_MARGIN = (0.172, 0.23)  # 20 largest: 17.2% EBITDA (LGA 2020); largest ~23% (CMA 2021)
UNREGISTERED_FEE = (10_000, 20_000)  # reported £10,000-£20,000+ a week

# === Modelling assumptions (no published source) ================================================================
HISTORY_BURN_IN_YEARS = 18  # assumption: simulate entries far enough back to hold everyone in care in 2020
STARTS_GROWTH_PER_YEAR = 0.01  # assumption: mild long-run growth in entries
COVID_DIP = (date(2020, 4, 1), date(2020, 7, 1), 0.8)  # assumption: fewer entries in the first lockdown
START_SEASONALITY = (0.97, 1.00, 1.05, 0.95, 1.00, 1.02, 1.00, 0.90, 1.03, 1.08, 1.05, 0.95)  # assumption, Jan-Dec
CHILD_POPULATION_SHARE = 0.21  # assumption: share of residents aged 0-17
REGIONAL_CLA_RATE = {  # assumption: CLA per 10,000 by English region, rounded from DfE regional tables
    "NE": 115, "NW": 97, "YH": 85, "EM": 68, "WM": 85, "EE": 53, "LN": 53, "SE": 56, "SW": 60,
}
KENT_START_MULTIPLIER = 1.6  # assumption: Dover arrivals
KENT_UASC_START_SHARE = 0.5  # assumption

# Entry ages (years, low inclusive, high exclusive) -> share of non-UASC starts. Assumption after DfE starts by age
# (many babies come into care in their first weeks).
ENTRY_AGE_SHARES = {(0, 0.1): 0.10, (0.1, 1): 0.12, (1, 5): 0.16, (5, 10): 0.21, (10, 16): 0.29, (16, 18): 0.12}
UASC_ENTRY_AGE_SHARES = {13: 0.01, 14: 0.03, 15: 0.10, 16: 0.36, 17: 0.50}  # assumption, gives ~89% 16+ in care
NON_UASC_MALE_SHARE = 0.535  # assumption: with UASC this gives ~57% male in care

# Care pathways by entry age band: probabilities of (home again soon, medium stay, adoption, long stay to 18).
PATHWAYS = ("short", "medium", "adoption", "long")
PATHWAY_SHARES = {  # assumption, tuned so the stock's age mix and length of stay match DfE
    (0, 1): (0.08, 0.36, 0.44, 0.12),
    (1, 5): (0.24, 0.38, 0.26, 0.12),
    (5, 10): (0.33, 0.33, 0.02, 0.32),
    (10, 16): (0.39, 0.18, 0.00, 0.43),
    (16, 18): (0.37, 0.08, 0.00, 0.55),
}
UASC_PATHWAY_SHARES = (0.20, 0.0, 0.0, 0.80)  # assumption: some age-disputed or moving on quickly
PATHWAY_DURATION_YEARS = {"short": (0.3, 1.0), "medium": (1.1, 0.45), "adoption": (1.6, 0.3)}  # lognormal median, sigma

# Where children live, by supply type: (own council, elsewhere within 20 miles, further than 20 miles).
LOCATION_SHARES = {  # homes from DfE (33/18/49); the rest are assumptions that give 43% / 22% overall
    "childrens_home": (1 - HOMES_OUTSIDE_LA_SHARE, HOMES_OUTSIDE_LA_SHARE - HOMES_OVER_20_MILES_SHARE,
                       HOMES_OVER_20_MILES_SHARE),
    "residential_special_school": (0.25, 0.15, 0.60),
    "secure_childrens_home": (0.10, 0.20, 0.70),
    "supported_accommodation": (0.45, 0.30, 0.25),
    "foster_inhouse": (0.76, 0.17, 0.07),
    "foster_ifa": (0.42, 0.30, 0.28),
}

HOME_SIZE_SHARES = (0.10, 0.17, 0.23, 0.24, 0.14, 0.12)  # assumption: homes of 1-6 places, mean ~3.5
HOME_OCCUPANCY = 0.815  # assumption: children's homes are 80-85% full
SETTING_OCCUPANCY = {"secure_childrens_home": 0.92, "supported_accommodation": 0.85,
                     "residential_special_school": 0.85}  # assumption
RING_HOMES_PER_REGION_HOME = 0.7  # assumption: homes just outside a region that its children also use
LA_HOME_SHARE = 0.11  # assumption: of children's homes not privately run, most are council homes
HOME_FEE_SIGMA = 0.34  # assumption: lognormal spread giving ~5% of homes over £10,000
LA_HOME_FEE_RATIO = PSSRU_LA_HOME_FEE / PSSRU_INDEPENDENT_HOME_FEE
SECURE_FEE = (8_000, 12_000)  # assumption
SUPPORTED_FEE = (1_000, 3_500)  # assumption
SCHOOL_FEE_MEDIAN = 6_000  # assumption: residential special school, 52 weeks
UNREGISTERED_CHILD_SHARE = UNREGISTERED_CHILDREN_FOUND_2023_24 / ENGLAND_CLA * 0.3  # assumption: ~4 months each
UNDER_16_SUPPORTED_SHARE = 0.0007  # assumption: 3-6 in Greater Manchester
PLANTED_MARGIN_OUTLIERS = (3, 5)  # assumption: providers with 35-55% margins per region
PLANTED_FEE_OUTLIERS = (3, 6)  # assumption: registered homes charging 3.5-4.5 times their peers
PLANTED_PREMIUM_PLACEMENTS = (3, 5)  # assumption: single placements a council pays far over the home's list fee
PLANTED_PREMIUM = (3.0, 4.0)  # assumption: ... 3-4 times the fee
PLANTED_GROUP_MARGIN = (0.275, 0.30)  # assumption: one parent group whose companies each earn 27.5-30%
PLANTED_DOMINANT_SHARE = (0.65, 0.80)  # assumption: one group's share of independent home places in one council
# One supported-accommodation group both difficult to replace and fragile (the top market risk): it houses at least
# this many of the region's 16-17-year-olds per supported place free anywhere else, so most could not be re-housed ...
PLANTED_FRAGILE_CHILDREN_PER_VACANCY = 1.5  # assumption
# ... and its accounts show a loss after a modest profit the year before, and borrowing larger than a year's revenue
PLANTED_FRAGILE_MARGIN = (-0.06, -0.01)  # assumption: this year's operating margin of each of its companies
PLANTED_FRAGILE_PRIOR_MARGIN = (0.06, 0.10)  # assumption: the year before's
PLANTED_FRAGILE_PRIOR_REVENUE = (0.95, 1.10)  # assumption: the year before's revenue, as a multiple of this year's
PLANTED_FRAGILE_DEBT = (1.2, 1.8)  # assumption: borrowings, as a multiple of a year's revenue (a leveraged buy-out)
PLANTED_FRAGILE_RATE = (0.07, 0.10)  # assumption: the year's interest, as a share of the borrowings
FOSTER_EXTRA_PLACES = (0.50, 0.38, 0.12)  # assumption: approved places beyond the children there now: 0, 1, 2
FOSTER_SPARE_OFFERED = 0.3  # assumption: share of spare foster places actually offered now
FOSTER_EMPTY_HOUSEHOLDS = 0.06  # assumption: households between placements, all places free
REFERRAL_MOVES_PER_START = 0.9  # assumption: moves searched for each month, relative to new entrants

# Deprivation of liberty. The yearly count of children deprived of liberty (ENGLAND_DOL_CHILDREN, latest year), in
# the region's share of children looked after, gives the month's DoL applications (a twelfth) and the children on an
# order at the snapshot (DOL_MEAN_ORDER_MONTHS twelfths).
DOL_MEAN_ORDER_MONTHS = 6  # assumption: a child is on an order about six months of the year it is counted in
DOL_REVIEW_MONTHS = 3  # assumption: the court reviews an order at least every three months
DOL_MIN_AGE = 10  # assumption: children on orders are 10-17 (mostly teenagers)
PLANTED_DOL_FORBIDDEN = 2  # assumption: per 40 councils, children on orders in a secure home or supported housing
PLANTED_DOL_REVIEWS_OVERDUE = 2  # assumption: per 40 councils, orders whose review date has passed
DOL_EXTRA_CAPABLE_HOMES = 0.06  # assumption: share of the region's other active homes able to meet an order
DOL_SHARED_OK_SHARE = 0.25  # assumption: of homes able to meet an order and empty, those able to share (a wing)
DOL_CONDITIONS_LISTED_SHARE = 0.2  # assumption: homes that list the conditions they meet (the rest meet any)
DOL_CONDITION_RATES = {  # assumption: share of orders authorising each condition (staffing drawn separately)
    "constant_supervision": 0.7, "accompanied_outside": 0.6, "locked_doors": 0.5, "no_phone": 0.4,
    "internet_restricted": 0.4, "restraint": 0.3, "searches": 0.3}
DOL_STAFFING_SHARES = {"": 0.15, "staffing_1_1": 0.45, "staffing_2_1": 0.35, "staffing_3_1": 0.05}  # assumption
