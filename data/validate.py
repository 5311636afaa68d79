"""Rules that need more than one cell: ids across tables, capacities, coordinates, siblings, the law on ages.

Each check adds to the shared Problems collector and never raises, so a user sees every problem at once.
Severity: `error` stops a run (the data cannot be trusted), `warning` is probably a mistake but the run can go
on, `flag` is lawful-to-load data describing a situation a commissioner must act on (e.g. an under-16 living in
supported accommodation, which has been unlawful since September 2021).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.authorities import register
from data.geo import in_great_britain
from data.problems import Problems
from data.schema import TABLES
from data.validate_dol import check_dol
from data.vocabulary import SUPPORTED_MIN_AGE

SUPPORTED_OK = ("preferred", "suitable")

COORDINATE_PAIRS = {
    "authorities": [("lat", "lon")],
    "settings": [("lat", "lon")],
    "children": [("home_lat", "home_lon")],
    "referrals": [("family_lat", "family_lon"), ("school_lat", "school_lon"), ("avoid_lat", "avoid_lon")],
}


def cross_table_checks(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: Problems,
                       unreadable: frozenset[str] | set[str] = frozenset()) -> None:
    """Every rule across cells and tables. `unreadable`: the tables whose file could not be read at all (already
    an error each); nothing is said about their being empty or about ids that cannot be looked up in them."""
    def file(name: str) -> str:
        return files.get(name, TABLES[name].file_name)

    if tables["authorities"].empty and "authorities" not in unreadable:
        problems.add(file("authorities"), None, "la_code", "", "no councils: a region needs at least one row here")
    _check_unique_ids(tables, file, problems)
    _check_council_codes(tables, file, problems)
    _check_references(tables, file, problems, unreadable)
    _check_ages_present(tables["children"], file("children"), problems)
    _check_capacity(tables["settings"], file("settings"), problems)
    _check_weekly_prices(tables, file, problems)
    _check_age_ranges(tables["settings"], file("settings"), problems)
    _check_coordinates(tables, file, problems)
    _check_avoid_zones(tables["referrals"], file("referrals"), problems)
    _check_sibling_councils(tables["referrals"], file("referrals"), problems)
    _check_supported_under_16(tables, file, problems)
    _check_occupancy(tables["children"], tables["settings"], file("children"), problems)
    _check_episode_dates(tables["episodes"], file("episodes"), problems)
    _check_controls(tables["controls"], file("controls"), problems)
    _check_options(tables["options"], file("options"), problems)
    _check_plausible(tables, file, problems, unreadable)
    check_dol(tables, file, problems)


def _invalid(problems: Problems, file: str, column: str, frame: pd.DataFrame) -> np.ndarray:
    """Records whose cell in `column` was already reported as an error (left blank by parsing, but not blank)."""
    reported = problems.reported(file, column)
    if not reported or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    return np.isin(problems.rows(file, np.arange(len(frame))), list(reported))


def _check_unique_ids(tables, file, problems: Problems) -> None:
    for name, table in TABLES.items():
        df = tables[name]
        for column in (c for c in table.columns if c.unique):
            ids = df[column.name]
            dup = ids.notna() & ids.duplicated(keep=False)
            for value, group in df[dup].groupby(column.name, sort=True):
                rows = problems.rows(file(name), group.index.to_numpy()).tolist()
                problems.add_rows(file(name), rows, column.name, [value] * len(rows),
                                  "duplicate id: the same id is on rows " + ", ".join(map(str, rows)))


def _check_council_codes(tables, file, problems: Problems) -> None:
    """Every council code is a real one (ONS codes, rcc's register): 'E99999999' or a DfE number such as '352' is
    an error naming what was probably meant; an abolished council's code is a warning naming its successors."""
    known = register()
    for name, table in TABLES.items():
        for column in (c for c in table.columns if c.council_code):
            values = tables[name][column.name].fillna("")
            given = values.ne("")
            unknown = given & ~known.known(values)
            for value in sorted(set(values[unknown])):
                hint = known.suggest(value)
                problems.add_mask(file(name), values.eq(value), column.name, values,
                                  "not a council code rcc knows (ONS codes of English councils, e.g. E08000003 "
                                  "for Manchester)" + (f": {hint}" if hint else ""))
            allowed = known.english(values) if column.council_code == "english" else known.known(values)
            foreign = given & known.known(values) & ~allowed
            problems.add_mask(file(name), foreign, column.name, values,
                              "a Welsh council's code: the councils of an RCC are English")
            for value in sorted(set(values[given & allowed])):
                ended = known.abolished_note(value)
                if ended:
                    problems.add_mask(file(name), values.eq(value), column.name, values,
                                      f"{ended}: use the code of the council in place now", severity="warning")


def _check_references(tables, file, problems: Problems, unreadable) -> None:
    for name, table in TABLES.items():
        df = tables[name]
        for column in (c for c in table.columns if c.references):
            target_table, target_column = column.references.split(".")
            if target_table in unreadable:
                continue
            target = tables[target_table]
            values = df[column.name]
            given = values.notna() & values.ne("")
            if given.any() and target.empty:
                problems.add(TABLES[target_table].file_name, None, target_column, "",
                             f"needed because {file(name)} refers to it, but it is missing or empty")
                continue
            unknown = given & ~values.isin(set(target[target_column].dropna()))
            problems.add_mask(file(name), unknown, column.name, values,
                              f"unknown id: not found in {TABLES[target_table].file_name} column {target_column}")
    known_settings = set(tables["settings"]["setting_id"].dropna())
    if not known_settings:  # settings.csv itself is missing: that error is enough, not one warning per child
        return
    for name in ("children", "referrals"):
        values = tables[name]["current_setting_id"]
        unknown = values.ne("") & values.notna() & ~values.isin(known_settings)
        problems.add_mask(file(name), unknown, "current_setting_id", values,
                          "setting not in settings.csv: it will be treated as unknown (possibly unregistered) "
                          "provision", severity="warning")


def _check_ages_present(children: pd.DataFrame, file: str, problems: Problems) -> None:
    missing = children["age"].isna() & children["dob"].isna() & ~_invalid(problems, file, "age", children)
    problems.add_mask(file, missing, "age", children["age"], "age is blank and there is no dob to work it out from")


OLDEST_CHILD = 17  # children's placements are for under-18s
UNDER_18 = ("children's placements are for ages 0-17 (care leavers' Staying Put and Staying Close are separate "
            "services): a typo, or a young person who should not be in this file?")


def check_under_18(tables, files: dict[str, str], problems: Problems, today) -> None:
    """A child or referral aged 18 or over is an error, on the age column, or on dob where a child's age is left
    blank and would be worked out from it (whole years on `today`). Run before those ages are worked out."""
    for name in ("children", "referrals"):
        df, file = tables[name], files.get(name, TABLES[name].file_name)
        over = (df["age"] > OLDEST_CHILD).fillna(False).to_numpy()
        for age in sorted(set(df.loc[over, "age"].astype(int))):
            problems.add_mask(file, over & df["age"].eq(age).fillna(False).to_numpy(), "age", df["age"],
                              f"aged {age}: {UNDER_18}")
        if name == "children":
            now = pd.Timestamp(today)
            dob = df["dob"]
            before = (dob.dt.month > now.month) | ((dob.dt.month == now.month) & (dob.dt.day > now.day))
            years = now.year - dob.dt.year - before.astype(int)
            old = (df["age"].isna() & (years > OLDEST_CHILD)).fillna(False).to_numpy()
            problems.add_mask(file, old, "dob", dob, f"the date of birth makes the child 18 or over on "
                              f"{now:%d %B %Y}: {UNDER_18}")


# The most places a setting of each type plausibly has (Ofsted 2025: children's homes at most 22, secure homes 38,
# residential special schools 228, supported accommodation services 279 across their premises).
PLAUSIBLE_PLACES = {"childrens_home": 30, "secure_childrens_home": 60, "foster_inhouse": 10, "foster_ifa": 10,
                    "residential_special_school": 300, "supported_accommodation": 500}


def _check_capacity(settings: pd.DataFrame, file: str, problems: Problems) -> None:
    limit = settings["setting_type"].map(PLAUSIBLE_PLACES)
    large = (settings["places"] > limit).fillna(False)
    for setting_type in sorted(set(settings.loc[large, "setting_type"])):
        problems.add_mask(file, large & settings["setting_type"].eq(setting_type), "places", settings["places"],
                          f"more places than a {setting_type.replace('_', ' ')} has (at most about "
                          f"{PLAUSIBLE_PLACES[setting_type]}): a typo?", severity="warning")
    over = (settings["vacancies"] > settings["places"]).fillna(False)
    problems.add_mask(file, over, "vacancies", settings["vacancies"],
                      "vacancies exceed places: a setting cannot have more free places than it is registered for")


# Above any weekly price paid for a child in England: the highest the LGA found in 2022/23 was £63,000 a week
# (FACTS.md). A figure over this is most likely a yearly or monthly price typed as weekly (£318,400 is a year).
HIGHEST_WEEKLY_PRICE = 100_000
WEEKLY_PRICES = {"settings": "weekly_fee", "children": "weekly_cost"}


def _check_weekly_prices(tables, file, problems: Problems) -> None:
    for name, column in WEEKLY_PRICES.items():
        prices = tables[name][column]
        problems.add_mask(file(name), (prices > HIGHEST_WEEKLY_PRICE).fillna(False), column, prices,
                          f"more than £{HIGHEST_WEEKLY_PRICE:,} a week, above any placement reported in England "
                          "(the highest the LGA found was £63,000): is it a yearly or monthly figure?",
                          severity="warning")


def _check_age_ranges(settings: pd.DataFrame, file: str, problems: Problems) -> None:
    inverted = (settings["age_min"] > settings["age_max"]).fillna(False)
    problems.add_mask(file, inverted, "age_min", settings["age_min"], "age_min is greater than age_max")
    supported_young = (settings["setting_type"].eq("supported_accommodation")
                       & (settings["age_min"] < SUPPORTED_MIN_AGE)).fillna(False)
    problems.add_mask(file, supported_young, "age_min", settings["age_min"],
                      "supported accommodation may only take 16-17 year olds; rcc will not place anyone "
                      "younger there", severity="warning")


def _check_coordinates(tables, file, problems: Problems) -> None:
    for name, pairs in COORDINATE_PAIRS.items():
        df = tables[name]
        for lat_col, lon_col in pairs:
            lat, lon = df[lat_col].astype(float), df[lon_col].astype(float)
            half = lat.isna() ^ lon.isna()
            lon_blank = half & lon.isna() & ~_invalid(problems, file(name), lon_col, df)
            lat_blank = half & lat.isna() & ~_invalid(problems, file(name), lat_col, df)
            problems.add_mask(file(name), lon_blank, lon_col, lon,
                              f"{lat_col} is given but {lon_col} is blank: give both or neither")
            problems.add_mask(file(name), lat_blank, lat_col, lat,
                              f"{lon_col} is given but {lat_col} is blank: give both or neither")
            both = lat.notna() & lon.notna()
            outside = both & ~in_great_britain(lat, lon)
            text = lat.astype(str) + ", " + lon.astype(str)
            problems.add_mask(file(name), outside, f"{lat_col}/{lon_col}", text,
                              "coordinates are outside Great Britain (swapped latitude and longitude, "
                              "or a missing minus sign?)")


def _check_avoid_zones(referrals: pd.DataFrame, file: str, problems: Problems) -> None:
    point = referrals["avoid_lat"].notna() & referrals["avoid_lon"].notna()
    radius = referrals["avoid_radius_km"].notna()
    invalid_radius = _invalid(problems, file, "avoid_radius_km", referrals)
    invalid_point = _invalid(problems, file, "avoid_lat", referrals) | _invalid(problems, file, "avoid_lon", referrals)
    problems.add_mask(file, point & ~radius & ~invalid_radius, "avoid_radius_km", referrals["avoid_radius_km"],
                      "an avoid point is given without a radius")
    problems.add_mask(file, radius & ~point & ~invalid_point, "avoid_lat", referrals["avoid_lat"],
                      "avoid_radius_km is given without an avoid point")


def _check_sibling_councils(referrals: pd.DataFrame, file: str, problems: Problems) -> None:
    grouped = referrals[referrals["sibling_group"].fillna("").ne("")]
    councils = grouped.groupby("sibling_group")["la_code"].transform("nunique")
    split = grouped[councils > 1]
    for group_id, rows in split.groupby("sibling_group", sort=True):
        numbers = problems.rows(file, rows.index.to_numpy())
        listing = ", ".join(f"{la} (row {n})" for n, la in zip(numbers, rows["la_code"], strict=True))
        problems.add_rows(file, numbers, "la_code", rows["la_code"].tolist(),
                          f"sibling group {group_id} spans councils: {listing}; they will still be placed "
                          "together, check the responsible council", severity="warning")


def _check_supported_under_16(tables, file, problems: Problems) -> None:
    referrals = tables["referrals"]
    young = (referrals["age"] < SUPPORTED_MIN_AGE).fillna(False)
    asks_supported = referrals["supported_suitability"].isin(SUPPORTED_OK)
    problems.add_mask(file("referrals"), young & asks_supported, "supported_suitability",
                      referrals["supported_suitability"],
                      "a child under 16 cannot be placed in supported accommodation (unlawful since September "
                      "2021): mark it unsuitable")
    supported = set(tables["settings"].loc[tables["settings"]["setting_type"].eq("supported_accommodation"),
                                           "setting_id"])
    for name in ("children", "referrals"):
        df = tables[name]
        living_there = df["current_setting_id"].isin(supported) & (df["age"] < SUPPORTED_MIN_AGE).fillna(False)
        problems.add_mask(file(name), living_there, "current_setting_id", df["current_setting_id"],
                          "a child aged under 16 is living in supported accommodation: unlawful since September "
                          "2021; the child needs a registered home",
                          severity="flag")


def _check_occupancy(children: pd.DataFrame, settings: pd.DataFrame, file: str, problems: Problems) -> None:
    living = children["current_setting_id"].fillna("")
    counts = living[living.ne("")].value_counts()
    places = settings.drop_duplicates("setting_id").set_index("setting_id")["places"]
    occupied = counts.reindex(places.index).fillna(0)
    over = places.index[((occupied > places) & (occupied > 0)).fillna(False).to_numpy()]
    for setting_id in over:
        mask = living.eq(setting_id)
        problems.add_mask(file, mask, "current_setting_id", living,
                          f"{int(occupied[setting_id])} children live in setting {setting_id}, which has "
                          f"{int(places[setting_id])} places", severity="warning")


IMPLAUSIBLE = "implausible for a month's run"  # the monthly batch stops on these unless told to accept them
STALE_HISTORY_DAYS = 62  # two months


def _check_plausible(tables, file, problems: Problems, unreadable=frozenset()) -> None:
    """Valid, but not what a month's extract looks like: most likely a file saved empty or from the wrong month.
    Warnings here; the monthly batch stops on them (before anything is written) unless --accept-warnings."""
    settings, children, episodes = tables["settings"], tables["children"], tables["episodes"]
    found = problems.table()
    unreadable = set(found.loc[found["severity"].eq("error") & found["row"].isna(), "file"]) | {
        file(name) for name in unreadable}
    if settings.empty and file("settings") not in unreadable:  # a missing file is already an error
        problems.add(file("settings"), None, "setting_id", "", f"{IMPLAUSIBLE}: no settings at all, so every child "
                     "would be unmatched and every placement unregistered (was the file saved empty?)", "warning")
    live = settings[settings["registration_status"].eq("active")]
    known = live["vacancies"].dropna()
    if len(known) and len(known) == len(live) and known.sum() == 0:
        problems.add(file("settings"), None, "vacancies", "0", f"{IMPLAUSIBLE}: no active setting has a vacancy, so "
                     "no child can be matched (are the vacancies from the right day?)", "warning")
    if len(children):
        present = set(children["la_code"].dropna())
        for row, la in tables["authorities"]["la_code"].items():
            if la not in present:
                problems.add(file("children"), None, "la_code", la, f"{IMPLAUSIBLE}: council {la} has no child in "
                             "children.csv (was its extract left out?)", "warning")
    latest_episode = pd.concat([episodes["DECOM"], episodes["DEC"]]).max() if len(episodes) else pd.NaT
    recent = children["placement_start"].max()  # a child placed recently: the extract is at least that new
    if pd.notna(latest_episode) and pd.notna(recent) and (recent - latest_episode).days > STALE_HISTORY_DAYS:
        problems.add(file("episodes"), None, "DECOM", f"{latest_episode:%Y-%m-%d}",
                     f"{IMPLAUSIBLE}: the SSDA903 history ends on {latest_episode:%d %B %Y}, "
                     f"{(recent - latest_episode).days} days before the latest placement started "
                     f"({recent:%d %B %Y}): the forecast would start from an old month (is the history extract "
                     "this month's?)", "warning")


def _check_episode_dates(episodes: pd.DataFrame, file: str, problems: Problems) -> None:
    backwards = (episodes["DEC"] < episodes["DECOM"]).fillna(False)
    problems.add_mask(file, backwards, "DEC", episodes["DEC"], "episode ends (DEC) before it starts (DECOM)")


def _check_controls(controls: pd.DataFrame, file: str, problems: Problems) -> None:
    setting = controls["setting_id"].fillna("").ne("")
    provider = controls["provider_id"].fillna("").ne("")
    lock = controls["action"].eq("lock")
    problems.add_mask(file, lock & ~setting, "setting_id", controls["setting_id"],
                      "a lock needs the setting the child must go to")
    problems.add_mask(file, lock & provider, "provider_id", controls["provider_id"],
                      "a lock names one setting, not a provider")
    problems.add_mask(file, ~lock & ~setting & ~provider, "setting_id", controls["setting_id"],
                      "a veto needs a setting_id or a provider_id")
    locks = controls[lock]
    twice = locks["referral_id"].duplicated(keep=False)
    problems.add_mask(file, lock & controls.index.isin(locks.index[twice]), "referral_id", controls["referral_id"],
                      "a child can be locked to one setting only")


def controls_issues(region, controls: pd.DataFrame) -> pd.DataFrame:
    """Check an edited controls table against a loaded region (the dashboard edits locks and vetoes without
    reloading the region): the same rules and id checks as loading, as an issues table."""
    problems = Problems()
    controls = pd.DataFrame(controls, columns=TABLES["controls"].column_names).fillna("").astype(str)
    file = TABLES["controls"].file_name
    actions = TABLES["controls"].column("action").allowed
    problems.add_mask(file, ~controls["action"].isin(actions), "action", controls["action"],
                      f"must be one of: {', '.join(actions)}")
    problems.add_mask(file, controls["referral_id"].eq(""), "referral_id", controls["referral_id"],
                      "required: which referral the control applies to")
    _check_controls(controls, file, problems)
    for column, target, key in (("referral_id", region.referrals, "referral_id"),
                                ("setting_id", region.settings, "setting_id"),
                                ("provider_id", region.providers, "provider_id")):
        values = controls[column]
        unknown = values.ne("") & ~values.isin(set(target[key]))
        problems.add_mask(file, unknown, column, values,
                          f"unknown id: not found in {TABLES[_table_of(key)].file_name} column {key}")
    return problems.table()


def _table_of(key: str) -> str:
    return {"referral_id": "referrals", "setting_id": "settings", "provider_id": "providers"}[key]


def _check_options(options: pd.DataFrame, file: str, problems: Problems) -> None:
    block = options["kind"].eq("block_contract")
    problems.add_mask(file, block & options["provider_id"].fillna("").eq(""), "provider_id", options["provider_id"],
                      "a block contract needs the provider the beds are bought from")
    problems.add_mask(file, options["kind"].eq("new_home") & options["capital_cost"].fillna(0).eq(0),
                      "capital_cost", options["capital_cost"],
                      "a new home with no capital cost: is the building already owned?", severity="warning")
    problems.add_mask(file, options["places"].fillna(0).eq(0), "places", options["places"],
                      "an option with no places adds nothing to the plan", severity="warning")
