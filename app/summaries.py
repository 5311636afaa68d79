"""The words rcc prints about a result: one place for the text the command line shows and the dashboard reuses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from data.authorities import register
from data.vocabulary import SETTING_TYPE_LABELS
from optimiser.flags.common import plural


def _count(value) -> str:
    return "not published" if value is None or pd.isna(value) else f"{value:,.0f}"


def _share(value, digits: int = 0) -> str:
    return "not published" if value is None or pd.isna(value) else f"{value:.{digits}%}"


def _ratio(value) -> str:
    return "not published" if value is None or pd.isna(value) else f"{value:.2f}"


def public_region_text(result, folder) -> str:
    a = result.region.about
    by_type = ", ".join(f"{v['settings']} {SETTING_TYPE_LABELS.get(k, k)} ({v['places']:,} places)"
                        for k, v in a["by_type"].items())
    years = a["cla_annual_years"]
    lines = [
        f"Public region {a['region']}: {a['councils']} council(s), supply from Ofsted at {a['supply_as_of']}",
        f"  settings             {a['settings']:,} with {a['places']:,} places: {by_type or 'none'}",
        f"  fostering agencies   {a['fostering_agencies']} based in these councils (providers; households are not "
        "published)",
        f"  left out             {a['left_out']['short_breaks_only_homes']} short-break-only homes, "
        f"{a['left_out']['not_commissioned']} providers rcc does not commission (schools, colleges, adoption "
        "agencies, family centres, holiday schemes)",
        f"  children looked after (DfE) {years[0]}-{years[-1]}" if years else "  children looked after (DfE) none",
        "  not published        vacancies and fees (left blank: unknown, never zero); no children or referrals",
        f"  boundaries           {'real council boundaries (ONS)' if a['boundaries'] else 'none: maps approximate'}",
        f"  reading issues       {result.record['issues']['error']} error(s), {result.record['issues']['warning']} "
        "warning(s) (public_issues.csv)",
        f"Region folder: {folder} (rcc validate {folder}; rcc flags {folder} --out OUT)",
    ]
    return "\n".join(lines)


def market_text(result, highlight: Sequence[str] = (), name: str = "") -> str:
    """One screen: England's market in the latest year, and the highlighted councils beside it."""
    m = result.market
    areas, councils = m.areas, m.councils
    latest = int(councils["year"].max())
    first = int(councils["year"].min())
    england = areas[areas["level"].eq("england")].set_index("year")
    source = councils.loc[councils["year"].eq(latest), "source"].iloc[0]
    lines = [f"The market in children's homes: {source}"]
    if latest not in england.index:
        lines.append(f"  (the files in {result.record['data_dir']} cover some councils only, so "
                     "England's figures are not shown; point rcc at a folder of the whole publications)")
    else:
        now, then = england.loc[latest], england.loc[first] if first in england.index else None
        lines.append(_area_lines(f"England (DfE {_year(now['children_in_homes_year'])})", now, then, first))
    owned = england[england["owners_known"]] if latest in england.index else england.iloc[:0]
    if len(owned):
        now = england.loc[latest]
        start = owned.index.min()
        lines.append(f"  owners               {_count(now['owners'])} own the independent places; HHI "
                     f"{_count(now['hhi'])} (from {_count(england.loc[start, 'hhi'])} in {start}); top three "
                     f"{_share(now['top3_share'])}; largest {now['top_owner_name']} ({_share(now['top_share'], 1)})")
    changes = m.changes[m.changes["level"].eq("england")]
    if len(changes) and latest in england.index:
        lines.append(f"  joined and left      {int(changes['homes_joined'].sum()):,} homes joined and "
                     f"{int(changes['homes_left'].sum()):,} left between {first} and {latest} "
                     f"({int(changes['private_joined'].sum()):,} of the joiners private)")
    replace = m.difficult_to_replace
    unnamed = next((n for n in m.notes if n.startswith("Difficult to replace") and "names no owners" in n), "")
    if unnamed:
        lines.append(f"  difficult to replace {unnamed.split(': ', 1)[1]}")
    if len(replace):
        by_region = int(replace["meets_region_share"].sum())
        lines.append(f"  difficult to replace {len(replace):,} owners meet the designation rule's market part ("
                     f"{by_region:,} by a region's share, the rest by a council's); the public data have no children "
                     "placed or re-housing test, so those parts are not applied (difficult_to_replace.csv)")
    if highlight:
        part = councils[councils["year"].eq(latest) & councils["la_code"].isin(highlight)]
        here = areas[areas["year"].eq(latest) & areas["area_name"].eq(name)] if name else pd.DataFrame()
        title = name or ", ".join(register().name(c) for c in highlight)
        if len(here):
            lines.append(_area_lines(title, here.iloc[0], _earlier(areas, name, first), first))
            lines.append(f"  owners               HHI {_count(here.iloc[0]['hhi'])}; top three "
                         f"{_share(here.iloc[0]['top3_share'])}; largest {here.iloc[0]['top_owner_name']}")
        lowest = part.dropna(subset=["sufficiency_ratio"]).nsmallest(3, "sufficiency_ratio")
        if len(lowest):
            lines.append("  lowest sufficiency   " + ", ".join(
                f"{r.la_name} {r.sufficiency_ratio:.2f} ({r.places:.0f} places, {r.children_in_homes:.0f} children)"
                for r in lowest.itertuples()))
    if latest in england.index:
        national = councils[councils["year"].eq(latest)].dropna(subset=["sufficiency_ratio"])
        none = national[national["places"].eq(0)]
        lowest = national[national["places"].gt(0)].nsmallest(3, "sufficiency_ratio")
        lines.append(f"  lowest in England    {len(none)} councils have no children's home"
                     + (f" ({', '.join(none['la_name'].head(4))}{', ...' if len(none) > 4 else ''})" if len(none)
                        else "") + "; then " + ", ".join(f"{r.la_name} {r.sufficiency_ratio:.2f}"
                                                        for r in lowest.itertuples()))
    return "\n".join(lines)


