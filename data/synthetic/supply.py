"""The supply side, put together: settings of every kind, who lives in each, vacancies, providers, fees."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic import facilities, foster, needs, placement, providers, truth
from data.synthetic.sampling import unique_numbers

ID_PREFIX = {"childrens_home": "SC", "secure_childrens_home": "SC", "residential_special_school": "SC",
             "supported_accommodation": "SA", "foster_inhouse": "FH", "foster_ifa": "FH"}
KINSHIP_ALLOWANCE = (180, 320)  # assumption: £ a week paid to kinship foster carers
COST_NOISE = 0.04  # assumption: what a council pays differs a little from the list fee


def build(streams, region: str, hosts: pd.DataFrame, kids: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """(settings, providers, truth rows); fills kids' current_setting_id and weekly_cost and trims their needs to
    what their setting meets."""
    fac = facilities.build(streams("facilities"), region, hosts, kids)
    in_facility = placement.place(streams("placement"), kids, fac, hosts.set_index("la_code")["outside_share"])
    unregistered, in_unregistered = placement.unregistered(streams("unregistered"), kids, hosts)
    households, in_household = foster.households(streams("foster"), kids, hosts)
    settings = pd.concat([fac, unregistered, households], ignore_index=True)
    row = np.select([in_facility >= 0, in_unregistered >= 0, in_household >= 0],
                    [in_facility, in_unregistered + len(fac), in_household + len(fac) + len(unregistered)], -1)
    _occupy(streams("occupancy"), settings, row, len(fac) + len(unregistered))
    settings["setting_id"] = _ids(streams("ids"), settings)
    kids["current_setting_id"] = np.where(row >= 0, settings["setting_id"].to_numpy()[np.maximum(row, 0)], "")
    members = int(hosts["role"].eq("member").sum())
    residents = np.bincount(row[row >= 0], minlength=len(settings))
    planted = truth.fee_outliers(streams("fees"), settings, members, residents)
    provider_table, margins = providers.attach(streams("providers"), settings, members, region == "national",
                                                streams("planted_market"))
    _costs(streams("costs"), kids, settings, row)
    market_risk = providers.fragile_group(streams("planted_fragile_group"), settings, provider_table, kids, row,
                                          margins)
    _match_needs(kids, settings, row)
    placements = truth.fee_outlier_placements(kids, settings, row, planted)
    premiums = truth.placement_premiums(streams("premiums"), kids, settings, row, members, placements)
    parts = [planted, margins, market_risk, placements, premiums, truth.unregistered_settings(settings),
             truth.children(kids)]
    return settings, provider_table, parts


def _occupy(rng: np.random.Generator, settings: pd.DataFrame, row: np.ndarray, n_facilities: int) -> None:
    """Children living in each setting and the places left free. Foster households already know theirs."""
    listed = np.bincount(row[row >= 0], minlength=len(settings))
    facility = np.arange(len(settings)) < n_facilities
    occupied = placement.occupancy(rng, settings.iloc[:n_facilities], listed[:n_facilities])
    settings.loc[facility, "occupied"] = occupied
    active = settings["registration_status"].eq("active").to_numpy()
    free = np.where(active, settings["places"].to_numpy() - settings["occupied"].to_numpy(), 0)
    settings.loc[facility, "vacancies"] = free[facility]
    settings["occupied"] = settings["occupied"].astype(int)
    settings["vacancies"] = settings["vacancies"].astype(int)


def _ids(rng: np.random.Generator, settings: pd.DataFrame) -> np.ndarray:
    """Ofsted-style URNs (SC + 6 digits) for registered homes and schools; pseudonymous ids for the rest."""
    prefix = settings["setting_type"].map(ID_PREFIX).to_numpy().astype(object)
    prefix[settings["registration_status"].eq("unregistered").to_numpy()] = "UR"
    ids = np.empty(len(settings), dtype=object)
    for p in np.unique(prefix):
        rows = np.flatnonzero(prefix == p)
        ids[rows] = [f"{p}{n}" for n in unique_numbers(rng, rows.size)]
    return ids


def _costs(rng: np.random.Generator, kids: pd.DataFrame, settings: pd.DataFrame, row: np.ndarray) -> None:
    fee = np.where(row >= 0, settings["weekly_fee"].to_numpy()[np.maximum(row, 0)], np.nan)
    cost = fee * np.exp(rng.normal(0.0, COST_NOISE, len(kids)))
    kinship = kids["group"].eq("kinship").to_numpy()
    kids["weekly_cost"] = np.where(kinship, rng.uniform(*KINSHIP_ALLOWANCE, len(kids)), cost)


def _match_needs(kids: pd.DataFrame, settings: pd.DataFrame, row: np.ndarray) -> None:
    """A child's recorded needs are ones their setting says it meets. Unregistered settings claim whatever their
    children need; a setting with an unaccompanied child says it meets that need."""
    placed = np.flatnonzero(row >= 0)
    home = row[placed]
    met = settings[needs.COLUMNS].to_numpy()
    child = kids[needs.COLUMNS].to_numpy()
    unregistered = settings["registration_status"].eq("unregistered").to_numpy()[home]
    np.logical_or.at(met, home[unregistered], child[placed[unregistered]])
    uasc = needs.COLUMNS.index("need_uasc")
    met[home[child[placed, uasc]], uasc] = True
    child[placed] &= met[home]
    kids[needs.COLUMNS] = child
    settings[needs.COLUMNS] = met
