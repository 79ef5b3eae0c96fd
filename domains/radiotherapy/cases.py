"""Cases: the built-in phantoms, a user's NumPy arrays (or .npz file), or a DICOM folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

BUILT_IN = ("prostate", "tg119")


def case_from_arrays(
    densities,
    structures: dict,
    spacing_mm,
    target: str,
    prescription_gy: float,
    *,
    name: str = "user",
):
    """A ``Case`` from NumPy arrays; BODY is derived (density above 0.2) when not given."""
    from textgrad_sci.losses.dose import Case

    densities = np.asarray(densities, dtype=np.float32)
    structures = {str(k): np.asarray(v, dtype=bool) for k, v in structures.items()}
    if "BODY" not in structures and densities.ndim == 3:
        structures["BODY"] = densities > 0.2
    return Case(name, densities, tuple(spacing_mm), structures, target, float(prescription_gy))


def save_case_npz(case, path: str | Path) -> Path:
    """Write a case as .npz: densities, spacing_mm, target, prescription_gy, mask_<NAME>."""
    path = Path(path)
    masks = {f"mask_{k}": v for k, v in case.structures.items()}
    np.savez_compressed(path, densities=case.densities, spacing_mm=np.asarray(case.spacing_mm),
                        target=np.asarray(case.target), prescription_gy=case.prescription_gy,
                        name=np.asarray(case.name), **masks)
    return path


def case_from_npz(
    path: str | Path, target: str | None = None, prescription_gy: float | None = None
):
    """Read a case written by :func:`save_case_npz` (or by hand with the same keys)."""
    path = Path(path)
    with np.load(path, allow_pickle=False) as f:
        keys = set(f.files)
        for key in ("densities", "spacing_mm"):
            if key not in keys:
                raise ValueError(f"{path}: missing array {key!r} (has {sorted(keys)})")
        masks = {k[5:]: f[k] for k in keys if k.startswith("mask_")}
        if not masks:
            raise ValueError(f"{path}: no structure masks (arrays named mask_<NAME>)")
        target = target or (str(f["target"]) if "target" in keys else None)
        if prescription_gy is None and "prescription_gy" in keys:
            prescription_gy = float(f["prescription_gy"])
        if target is None or prescription_gy is None:
            raise ValueError(f"{path}: give the target and the prescription dose")
        name = str(f["name"]) if "name" in keys else path.stem
        return case_from_arrays(f["densities"], masks, tuple(f["spacing_mm"]), target,
                                prescription_gy, name=name)


def load_case(
    source: str | Path,
    resolution_mm: float = 5.0,
    target: str | None = None,
    prescription_gy: float | None = None,
):
    """A built-in phantom by name, an .npz file, a matRad .mat file or a DICOM folder."""
    from textgrad_sci.losses import dose

    if source == "prostate":
        return dose.prostate_case(resolution_mm)
    if source == "tg119":
        return dose.tg119_cshape_case(resolution_mm)
    path = Path(source)
    if path.suffix == ".npz" and path.is_file():
        return case_from_npz(path, target, prescription_gy)
    if path.suffix.lower() == ".mat":
        from .matrad import case_from_mat

        return case_from_mat(path, target, prescription_gy, resolution_mm=resolution_mm)
    if path.is_dir():
        from .dicom import case_from_dicom

        if target is None or prescription_gy is None:
            raise ValueError("a DICOM case needs --target and --prescription")
        return case_from_dicom(path, target, prescription_gy, resolution_mm=resolution_mm)
    raise ValueError(
        f"unknown case {str(source)!r}: use one of {BUILT_IN}, an .npz or matRad .mat file "
        "or a DICOM folder"
    )