def _year(value) -> str:
    return "year not published" if value is None or pd.isna(value) else f"{int(value)}"


def _earlier(areas: pd.DataFrame, name: str, year: int):
    rows = areas[areas["area_name"].eq(name) & areas["year"].eq(year)]
    return rows.iloc[0] if len(rows) else None


def _area_lines(title: str, now, then, first: int) -> str:
    growth = ""
    if then is not None and then["places"]:
        growth = (f"; {first}: {then['homes']:,.0f} homes, {then['places']:,.0f} places, "
                  f"{_share(then['private_share'])} private")
    return "\n".join([
        f"{title}",
        f"  children's homes     {now['homes']:,.0f} homes, {now['places']:,.0f} places, "
        f"{_share(now['private_share'])} private{growth}",
        f"  places per 10,000    {_ratio(now['places_per_10k'])} children aged 0-17",
        f"  sufficiency ratio    {_ratio(now['sufficiency_ratio'])} places per child looked after in a children's "
        f"home ({_count(now['children_in_homes'])} children)",
        f"  away from home       {_share(now['outside_la_share'])} of children looked after placed outside their "
        f"council, {_share(now['over_20_miles_share'])} more than 20 miles away",
    ])


def outputs_text(paths) -> str:
    return "\n".join(["Outputs:"] + [f"  {path}" for path in paths])


def forecast_text(result, horizon: int) -> str:
    f = result.forecast
    last = f.regional.iloc[-1]
    cost = f.demand.loc[f.demand["month"] == last["month"], "weekly_cost"].sum()
    return "\n".join([
        f"Forecast ({f.scenario.name}): {len(f.history.la_codes)} councils, {horizon} months after "
        f"{f.model.origin_month:%B %Y}",
        f"  children in care now       {int(f.history.stock[:, -1].sum())}",
        f"  in {last['month'][:7]}             {last['mean']:.0f} expected (p10-p90 {last['p10']:.0f}-"
        f"{last['p90']:.0f})",
        f"  weekly cost then           £{cost:,.0f}"] + _forecast_notes(f))


def _forecast_notes(f) -> list[str]:
    """What the forecast left out or simplified, said so."""
    notes = []
    excluded = f.preparation.excluded
    if excluded is not None and excluded.text():
        notes.append("  " + excluded.text())
    if f.model.entries.thin:
        notes.append("  entries are too few for a season and a trend (about one a month or fewer): each council's "
                     "entries are forecast from their recent level, the month-of-year pattern and the trend held "
                     "near none")
    return notes


def backtest_text(result, horizons) -> str:
    bt = result.backtest
    regional = bt.regional().assign(bias_pct=lambda d: 100 * d["bias"]).pivot(
        index="model", columns="horizon", values=["mase", "coverage_80", "bias_pct"])
    series = bt.table[(bt.table["la_code"] != "region") & (bt.table["group"] != "all")]
    median = series.groupby(["model", "horizon"])["mase"].median().unstack("horizon")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200):
        return "\n".join([
            f"Backtest: {len(bt.origins)} origins ({bt.origins[0]:%Y-%m} to {bt.origins[-1]:%Y-%m}), "
            f"horizons {', '.join(map(str, horizons))} months",
            "Whole region, all groups: MASE (below 1 beats last year's figure), p10-p90 coverage (nominal 0.80), "
            "bias (% of actual)",
            regional.to_string(), "Median MASE over council x group series:", median.to_string()])


def validation_text(issues: pd.DataFrame, counts: dict, limit: int, out) -> str:
    lines = []
    if issues.empty:
        return ""
    shown = issues.head(limit)
    with pd.option_context("display.max_colwidth", 120, "display.width", 250):
        lines.append(shown.to_string(index=False, na_rep=""))
    if len(issues) > len(shown):
        lines.append(f"... {len(issues) - len(shown)} more rows" + (f" in {out}" if out else
                                                                  " (use --out FILE for the full table)"))
    return "\n".join(lines)


