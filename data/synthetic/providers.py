"""The organisations behind the settings: councils, a market of private and voluntary providers (a few large
groups owning many homes through several companies, many small ones), fostering agencies, and the companies
behind unregistered provision. Also their accounts: revenue from what their settings earn, and margins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic import facts, truth
from data.synthetic.places import councils
from data.synthetic.sampling import pick, top_k, unique_numbers
from data.vocabulary import SUPPORTED_MIN_AGE

# Large and medium groups: (parent group, ownership, share of private children's homes, companies). Assumption,
# after the CMA's finding that a few private-equity-backed groups own a large share of homes.
GROUPS = (
    ("Evergreen Care Holdings", "private_equity", 0.12, 4),
    ("Keystone Children's Group", "private_equity", 0.09, 3),
    ("Northstar Care plc", "listed", 0.06, 3),
    ("Pennine Family Care", "family", 0.035, 2),
    ("Harbour Care Group", "private_equity", 0.035, 1),
    ("Summit Residential", "family", 0.035, 1),
    ("Bridgeway Care Partnership", "private_equity", 0.035, 1),
)
SMALL_PROVIDER_HOMES = (0.55, 0.25, 0.12, 0.08)  # a small provider runs 1-4 homes, assumption
SMALL_OWNERSHIP = (("family", 0.7), ("other", 0.3))
IFA_PER_HOUSEHOLDS = 50  # assumption: a regional market has ~15-30 agencies
IFA_RANGE = (15, 30)
IFA_VOLUNTARY_SHARE = facts.FOSTER_VOLUNTARY_SHARE_OF_IFA * 2.5  # more charities than their 8% of placements
IFA_GROUP_OWNED = 3  # agencies owned by the two largest groups
SETTINGS_PER_SMALL_PROVIDER = 6
CHARITY_HOMES = 3
YEAR_ENDS = (("2025-03-31", 0.35), ("2025-08-31", 0.15), ("2025-12-31", 0.30), ("2026-03-31", 0.20))
DIFFICULT_TO_REPLACE_SHARE = 0.01
FRAGILE_GROUP = ("Cornerstone Living Group", "private_equity")  # the planted top market risk (no GROUPS name)
NAME_WORDS = ("Horizon", "Keystone", "Evergreen", "Northstar", "Bluebell", "Cornerstone", "Pathway", "Bridgeway",
              "Harbour", "Summit", "Lighthouse", "Compass", "Riverside", "Hillside", "Oakleaf", "Springfield",
              "Fairway", "Brightwater", "Greenacre", "Kingfisher", "Larkspur", "Millbrook", "Newbridge", "Orchard",
              "Pennine", "Redwood", "Silverbirch", "Thornbury", "Unity", "Valley", "Woodland", "Yew Tree",
              "Ashdown", "Broadoak", "Cloverfield", "Dovecote", "Elmwood", "Foxglove", "Glenmore", "Heathfield")
NAME_QUALIFIERS = ("", "North", "Vale", "Moor", "Park", "Grange", "Meadows", "Fields", "Hill", "Bay", "Cross",
                   "Gate", "Green", "Lane", "Brook", "Ridge", "Heights", "Court", "View", "Wood", "Mill", "Bank",
                   "Dale", "Edge", "Rise")
NAME_SUFFIXES = {"homes": ("Care Ltd", "Children's Services Ltd", "Homes Ltd", "Residential Care Ltd",
                           "Futures Ltd", "Outcomes Ltd"),
                 "charity": ("Children's Trust", "Charitable Trust", "Foundation", "Children's Society"),
                 "ifa": ("Fostering Ltd", "Foster Care Ltd", "Fostering Services Ltd"),
                 "charity_ifa": ("Fostering Trust", "Family Placement Charity"),
                 "supported": ("Support Ltd", "Housing Support Ltd", "Living Ltd"),
                 "schools": ("Education Ltd", "Schools Ltd"),
                 "unregistered": ("Support Services Ltd", "Solutions Ltd", "Care Solutions Ltd")}


def attach(rng: np.random.Generator, settings: pd.DataFrame, n_members: int,
           national: bool, plant_rng: np.random.Generator) -> tuple[pd.DataFrame, list]:
    """Providers for every setting; sets settings' provider_id (and sector, Ofsted grade and fee where the
    provider decides them). Returns the providers table and the truth rows of what was planted: margin outliers,
    a parent group with a high margin, and a council where one group dominates (drawn from `plant_rng`)."""
    names = _Names(rng)
    settings["provider_id"] = ""
    parts = [_councils(settings), _homes_market(rng, settings, names), _ifas(rng, settings, names, national),
             _simple_market(rng, settings, names, "supported_accommodation", "supported"),
             _simple_market(rng, settings, names, "residential_special_school", "schools"),
             _unregistered(rng, settings, names)]
    providers = pd.concat(parts, ignore_index=True)
    dominant = _dominant_group(plant_rng, settings, providers, n_members)
    _foster_grades_and_fees(rng, settings, providers)
    _accounts(rng, settings, providers)
    group_margin = _group_margin_outlier(plant_rng, providers)
    planted = _margin_outliers(rng, providers, n_members)
    _difficult_to_replace(providers)
    return providers.drop(columns=["segment", "tier"]), dominant + group_margin + planted


class _Names:
    """Unique, plausible provider names."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, kind: str, n: int) -> list[str]:
        out = []
        while len(out) < n:
            word = self.rng.choice(NAME_WORDS)
            qualifier = self.rng.choice(NAME_QUALIFIERS)
            name = " ".join(p for p in (word, qualifier, self.rng.choice(NAME_SUFFIXES[kind])) if p)
            if name not in self.used:
                self.used.add(name)
                out.append(name)
        return out


