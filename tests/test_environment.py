"""The pinned solver stack loads together in one process (ortools 9.15 and highspy 1.15 do not: ortools #5246)."""

from __future__ import annotations


def test_ortools_and_highspy_import_and_solve_in_one_process():
    """OR-Tools and highspy both load and solve, and Pyomo reaches HiGHS through appsi_highs."""
    import highspy
    import pyomo.environ as pyo
    from ortools.linear_solver.python import model_builder as mb

    model = mb.Model()
    x = model.new_int_var(0, 10, "x")
    model.add(2 * x <= 7)
    model.maximize(x)
    solver = mb.Solver("scip")
    assert solver.solve(model) == mb.SolveStatus.OPTIMAL and solver.value(x) == 3

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVar(0, 10)
    h.changeColCost(0, -1.0)
    h.addRow(-highspy.kHighsInf, 7.0, 1, [0], [2.0])
    h.run()
    assert abs(h.getSolution().col_value[0] - 3.5) < 1e-9

    m = pyo.ConcreteModel()
    m.y = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.c = pyo.Constraint(expr=2 * m.y <= 7)
    m.o = pyo.Objective(expr=m.y, sense=pyo.maximize)
    pyo.SolverFactory("appsi_highs").solve(m)
    assert pyo.value(m.y) == 3