def import_text(result, out) -> str:
    """What `rcc import-903` read, merged and found: a line per return, what merging did, the findings by rule."""
    from data.problems import count_by_severity

    history = result.history
    lines = []
    if history is not None:
        for r in history.returns:
            year = f"{r['year'] - 1}/{r['year'] % 100:02d}" if r["year"] else "year unknown"
            lines.append(f"  return of {year}: {r['children']:,} children, {r['episodes']:,} episodes "
                         f"({', '.join(r['files'])})")
        c = history.counts
        lines.append(f"  merged: {len(history.tables['header']):,} children, {len(history.tables['episodes']):,} "
                     f"episodes, {len(history.tables['dol_orders']):,} DoL orders; {c['closed_by_next_return']:,} "
                     f"episodes open in one return and closed by the next, {c['repeated']:,} repeated, "
                     f"{c['conflicts'] + c['start_corrected']:,} conflicts between returns, "
                     f"{c['open_not_carried']:,} open episodes the next return does not carry")
        councils = history.authorities
        lines.append("  councils: " + ", ".join(f"{n} ({c})" for c, n in zip(councils["la_code"], councils["la_name"],
                                                                         strict=True)))
        if history.not_kept:
            lines.append(f"  not needed, not read: {len(history.not_kept)} DfE tables ("
                         + ", ".join(history.not_kept[:4]) + (", ..." if len(history.not_kept) > 4 else "") + ")")
        if history.ignored:
            lines.append("  ignored (not an SSDA903 table's name): " + ", ".join(history.ignored))
    counts = count_by_severity(result.issues)
    by_rule = result.issues["rule"].str.extract(r"^DfE rule (\w+):")[0].dropna().value_counts()
    lines.append(f"  {counts['error']:,} error(s), {counts['warning']:,} warning(s)"
                 + (" under DfE rules " + ", ".join(f"{code} ({n:,})" for code, n in by_rule.items())
                    if len(by_rule) else "") + f": every one in {out / 'import_issues.csv'}")
    if counts["error"] and result.usable:
        lines.append("  the errors are on children's records: the forecast leaves those children out (unless they "
                     "are more than its max_excluded_share); `rcc validate` lists them")
    return "\n".join(lines)


def planning_text(run) -> str:
    s = run.summary
    months = f" ({s['months'][0]} to {s['months'][1]})" if s["months"] else ""
    lines = [f"Planning: the next {s['horizon_months']} months{months}, cohort drawn with seed {s['seed']}",
             f"  today's referrals    {s['today']['referrals']} ({s['today']['matched']} matched first; their "
             "places come off the supply)",
             f"  children expected    {s['children_expected']:.1f} by the forecast; drawn {s['children_drawn']} "
             f"({s['sibling_groups_drawn']} sibling groups)",
             f"  could not be placed  {s['children_unmet']} with the supply as it stands"]
    if s["unmet_by_group"]:
        lines.append("    by kind of home: " + ", ".join(f"{g} {n}" for g, n in s["unmet_by_group"].items()))
        lines.append("    why: " + ", ".join(f"{code} {n}" for code, n in s["unmet_by_reason"].items()))
    return "\n".join(lines)


def strategy_text(run) -> str:
    from optimiser.strategy import PLAN_NAMES

    s, strategy = run.summary, run.strategy
    p = strategy.params
    years = p.horizon_quarters / 4
    actions = strategy.actions
    places = actions.groupby("kind")["places"].sum()
    risk = strategy.risk
    chosen = strategy.chosen
    likely = 1 - p.quantile
    lines = [
        f"Sufficiency strategy: {PLAN_NAMES[chosen]}, {s['status']} (gap {s['gap']:.2%}), "
        f"{p.horizon_quarters} quarters from {strategy.quarters['first_month'].iloc[0]}, service level "
        f"p{p.quantile * 100:.0f}",
        f"  options                  {s['options']} ({s['options_source']})",
        f"  new homes                {places.get('new_home', 0):.0f} places",
        f"  foster recruitment       {places.get('foster_recruitment', 0):.1f} children's places "
        f"({actions.loc[actions['kind'].eq('foster_recruitment'), 'units'].sum():.0f} households)",
        f"  block-contracted beds    {places.get('block_contract', 0):.0f} "
        f"({int(actions['kind'].eq('block_contract').sum())} contracts)",
        f"  step-downs to families   up to {places.get('step_down', 0):.1f} children",
        f"  capital and one-off      £{s['capital_cost']:,.0f} (budget £{p.capital_budget:,.0f})",
        f"  expected cost            £{s['expected_cash_cost']:,.0f} over {years:g} years "
        f"(on {s['futures_evaluated']} simulated futures)",
        f"  doing nothing            £{s['do_nothing_expected_cash_cost']:,.0f}",
        f"  expected saving          £{s['expected_saving']:,.0f} ({s['expected_saving_share']:.1%})",
        f"  shortfall likely (>{likely:.0%} of futures) in "
        f"{int((risk[f'{chosen}_shortfall_probability'] > likely).sum())}"
        f" of {len(risk)} council x group cells (doing nothing: "
        f"{int((risk['do_nothing_shortfall_probability'] > likely).sum())})",
        f"  expected child-weeks short {risk[f'{chosen}_shortfall_child_weeks'].sum():,.0f} "
        f"(doing nothing: {risk['do_nothing_shortfall_child_weeks'].sum():,.0f})",
        f"  providers to renegotiate with: {s['providers_to_renegotiate']}",
    ]
    for other in ("quantile", "two_stage"):
        if other in strategy.outcomes and other != chosen:
            lines.append(f"  {other.replace('_', '-')} plan" + " " * (15 - len(other))
                         + f"£{strategy.outcomes[other].costs['cash']:,.0f} expected")
    return "\n".join(lines)


