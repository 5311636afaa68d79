"""HiGHS in this process: the one thread count every model asks for, and linear Pyomo models compiled to sparse
matrices by Pyomo's standard-form compiler and handed to highspy whole.

Pyomo's own HiGHS interfaces (appsi, contrib.solver) walk the model one constraint and one variable at a time into
HiGHS; the compiler builds the same matrix in one pass, several times faster on the strategy's two-stage model
(25k columns: 0.3 s against 2 s). The models stay written once, in Pyomo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

# HiGHS starts one thread pool per process, sized by the first model it runs; a later model asking for another
# size is refused. So every HiGHS model rcc builds (the matcher's, through Pyomo, and the strategy's) asks for this
# one number: the cores this process may use.
HIGHS_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def mip_gap(objective: float, bound: float) -> float:
    """How far a solution may be from the optimum, as a share of its objective (HiGHS's relative MIP gap): every
    model rcc solves, by whichever backend, reports its gap this one way."""
    return abs(objective - bound) / max(abs(objective), 1e-9)


@dataclass(frozen=True)
class HighsResult:
    status: str  # optimal | feasible (stopped early with a solution) | failed
    objective: float  # nan without a solution
    bound: float  # the best proven lower bound (minimisation)
    message: str  # HiGHS's model status, for a failure's explanation


def solve_with_highs(model: pyo.ConcreteModel, time_limit_s: float, relative_gap: float,
                     warm_start: bool = False) -> HighsResult:
    """Minimise `model`'s one objective. With `warm_start`, the variables' current values are HiGHS's starting
    solution. On return, every variable the model uses holds its value in the best solution found (if any)."""
    form = LinearStandardFormCompiler().write(model, mixed_form=True)
    columns = form.columns
    n = len(columns)
    a = form.A.tocsc()
    sense = np.array([row.bound_type for row in form.rows], dtype=int)
    rhs = np.asarray(form.rhs, dtype=float)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = np.asarray(form.c.toarray()).ravel() if form.c.shape[0] else np.zeros(n)
    lp.offset_ = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    lp.col_lower_ = np.array([-highspy.kHighsInf if v.lb is None else v.lb for v in columns], dtype=float)
    lp.col_upper_ = np.array([highspy.kHighsInf if v.ub is None else v.ub for v in columns], dtype=float)
    # mixed form: +1 is body <= rhs, -1 is body >= rhs, 0 is body == rhs
    lp.row_lower_ = np.where(sense == 1, -highspy.kHighsInf, rhs)
    lp.row_upper_ = np.where(sense == -1, highspy.kHighsInf, rhs)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    integer = [v.is_integer() for v in columns]
    if any(integer):
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", HIGHS_THREADS)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(relative_gap))
    h.passModel(lp)
    if warm_start:
        start = highspy.HighsSolution()
        start.col_value = [0.0 if v.value is None else float(v.value) for v in columns]
        start.value_valid = True
        h.setSolution(start)
    h.run()
    status, info = h.getModelStatus(), h.getInfo()
    if not info.primal_solution_status:
        return HighsResult("failed", np.nan, np.nan, h.modelStatusToString(status))
    for var, value in zip(columns, h.getSolution().col_value):
        var.set_value(value, skip_validation=True)
    objective = info.objective_function_value
    optimal = status == highspy.HighsModelStatus.kOptimal
    if any(integer):
        bound = info.mip_dual_bound
    else:  # an LP has no MIP bound: solved to optimality, its objective is the bound; stopped early, none is known
        bound = objective if optimal else -np.inf
    bound = min(bound, objective) if np.isfinite(bound) else -np.inf
    return HighsResult("optimal" if optimal else "feasible", objective, bound, h.modelStatusToString(status))