def _table(ids, names, sector, ownership, parent_group, segment, tier) -> pd.DataFrame:
    return pd.DataFrame({"provider_id": ids, "provider_name": names, "sector": sector, "ownership": ownership,
                         "parent_group": parent_group, "segment": segment, "tier": tier})


def _new_ids(rng: np.random.Generator, n: int) -> list[str]:
    return [f"P{number}" for number in unique_numbers(rng, n, digits=7)]


def _councils(settings: pd.DataFrame) -> pd.DataFrame:
    """Every council that runs a setting (its homes, secure unit, supported lodgings or its own foster carers)."""
    codes = sorted(set(settings["owner_la"]) - {""})
    names = councils().set_index("la_code").loc[codes, "la_name"]
    ids = [f"LA-{code}" for code in codes]
    runs = settings["owner_la"].ne("")
    settings.loc[runs, "provider_id"] = "LA-" + settings.loc[runs, "owner_la"]
    return _table(ids, (names + " Council").tolist(), "local_authority", "council", "", "council", "council")


def _split(rng: np.random.Generator, rows: np.ndarray, sizes) -> list[np.ndarray]:
    """Shuffle setting rows and cut them into consecutive pieces of the given sizes."""
    shuffled = rng.permutation(rows)
    return np.split(shuffled, np.cumsum(sizes)[:-1]) if len(sizes) else []


def _company_sizes(rng: np.random.Generator, total: int, parts: int) -> np.ndarray:
    cuts = np.sort(rng.choice(np.arange(1, total), size=min(parts, total) - 1, replace=False)) if total > 1 else []
    return np.diff(np.r_[0, cuts, total]).astype(int)


def _homes_market(rng: np.random.Generator, settings: pd.DataFrame, names: _Names) -> pd.DataFrame:
    homes = settings["setting_type"].eq("childrens_home") & settings["registration_status"].ne("unregistered")
    private = np.flatnonzero(homes & settings["sector"].eq("private"))
    sizes, rows = [], []
    for group, ownership, share, companies in GROUPS:
        for size in _company_sizes(rng, round(share * private.size), companies):
            sizes.append(size)
            rows.append((group, ownership, "group" if share >= 0.06 else "medium"))
    remaining = private.size - int(np.sum(sizes))
    small = []
    while sum(small) < remaining:
        small.append(int(pick(rng, (1, 2, 3, 4), SMALL_PROVIDER_HOMES, 1)[0]))
    small[-1] -= sum(small) - remaining
    ownership = pick(rng, *zip(*SMALL_OWNERSHIP), len(small))
    rows += [("", own, "small") for own in ownership]
    sizes += small
    groups, owners, tiers = zip(*rows) if rows else ((), (), ())
    table = _table(_new_ids(rng, len(sizes)), names.make("homes", len(sizes)), "private", owners, groups, "homes",
                   tiers)
    for pid, piece in zip(table["provider_id"], _split(rng, private, sizes)):
        settings.loc[piece, "provider_id"] = pid
    charity_homes = np.flatnonzero(homes & settings["sector"].eq("voluntary"))
    return pd.concat([table, _charities(rng, settings, names, charity_homes, "homes")], ignore_index=True)