def flags_text(run) -> str:
    from optimiser.flags import FLAG_TYPES

    s = run.summary
    lines = [f"Market flags: {s['flags']} ({s['by_severity']['high']} high, {s['by_severity']['medium']} medium, "
             f"{s['by_severity']['low']} low severity)"]
    lines += [f"  {count:5d}  {flag:30} {FLAG_TYPES[flag]}" for flag, count in s["by_type"].items()]
    u = s["unregistered"]
    lines.append(f"  weekly spend on unregistered settings: £{u['weekly_spend']:,.0f} "
                 f"({u['children']} children in {u['settings']} settings; £{u['weekly_spend'] * 52:,.0f} a year)")
    councils = run.flags.unregistered_summary
    councils = councils[councils["level"].eq("council") & councils["weekly_spend"].gt(0)].head(3)
    if len(councils):
        lines.append("  most spent on them by: " + ", ".join(
            f"{r.name} £{r.weekly_spend:,.0f} a week ({r.children_in_unregistered} children)"
            for r in councils.itertuples()))
    lines.append(liberty_line(s["liberty"]))
    if s["step_down_referrals_added"]:
        lines.append(f"  step-down referrals added for the match: {s['step_down_referrals_added']}")
    t = s["stress_test"]
    if t:
        lines.append(f"  stress test: if {t['group']} left, {t['children_displaced']} children would need a new "
                     f"home (£{t['weekly_spend_before']:,.0f} a week); the region could re-house {t['rehoused']}, "
                     f"{t['not_rehoused']} could not be placed")
    o = s.get("oversight")
    if o:
        lines.append(f"  difficult to replace: {', '.join(o['designated_by_rule']) or 'no owner'} by the data"
                     + (f", {', '.join(o['designated_by_input_only'])} by the input only"
                        if o["designated_by_input_only"] else "")
                     + f"; top market risks: {', '.join(o['top_market_risks']) or 'none'}; fragile: "
                     f"{o['fragile']['high']} high, {o['fragile']['medium']} medium")
    return "\n".join(lines)


def profit_cap_text(run) -> str:
    """The cap's saving and exits, then the sweep one cap a line."""
    s = run.summary

    def line(d: dict) -> str:
        return (f"cap {d['cap']:.0%}: saves £{d['weekly_saving']:,.0f} a week (£{d['yearly_saving']:,.0f} a year); "
                f"{d['providers_at_risk']} companies at risk with {d['places_at_risk']} places; "
                f"{d['children_at_risk']} children would need a new home, {d['rehoused']} re-housed, "
                f"{d['not_rehoused']} not")

    lines = [f"Profit cap (exit margin {s['exit_margin']:.0%}, {s['owners_capped']} owners capped): {line(s)}"]
    if s["weekly_saving_if_none_leave"] != s["weekly_saving"]:
        lines.append(f"  £{s['weekly_saving_if_none_leave']:,.0f} a week if no company left")
    if run.cap.params.exit_spread:
        lines.append(f"  weighted by each company's chance of leaving: £{s['expected_weekly_saving']:,.0f} a week "
                     f"saved, {s['expected_children_leaving']:.1f} children needing a new home, "
                     f"{s['expected_rehoused']:.1f} of them re-housed")
    areas = run.cap.areas
    areas = areas[areas["la_code"].ne("region")].groupby("la_name")[["weekly_saving", "children_at_risk"]].sum()
    if len(areas):
        top = areas.sort_values("weekly_saving", ascending=False).head(3)
        lines.append("  largest savings: " + ", ".join(f"{la} £{r.weekly_saving:,.0f} a week"
                                                       for la, r in top.iterrows()))
    if run.sweep is not None:
        lines += ["Sweep:"] + [f"  {line(d)}" for d in run.sweep.to_dict("records")]
    return "\n".join(lines)


def national_cap_text(run) -> str:
    """The national cap's saving and the places at risk, then the sweep one cap a line."""
    s = run.summary

    def line(d: dict) -> str:
        return (f"cap {d['cap']:.0%}: saves £{d['yearly_saving']:,.0f} a year (£{d['weekly_saving']:,.0f} a week) on "
                f"{d['owners_capped']:,} of {d['owners']:,} owners given; "
                f"{plural(d['at_risk'], 'owner or home', 'owners or homes')} of the table at risk of leaving, with "
                f"{plural(d['homes_at_risk'], 'home')} and {plural(d['places_at_risk'], 'place')}")

    lines = [f"Profit cap on England's owners (Ofsted {run.record['supply_as_of']}, exit margin "
             f"{s['exit_margin']:.0%}): {line(s)}",
             f"  the margin table covers owners of {s['places_of_owners_given']:,} of England's "
             f"{s['independent_places']:,} independent places; owners without a row are not capped"]
    if s["yearly_saving_if_none_leave"] != s["yearly_saving"]:
        lines.append(f"  £{s['yearly_saving_if_none_leave']:,.0f} a year if none left")
    lines += [f"  {note}" for note in run.cap.notes]
    if run.sweep is not None:
        lines += ["Sweep:"] + [f"  {line(d)}" for d in run.sweep.to_dict("records")]
    return "\n".join(lines)


