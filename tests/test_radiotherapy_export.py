"""DICOM export: RTDOSE round trip, and dicompyler-core's DVH of the exported files."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from radiotherapy_support import write_dicom_case
from textgrad_sci.domains.radiotherapy import load_case
from textgrad_sci.domains.radiotherapy.dicom import DicomError, case_from_dicom, export_dicom
from textgrad_sci.domains.radiotherapy.dicom_export import read_rtdose, write_rtdose
from textgrad_sci.losses.dose import (
    BeamSetup,
    Objective,
    compute_dose_influence,
    dose_at_volume,
    optimize_fluence,
)

STUDY = {"PatientName": "p", "PatientID": "p", "StudyInstanceUID": "1.2.3.4",
         "FrameOfReferenceUID": "1.2.3.5", "StudyDate": "20260101", "StudyTime": "120000",
         "StudyID": "1"}


def test_rtdose_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    dose = rng.uniform(0.0, 72.0, size=(4, 6, 5))
    path = write_rtdose(dose, tmp_path / "d.dcm", (-10.0, 5.0, 2.5), (2.5, 3.0, 4.0), STUDY)
    back, origin, spacing = read_rtdose(path)
    ds = pydicom.dcmread(path)
    assert ds.Modality == "RTDOSE" and ds.DoseUnits == "GY" and ds.DoseSummationType == "PLAN"
    assert ds.FrameOfReferenceUID == "1.2.3.5" and ds.BitsAllocated == 32
    assert origin == (-10.0, 5.0, 2.5) and spacing == (2.5, 3.0, 4.0)
    assert back.shape == dose.shape
    np.testing.assert_allclose(back, dose, atol=float(ds.DoseGridScaling))
    with pytest.raises(DicomError, match="finite, non-negative"):
        write_rtdose(-dose, tmp_path / "bad.dcm", (0, 0, 0), (1, 1, 1), STUDY)


@pytest.fixture(scope="module")
def prostate_plan():
    case = load_case("prostate", 7.0)
    D = compute_dose_influence(case, BeamSetup(gantry_angles_deg=(0, 72, 144, 216, 288)))
    objectives = [Objective("PTV", "squared_deviation", case.prescription_gy, 100.0),
                  Objective("RECTUM", "squared_overdose", 30.0, 5.0),
                  Objective("BODY", "squared_overdose", 40.0, 1.0)]
    res = optimize_fluence(D, case, objectives, method="native_lbfgs", max_iter=150)
    return case, D.dose(res.fluence).reshape(case.shape)


def _dicompyler():
    """dicompyler-core 0.5.6 (the newest on PyPI) imports ``pydicom.dicomio.read_file``, which
    pydicom 3 removed; upstream's fix (dicompyler-core issues 380/385) imports ``dcmread`` under
    that name and is not released yet, so give it the same alias."""
    import pydicom.dicomio

    if not hasattr(pydicom.dicomio, "read_file"):
        pydicom.dicomio.read_file = pydicom.dcmread
    from dicompylercore import dicomparser, dvhcalc

    return dicomparser, dvhcalc


def test_dicompyler_dvh_of_exported_plan_matches_ours(prostate_plan, tmp_path):
    dicomparser, dvhcalc = _dicompyler()

    case, dose = prostate_plan
    files = export_dicom(case, dose, tmp_path / "out")
    cts = sorted(files["ct_dir"].glob("*.dcm"))
    assert len(cts) == case.shape[0]
    rtss = dicomparser.DicomParser(str(files["rtstruct"]))
    rois = {s["name"]: k for k, s in rtss.GetStructures().items()}
    assert {"PTV", "RECTUM", "BLADDER", "BODY"} <= set(rois)
    rx = case.prescription_gy
    for name in ("PTV", "RECTUM", "BLADDER"):
        dvh = dvhcalc.get_dvh(str(files["rtstruct"]), str(files["rtdose"]), rois[name])
        ours_mean = float(dose[case.structures[name]].mean())
        assert abs(dvh.mean - ours_mean) <= 0.01 * rx, (name, dvh.mean, ours_mean)
        if name == "PTV":
            ours_d95 = dose_at_volume(dose, case.structures[name], 95.0)
            assert abs(dvh.D95.value - ours_d95) <= 0.01 * rx, (dvh.D95.value, ours_d95)
            assert ours_d95 > 0.8 * rx  # a real plan, not an empty dose


def test_export_of_a_dicom_case_reuses_its_ct_and_rtstruct(tmp_path):
    write_dicom_case(tmp_path / "patient")
    case = case_from_dicom(tmp_path / "patient", "PTV", 60.0, resolution_mm=4.0)
    dose = np.linspace(0.0, 60.0, case.n_voxels)
    files = export_dicom(case, dose, tmp_path / "out")
    original = pydicom.dcmread(tmp_path / "patient" / "rtstruct.dcm")
    copied = pydicom.dcmread(files["rtstruct"])
    assert copied.SOPInstanceUID == original.SOPInstanceUID
    assert len(list(files["ct_dir"].glob("*.dcm"))) == len(case.meta["dicom_ct_files"])
    rtdose = pydicom.dcmread(files["rtdose"])
    assert rtdose.FrameOfReferenceUID == original.FrameOfReferenceUID
    assert rtdose.StudyInstanceUID == original.StudyInstanceUID
    back, origin, spacing = read_rtdose(files["rtdose"])
    assert spacing == (4.0, 4.0, 4.0) and back.shape == case.shape
    assert origin == pytest.approx(case.meta["origin_xyz_mm"])
    with pytest.raises(DicomError, match="the dose has 3 voxels"):
        export_dicom(case, np.ones(3), tmp_path / "bad")