def _charities(rng, settings: pd.DataFrame, names: _Names, rows: np.ndarray, segment: str) -> pd.DataFrame:
    n = int(np.ceil(rows.size / CHARITY_HOMES))
    table = _table(_new_ids(rng, n), names.make("charity", n), "voluntary", "charity", "", segment, "charity")
    owner = rng.integers(0, max(n, 1), rows.size)
    owner[:n] = np.arange(min(n, rows.size))
    settings.loc[rows, "provider_id"] = table["provider_id"].to_numpy()[owner] if n else []
    return table


def _ifas(rng: np.random.Generator, settings: pd.DataFrame, names: _Names, national: bool) -> pd.DataFrame:
    """Independent fostering agencies: ~15-30 serving a region, or nationally DfE's 313, each working within one
    English region. A few big agencies hold most households."""
    rows = np.flatnonzero(settings["setting_type"].eq("foster_ifa").to_numpy())
    market = (councils().set_index("la_code")["region9"].loc[settings["la_code"].to_numpy()[rows]].to_numpy()
              if national else np.full(rows.size, "all"))
    markets, households = np.unique(market, return_counts=True)
    if national:
        agencies = np.maximum(1, np.round(households / households.sum() * facts.ENGLAND_IFAS)).astype(int)
    else:
        agencies = [int(np.clip(round(rows.size / IFA_PER_HOUSEHOLDS), *IFA_RANGE))] * markets.size
    tables = []
    for name, n in zip(markets, agencies):
        table = _agencies(rng, names, n)
        mine = rows[market == name]
        weight = 1 / np.arange(1, n + 1) ** 0.8
        chosen = rng.choice(n, size=mine.size, p=weight / weight.sum())
        settings.loc[mine, "provider_id"] = table["provider_id"].to_numpy()[chosen]
        settings.loc[mine, "sector"] = table["sector"].to_numpy()[chosen]
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _agencies(rng: np.random.Generator, names: _Names, n: int) -> pd.DataFrame:
    """n fostering agencies: some charities, a few owned by the largest groups, the rest independent."""
    voluntary = rng.random(n) < IFA_VOLUNTARY_SHARE
    group = np.full(n, "", dtype=object)
    owned = np.flatnonzero(~voluntary)[:IFA_GROUP_OWNED]
    group[owned] = [GROUPS[i][0] for i in (0, 0, 1)][: owned.size]
    agency_names = [names.make("charity_ifa" if v else "ifa", 1)[0] for v in voluntary]
    ownership = np.where(voluntary, "charity", np.where(group != "", "private_equity", "family"))
    return _table(_new_ids(rng, n), agency_names, np.where(voluntary, "voluntary", "private"), ownership, group,
                  "ifa", np.where(group != "", "group", "ifa"))


def _simple_market(rng, settings: pd.DataFrame, names: _Names, setting_type: str, segment: str) -> pd.DataFrame:
    """Supported accommodation and residential schools: small private firms (one owned by a large group) and
    charities."""
    ours = settings["setting_type"].eq(setting_type) & settings["registration_status"].ne("unregistered")
    private = np.flatnonzero(ours & settings["sector"].eq("private"))
    n = max(1, round(private.size / SETTINGS_PER_SMALL_PROVIDER)) if private.size else 0
    group = np.full(n, "", dtype=object)
    group[:1] = GROUPS[1][0]
    table = _table(_new_ids(rng, n), names.make(segment, n), "private",
                   np.where(group != "", "private_equity", "family"), group, segment,
                   np.where(group != "", "group", "small"))
    owner = rng.integers(0, max(n, 1), private.size)
    owner[:n] = np.arange(min(n, private.size))
    settings.loc[private, "provider_id"] = table["provider_id"].to_numpy()[owner] if n else []
    charities = _charities(rng, settings, names, np.flatnonzero(ours & settings["sector"].eq("voluntary")), segment)
    return pd.concat([table, charities], ignore_index=True)