def liberty_line(d: dict, lead: str = "  deprivation of liberty: ") -> str:
    """The children on deprivation-of-liberty orders in one line (flags_text and the monthly summary)."""
    return (f"{lead}{d['children_on_dol_orders']} children on orders; {d['in_unregistered_settings']} in "
            f"unregistered settings ({d['ofsted_notice_overdue']} past the Ofsted notice deadline), "
            f"{d['in_forbidden_settings']} where the rules forbid, {d['reviews_overdue']} reviews overdue, "
            f"{d['reviews_due_soon']} due soon")


def match_text(run) -> str:
    from optimiser.match.allocation import REASON_SUMMARY

    s, r = run.summary, run.result
    lines = [
        f"Regional match: {r.status} ({r.solver}, gap {r.gap:.2%}, {r.timings['total_s']:.1f} s)"
        + (f" - {r.message}" if r.message else ""),
        f"  referrals            {s['referrals']}"
        + (f" (including {s['step_down_referrals_added']} step-down referrals rcc added for children in unlawful "
           "settings)" if s["step_down_referrals_added"] else ""),
        f"  matched              {s['matched']}",
        f"  unmatched            {s['unmatched']}",
    ]
    for code, count in s["unmatched_by_reason"].items():
        lines.append(f"    {count:4d}  {REASON_SUMMARY.get(code, code)}")
    if s["mean_distance_km"] is not None:
        lines += [f"  mean distance        {s['mean_distance_km']:.1f} km from home",
                  f"  over 20 miles        {s['share_over_20_miles']:.1%} of matched children"]
    if run.lookahead is not None:
        held = run.lookahead.summary()
        lines.append(f"  held back            {held['places_held']} of the {held['places_expected']} place(s) the "
                     "forecast expects emergencies to need before the next run ("
                     + ", ".join(f"{g} {n}" for g, n in held["held_by_group"].items()) + "; see held_back.csv)")
    if run.match.membership:
        ms = run.match.membership
        lines.append(f"  members only         {ms['referrals_left_out']} referral(s) of {len(ms['non_members'])} "
                     f"non-member council(s) not matched; {ms['vacancies_counted']} of the "
                     f"{ms['vacancies_in_non_member_areas']} vacancies in their areas counted on "
                     f"(non_member_vacancy_share {ms['non_member_vacancy_share']:g})")
    if s.get("gap_too_wide"):
        lines.append(gap_warning_text(s))
    lines += [f"  total weekly cost    £{s['total_weekly_cost']:,.0f}", "", comparison_text(run.comparison), "",
              accounts_text(run.match.accounts), ""]
    if run.match.fairness is not None:
        lines += [fairness_text(run.match.fairness.record), ""]
    return "\n".join(lines)


def fairness_text(record: dict) -> str:
    """The fairness rule's outcome: the price the region pays for it, and any council it could not hold."""
    rule = record["rule"] + (f" (share {record['share']:.0%})" if "share" in record else "")
    worse = record["councils_worse_off_without"]
    lines = [f"  fairness             {rule}: objective £{record['objective_with']:,.0f} against "
             f"£{record['objective_without']:,.0f} without (price of fairness £{record['price_of_fairness']:,.0f} "
             "a week, £-equivalent)",
             "  worse off without    " + (", ".join(worse) if worse else "none"),
             f"  children unmatched   {record['children_unmatched_with']} with the rule, "
             f"{record['children_unmatched_without']} without",
             f"  solved by            {record['solver_with']}" + (f": {record['note']}" if record["note"] else "")]
    lines += [f"  NOT HELD             {text}" for text in record["councils_not_held"].values()]
    return "\n".join(lines)


def accounts_text(accounts) -> str:
    """Each council's account in a few columns: what its children cost, how many wait, beds it gave and took, and
    its gain against searching alone (the model's objective: money and the value put on distance, fit and waiting;
    council_accounts.csv has every measure)."""
    lines = [f"  {'Each council: regional vs alone':30}{'weekly cost':>13}{'alone':>11}{'unmatched':>10}"
             f"{'alone':>6}{'beds given':>11}{'taken':>6}{'gain':>13}"]
    def money(value: float) -> str:
        return f"£{value:,.0f}"

    for r in accounts.itertuples():
        lines.append(f"  {(r.la_name or r.la_code)[:29]:30}{money(r.regional_weekly_cost):>13}"
                     f"{money(r.alone_weekly_cost):>11}{r.regional_children_unmatched:>10}"
                     f"{r.alone_children_unmatched:>6}{r.regional_in_house_given:>11}"
                     f"{r.regional_in_house_taken:>6}{r.gain:>13,.0f}")
    worse = accounts.loc[accounts["gain"] < -1e-6, "la_name"].tolist()
    lines.append("  worse off than alone: " + (", ".join(worse) if worse else "none"))
    return "\n".join(lines)


