"""DVH and plan metrics against brute-force NumPy definitions."""

import numpy as np
import pytest
from dose_support import water_box
from textgrad_sci.losses.dose import (
    Case,
    conformity_index,
    dose_at_volume,
    dvh,
    homogeneity_index,
    structure_metrics,
    volume_at_dose,
)


def brute_dx(d, v):
    """Largest dose level that at least v % of the voxels reach."""
    frac = np.array([(d >= level).mean() for level in d])
    return d[frac >= v / 100.0 - 1e-12].max()


@pytest.fixture
def dose_and_mask():
    rng = np.random.default_rng(5)
    dose = rng.gamma(9.0, 6.0, size=(6, 7, 8))
    mask = rng.uniform(size=dose.shape) < 0.4
    return dose, mask


@pytest.mark.parametrize("v", [2, 5, 50, 95, 98, 100, 0.5])
def test_dx_matches_brute_force(dose_and_mask, v):
    dose, mask = dose_and_mask
    assert dose_at_volume(dose, mask, v) == pytest.approx(brute_dx(dose[mask], v))


def test_vx_and_cumulative_dvh(dose_and_mask):
    dose, mask = dose_and_mask
    d = dose[mask]
    for level in (0.0, 30.0, 54.0, 80.0, 1e3):
        assert volume_at_dose(dose, mask, level) == pytest.approx(100 * (d >= level).mean())
    axis, vol = dvh(dose, mask, bins=50)
    assert axis[0] == 0.0 and vol[0] == 100.0 and vol[-1] == 0.0
    assert np.all(np.diff(vol) <= 0)
    np.testing.assert_allclose(vol, [100 * (d >= a).mean() for a in axis])
    axis2, vol2 = dvh(dose.ravel(), mask.ravel(), bins=np.array([10.0, 50.0]))
    np.testing.assert_allclose(vol2, [100 * (d >= 10).mean(), 100 * (d >= 50).mean()])


def test_structure_metrics_and_homogeneity(dose_and_mask):
    dose, mask = dose_and_mask
    d = dose[mask]
    m = structure_metrics(dose, mask)
    assert m["mean"] == pytest.approx(d.mean())
    assert m["max"] == d.max() and m["min"] == d.min()
    for v in (2, 50, 95, 98):
        assert m[f"D{v}"] == pytest.approx(brute_dx(d, v))
    assert homogeneity_index(dose, mask) == pytest.approx((m["D2"] - m["D98"]) / m["D50"])
    assert homogeneity_index(np.full(dose.shape, 7.0), mask) == 0.0


def test_conformity_index_paddick():
    case: Case = water_box(shape=(5, 9, 9), target_halfwidth=1)
    target = case.structures["PTV"]
    dose = np.where(target, 60.0, 10.0)
    assert conformity_index(dose, case, 57.0) == pytest.approx(1.0)
    spill = dose.copy()
    spill[0, 0, :3] = 60.0  # 3 voxels outside the 27-voxel target
    assert conformity_index(spill, case, 57.0) == pytest.approx(27 * 27 / (27 * 30))
    cold = dose.copy()
    cold[target.nonzero()[0][0], target.nonzero()[1][0], target.nonzero()[2][0]] = 0.0
    assert conformity_index(cold, case, 57.0) == pytest.approx(26 * 26 / (27 * 26))
    assert conformity_index(np.zeros(dose.shape), case, 57.0) == 0.0


def test_metric_errors_are_clear():
    with pytest.raises(ValueError, match="empty"):
        structure_metrics(np.ones(4), np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="voxels"):
        dose_at_volume(np.ones(4), np.ones(5, dtype=bool), 50)
    with pytest.raises(ValueError, match="volume_pct"):
        dose_at_volume(np.ones(4), np.ones(4, dtype=bool), 0)


def test_case_validation_is_clear():
    dens = np.ones((3, 4, 5), dtype=np.float32)
    body = np.ones((3, 4, 5), dtype=bool)
    with pytest.raises(ValueError, match="BODY"):
        Case("x", dens, (1, 1, 1), {"PTV": body}, "PTV", 60.0)
    with pytest.raises(ValueError, match="shape"):
        Case("x", dens, (1, 1, 1), {"PTV": body[:2], "BODY": body}, "PTV", 60.0)
    with pytest.raises(ValueError, match="target"):
        Case("x", dens, (1, 1, 1), {"BODY": body}, "PTV", 60.0)
    with pytest.raises(ValueError, match="spacing"):
        Case("x", dens, (1, 0, 1), {"PTV": body, "BODY": body}, "PTV", 60.0)
    with pytest.raises(ValueError, match="finite"):
        Case("x", dens * np.nan, (1, 1, 1), {"PTV": body, "BODY": body}, "PTV", 60.0)
    with pytest.raises(ValueError, match="3-D"):
        Case("x", dens[0], (1, 1, 1), {"PTV": body[0], "BODY": body[0]}, "PTV", 60.0)
