"""Objectives (native vs NumPy, vs finite differences) and the two fluence solvers."""

import numpy as np
import pytest
from dose_support import water_box
from textgrad_sci.losses.dose import (
    KINDS,
    BeamSetup,
    Objective,
    Problem,
    compile_objectives,
    compute_dose_influence,
    initial_fluence,
    optimize_fluence,
    prostate_case,
)
from textgrad_sci.losses.dose.reference import fg_numpy, pgd

ALL = [
    Objective("PTV", "squared_underdose", 62.0, 5.0),
    Objective("PTV", "squared_overdose", 63.0, 2.0),
    Objective("PTV", "squared_deviation", 60.0, 1.0),
    Objective("OAR", "mean_dose", 5.0, 0.5),
    Objective("OAR", "max_dose", 20.0, 0.3),
    Objective("OAR", "eud", 10.0, 0.2, eud_a=6.0),
    Objective("PTV", "eud", 61.0, 0.2, eud_a=-8.0),
    Objective("BODY", "dvh_max", 30.0, 1.0, volume_pct=20.0),
    Objective("PTV", "dvh_min", 61.0, 1.0, volume_pct=95.0),
]


@pytest.fixture(scope="module")
def small():
    case = water_box(shape=(5, 13, 13))
    D = compute_dose_influence(case, BeamSetup(gantry_angles_deg=(0.0, 120.0, 240.0)))
    x = initial_fluence(D, case) * np.random.default_rng(3).uniform(0.6, 1.4, D.shape[1])
    return case, D, x


def test_every_kind_is_covered():
    assert {o.kind for o in ALL} == set(KINDS)


@pytest.mark.parametrize("obj", ALL, ids=lambda o: f"{o.structure}-{o.kind}")
def test_native_objective_matches_numpy_and_finite_differences(small, obj):
    case, D, x = small
    terms = compile_objectives(case, [obj])
    prob = Problem(D, terms)
    assert prob.native is not None
    f, g = prob.value_and_grad(x)
    _, fg_ref = fg_numpy(D.to_scipy().astype(np.float64), terms)
    f_ref, g_ref = fg_ref(x)
    assert f > 0
    assert f == pytest.approx(f_ref, rel=1e-9)
    np.testing.assert_allclose(g, g_ref, rtol=1e-7, atol=1e-12 * np.abs(g_ref).max())
    assert prob.value(x) == pytest.approx(f, rel=1e-12)
    rng = np.random.default_rng(7)
    for j in rng.choice(np.flatnonzero(np.abs(g) > 1e-3 * np.abs(g).max()), 4, replace=False):
        h = 1e-4 * max(x[j], 1e-3)
        e = np.zeros_like(x)
        e[j] = h
        fd = (prob.value(x + e) - prob.value(x - e)) / (2 * h)
        assert fd == pytest.approx(g[j], rel=2e-3, abs=1e-8 * np.abs(g).max())


def test_directional_derivative_of_the_full_objective(small):
    case, D, x = small
    prob = Problem(D, compile_objectives(case, ALL))
    f, g = prob.value_and_grad(x)
    v = np.random.default_rng(0).normal(size=x.size)
    h = 1e-5
    fd = (prob.value(x + h * v) - prob.value(x - h * v)) / (2 * h)
    assert fd == pytest.approx(g @ v, rel=1e-3)