def replan_text(run) -> str:
    """The replan in a few lines: all councils today against the replan, the councils better and worse off."""
    total = run.replan.councils.set_index("la_code").iloc[-1]
    areas = run.replan.areas
    status = "optimal" if areas["status"].eq("optimal").all() else "feasible (time limit)"
    return "\n".join([
        f"Replan of every child in care: {status}, proven gap {run.replan.gap:.2%} "
        f"({len(areas)} area(s), {run.replan.timings['total_s']:.1f} s)",
        f"  children in care     {int(total['children']):,}",
        f"  weekly cost          £{total['weekly_cost_today']:,.0f} today, £{total['weekly_cost_replan']:,.0f} "
        f"replanned (saves £{total['weekly_saving']:,.0f} a week)",
        f"  over 20 miles        {total['share_over_20_miles_today']:.1%} today, "
        f"{total['share_over_20_miles_replan']:.1%} replanned",
        f"  unlawful settings    {int(total['in_unlawful_settings_today']):,} children today, "
        f"{int(total['moved_out_of_unlawful_settings']):,} moved out",
        f"  would move           {int(total['children_moved']):,} children (a move must save "
        f"£{run.record['parameters']['move_threshold']:,.0f} a week); no registered place found for "
        f"{int(total['children_unplaced']):,}",
        f"  councils             {int(total['better_off'])} better off, {int(total['worse_off'])} worse off "
        "(replan_councils.csv)",
        "", ""])


COMPARISON_ROWS = {
    "matched": ("children matched", "{:,.0f}"),
    "total_weekly_cost": ("weekly cost of placements", "£{:,.0f}"),
    "mean_distance_km": ("mean distance from home", "{:.1f} km"),
    "share_over_20_miles": ("placed over 20 miles away", "{:.2%}"),
    "family_settings": ("placed in foster families", "{:,.0f}"),
    "sibling_splits": ("sibling groups split", "{:,.0f}"),
    "hard_rule_violations": ("hard rules broken", "{:,.0f}"),
}


def gap_warning_text(match_summary: dict) -> str:
    return (f"  WARNING              the allocation is only proven within {match_summary['solver_gap']:.1%} of the "
            "best possible (the solver's time limit stopped it): give it more time (--time-limit, or time_limit_s "
            "in the parameters) before acting on it")


def comparison_text(comparison) -> str:
    lines = [f"  {'Regional vs each council alone':34}{'regional':>14}{'councils alone':>16}"]
    for measure, (label, fmt) in COMPARISON_ROWS.items():
        values = [fmt.format(v) if v == v else "-" for v in comparison.loc[measure]]
        lines.append(f"  {label:34}{values[0]:>14}{values[1]:>16}")
    return "\n".join(lines)


def shown(location) -> str:
    from app.history.store import shown as without_password

    return without_password(location)


def monthly_summary_text(run, log_path: Path) -> str:
    from app.batch.monthly import BESIDE_STAGES

    s = run.summary
    m = s["match"]
    lines = [f"Monthly run {run.month}: run {run.run_id}"
             + (" (reused: the same inputs and parameters were already run)" if run.reused
                else f" ({run.timings['total_s']:.1f} s)")]
    if not run.reused:
        lines.append("  stages  " + ", ".join(f"{k[:-2]} {v:.1f} s" + (" (beside)" if k[:-2] in BESIDE_STAGES else "")
                                          for k, v in run.timings.items() if k != "total_s"))
    f12 = s["forecast_12_months"]
    lines += [f"  children in care     {s['children_in_care']:,}; in 12 months {f12['mean']:,.0f} expected "
              f"(p10-p90 {f12['p10']:,.0f}-{f12['p90']:,.0f})"]
    if "backtest" in s:
        lines.append("  forecast accuracy    " + ", ".join(
            f"{h[1:]} months ahead MASE {v['mase']:.2f}, p10-p90 coverage {v['coverage_80']:.0%}"
            for h, v in s["backtest"].items()))
    lines += [f"  referrals            {m['referrals']:,}: {m['matched']:,} matched, {m['unmatched']:,} unmatched",
              *([f"  held back            {s['held_back']['places_held']} places for the emergencies the forecast "
                 f"expects before the next run ({s['held_back']['children_held_back']} children left for then)"]
                if s.get("held_back") else []),
              *([gap_warning_text(m)] if m.get("gap_too_wide") else []),
              f"  weekly cost          £{m['total_weekly_cost']:,.0f} (councils alone: "
              f"£{s['comparison']['la_by_la']['total_weekly_cost']:,.0f})",
              "  flags                " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s["flags"].items() if n),
              f"  unregistered         {s['unregistered']['children']} children, "
              f"£{s['unregistered']['weekly_spend']:,.0f} a week",
              *([liberty_line(s["liberty"], "  liberty              ")] if s.get("liberty") else []),
              *([strategy_line(s["strategy"])] if s.get("strategy") else []),
              *(yearly_lines(s["yearly"]) if s.get("yearly") else []),
              f"Outputs: {run.out_dir}/",
              f"Run store: {shown(run.store_path)} (rcc runs list --store {shown(run.store_path)})",
              f"Log: {log_path}"]
    return "\n".join(lines)