def _unregistered(rng, settings: pd.DataFrame, names: _Names) -> pd.DataFrame:
    rows = np.flatnonzero(settings["registration_status"].eq("unregistered").to_numpy())
    table = _table(_new_ids(rng, rows.size), names.make("unregistered", rows.size), "private", "other", "",
                   "unregistered", "unregistered")
    settings.loc[rows, "provider_id"] = table["provider_id"].to_numpy()
    return table


def _foster_grades_and_fees(rng: np.random.Generator, settings: pd.DataFrame, providers: pd.DataFrame) -> None:
    """Foster households share their fostering service's Ofsted grade; agencies charge a fee of their own."""
    grades = pick(rng, tuple(facts.OFSTED_GRADE_SHARES), tuple(facts.OFSTED_GRADE_SHARES.values()), len(providers))
    grade = pd.Series(grades, index=providers["provider_id"])
    foster = settings["setting_type"].str.startswith("foster")
    settings.loc[foster, "ofsted_grade"] = grade.loc[settings.loc[foster, "provider_id"]].to_numpy()
    base = pd.Series(rng.uniform(*facts.IFA_FEE, len(providers)), index=providers["provider_id"])
    ifa = settings["setting_type"].eq("foster_ifa")
    settings.loc[ifa, "weekly_fee"] = (base.loc[settings.loc[ifa, "provider_id"]].to_numpy()
                                       * np.exp(rng.normal(0.0, 0.03, int(ifa.sum()))))


def _margin(rng: np.random.Generator, providers: pd.DataFrame) -> np.ndarray:
    """Operating margins by kind of provider (CMA, LGA; small and charity margins are assumptions)."""
    n = len(providers)
    tier, sector = providers["tier"].to_numpy(), providers["sector"].to_numpy()
    small = np.clip(rng.normal(0.12, 0.07, n), -0.08, 0.27)
    return np.select(
        [tier == "group", tier == "medium", providers["segment"].eq("ifa").to_numpy() & (sector == "private"),
         sector == "voluntary", tier == "unregistered"],
        [rng.uniform(*facts.LARGE_GROUP_MARGIN, n), rng.uniform(0.10, 0.22, n),
         np.clip(rng.normal(facts.IFA_MARGIN, 0.03, n), 0.10, 0.28), rng.uniform(-0.04, 0.07, n),
         rng.uniform(0.10, 0.30, n)], small)


def _accounts(rng: np.random.Generator, settings: pd.DataFrame, providers: pd.DataFrame) -> None:
    """Revenue = what the provider's settings earn over a year (children there x fee x 52), give or take; councils
    publish no company accounts, so theirs stay blank."""
    earned = (settings["occupied"] * settings["weekly_fee"] * 52).groupby(settings["provider_id"]).sum()
    revenue = earned.reindex(providers["provider_id"]).fillna(0.0).to_numpy() * np.exp(
        rng.normal(0.0, 0.05, len(providers)))
    company = providers["sector"].ne("local_authority").to_numpy()
    providers["revenue"] = np.where(company, revenue, np.nan)
    providers["operating_profit"] = np.where(company, revenue * _margin(rng, providers), np.nan)
    ends, shares = zip(*YEAR_ENDS)
    providers["financial_year_end"] = np.where(company, pick(rng, ends, shares, len(providers)), "")


