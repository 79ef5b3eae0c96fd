"""Physics sanity of the pencil-beam model: depth dose, symmetry, inverse square, linearity."""

import numpy as np
import pytest
from dose_support import dense_dose_matrix, water_box
from textgrad_sci.losses.dose import (
    BeamSetup,
    PhysicsModel,
    compute_dose_influence,
    depth_dose,
    native_module,
    prostate_case,
    tg119_cshape_case,
)
from textgrad_sci.losses.dose.beams import depth_term
from textgrad_sci.losses.dose.reference import dose_influence_numpy, radiological_depth


def test_native_kernels_are_built():
    assert native_module() is not None


def test_depth_dose_builds_up_then_attenuates():
    # matRad's generic 6 MV machine: d_max about 1.5 cm for a broad field
    z = np.arange(0.0, 300.0, 0.5)
    dd = depth_dose(z)
    peak = int(np.argmax(dd))
    assert dd[0] == pytest.approx(0.0, abs=1e-12)
    assert 8.0 <= z[peak] <= 25.0
    assert np.all(np.diff(dd[: peak + 1]) > 0)
    assert np.all(np.diff(dd[peak + 4 :]) < 0)
    assert 0.6 < dd[z == 100.0][0] < 0.85


def test_machine_data_is_matrads_generic_6mv():
    mc = PhysicsModel().machine()
    assert mc.m == pytest.approx(0.005066)
    np.testing.assert_allclose(mc.betas, [0.3252, 0.016, 0.0051])
    assert mc.sad_mm == 1000.0 and mc.penumbra_fwhm_mm == 5.0
    assert mc.kernels.shape == (len(mc.ssds_mm), 3, len(mc.kernel_pos_mm))
    mid = mc.kernels_at_ssd(0.5 * (mc.ssds_mm[3] + mc.ssds_mm[4]))
    np.testing.assert_allclose(mid, 0.5 * (mc.kernels[3] + mc.kernels[4]), rtol=1e-12)


def test_central_axis_dose_from_the_matrix_has_build_up_and_falloff():
    case = water_box(shape=(5, 48, 11), spacing=5.0, target_halfwidth=2)
    beams = BeamSetup(gantry_angles_deg=(0.0,), beamlet_width_mm=5.0)
    m = compute_dose_influence(case, beams)
    dose = m.dose(np.ones(m.shape[1])).reshape(case.shape)
    axis = dose[2, :, 5]  # gantry 0 enters at y = 0
    peak = int(np.argmax(axis))
    assert 1 <= peak <= 4
    assert axis[0] < 0.8 * axis[peak]
    assert np.all(np.diff(axis[peak + 1 :]) < 0)


def test_radiological_depth_scales_with_density():
    water = water_box(shape=(3, 20, 3))
    lung = water_box(shape=(3, 20, 3), density=0.3)
    src = np.array([5.0, -1000.0, 5.0])
    pts = np.array([[5.0, 50.0, 5.0], [5.0, 80.0, 5.0]])
    zw = radiological_depth(water, pts, src, 1.0)
    zl = radiological_depth(lung, pts, src, 1.0)
    assert zw == pytest.approx([52.5, 82.5], abs=1.0)  # from the grid edge at y = -2.5 mm
    assert zl == pytest.approx(0.3 * zw, rel=1e-5)


def test_dose_is_mirror_symmetric():
    case = water_box(shape=(5, 15, 15))
    beams = BeamSetup(gantry_angles_deg=(0.0, 180.0))
    m = compute_dose_influence(case, beams)
    dose = m.dose(np.ones(m.shape[1])).reshape(case.shape)
    assert dose.max() > 0.5
    np.testing.assert_allclose(dose, dose[:, :, ::-1], rtol=1e-5, atol=1e-7)  # left-right
    np.testing.assert_allclose(dose, dose[:, ::-1, :], rtol=1e-5, atol=1e-7)  # opposed beams
    np.testing.assert_allclose(dose, dose[::-1, :, :], rtol=1e-5, atol=1e-7)  # head-foot


def test_inverse_square_on_the_central_axis():
    # On the axis every beamlet's lateral offset (at the iso plane) is the same at all depths,
    # so dose * (t / SAD)^2 is a fixed mix of matRad's three depth-dose terms.
    case = water_box(shape=(5, 40, 21), spacing=5.0, target_halfwidth=2)
    mc = PhysicsModel().machine()
    y = np.arange(40) * 5.0
    z = y + 2.5  # water from the grid edge
    terms = np.stack([depth_term(z, mc.m, b) for b in mc.betas], axis=1)
    for sad in (600.0, 1000.0):
        beams = BeamSetup(gantry_angles_deg=(0.0,), sad_mm=sad)
        m = compute_dose_influence(case, beams)
        dose = m.dose(np.ones(m.shape[1])).reshape(case.shape)[2, :, 10]
        t = sad + y - case.isocenter()[1]  # distance from the source
        for inv_sq, good in (((sad / t) ** 2, True), (np.ones_like(t), False)):
            target = dose / inv_sq
            coef = np.linalg.lstsq(terms, target, rcond=None)[0]
            err = np.max(np.abs(terms @ coef - target)) / target.max()
            assert (err < 1e-3) == good, (sad, good, err)


