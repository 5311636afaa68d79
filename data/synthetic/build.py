"""generate(): one seeded synthetic region, every table calibrated to FACTS.md."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from data.synthetic import flows, history, liberty, output, referrals, snapshot, supply, truth
from data.synthetic.sampling import stream
from data.synthetic.targets import council_targets

REGIONS = ("greater-manchester", "south-east", "national")


def generate(region: str, seed: int, progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """The schema tables of a synthetic region (authorities ... uasc), plus `synthetic_truth`: the anomalies
    planted for a flags feature to find. The same region and seed always give identical tables."""
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}")
    say = progress or (lambda message: None)

    def streams(name: str):
        return stream(seed, name)

    say(f"{region}: councils and their DfE figures")
    targets = council_targets(region)
    say("care periods since 2002 (stock and flow)")
    periods = flows.simulate(streams("flows"), targets)
    say(f"{int(periods['open'].sum()):,} children in care at the snapshot")
    kids = snapshot.children_in_care(streams("snapshot"), periods, targets)
    say("settings, providers and who lives where")
    settings, providers, planted = supply.build(streams, region, targets, kids)
    say("children on deprivation-of-liberty orders, and the homes able to meet them")
    planted = planted + [liberty.orders(streams("liberty"), kids, settings, targets)]
    say("this month's referrals")
    searches = referrals.referrals(streams("referrals"), kids, targets, next_child=len(periods) + 1)
    liberty.referral_orders(streams("referral_orders"), searches, kids, targets)
    planted = planted + [truth.secure_need_outside_registered_home(searches, settings)]
    say(f"SSDA903 history for {len(periods):,} children")
    ssda903 = history.tables(streams("history"), periods, kids, settings)
    say("shaping tables")
    return {"authorities": output.authorities(targets), "providers": output.shape("providers", providers),
            "settings": output.settings(settings), "children": output.children(kids),
            "referrals": output.referrals(searches), **{k: output.shape(k, v) for k, v in ssda903.items()},
            output.TRUTH_TABLE: output.truth_table(planted)}