def _dominant_group(rng: np.random.Generator, settings: pd.DataFrame, providers: pd.DataFrame,
                    n_members: int) -> list:
    """In one council of the region (a few nationally), the largest group comes to hold a drawn 65-80% (or a home's
    worth more) of the independent children's home places, by swapping homes with its homes elsewhere (so every
    company keeps as many homes)."""
    group = GROUPS[0][0]
    owned = settings["provider_id"].isin(providers.loc[providers["parent_group"].eq(group), "provider_id"])
    homes = (settings["setting_type"].isin(["childrens_home", "residential_special_school"])
             & settings["registration_status"].eq("active") & settings["provider_id"].ne("")
             & settings["sector"].isin(["private", "voluntary"]))
    members = homes & settings["role"].eq("member")
    counts = settings.loc[members & settings["setting_type"].eq("childrens_home")].groupby("la_code").size()
    candidates = sorted(counts.index[counts >= 8])
    planted = []
    for la_code in np.asarray(candidates)[top_k(rng, np.ones(len(candidates)), max(1, n_members // 40))]:
        here = members & settings["la_code"].eq(la_code)
        target = rng.uniform(*facts.PLANTED_DOMINANT_SHARE)
        total = settings.loc[here, "places"].sum()
        inside = rng.permutation(np.flatnonzero((here & ~owned & settings["setting_type"].eq("childrens_home"))
                                                .to_numpy()))
        outside = rng.permutation(np.flatnonzero((owned & homes & ~here
                                                  & settings["setting_type"].eq("childrens_home")).to_numpy()))
        column = settings.columns.get_loc("provider_id")
        for home, theirs in zip(inside, outside):
            if settings.loc[here & owned, "places"].sum() >= target * total:
                break
            settings.iloc[[home, theirs], column] = settings.iloc[[theirs, home], column].to_numpy()
            owned.iloc[[home, theirs]] = [True, False]
        share = settings.loc[here & owned, "places"].sum() / total
        planted += truth.rows("concentrated_market", "market", [f"{la_code}:childrens_home"],
                              [f"{group} holds {share:.0%} of independent children's home places"])
    return planted


def _group_margin_outlier(rng: np.random.Generator, providers: pd.DataFrame) -> list:
    """One parent group (of several companies) whose companies each report 27.5-30%: no company stands out among
    small providers, but the group as a whole earns well above the CMA's 22.6% for the largest providers."""
    companies = providers[providers["parent_group"].ne("") & (providers["revenue"] > 0)]
    sizes = companies.groupby("parent_group").size()
    eligible = sorted(sizes.index[sizes >= 2])
    if not eligible:
        return []
    group = str(pick(rng, eligible, np.ones(len(eligible)), 1)[0])
    mine = (providers["parent_group"].eq(group) & (providers["revenue"] > 0)).to_numpy()
    margin = rng.uniform(*facts.PLANTED_GROUP_MARGIN, int(mine.sum()))
    column = providers.columns.get_loc("operating_profit")
    providers.iloc[np.flatnonzero(mine), column] = providers["revenue"].to_numpy()[mine] * margin
    overall = providers.loc[mine, "operating_profit"].sum() / providers.loc[mine, "revenue"].sum()
    providers.loc[mine, "tier"] = "planted_group"
    return truth.rows("outlier_group_margin", "parent_group", [group],
                      [f"operating margin {overall:.1%} across {int(mine.sum())} companies"])


def _margin_outliers(rng: np.random.Generator, providers: pd.DataFrame, n_members: int) -> list:
    """A few small private providers whose accounts show 35-55% margins, for the flags feature to find."""
    low, high = facts.PLANTED_MARGIN_OUTLIERS
    n = int(rng.integers(low, high + 1)) * max(1, n_members // 40)
    eligible = (providers["tier"].isin(["small", "medium"]) & (providers["revenue"] > 0)).to_numpy()
    chosen = top_k(rng, eligible.astype(float), n)
    margin = rng.uniform(0.35, 0.55, chosen.size)
    column = providers.columns.get_loc("operating_profit")
    providers.iloc[chosen, column] = providers["revenue"].to_numpy()[chosen] * margin
    return truth.rows("outlier_margin", "provider", providers["provider_id"].to_numpy()[chosen],
                      [f"operating margin {m:.0%}" for m in margin])


def _difficult_to_replace(providers: pd.DataFrame) -> None:
    """The largest few providers by revenue (the Bill's financial oversight regime)."""
    company = providers["sector"].ne("local_authority").to_numpy()
    n = max(3, round(DIFFICULT_TO_REPLACE_SHARE * company.sum()))
    ranked = np.argsort(-np.where(company, providers["revenue"].to_numpy(), -1), kind="stable")[:n]
    providers["difficult_to_replace"] = False
    providers.loc[ranked, "difficult_to_replace"] = True


def fragile_group(rng: np.random.Generator, settings: pd.DataFrame, providers: pd.DataFrame, kids: pd.DataFrame,
                  row: np.ndarray, planted: list[dict]) -> list:
    """One parent group both difficult to replace and financially fragile (the top market risk), made of private
    supported-accommodation companies that had none (none planted with a margin, none designated in the input):
    companies join it, the region's larger ones more likely first, until its settings house at least
    PLANTED_FRAGILE_CHILDREN_PER_VACANCY of the region's 16-17-year-olds per supported place free in every other
    setting. A child there needs supported accommodation again, so whatever else the month asks, at least a third
    of them could not be re-housed if it left. Its companies' accounts then show a loss after a profit the year
    before, and borrowing above a year's revenue whose interest their profit cannot pay. Only those companies' rows
    of the providers table change (parent group, ownership, accounts); `row` is each child's settings row (-1: none).
    """
    for column in ("prior_revenue", "prior_operating_profit", "debt", "interest"):
        if column not in providers:
            providers[column] = np.nan
    supported = (settings["setting_type"].eq("supported_accommodation")
                 & settings["registration_status"].eq("active")).to_numpy()
    older = (row >= 0) & (kids["age"].to_numpy() >= SUPPORTED_MIN_AGE)
    residents = np.bincount(row[older], minlength=len(settings)) * supported
    firm = settings["provider_id"].to_numpy()
    children = pd.Series(residents).groupby(firm).sum()
    free = pd.Series(settings["vacancies"].to_numpy() * supported).groupby(firm).sum()
    skip = {r["subject_id"] for r in planted}
    eligible = (providers["sector"].eq("private") & providers["parent_group"].eq("")
                & ~providers["difficult_to_replace"] & ~providers["provider_id"].isin(skip)).to_numpy()
    weight = np.where(eligible, providers["provider_id"].map(children).fillna(0).to_numpy(), 0)
    order = top_k(rng, weight.astype(float), int(eligible.sum()))
    ids = providers["provider_id"].to_numpy()[order]
    housed = np.cumsum(children.reindex(ids).to_numpy())
    free_elsewhere = free.sum() - np.cumsum(free.reindex(ids).to_numpy())
    enough = np.flatnonzero(housed >= facts.PLANTED_FRAGILE_CHILDREN_PER_VACANCY * free_elsewhere)
    if not enough.size:
        return []
    chosen = order[: enough[0] + 1]
    name, ownership = FRAGILE_GROUP
    revenue = providers["revenue"].to_numpy()[chosen]
    margin = rng.uniform(*facts.PLANTED_FRAGILE_MARGIN, chosen.size)
    prior_revenue = revenue * rng.uniform(*facts.PLANTED_FRAGILE_PRIOR_REVENUE, chosen.size)
    prior_margin = rng.uniform(*facts.PLANTED_FRAGILE_PRIOR_MARGIN, chosen.size)
    debt = revenue * rng.uniform(*facts.PLANTED_FRAGILE_DEBT, chosen.size)
    accounts = {"parent_group": name, "ownership": ownership, "operating_profit": revenue * margin,
                "prior_revenue": prior_revenue, "prior_operating_profit": prior_revenue * prior_margin,
                "debt": debt, "interest": debt * rng.uniform(*facts.PLANTED_FRAGILE_RATE, chosen.size)}
    for column, values in accounts.items():
        providers.iloc[chosen, providers.columns.get_loc(column)] = values
    mine = providers.iloc[chosen]
    total = {c: float(mine[c].sum()) for c in ("revenue", "operating_profit", "prior_revenue",
                                              "prior_operating_profit", "debt", "interest")}
    in_region = supported & settings["role"].eq("member").to_numpy()
    independent = in_region & settings["provider_id"].isin(providers.loc[providers["sector"].ne("local_authority"),
                                                                         "provider_id"]).to_numpy()
    places = settings["places"].to_numpy()
    share = places[independent & np.isin(firm, mine["provider_id"])].sum() / max(places[independent].sum(), 1)
    strain = (f"operating margin {total['operating_profit'] / total['revenue']:.1%} against "
              f"{total['prior_operating_profit'] / total['prior_revenue']:.1%} the year before; borrowing "
              f"{total['debt'] / total['revenue']:.1f} times a year's revenue; {chosen.size} companies")
    reliance = (f"{share:.0%} of the region's independent supported accommodation places; {int(housed[enough[0]])} "
                f"of the region's 16-17-year-olds live in them, against {int(free_elsewhere[enough[0]])} supported "
                "places free anywhere else")
    return (truth.rows("fragile_group", "parent_group", [name], [strain])
            + truth.rows("hard_to_replace_group", "parent_group", [name], [reliance])
            + truth.rows("top_market_risk_group", "parent_group", [name], [f"{reliance}; {strain}"]))
