"""The Pyomo-to-HiGHS path the strategy and the matcher's reference solve through: every kind of row and bound
reaches HiGHS as written."""

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest

from optimiser.highs import solve_with_highs


def small_model() -> pyo.ConcreteModel:
    """Integers and continuous variables with <=, >=, == and ranged rows, a free variable and an objective
    constant: every translation the compiler's mixed form needs."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1, 2], domain=pyo.NonNegativeIntegers, bounds=(0, 4))
    m.y = pyo.Var(domain=pyo.NonNegativeReals)
    m.free = pyo.Var(domain=pyo.Reals)
    m.cover = pyo.Constraint(expr=2 * m.x[0] + 3 * m.x[1] + m.y >= 7.5)
    m.cap = pyo.Constraint(expr=m.x[0] + m.x[1] + m.x[2] <= 5)
    m.band = pyo.Constraint(expr=pyo.inequality(1, m.x[2] - m.x[0], 3))
    m.tie = pyo.Constraint(expr=m.free == m.x[1] - 2)
    m.cost = pyo.Objective(expr=10 + 4 * m.x[0] + 5 * m.x[1] + 1 * m.x[2] + 2.5 * m.y + 0.5 * m.free)
    return m


def brute_force() -> float:
    best = np.inf
    for x0, x1, x2 in itertools.product(range(5), repeat=3):
        if x0 + x1 + x2 > 5 or not 1 <= x2 - x0 <= 3:
            continue
        y = max(0.0, 7.5 - 2 * x0 - 3 * x1)  # cheapest y that covers
        best = min(best, 10 + 4 * x0 + 5 * x1 + x2 + 2.5 * y + 0.5 * (x1 - 2))
    return best


def test_the_optimum_is_the_brute_force_one_and_loaded_back_into_the_model():
    m = small_model()
    result = solve_with_highs(m, time_limit_s=10, relative_gap=0.0)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force())
    assert result.bound == pytest.approx(result.objective)
    # the values loaded back reproduce the objective and keep every row
    assert pyo.value(m.cost) == pytest.approx(result.objective)
    for con in m.component_data_objects(pyo.Constraint):
        body = pyo.value(con.body)
        assert (con.lower is None or body >= pyo.value(con.lower) - 1e-6)
        assert (con.upper is None or body <= pyo.value(con.upper) + 1e-6)
    assert all(abs(m.x[i].value - round(m.x[i].value)) < 1e-6 for i in m.x)


def test_the_lp_relaxation_reports_its_objective_as_its_bound():
    m = small_model()
    for i in m.x:
        m.x[i].domain = pyo.NonNegativeReals
    result = solve_with_highs(m, time_limit_s=10, relative_gap=0.0)
    assert result.status == "optimal"
    assert result.objective <= brute_force() + 1e-9
    assert result.bound == result.objective


def test_a_warm_start_is_used_and_an_infeasible_model_fails_without_values():
    m = small_model()
    for i, v in enumerate([0, 3, 1]):  # feasible: 3*3 >= 7.5, 1 <= 1-0 <= 3
        m.x[i].set_value(v)
    m.y.set_value(0)
    m.free.set_value(1)
    # no time to search: only the warm start can give a solution, and without it there is none
    result = solve_with_highs(m, time_limit_s=0.0, relative_gap=0.0, warm_start=True)
    assert result.status == "feasible" and result.objective == pytest.approx(10 + 15 + 1 + 0.5)
    assert solve_with_highs(small_model(), time_limit_s=0.0, relative_gap=0.0).status == "failed"
    infeasible = small_model()
    infeasible.impossible = pyo.Constraint(expr=infeasible.x[0] + infeasible.x[1] + infeasible.x[2] >= 6)
    failed = solve_with_highs(infeasible, time_limit_s=10, relative_gap=0.0)
    assert failed.status == "failed" and np.isnan(failed.objective)
    assert "nfeasible" in failed.message
