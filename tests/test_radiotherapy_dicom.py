"""Loading a user's case: DICOM CT + RTSTRUCT round trip, NumPy arrays and .npz files."""

from __future__ import annotations

import numpy as np
import pytest
from radiotherapy_support import (
    BODY_RADIUS,
    ORIGIN,
    SHAPE,
    SPACING,
    expected_target_mask,
    write_dicom_case,
)
from textgrad_sci.domains.radiotherapy import (
    case_from_arrays,
    case_from_npz,
    load_case,
    save_case_npz,
)
from textgrad_sci.domains.radiotherapy.dicom import DicomError, case_from_dicom


def test_dicom_round_trip(tmp_path):
    write_dicom_case(tmp_path / "patient")
    case = case_from_dicom(tmp_path / "patient", "PTV", 60.0)
    assert case.densities.shape == SHAPE
    assert case.spacing_mm == SPACING
    assert case.target == "PTV" and case.prescription_gy == 60.0
    assert sorted(case.structures) == ["BODY", "PTV"]  # EXTERNAL becomes BODY
    np.testing.assert_array_equal(case.structures["PTV"], expected_target_mask())
    # HU -> relative electron density: air, water and the bone rod.
    assert case.densities[0, 0, 0] == pytest.approx(0.001, abs=1e-4)
    assert case.densities[3, 16, 16] == pytest.approx(1.0, abs=1e-3)
    rod = (int(round((20 - ORIGIN[1]) / SPACING[1])), int(round(-ORIGIN[0] / SPACING[2])))
    assert case.densities[3, rod[0], rod[1]] == pytest.approx(1.6, abs=1e-3)
    # BODY from the EXTERNAL contour: a disc of the right area on every slice.
    area = case.structures["BODY"][0].sum() * SPACING[1] * SPACING[2]
    assert area == pytest.approx(np.pi * BODY_RADIUS**2, rel=0.08)


def test_dicom_body_from_ct_when_no_outline(tmp_path):
    write_dicom_case(tmp_path / "p", with_body=False)
    case = case_from_dicom(tmp_path / "p", "PTV", 60.0, resolution_mm=5.0)
    assert case.spacing_mm == (5.0, 5.0, 5.0)
    assert case.structures["BODY"].any() and case.structures["PTV"].any()
    assert case.densities.shape == case.structures["BODY"].shape


def test_dicom_errors_are_clear(tmp_path):
    write_dicom_case(tmp_path / "p")
    with pytest.raises(DicomError, match="'CTV' is not in the RTSTRUCT"):
        case_from_dicom(tmp_path / "p", "CTV", 60.0)
    (tmp_path / "p" / "rtstruct.dcm").unlink()
    with pytest.raises(DicomError, match="expected one RTSTRUCT, found 0"):
        case_from_dicom(tmp_path / "p", "PTV", 60.0)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hello")
    with pytest.raises(DicomError, match="not a readable DICOM file"):
        case_from_dicom(tmp_path / "junk", "PTV", 60.0)
    with pytest.raises(ValueError, match="needs --target and --prescription"):
        load_case(tmp_path / "p")


def test_case_from_arrays_and_npz_round_trip(tmp_path):
    densities = np.ones((4, 8, 8), dtype=np.float32)
    target = np.zeros_like(densities, dtype=bool)
    target[1:3, 3:5, 3:5] = True
    case = case_from_arrays(densities, {"PTV": target}, (2, 2, 2), "PTV", 50, name="mine")
    assert case.structures["BODY"].all()  # derived from the densities
    path = save_case_npz(case, tmp_path / "mine.npz")
    again = load_case(path)
    assert again.name == "mine" and again.target == "PTV" and again.prescription_gy == 50
    np.testing.assert_array_equal(again.structures["PTV"], target)
    with pytest.raises(ValueError, match="has shape"):
        case_from_arrays(densities, {"PTV": target[:2]}, (2, 2, 2), "PTV", 50)
    with pytest.raises(ValueError, match="finite"):
        case_from_arrays(densities * np.nan, {"PTV": target}, (2, 2, 2), "PTV", 50)
    np.savez(tmp_path / "bad.npz", densities=densities)
    with pytest.raises(ValueError, match="spacing_mm"):
        case_from_npz(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="unknown case"):
        load_case("liver")


def test_cli_tunes_a_dicom_case_with_user_goals(tmp_path, capsys):
    from textgrad_sci.cli import main

    write_dicom_case(tmp_path / "patient")
    goals = tmp_path / "goals.json"
    goals.write_text('[{"structure": "PTV", "metric": "D95", "op": ">=", "value": "100%"},'
                     ' {"structure": "PTV", "metric": "max", "op": "<=", "value": "110%"}]')
    args = ["radiotherapy", "tune", "--case", str(tmp_path / "patient"), "--target", "PTV",
            "--prescription", "60", "--goals", str(goals), "--tuner", "random", "--steps", "2",
            "--fmo-iterations", "40", "--run-dir", str(tmp_path / "run"), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "PTV D95" in out and "of 2; run directory" in out
    assert (tmp_path / "run" / "plots" / "dose_slice.png").exists()
    args[args.index(str(goals))] = str(tmp_path / "missing.json")
    args[-2] = str(tmp_path / "run2")
    assert main(args) == 2
    assert "neither a built-in set" in capsys.readouterr().err
