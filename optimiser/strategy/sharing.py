"""Who pays for what: the strategy's commissioning costs and the match's savings split among the member councils by
a stated rule (StrategyParams.sharing_rule):

- use: in proportion to each council's children the regional match places (what it uses of the co-operative);
- children: in proportion to the children each council looks after (children.csv);
- shapley: by the Shapley value of the match's cost game. A coalition S's cost c(S) is its children's part of the
  objective (accounts.py) when S matches its children together and every council outside S searches alone first
  (today's practice, first come first served), so c(N) is the regional optimum and c({i}) what council i would
  pay with the others searching alone around it. Each council's Shapley value is its average marginal cost over
  every order in which the councils could join; its saving is its stand-alone cost less that. Exact by
  enumerating every coalition up to `shapley_exact_up_to` councils (2^n - 1 matches); beyond, the average over
  `shapley_samples` random orders (seeded). The run record says which.

Each council's share of the commissioning cost is its weight (its Shapley value, for shapley) over the total.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Hashable, Sequence

import numpy as np
import pandas as pd

from optimiser.strategy.params import SHARING_RULES

SHARING_COLUMNS = ["la_code", "la_name", "rule", "weight", "share", "pays_commissioning", "match_saving_weekly"]


def shapley_values(players: Sequence[Hashable], cost: Callable[[frozenset], float], exact_up_to: int = 12,
                   samples: int = 200, seed: int = 0) -> tuple[pd.Series, str]:
    """Each player's Shapley value of the cost game `cost` (of a frozenset of players; cost of the empty set 0), and
    how it was found: exact over every coalition when there are at most `exact_up_to` players, else the mean
    marginal cost over `samples` random orders. The values add up to the grand coalition's cost either way."""
    players = list(players)
    n = len(players)
    values = dict.fromkeys(players, 0.0)
    if n <= exact_up_to:
        # phi_i = sum over S not holding i of |S|! (n - |S| - 1)! / n! * (c(S + i) - c(S))
        costs = {frozenset(): 0.0}
        for size in range(1, n + 1):
            for members in itertools.combinations(players, size):
                costs[frozenset(members)] = float(cost(frozenset(members)))
        for coalition, value in costs.items():
            k = len(coalition)
            for i in players:
                if i in coalition:
                    continue
                weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                values[i] += weight * (costs[coalition | {i}] - value)
        return pd.Series(values), f"exact: every one of the {2 ** n - 1} coalitions of {n} councils"
    rng = np.random.default_rng(seed)
    cache: dict[frozenset, float] = {frozenset(): 0.0}

    def cached(coalition: frozenset) -> float:
        if coalition not in cache:
            cache[coalition] = float(cost(coalition))
        return cache[coalition]

    for _ in range(samples):
        order = rng.permutation(n)
        joined: frozenset = frozenset()
        for position in order:
            player = players[position]
            values[player] += cached(joined | {player}) - cached(joined)
            joined = joined | {player}
    return (pd.Series(values) / samples,
            f"sampled: the mean over {samples} random orders of {n} councils (seed {seed}; more than {exact_up_to} "
            f"councils, so not every coalition), {len(cache) - 1} coalitions matched")


@dataclasses.dataclass(frozen=True)
class Sharing:
    table: pd.DataFrame  # SHARING_COLUMNS, one row per member council
    record: dict  # the rule, its parameters and how the shares were found