@pytest.mark.parametrize("method", ["native", "native_lbfgs", "lbfgsb"])
def test_solvers_decrease_the_objective(method):
    case = prostate_case(12.0)
    D = compute_dose_influence(case)
    objs = [
        Objective("PTV", "squared_deviation", 70.0, 100.0),
        Objective("RECTUM", "dvh_max", 50.0, 10.0, volume_pct=30.0),
        Objective("BLADDER", "squared_overdose", 40.0, 5.0),
        Objective("FEMUR_L", "max_dose", 45.0, 1.0),
        Objective("FEMUR_R", "max_dose", 45.0, 1.0),
        Objective("BODY", "squared_overdose", 40.0, 1.0),
    ]
    res = optimize_fluence(D, case, objs, method=method, max_iter=40)
    assert res.method == method
    assert res.dose.shape == case.shape
    assert np.all(res.fluence >= 0)
    assert res.objective < 0.6 * res.history[0]
    assert res.objective == pytest.approx(res.history[-1], rel=1e-6)
    assert np.all(np.diff(res.history) <= 1e-9 * res.history[0])
    assert 0 < res.iterations <= 40 and res.seconds > 0
    np.testing.assert_allclose(res.dose.ravel(), D.dose(res.fluence))
    ptv = res.dose[case.structures["PTV"]]
    assert abs(ptv.mean() - 70.0) < 3.0


def test_native_lbfgs_matches_scipy_lbfgsb(small):
    case, D, x = small
    objs = ALL[:4]
    a = optimize_fluence(D, case, objs, method="native_lbfgs", max_iter=60)
    b = optimize_fluence(D, case, objs, method="lbfgsb", max_iter=60)
    assert a.objective <= 1.02 * b.objective
    assert a.iterations <= 60 and np.all(a.fluence >= 0)


def test_native_solver_follows_the_numpy_reference(small):
    case, D, x = small
    terms = compile_objectives(case, ALL[:4])
    prob = Problem(D, terms)
    xn, hist, it = prob.native.solve_pgd(x, 15, 1e-12)
    f, fg = fg_numpy(D.to_scipy().astype(np.float64), terms)
    xr, hist_r, it_r = pgd(f, fg, x, 15, 1e-12)
    assert it == it_r
    np.testing.assert_allclose(hist, hist_r, rtol=1e-8)
    np.testing.assert_allclose(xn, xr, rtol=1e-6, atol=1e-9 * xr.max())


@pytest.mark.parametrize(
    "obj, message",
    [
        (Objective("LIVER", "mean_dose", 10.0, 1.0), "unknown structure"),
        (Objective("PTV", "max_dose", 10.0, -1.0), "weight"),
        (Objective("PTV", "max_dose", float("nan"), 1.0), "dose_gy"),
        (Objective("PTV", "dvh_max", 10.0, 1.0), "volume_pct"),
        (Objective("PTV", "dvh_min", 10.0, 1.0, volume_pct=120.0), "volume_pct"),
        (Objective("PTV", "eud", 10.0, 1.0, eud_a=0.0), "eud_a"),
        (Objective("PTV", "minimum", 10.0, 1.0), "unknown kind"),
    ],
)
def test_bad_objectives_are_rejected_clearly(small, obj, message):
    case, D, _ = small
    with pytest.raises(ValueError, match=message):
        optimize_fluence(D, case, [obj])


def test_bad_solver_arguments(small):
    case, D, _ = small
    with pytest.raises(ValueError, match="method"):
        optimize_fluence(D, case, ALL, method="adam")
    with pytest.raises(ValueError, match="fluence"):
        D.dose(np.ones(D.shape[1] + 1))
    with pytest.raises(ValueError, match="at least one"):
        optimize_fluence(D, case, [])


@pytest.mark.parametrize("method", ["native_lbfgs", "lbfgsb", "native"])
def test_tol_stops_earlier_when_looser(small, method):
    case, D, _ = small
    obj = [Objective("PTV", "squared_deviation", 60.0, 1.0),
           Objective("OAR", "mean_dose", 5.0, 1.0)]
    loose = optimize_fluence(D, case, obj, method=method, max_iter=400, tol=1e-2)
    tight = optimize_fluence(D, case, obj, method=method, max_iter=400, tol=1e-12)
    assert loose.iterations < tight.iterations
    assert tight.objective <= loose.objective
    with pytest.raises(ValueError, match="tol"):
        optimize_fluence(D, case, obj, method=method, tol=-1.0)
