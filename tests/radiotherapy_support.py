"""Helpers for the radiotherapy tests: a synthetic DICOM CT series + RTSTRUCT written with pydicom,
a tiny case, and plans for scripted engines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CT_SOP = "1.2.840.10008.5.1.4.1.1.2"
RTSTRUCT_SOP = "1.2.840.10008.5.1.4.1.1.481.3"

# The synthetic patient: a water cylinder (radius 40 mm) with a bone rod, and a box target.
SHAPE = (6, 32, 32)  # slices, rows, columns
SPACING = (3.0, 2.5, 2.5)  # dz, dy, dx (mm)
ORIGIN = (-40.0, -40.0, 100.0)  # x, y, z of the first pixel of the first slice
TARGET_BOX = (-11.0, 11.0, -8.0, 8.0)  # x0, x1, y0, y1 (mm) on slices 1..4
BODY_RADIUS = 35.0


def _file_meta(sop_class: str, sop_instance: str):
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return meta


def _base(sop_class: str, modality: str, study: str, frame: str):
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid

    ds = Dataset()
    uid = generate_uid()
    ds.file_meta = _file_meta(sop_class, uid)
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, uid
    ds.Modality = modality
    ds.PatientName, ds.PatientID = "Phantom^Synthetic", "SYN001"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, generate_uid()
    ds.FrameOfReferenceUID = frame
    return ds


def hu_volume() -> np.ndarray:
    """HU of the synthetic patient: air outside, water in the cylinder, bone in a rod."""
    nz, ny, nx = SHAPE
    y = ORIGIN[1] + np.arange(ny) * SPACING[1]
    x = ORIGIN[0] + np.arange(nx) * SPACING[2]
    yy, xx = np.meshgrid(y, x, indexing="ij")
    hu = np.full(SHAPE, -1000, dtype=np.int16)
    hu[:, (yy**2 + xx**2) <= BODY_RADIUS**2] = 0
    hu[:, ((yy - 20) ** 2 + xx**2) <= 5.0**2] = 1000
    return hu


def write_dicom_case(directory: Path, with_body: bool = True) -> Path:
    """Write the CT slices and an RTSTRUCT (PTV box, BODY circle) into ``directory``."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    from pydicom.uid import generate_uid

    directory.mkdir(parents=True, exist_ok=True)
    study, frame = generate_uid(), generate_uid()
    hu = hu_volume()
    nz, ny, nx = SHAPE
    # Write slices in reverse order: the loader must sort them by position.
    for k in reversed(range(nz)):
        ds = _base(CT_SOP, "CT", study, frame)
        ds.ImagePositionPatient = [ORIGIN[0], ORIGIN[1], ORIGIN[2] + k * SPACING[0]]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [SPACING[1], SPACING[2]]
        ds.SliceThickness = SPACING[0]
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = (hu[k].astype(np.int32) + 1024).astype(np.uint16).tobytes()
        ds.save_as(directory / f"ct_{k:03d}.dcm", enforce_file_format=True)

    rs = _base(RTSTRUCT_SOP, "RTSTRUCT", study, frame)
    rois, contours = [], []
    x0, x1, y0, y1 = TARGET_BOX
    shapes = {"PTV": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}
    if with_body:
        angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        shapes["EXTERNAL"] = np.column_stack([BODY_RADIUS * np.cos(angles),
                                              BODY_RADIUS * np.sin(angles)]).tolist()
    for number, (name, polygon) in enumerate(shapes.items(), start=1):
        roi = Dataset()
        roi.ROINumber, roi.ROIName, roi.ReferencedFrameOfReferenceUID = number, name, frame
        rois.append(roi)
        item = Dataset()
        item.ReferencedROINumber = number
        slices = range(1, 5) if name == "PTV" else range(nz)
        seq = []
        for k in slices:
            c = Dataset()
            c.ContourGeometricType = "CLOSED_PLANAR"
            z = ORIGIN[2] + k * SPACING[0]
            c.ContourData = [v for x, y in polygon for v in (x, y, z)]
            c.NumberOfContourPoints = len(polygon)
            seq.append(c)
        item.ContourSequence = Sequence(seq)
        contours.append(item)
    rs.StructureSetROISequence = Sequence(rois)
    rs.ROIContourSequence = Sequence(contours)
    rs.save_as(directory / "rtstruct.dcm", enforce_file_format=True)
    return directory


def expected_target_mask() -> np.ndarray:
    """Voxels whose centres lie inside the target box, on the contoured slices."""
    nz, ny, nx = SHAPE
    y = ORIGIN[1] + np.arange(ny) * SPACING[1]
    x = ORIGIN[0] + np.arange(nx) * SPACING[2]
    yy, xx = np.meshgrid(y, x, indexing="ij")
    x0, x1, y0, y1 = TARGET_BOX
    inside = (xx > x0) & (xx < x1) & (yy > y0) & (yy < y1)
    mask = np.zeros(SHAPE, dtype=bool)
    mask[1:5] = inside
    return mask


def scaled_plan(plan_text: str, target: str, factor: float) -> str:
    """The plan with the target's objective weights multiplied by ``factor``."""
    doc = json.loads(plan_text)
    for o in doc["objectives"]:
        if o["structure"] == target:
            o["weight"] = round(o["weight"] * factor, 2)
    return json.dumps(doc)


def planner(request) -> str:
    """A scripted planner: raise the target's dose levels by 1 Gy and its weights by half."""
    import re

    from textgrad_sci.domains.radiotherapy.plan import dump_plan

    prompt = request.messages[-1][1]
    current = re.search(r"<VARIABLE>(.*?)</VARIABLE>", prompt, re.S).group(1)
    objectives = json.loads(current)["objectives"]
    for o in objectives:
        if o["structure"] == "PTV":
            o["dose_gy"] += 1.0 if o["kind"] == "squared_underdose" else 0.0
            o["weight"] = round(o["weight"] * 1.5, 2)
    return "Here is the plan:\n" + dump_plan(objectives)


def cli() -> None:
    """``textgrad-sci`` with the engine ``planner:SECONDS`` (``planner`` answering after that
    latency), for CLI runs in a subprocess that a test kills or interrupts."""
    import sys

    from textgrad_sci.cli import main
    from textgrad_sci.engines.registry import register_engine
    from textgrad_sci.engines.scripted import ScriptedEngine

    register_engine("planner", lambda rest, **_: ScriptedEngine(planner, latency=float(rest or 0)))
    sys.exit(main(sys.argv[1:]))
