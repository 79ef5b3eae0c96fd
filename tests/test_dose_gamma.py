"""Gamma index on analytic cases: identical doses, uniform scaling, a shifted ramp."""

from __future__ import annotations

import numpy as np
import pytest
from textgrad_sci.losses.dose.gamma import gamma_index

SPACING = (2.0, 2.0, 2.0)


def _coords(shape=(12, 12, 40)):
    axes = (np.arange(n) * s for n, s in zip(shape, SPACING, strict=True))
    return np.meshgrid(*axes, indexing="ij")


def test_identical_doses_pass_with_gamma_zero():
    z, y, x = _coords()
    dose = 50.0 * np.exp(-((x - 40.0) ** 2) / 200.0)
    res = gamma_index(dose, dose, SPACING)
    assert res.pass_rate_pct == 100.0
    assert np.nanmax(res.gamma) == 0.0
    assert res.n_evaluated == dose.size


def test_uniform_scaling_gamma_is_dose_difference_over_criterion():
    dose = np.full((6, 6, 6), 40.0)
    res = gamma_index(dose, 1.02 * dose, SPACING)  # 2 % of the maximum everywhere
    np.testing.assert_allclose(res.gamma, 2.0 / 3.0, rtol=1e-9)
    assert res.pass_rate_pct == 100.0
    res = gamma_index(dose, 1.05 * dose, SPACING)  # 5 %: fails everywhere, no gradient to help
    np.testing.assert_allclose(res.gamma, 5.0 / 3.0, rtol=1e-9)
    assert res.pass_rate_pct == 0.0


@pytest.mark.parametrize("shift_mm", [2.0, 4.0])
def test_shifted_ramp_matches_closed_form(shift_mm):
    # D(x) = g x against D(x - s): gamma = |s| / sqrt(dta^2 + (dd / g)^2) away from the edges.
    z, y, x = _coords((3, 3, 40))
    g = 1.0  # Gy/mm; dd = 3 % of the maximum
    ref = g * x
    ev = g * (x - shift_mm)
    res = gamma_index(ref, ev, SPACING, steps_per_dta=10, max_gamma=1.5)
    dd = 0.03 * ref.max()
    expected = shift_mm / np.sqrt(9.0 + (dd / g) ** 2)
    inner = res.gamma[:, :, 5:-5]
    np.testing.assert_allclose(inner, expected, atol=0.01)
    assert (res.pass_rate_pct == 100.0) == (expected <= 1.0)


def test_mask_threshold_and_errors():
    dose = np.zeros((4, 4, 4))
    dose[1:3, 1:3, 1:3] = 10.0
    mask = np.zeros_like(dose, dtype=bool)
    mask[2, 2, 2] = True
    res = gamma_index(dose, dose * 1.5, SPACING, mask=mask)
    assert res.n_evaluated == 1 and np.isnan(res.gamma[0, 0, 0])
    res = gamma_index(dose, dose, SPACING, threshold_pct=10.0)
    assert res.n_evaluated == 8
    with pytest.raises(ValueError, match="one shape"):
        gamma_index(dose, dose[:3], SPACING)
    with pytest.raises(ValueError, match="normalization dose must be positive"):
        gamma_index(np.zeros((3, 3, 3)), np.zeros((3, 3, 3)), SPACING)