def share_out(rule: str, councils: pd.DataFrame, commissioning_cost: float, match_saving_weekly: float,
              shapley: tuple[pd.Series, str] | None = None) -> Sharing:
    """Each council's weight, share, what it pays of `commissioning_cost` and what it saves of the match's weekly
    saving. `councils`: la_code, la_name, children_placed, children_looked_after, alone_objective, alone_weekly_cost.
    For shapley, `shapley` is (Shapley value per la_code, how it was found)."""
    c = councils.set_index("la_code")
    if rule == "use":
        weight, how = c["children_placed"].astype(float), "in proportion to the children the regional match places"
    elif rule == "children":
        weight, how = c["children_looked_after"].astype(float), "in proportion to the children looked after"
    elif rule == "shapley":
        values, how = shapley
        weight = values.reindex(c.index).astype(float)
    else:
        raise ValueError(f"sharing_rule must be one of {', '.join(SHARING_RULES)} (got {rule!r})")
    total = weight.sum()
    share = weight / total if total else pd.Series(1.0 / len(weight), index=weight.index)
    if rule == "shapley":
        # its stand-alone cost less its Shapley cost: together these add up to the region's saving
        saving = c["alone_objective"] - weight
        saving_what = "objective (£-equivalent a week): stand-alone less Shapley value"
    else:
        saving = share * match_saving_weekly
        saving_what = "£ a week of the match's saving against councils alone, by the same shares"
    table = pd.DataFrame({"la_code": c.index, "la_name": c["la_name"].to_numpy(), "rule": rule,
                          "weight": weight.to_numpy(), "share": share.to_numpy(),
                          "pays_commissioning": (share * commissioning_cost).to_numpy(),
                          "match_saving_weekly": saving.to_numpy()}, columns=SHARING_COLUMNS)
    record = {"rule": rule, "how": how, "commissioning_cost": round(float(commissioning_cost), 2),
              "match_saving_weekly": round(float(match_saving_weekly), 2), "saving_is": saving_what,
              "shares": {la: round(float(s), 6) for la, s in share.items()}}
    return Sharing(table, record)


def sharing_for(match, actions: pd.DataFrame, rule: str, exact_up_to: int = 12, samples: int = 200, seed: int = 0,
                progress: Callable[[str], None] = lambda message: None) -> Sharing:
    """The plan's commissioning costs (its actions' capital and running costs over the horizon; step-downs are
    each council's own support, not commissioning) and `match`'s weekly saving shared among the member councils."""
    from optimiser.match.coalitions import coalition_cost_game
    from optimiser.match.params import MatchParams

    accounts = match.accounts
    members = accounts[~accounts["la_code"].isin(match.membership.get("non_members", []))]
    looked_after = match.region.children.groupby("la_code").size()
    councils = pd.DataFrame({
        "la_code": members["la_code"], "la_name": members["la_name"],
        "children_placed": members["regional_children_matched"],
        "children_looked_after": members["la_code"].map(looked_after).fillna(0).to_numpy(),
        "alone_objective": members["alone_objective"], "alone_weekly_cost": members["alone_weekly_cost"]})
    commissioned = actions[actions["kind"].ne("step_down")]
    cost = float(commissioned["capital_cost"].sum() + commissioned["running_cost"].sum())
    saving = float(members["weekly_cost_saving"].sum())
    shapley = None
    if rule == "shapley":
        game = coalition_cost_game(match.region, match.result.candidates, MatchParams())
        with_children = frozenset(members.loc[members["referrals"] > 0, "la_code"])
        # a council without referrals adds nothing to a coalition: one match per coalition of those with some
        solved: dict[frozenset, float] = {}

        def cost_of(coalition: frozenset) -> float:
            key = coalition & with_children
            if key not in solved:
                solved[key] = game(key)
            return solved[key]

        n = len(members)
        progress(f"Shapley shares: the match's cost game over {n} councils ("
                 + (f"exact, up to {2 ** len(with_children) - 1} coalitions" if n <= exact_up_to
                    else f"{samples} random orders") + ")")
        shapley = shapley_values(members["la_code"].tolist(), cost_of, exact_up_to, samples, seed)
    sharing = share_out(rule, councils, cost, saving, shapley)
    sharing.record.update({"parameters": {"sharing_rule": rule, "shapley_exact_up_to": exact_up_to,
                                          "shapley_samples": samples, "shapley_seed": seed}})
    return sharing