def yearly_lines(y: dict) -> list[str]:
    """The yearly view in the monthly summary: the published series' forecast, its record on real years, and
    every council whose extract disagrees with its own published figure."""
    totals = ", ".join(f"{year}: {total:,.0f}" for year, total in sorted(y["total"].items(), key=lambda kv: int(kv[0])))
    accuracy = "; ".join(f"{h[1:]} year(s) ahead {v['relative_mae']:.2f} x naive's error, p10-p90 held the actual "
                         f"{v['coverage_80']:.0%} of the time" for h, v in y["backtest"].items())
    lines = [f"  yearly (DfE)         children looked after at 31 March from {y['until']}, {y['councils']} councils: "
             f"{totals}", f"  yearly accuracy      on the real years: {accuracy or 'not enough years'}"]
    lines += [f"  data warning         {w}" for w in y["disagreements"][:5]]
    if len(y["disagreements"]) > 5:
        lines.append(f"  data warning         and {len(y['disagreements']) - 5} more (yearly_bridge.csv)")
    return lines


def strategy_line(s: dict) -> str:
    return (f"  strategy             {s['plan'].replace('_', '-')} plan: expected cost "
            f"£{s['expected_cash_cost'] / 1e6:,.1f}m "
            f"over the horizon against £{s['do_nothing_expected_cash_cost'] / 1e6:,.1f}m doing nothing (saves "
            f"{s['expected_saving_share']:.1%}), £{s['capital_cost'] / 1e6:,.1f}m capital; at its peak "
            f"{s['children_short_at_service_level_peak']:,.0f} children of the service-level demand are beyond any "
            "option's reach")


def run_text(store, run_id: str | None) -> str:
    if run_id is None:
        return "no runs yet"
    record = store.run(run_id)
    tables = ", ".join(f"{name} ({len(store.table(run_id, name))} rows)" for name in store.tables(run_id))
    return "\n".join([
        f"Run {run_id}: {record['region']} {record['month']}, {record['status']}, finished {record['finished_at']}",
        f"  input {record['source']} (hash {record['input_hash'][:16]}), parameters {record['params_hash']}, "
        f"{record['code_version']}",
        "  stages: " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in record["stages"].items()),
        "  tables: " + tables,
        *([f"  purged {record['purged']['at']} (older than {record['purged']['older_than']}): children's rows of "
           + ", ".join(record["purged"]["rows"])] if record.get("purged") else []),
        json.dumps(record["summary"], indent=2, default=str)])


def purge_text(purged: list[dict], older_than: str, store) -> str:
    """What `rcc purge` removed, run by run."""
    if not purged:
        return f"{store}: no run older than {older_than} holds children's rows; nothing purged"
    lines = [f"{store}: purged the children's rows of {len(purged)} run(s) older than {older_than}"]
    for run in purged:
        rows = ", ".join(f"{name} {count:,}" for name, count in run["rows"].items() if count) or "no rows"
        lines.append(f"  {run['run_id']} ({run['month']}): {rows}; {len(run['files'])} files")
    lines.append("Aggregates (summary, forecast, stocks, gap, market flags, plan) are kept; "
                 "`rcc runs show RUN` says what was purged.")
    return "\n".join(lines)


WAITING = ["still waiting", "waiting again", "new referral, waiting"]


def diff_text(store, run_a: str, run_b: str) -> str:
    """What changed from the earlier run to the later: headline figures, children, flags, forecast drift and the
    earlier forecast scored against the later run's actual stock."""
    from app.history.diff import accuracy_summary

    diff = store.diff(run_a, run_b)
    a, b = store.run(run_a), store.run(run_b)
    children, flags = diff["children"], diff["flags"]
    waiting = children[children["change"].isin(WAITING)]
    changed = flags[flags["change"] != "continuing"]
    drift = diff["forecast_drift"].groupby("month")[["mean_a", "mean_b", "change"]].sum()
    accuracy = accuracy_summary(diff["forecast_accuracy"])
    with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.float_format",
                           "{:,.1f}".format):
        lines = [f"From run {run_a} ({a['month']}) to run {run_b} ({b['month']})",
                 diff["headline"].to_string(index=False),
                 "\nChildren searching: " + ", ".join(f"{n} {k}" for k, n in children["change"].value_counts().items())]
        if len(waiting):
            lines.append(waiting[["child_id", "la_code", "change", "reason_code_b"]].to_string(index=False))
        lines.append("\nFlags: " + ", ".join(f"{n} {k}" for k, n in flags["change"].value_counts().items()))
        if len(changed):
            lines.append(changed[["change", "flag", "subject_id", "severity"]].to_string(index=False))
        if len(drift):
            lines += ["\nForecast drift (whole region, children in care):",
                      drift.iloc[[0, min(5, len(drift) - 1), min(11, len(drift) - 1)]].to_string()]
    lines.append("\nLast run's forecast against this run's actual stock: " + (
        "no month in common yet" if not accuracy["months"] else
        f"{accuracy['months']} month(s): forecast {accuracy['regional_forecast']:,.0f}, actual "
        f"{accuracy['regional_actual']:,}; mean absolute error {accuracy['mean_absolute_error_per_council_group']}"
        f" children per council x group; {accuracy['share_of_cells_inside_p10_p90']:.0%} of cells inside p10-p90"))
    return "\n".join(lines)


