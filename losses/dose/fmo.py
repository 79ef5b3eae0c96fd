"""Fluence-map optimisation: C++ projected gradient / projected L-BFGS, or SciPy L-BFGS-B."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .case import Case
from .influence import DoseInfluence, native_module, solver_threads
from .objectives import KIND_CODES, CompiledTerm, Objective, compile_objectives
from .reference import fg_numpy, pgd

METHODS = ("native", "native_lbfgs", "lbfgsb", "numpy_pgd", "numpy_lbfgsb")
LBFGS_MEMORY = 10


@dataclass
class FmoResult:
    """Optimised fluence, its dose on the grid, and the objective history."""

    fluence: np.ndarray
    dose: np.ndarray  # (nz, ny, nx) Gy
    objective: float
    iterations: int
    seconds: float
    history: list[float] = field(default_factory=list)
    method: str = "native"


class Problem:
    """Objective f(x) and gradient for a dose-influence matrix and compiled objectives."""

    def __init__(self, D: DoseInfluence, terms: list[CompiledTerm]) -> None:
        self.D, self.terms = D, terms
        nat = native_module()
        self.native = None
        if nat is not None:
            self.native = nat.FmoProblem(
                D.indptr, D.indices, D.data, D.shape[1],
                [(KIND_CODES[t.kind], t.voxels, t.dose_gy, t.weight, t.volume_pct, t.eud_a)
                 for t in terms],
                solver_threads(D.threads),
            )
        self._f, self._fg = (None, None)

    def _numpy(self):
        if self._f is None:
            self._f, self._fg = fg_numpy(self.D.to_scipy().astype(np.float64), self.terms)
        return self._f, self._fg

    def value(self, x: np.ndarray) -> float:
        if self.native is not None:
            return self.native.value(np.ascontiguousarray(x, dtype=np.float64))
        return self._numpy()[0](x)

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        if self.native is not None:
            return self.native.value_and_grad(np.ascontiguousarray(x, dtype=np.float64))
        return self._numpy()[1](x)


def initial_fluence(D: DoseInfluence, case: Case) -> np.ndarray:
    """Uniform fluence scaled so that the target's mean dose equals the prescription."""
    x = np.ones(D.shape[1])
    d = D.dose(x)[case.structures[case.target].ravel()]
    mean = float(d.mean())
    return x * (case.prescription_gy / mean if mean > 0 else 1.0)


def lbfgsb(fg, x0: np.ndarray, max_iter: int, tol: float = 1e-10):
    """SciPy L-BFGS-B with x >= 0; returns (x, history, iterations)."""
    hist: list[float] = [float(fg(x0)[0])]
    if max_iter == 0:
        return np.maximum(x0, 0.0), hist, 0
    last = [hist[0]]

    def wrapped(x):
        f, g = fg(x)
        last[0] = f
        return f, g

    res = minimize(
        wrapped, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * x0.size,
        callback=lambda xk: hist.append(float(last[0])),
        options={"maxiter": int(max_iter), "ftol": tol, "gtol": 1e-12},
    )
    return np.maximum(res.x, 0.0), hist, int(res.nit)


def optimize_fluence(
    D: DoseInfluence,
    case: Case,
    objectives: list[Objective],
    method: str = "native",
    max_iter: int = 200,
    x0: np.ndarray | None = None,
    tol: float | None = None,
) -> FmoResult:
    """Optimise non-negative beamlet fluences for weighted objectives.

    ``tol`` stops when an iteration lowers the objective by at most tol * max(|f|, 1) (SciPy's
    L-BFGS-B ``ftol`` rule); None keeps each method's default.

    Methods: "native" (C++ accelerated projected gradient), "native_lbfgs" (C++ projected
    L-BFGS, usually the fastest), "lbfgsb" (SciPy L-BFGS-B on the C++ objective/gradient),
    and "numpy_pgd" / "numpy_lbfgsb" (the pure NumPy/SciPy reference).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if D.shape[0] != case.n_voxels:
        raise ValueError(f"matrix has {D.shape[0]} rows, the case has {case.n_voxels} voxels")
    if max_iter < 0:
        raise ValueError("max_iter must be >= 0")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    terms = compile_objectives(case, objectives)
    start = time.perf_counter()
    x0 = initial_fluence(D, case) if x0 is None else np.asarray(x0, dtype=np.float64)
    if method.startswith("numpy"):
        f, fg = fg_numpy(D.to_scipy().astype(np.float64), terms)
        value = f
    else:
        prob = Problem(D, terms)
        fg, value = prob.value_and_grad, prob.value
    if method in ("lbfgsb", "numpy_lbfgsb"):
        x, hist, it = lbfgsb(fg, x0, max_iter, *(() if tol is None else (tol,)))
    elif method == "native" and native_module() is not None:
        x, hist, it = prob.native.solve_pgd(x0, int(max_iter), 1e-7 if tol is None else tol)
        x = np.asarray(x)
    elif method == "native_lbfgs":
        if prob.native is None:
            raise RuntimeError("native_lbfgs needs textgrad_sci._native (rebuild the extension)")
        x, hist, it = prob.native.solve_lbfgs(
            x0, int(max_iter), 1e-9 if tol is None else tol, LBFGS_MEMORY)
        x = np.asarray(x)
    else:
        x, hist, it = pgd(value, fg, x0, max_iter, *(() if tol is None else (tol,)))
    seconds = time.perf_counter() - start
    return FmoResult(
        fluence=x,
        dose=D.dose(x).reshape(case.shape),
        objective=float(value(x)),
        iterations=int(it),
        seconds=seconds,
        history=[float(h) for h in hist],
        method=method,
    )
