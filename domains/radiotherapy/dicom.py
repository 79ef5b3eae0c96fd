"""Load a user's case from a DICOM CT series and an RTSTRUCT (pydicom)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Hounsfield units -> relative electron density (water 1.0, air ~0.001, bone ~1.6): a generic
# piecewise-linear CT calibration; pass your scanner's curve as ``hu_to_density``.
DEFAULT_HU_CURVE = ((-1000.0, 0.001), (-100.0, 0.93), (0.0, 1.0), (1000.0, 1.6), (3000.0, 2.5))
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
BODY_NAMES = ("BODY", "EXTERNAL", "OUTLINE", "SKIN")


class DicomError(ValueError):
    """A DICOM input that cannot be turned into a case; the message says why."""


def _read(path: Path):
    import pydicom

    try:
        return pydicom.dcmread(str(path))
    except Exception as err:  # pydicom raises several kinds for non-DICOM files
        raise DicomError(f"{path}: not a readable DICOM file ({err})") from None


def read_ct(files: list[Path]):
    """CT slices sorted by z: HU volume (nz, ny, nx), origin (x, y, z) mm, spacing (dz, dy, dx)."""
    slices = [ds for ds in (_read(f) for f in files) if getattr(ds, "Modality", "") == "CT"]
    if not slices:
        raise DicomError("no CT images found")
    for ds in slices:
        orientation = tuple(round(float(v), 4) for v in ds.ImageOrientationPatient)
        if orientation != AXIAL:
            raise DicomError(f"only axial CT is supported (ImageOrientationPatient {orientation})")
    slices.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    z = np.array([float(ds.ImagePositionPatient[2]) for ds in slices])
    if len(slices) > 1:
        steps = np.diff(z)
        if steps.min() <= 0 or np.ptp(steps) > 0.01 * steps.mean():
            raise DicomError(f"CT slices must be evenly spaced and distinct (z steps {steps})")
        dz = float(steps.mean())
    else:
        dz = float(getattr(slices[0], "SliceThickness", 1.0) or 1.0)
    dy, dx = (float(v) for v in slices[0].PixelSpacing)
    shape = (int(slices[0].Rows), int(slices[0].Columns))
    volume = np.empty((len(slices), *shape), dtype=np.float32)
    for k, ds in enumerate(slices):
        if (int(ds.Rows), int(ds.Columns)) != shape:
            raise DicomError("CT slices have different sizes")
        slope = float(getattr(ds, "RescaleSlope", 1.0))
        intercept = float(getattr(ds, "RescaleIntercept", 0.0))
        volume[k] = ds.pixel_array.astype(np.float32) * slope + intercept
    origin = tuple(float(v) for v in slices[0].ImagePositionPatient)
    return volume, origin, (dz, dy, dx)


def rasterize_rtstruct(rtstruct, shape, origin, spacing) -> dict[str, np.ndarray]:
    """Masks of every ROI with closed planar contours (even-odd rule, so holes stay holes)."""
    from matplotlib.path import Path as Polygon

    nz, ny, nx = shape
    dz, dy, dx = spacing
    x0, y0, z0 = origin
    yy, xx = np.mgrid[0:ny, 0:nx]
    centres = np.column_stack([x0 + xx.ravel() * dx, y0 + yy.ravel() * dy])
    names = {int(r.ROINumber): str(r.ROIName) for r in rtstruct.StructureSetROISequence}
    masks: dict[str, np.ndarray] = {}
    for roi in getattr(rtstruct, "ROIContourSequence", []):
        name = names.get(int(roi.ReferencedROINumber))
        if name is None:
            continue
        mask = np.zeros(shape, dtype=bool)
        for contour in getattr(roi, "ContourSequence", []):
            if getattr(contour, "ContourGeometricType", "CLOSED_PLANAR") != "CLOSED_PLANAR":
                continue
            points = np.asarray(contour.ContourData, dtype=float).reshape(-1, 3)
            k = int(round((points[0, 2] - z0) / dz))
            if not 0 <= k < nz:
                continue
            inside = Polygon(points[:, :2]).contains_points(centres).reshape(ny, nx)
            mask[k] ^= inside
        masks[name] = mask
    return masks


def case_from_dicom(
    directory: str | Path,
    target: str,
    prescription_gy: float,
    *,
    name: str | None = None,
    resolution_mm: float | None = None,
    hu_to_density=DEFAULT_HU_CURVE,
):
    """A ``Case`` from a folder holding a CT series and one RTSTRUCT.

    The body outline is the ROI named BODY/EXTERNAL/OUTLINE/SKIN, else CT voxels above -500 HU.
    ``resolution_mm`` resamples the grid (isotropic) to keep dose computation affordable.
    """
    from textgrad_sci.losses.dose import Case

    directory = Path(directory)
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    if not files:
        raise DicomError(f"{directory}: no files")
    datasets = {f: _read(f) for f in files}
    rtstructs = [ds for ds in datasets.values() if getattr(ds, "Modality", "") == "RTSTRUCT"]
    if len(rtstructs) != 1:
        raise DicomError(f"{directory}: expected one RTSTRUCT, found {len(rtstructs)}")
    ct_files = [f for f, ds in datasets.items() if getattr(ds, "Modality", "") == "CT"]
    hu, origin, spacing = read_ct(ct_files)
    masks = rasterize_rtstruct(rtstructs[0], hu.shape, origin, spacing)
    body = next((masks.pop(n) for n in list(masks) if n.upper() in BODY_NAMES), None)
    masks["BODY"] = body if body is not None else hu > -500
    curve = np.asarray(hu_to_density, dtype=float)
    densities = np.interp(hu, curve[:, 0], curve[:, 1]).astype(np.float32)
    densities[~masks["BODY"]] = np.minimum(densities[~masks["BODY"]], 0.001)
    if target not in masks:
        raise DicomError(f"target {target!r} is not in the RTSTRUCT (ROIs: {sorted(masks)})")
    origin_zyx = (origin[2], origin[1], origin[0])
    if resolution_mm is not None:
        densities, masks, spacing, origin_zyx = resample(densities, masks, spacing,
                                                         resolution_mm, origin_zyx)
    first = datasets[ct_files[0]]
    meta = {
        "dicom_dir": str(directory),
        "dicom_ct_files": [str(f) for f in ct_files],
        "dicom_rtstruct_file": str(next(f for f, ds in datasets.items() if ds is rtstructs[0])),
        "dicom_study": {k: str(getattr(first, k, "")) for k in (
            "PatientName", "PatientID", "StudyInstanceUID", "FrameOfReferenceUID", "StudyDate",
            "StudyTime", "StudyID")},
        "origin_xyz_mm": (origin_zyx[2], origin_zyx[1], origin_zyx[0]),
    }
    return Case(name or directory.name, densities, spacing, masks, target, float(prescription_gy),
                meta=meta)


def resample(densities, masks, spacing, resolution_mm: float, origin_zyx=(0.0, 0.0, 0.0)):
    """Resample densities (linear) and masks (nearest) to an isotropic grid of exactly
    ``resolution_mm`` from the same first voxel centre; returns the new origin too."""
    from .matrad import resample_to_grid

    if not resolution_mm > 0:
        raise DicomError("resolution_mm must be positive")
    shape = tuple(int(np.floor((n - 1) * s / resolution_mm + 1e-9)) + 1
                  for n, s in zip(densities.shape, spacing, strict=True))
    new_spacing = (float(resolution_mm),) * 3
    dens, new_masks = resample_to_grid(densities, masks, origin_zyx, spacing, origin_zyx, shape,
                                       new_spacing)
    return dens, new_masks, new_spacing, tuple(float(v) for v in origin_zyx)


def export_dicom(case, dose, out_dir, **kwargs):
    """CT series, RTSTRUCT and RTDOSE of a plan; see :func:`.dicom_export.export_dicom`."""
    from .dicom_export import export_dicom as export

    return export(case, dose, out_dir, **kwargs)