def backtest_table(summary: pd.DataFrame, models: Sequence[str] | None = None,
                   groups: Sequence[str] | None = None) -> str:
    """The yearly backtest as a plain table: group x horizon x model, MASE, MAE against naive, bias, coverage."""
    from forecasts.annual import MODEL_LABELS

    rows = summary
    if models is not None:
        rows = rows[rows["model"].isin(models)]
    if groups is not None:
        rows = rows[rows["group"].isin(groups)]
    lines = [f"  {'group':<19}{'years':>6}  {'model':<28}{'forecasts':>10}{'MASE':>7}{'vs naive':>9}{'bias':>8}"
             f"{'p10-p90':>9}"]
    for r in rows.itertuples():
        coverage = "-" if pd.isna(r.coverage) else f"{r.coverage:.0%}"
        lines.append(f"  {r.group:<19}{r.horizon:>6}  {MODEL_LABELS.get(r.model, r.model):<28}{r.forecasts:>10,}"
                     f"{r.mase:>7.2f}{r.relative_mae:>9.2f}{r.bias:>+8.1%}{coverage:>9}")
    return "\n".join(lines)


def public_forecast_text(result, full: bool = False) -> str:
    """What `rcc public forecast` (and, with `full`, `rcc public backtest`) prints."""
    a, record = result.annual, result.record
    f = a.forecast
    total = f[f["group"].eq("all")]
    years = sorted(total["year"].unique())
    lines = [f"Children looked after at 31 March, {len(total['la_code'].unique())} council(s), forecast from "
             f"{a.until} for {', '.join(str(y) for y in years)} (DfE's yearly series; nothing after {a.until} read)"]
    for year in years:
        rows = total[total["year"] == year]
        lines.append(f"  {year}  {rows['mean'].sum():>9,.0f} children in all (the councils' p10-p90 added: "
                     f"{rows['p10'].sum():,.0f}-{rows['p90'].sum():,.0f})")
    scope = None if full else ["pooled", "naive"]
    groups = None if full else ["all", "foster", "childrens_home"]
    lines.append(f"Backtest on the real years (origins {a.backtest['origin'].min() if len(a.backtest) else '-'}-"
                 f"{a.backtest['origin'].max() if len(a.backtest) else '-'}; 'vs naive' below 1 beats "
                 "'same as last year'):")
    lines.append(backtest_table(a.summary, scope, groups))
    lines += [f"  note: {note}" for note in a.notes]
    lines.append(f"  reading issues       {record['issues']['error']} error(s), {record['issues']['warning']} "
                 f"warning(s); {record['timings']['total_s']:.1f} s in all")
    return "\n".join(lines)


def sweep_text(run, result, log_path: Path) -> str:
    """A sweep in a few lines: counts, where it ran, each failed cell with its error, the best and worst cells."""
    cells = result.cells
    lines = [f"Sweep {run.spec.name!r}: {len(run.cells)} cell(s) on {run.executor} in {run.wall_s:.1f} s: "
             f"{len(run.computed)} computed, {len(run.reused)} reused from {run.store_path}, {len(run.failed)} failed."]
    for cell in run.cells:
        if cell.cell_id in run.failed:
            lines.append(f"  FAILED {cell.region.name} / {cell.job} / {cell.label} ({cell.cell_id}): "
                         f"{run.failed[cell.cell_id].error}")
    figures = [("weekly_cost", "weekly cost", "£{:,.0f}"), ("children_unmatched", "children unmatched", "{:,.0f}"),
               ("savings", "strategy saving", "£{:,.0f}")]
    for column, label, fmt in figures:
        values = pd.to_numeric(cells.get(column, pd.Series(dtype=float)), errors="coerce").dropna()
        if len(values) > 1:
            low, high = cells.loc[values.idxmin()], cells.loc[values.idxmax()]
            lines.append(f"  {label}: lowest {fmt.format(values.min())} ({low['region']} / {low['job']} / "
                         f"{low['cell']}), highest {fmt.format(values.max())} ({high['region']} / {high['job']} / "
                         f"{high['cell']})")
    lines.append(f"Wrote {run.out / 'sweep.xlsx'}, {run.out / 'sweep_cells.csv'} and {run.out / 'sweep_run.json'}. "
                 f"Log: {log_path}")
    if run.failed:
        lines.append("Run the same command again to retry the failed cells (the stored ones are not recomputed).")
    return "\n".join(lines)