def test_dose_is_linear_in_fluence_and_additive_over_beams():
    case = water_box()
    both = compute_dose_influence(case, BeamSetup(gantry_angles_deg=(30.0, 200.0)))
    one = compute_dose_influence(case, BeamSetup(gantry_angles_deg=(30.0,)))
    two = compute_dose_influence(case, BeamSetup(gantry_angles_deg=(200.0,)))
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 2, both.shape[1]), rng.uniform(0, 2, both.shape[1])
    np.testing.assert_allclose(both.dose(2.5 * x + y), 2.5 * both.dose(x) + both.dose(y),
                               rtol=1e-10, atol=1e-12)
    n1 = one.shape[1]
    np.testing.assert_allclose(both.dose(x), one.dose(x[:n1]) + two.dose(x[n1:]), rtol=1e-10)


def test_native_matrix_equals_dense_numpy_model_on_a_tiny_grid():
    case = water_box(shape=(5, 13, 15))
    case.densities[1:4, 3:6, 2:7] = 1.6  # a bone insert breaks the symmetry
    beams = BeamSetup(gantry_angles_deg=(0.0, 77.0, 225.0), lateral_cutoff_mm=12.0)
    native = compute_dose_influence(case, beams, threads=2)
    dense = dense_dose_matrix(case, beams)
    np.testing.assert_allclose(native.to_scipy().toarray(), dense, rtol=1e-6, atol=1e-7)
    ref = dose_influence_numpy(case, beams)
    np.testing.assert_allclose(ref.toarray(), dense, rtol=1e-9, atol=2e-9)  # 1e-9 entry floor
    assert abs(native.nnz - np.count_nonzero(dense)) <= 0.002 * native.nnz
    assert native.data.min() > 1e-9


def test_matrix_does_not_depend_on_thread_count():
    case = prostate_case(12.0)
    a = compute_dose_influence(case, threads=1)
    b = compute_dose_influence(case, threads=2)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


def test_phantoms_have_their_structures_and_densities():
    pro = prostate_case(8.0)
    assert set(pro.structures) == {"PTV", "RECTUM", "BLADDER", "FEMUR_L", "FEMUR_R", "BODY"}
    assert pro.prescription_gy == 70.2
    assert pro.densities[pro.structures["FEMUR_L"]].mean() > 1.3
    assert pro.densities[~pro.structures["BODY"]].max() < 0.01
    tg = tg119_cshape_case(8.0)
    assert set(tg.structures) == {"PTV", "CORE", "BODY"}
    assert not (tg.structures["PTV"] & tg.structures["CORE"]).any()
    assert tg.prescription_gy == 50.0
    c = tg.isocenter()
    assert c.shape == (3,)


def test_physics_model_changes_reach_the_native_kernel():
    case = water_box()
    beams = BeamSetup(gantry_angles_deg=(0.0,))
    wide = PhysicsModel(penumbra_fwhm_mm=12.0)
    a = compute_dose_influence(case, beams, model=wide).to_scipy().toarray()
    np.testing.assert_allclose(a, dense_dose_matrix(case, beams, wide), rtol=1e-6, atol=1e-7)
    b = compute_dose_influence(case, beams).to_scipy().toarray()
    assert np.abs(a - b).max() > 0.05 * b.max()


def test_sampled_tail_is_the_same_in_both_backends_and_keeps_the_dose():
    case = water_box(shape=(7, 21, 21))
    beams = BeamSetup(gantry_angles_deg=(0.0, 120.0))
    full = compute_dose_influence(case, beams)
    model = PhysicsModel(tail_radius_mm=10.0, tail_keep=0.3)
    native = compute_dose_influence(case, beams, model=model)
    ref = dose_influence_numpy(case, beams, model)
    np.testing.assert_allclose(native.to_scipy().toarray(), ref.toarray(), rtol=1e-6, atol=1e-7)
    assert native.nnz < 0.75 * full.nnz
    x = np.ones(full.shape[1])
    assert native.dose(x).sum() == pytest.approx(full.dose(x).sum(), rel=0.03)
    with pytest.raises(ValueError, match="tail_keep"):
        PhysicsModel(tail_keep=0.0)
