"""What forecasts are counted in: placement groups (data.vocabulary.PLACEMENT_GROUPS), age bands, exit reasons.

Everything downstream works on integer codes (positions in these tuples) so whole histories can be handled as
numpy arrays; the labels only reappear in the tables a person reads. Which SSDA903 codes make each group is
DATA.md's "Placement groups" table, kept with its supply half in data/vocabulary.py; here it is applied to episodes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.vocabulary import (
    FOSTER_PLACES,
    IFA_PROVIDERS,
    INHOUSE_PROVIDERS,
    K3_FROM,
    LEGACY_SUPPORTED_PLACES,
    PLACEMENT_GROUP_OF_PLACE,
    PLACEMENT_GROUPS,
)

GROUP_INDEX = {g: i for i, g in enumerate(PLACEMENT_GROUPS)}

# Age bands in completed years: [lower, upper). Care ends at 18, so the last band's upper edge is leaving care.
AGE_EDGES = (0, 1, 5, 10, 16, 18)
AGE_BANDS = tuple(f"{lo}-{hi}" for lo, hi in zip(AGE_EDGES[:-1], AGE_EDGES[1:]))
ADULT_AGE = AGE_EDGES[-1]
TOP_BAND = len(AGE_BANDS) - 1

# The chain's age states. Below 16 a child is in an age band and moves up at a measured monthly rate. From 16 a
# child's state is the number of months left before the 18th birthday (24 down to 1), and counts down exactly:
# leaving care at 18 is half of all exits and is known to the month from the date of birth, and treating it as
# a constant monthly chance (as for the wider bands) would let some 17-year-olds stay for years and others
# leave at 16, which biases forecasts a year ahead by about 1% of the whole stock.
MONTHS_16_TO_18 = 12 * (ADULT_AGE - AGE_EDGES[-2])
AGE_STATES = TOP_BAND + MONTHS_16_TO_18
BAND_OF_STATE = np.minimum(np.arange(AGE_STATES), TOP_BAND)

# Exit reason groups from SSDA903 REC; "aged_18" is not a REC code but a child reaching 18, whatever REC says.
EXIT_REASONS = ("home", "adoption", "guardianship", "independence", "other", "aged_18")
REC_REASON = {
    **{r: "home" for r in ("E4A", "E4B", "E13")},
    **{r: "adoption" for r in ("E11", "E12")},
    **{r: "guardianship" for r in ("E41", "E45", "E46", "E47", "E48", "E43", "E44")},
    **{r: "independence" for r in ("E5", "E6", "E17", "E7")},
}
AGED_18 = EXIT_REASONS.index("aged_18")


def placement_group(place: pd.Series, provider: pd.Series, start: pd.Series) -> pd.Series:
    """Group label of each episode from PLACE, PLACE_PROVIDER and (for H5/P2) the episode's start date."""
    place, provider = place.fillna(""), provider.fillna("")  # codes arrive canonical from the loader
    group = place.map(PLACEMENT_GROUP_OF_PLACE).fillna("other")
    foster = place.isin(FOSTER_PLACES)
    group[foster & provider.isin(INHOUSE_PROVIDERS)] = "foster_inhouse"
    group[foster & provider.isin(IFA_PROVIDERS)] = "foster_ifa"
    legacy = place.isin(LEGACY_SUPPORTED_PLACES) & (start < pd.Timestamp(K3_FROM)).fillna(False)
    group[legacy] = "supported"
    return group


def exit_reason(rec: pd.Series) -> pd.Series:
    """Exit reason group of each REC code (blank or unknown codes, and X1, land in "other")."""
    return rec.map(REC_REASON).fillna("other")


def birthday(dob: np.ndarray, years: int | np.ndarray) -> np.ndarray:
    """datetime64[D] of the day a child born on `dob` turns `years` (29 February birthdays fall on 1 March); `years`
    may be an array, broadcast against `dob`."""
    dob = np.asarray(dob, dtype="datetime64[D]")
    month = dob.astype("datetime64[M]")
    into_month = dob - month.astype("datetime64[D]")
    return (month + 12 * years).astype("datetime64[D]") + into_month
