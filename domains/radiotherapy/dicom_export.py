"""Write a case and its plan dose as DICOM: CT series, RTSTRUCT (rt-utils) and RTDOSE (pydicom)."""

from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

import numpy as np

from .dicom import AXIAL, DEFAULT_HU_CURVE, DicomError

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"
UINT32_MAX = 2**32 - 1


def _origin_xyz(case) -> tuple[float, float, float]:
    """Patient (x, y, z) of voxel 0's centre: from the case's source, else centred on 0."""
    if "origin_xyz_mm" in case.meta:
        return tuple(float(v) for v in case.meta["origin_xyz_mm"])
    nz, ny, nx = case.shape
    dz, dy, dx = case.spacing_mm
    return (-(nx - 1) / 2 * dx, -(ny - 1) / 2 * dy, -(nz - 1) / 2 * dz)


def _base(sop_class: str, modality: str, study: dict, series_uid: str):
    """A dataset with file meta, patient/study/series and frame of reference filled in."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    for key in ("PatientName", "PatientID", "StudyInstanceUID", "FrameOfReferenceUID",
                "StudyDate", "StudyTime", "StudyID"):
        setattr(ds, key, study[key])
    ds.SeriesInstanceUID = series_uid
    ds.Manufacturer = "textgrad-sci"
    ds.ImageOrientationPatient = list(AXIAL)
    ds.PositionReferenceIndicator = ""
    return ds


def _study(case) -> dict:
    from pydicom.uid import generate_uid

    now = _dt.datetime.now()
    return {"PatientName": case.name, "PatientID": case.name, "StudyInstanceUID": generate_uid(),
            "FrameOfReferenceUID": generate_uid(), "StudyDate": now.strftime("%Y%m%d"),
            "StudyTime": now.strftime("%H%M%S"), "StudyID": "1"}


def write_ct_series(case, directory: Path, study: dict, upsample: int = 2) -> list[Path]:
    """One CT slice per dose-grid plane; in-plane pixels ``upsample`` times finer, so contours
    drawn through boundary pixel centres lie a quarter voxel outside the dose-grid voxels."""
    from pydicom.uid import generate_uid

    directory.mkdir(parents=True, exist_ok=True)
    curve = np.asarray(DEFAULT_HU_CURVE, dtype=np.float64)
    hu = np.interp(case.densities, curve[:, 1], curve[:, 0])
    hu = np.repeat(np.repeat(hu, upsample, axis=1), upsample, axis=2)
    pixels = np.clip(np.rint(hu + 1024.0), 0, 65535).astype(np.uint16)
    (x0, y0, z0), (dz, dy, dx) = _origin_xyz(case), case.spacing_mm
    px, py = dx / upsample, dy / upsample
    fx0, fy0 = x0 - dx / 2 + px / 2, y0 - dy / 2 + py / 2  # first fine pixel centre
    series = generate_uid()
    paths = []
    for k in range(case.shape[0]):
        ds = _base(CT_IMAGE, "CT", study, series)
        ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
        ds.ImagePositionPatient = [fx0, fy0, z0 + k * dz]
        ds.SliceLocation = z0 + k * dz
        ds.PixelSpacing = [py, px]  # row spacing (y), column spacing (x)
        ds.SliceThickness = dz
        ds.Rows, ds.Columns = pixels.shape[1], pixels.shape[2]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
        ds.PixelData = pixels[k].tobytes()
        path = directory / f"CT_{k + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def write_rtstruct(case, ct_dir: Path, path: Path, upsample: int = 2) -> Path:
    """An RTSTRUCT referencing the CT series, one ROI per mask (rt-utils)."""
    from rt_utils import RTStructBuilder

    rtstruct = RTStructBuilder.create_new(dicom_series_path=str(ct_dir))
    for name, mask in case.structures.items():
        if not mask.any():
            continue
        fine = np.repeat(np.repeat(mask, upsample, axis=1), upsample, axis=2)
        rtstruct.add_roi(mask=np.ascontiguousarray(fine.transpose(1, 2, 0)), name=name,
                         approximate_contours=False)
    rtstruct.save(str(path))
    return path


def write_rtdose(dose, path: Path, origin_xyz, spacing_zyx, study: dict) -> Path:
    """RTDOSE (Gy, PHYSICAL, PLAN) of a (nz, ny, nx) dose as uint32 with DoseGridScaling."""
    from pydicom.tag import Tag
    from pydicom.uid import generate_uid

    dose = np.asarray(dose, dtype=np.float64)
    if dose.ndim != 3 or not np.all(np.isfinite(dose)) or dose.min() < 0:
        raise DicomError("the dose must be a finite, non-negative (nz, ny, nx) array")
    dmax = float(dose.max())
    scaling = dmax / UINT32_MAX if dmax > 0 else 1.0
    ds = _base(RT_DOSE, "RTDOSE", study, generate_uid())
    nz, ny, nx = dose.shape
    dz, dy, dx = spacing_zyx
    ds.SeriesNumber, ds.InstanceNumber = 3, 1
    ds.ImagePositionPatient = [float(v) for v in origin_xyz]
    ds.PixelSpacing = [dy, dx]
    ds.SliceThickness = dz
    ds.GridFrameOffsetVector = [k * dz for k in range(nz)]
    ds.NumberOfFrames = nz
    ds.FrameIncrementPointer = Tag(0x3004, 0x000C)
    ds.Rows, ds.Columns = ny, nx
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 32, 32, 31, 0
    ds.DoseUnits, ds.DoseType, ds.DoseSummationType = "GY", "PHYSICAL", "PLAN"
    ds.DoseGridScaling = f"{scaling * (1 + 1e-9):.9e}"  # a DS holds 16 characters
    pixels = np.rint(dose / float(ds.DoseGridScaling)).clip(0, UINT32_MAX).astype(np.uint32)
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def read_rtdose(path: str | Path):
    """Dose (nz, ny, nx) in Gy, origin (x, y, z) mm and spacing (dz, dy, dx) of an RTDOSE."""
    import pydicom

    ds = pydicom.dcmread(str(path))
    if getattr(ds, "Modality", "") != "RTDOSE":
        raise DicomError(f"{path}: not an RTDOSE")
    dose = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
    dose = dose.reshape(int(getattr(ds, "NumberOfFrames", 1)), int(ds.Rows), int(ds.Columns))
    offsets = np.asarray(ds.GridFrameOffsetVector, dtype=np.float64)
    dz = float(offsets[1] - offsets[0]) if offsets.size > 1 else float(ds.SliceThickness)
    dy, dx = (float(v) for v in ds.PixelSpacing)
    return dose, tuple(float(v) for v in ds.ImagePositionPatient), (dz, dy, dx)


def export_dicom(case, dose, out_dir: str | Path, *, upsample: int = 2) -> dict[str, Path]:
    """Write ``out_dir``/CT/*.dcm, RTSTRUCT.dcm and RTDOSE.dcm for a plan's dose (Gy, flat or
    (nz, ny, nx), on the case grid = the dose grid).

    A case read from DICOM (``case.meta['dicom_dir']``) reuses the user's CT and RTSTRUCT files
    (copied), and its RTDOSE shares their study and frame of reference; any other case gets a
    CT series converted from its densities and an RTSTRUCT built from its masks with rt-utils.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dose = np.asarray(dose, dtype=np.float64)
    if dose.size != case.n_voxels:
        raise DicomError(f"the dose has {dose.size} voxels, the case has {case.n_voxels}")
    dose = dose.reshape(case.shape)
    if "dicom_dir" in case.meta:
        study = dict(case.meta["dicom_study"])
        ct_dir = out / "CT"
        ct_dir.mkdir(exist_ok=True)
        for src in case.meta["dicom_ct_files"]:
            shutil.copy2(src, ct_dir / Path(src).name)
        rtstruct = out / "RTSTRUCT.dcm"
        shutil.copy2(case.meta["dicom_rtstruct_file"], rtstruct)
    else:
        study = _study(case)
        ct_dir = out / "CT"
        write_ct_series(case, ct_dir, study, upsample)
        rtstruct = write_rtstruct(case, ct_dir, out / "RTSTRUCT.dcm", upsample)
    rtdose = write_rtdose(dose, out / "RTDOSE.dcm", _origin_xyz(case), case.spacing_mm, study)
    return {"ct_dir": ct_dir, "rtstruct": rtstruct, "rtdose": rtdose}

