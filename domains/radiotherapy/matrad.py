"""matRad / pyRadPlan phantoms (.mat: ``ct`` and ``cst``) as planning cases (scipy.io)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .dicom import DEFAULT_HU_CURVE

# cst columns (0-based here): 0 index, 1 name, 2 type (TARGET/OAR), 3 voxel lists, 4 properties,
# 5 objectives. Voxel lists are MATLAB linear indices: 1-based, column-major over the cube,
# whose dimensions are (y, x, z) (rows, columns, slices).
TARGET_OBJECTIVES = ("SquaredDeviation", "SquaredUnderdosing", "MinDVH", "EUD")
BODY_NAMES = ("BODY", "EXTERNAL", "OUTLINE", "SKIN")


class MatCaseError(ValueError):
    """A .mat file that is not a matRad case; the message says why."""


def _first(value):
    """matRad keeps one cube per CT scenario in a cell array: take the first."""
    if isinstance(value, (list, tuple)):
        return _first(value[0]) if value else None
    if isinstance(value, np.ndarray) and value.dtype == object:
        return _first(value.ravel()[0]) if value.size else None
    return value


def _resolution(ct: dict, path: Path) -> tuple[float, float, float]:
    res = ct.get("resolution")
    if not isinstance(res, dict) or not {"x", "y", "z"} <= set(res):
        raise MatCaseError(f"{path}: ct.resolution with fields x, y, z is missing")
    return float(res["z"]), float(res["y"]), float(res["x"])


def _densities(ct: dict, path: Path) -> np.ndarray:
    """Relative electron densities in (y, x, z) order: ct.cube, or ct.cubeHU through a HLUT."""
    cube = _first(ct.get("cube"))
    if cube is not None and np.ndim(cube) == 3:
        return np.asarray(cube, dtype=np.float64)
    hu = _first(ct.get("cubeHU"))
    if hu is None or np.ndim(hu) != 3:
        raise MatCaseError(f"{path}: ct has neither a 3-D cube nor a 3-D cubeHU")
    curve = np.asarray(ct.get("hlut", DEFAULT_HU_CURVE), dtype=np.float64)
    if curve.ndim != 2 or curve.shape[1] != 2:
        curve = np.asarray(DEFAULT_HU_CURVE, dtype=np.float64)
    return np.interp(np.asarray(hu, dtype=np.float64), curve[:, 0], curve[:, 1])


def _rows(cst, path: Path) -> list:
    rows = list(cst) if isinstance(cst, (list, np.ndarray)) else []
    if not rows or any(len(r) < 4 for r in rows):
        raise MatCaseError(f"{path}: cst must have rows of index, name, type, voxel list")
    if len(rows) == 4 and isinstance(rows[1], str):  # a one-row cst is simplified to the row
        rows = [rows]
    return rows


def _prescription(row) -> float | None:
    """The dose of the target's first dose objective (matRad keeps no prescription field)."""
    objectives = row[5] if len(row) > 5 else None
    objectives = objectives if isinstance(objectives, (list, tuple)) else [objectives]
    for obj in objectives:
        name = str(getattr(obj, "className", "") or "")
        params = np.ravel(getattr(obj, "parameters", []))
        if any(k in name for k in TARGET_OBJECTIVES) and params.size:
            try:
                return float(params[0])
            except (TypeError, ValueError):
                continue
    return None


def read_mat(path: str | Path) -> dict:
    """The ``ct`` and ``cst`` of a matRad .mat file (MATLAB 5 format)."""
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise MatCaseError(f"{path}: no such file")
    try:
        data = scipy.io.loadmat(str(path), simplify_cells=True)
    except Exception as err:  # scipy raises several kinds for non-MAT files
        raise MatCaseError(f"{path}: not a readable MATLAB 5 .mat file ({err})") from None
    missing = [k for k in ("ct", "cst") if k not in data]
    if missing:
        found = sorted(k for k in data if not k.startswith("__"))
        raise MatCaseError(
            f"{path}: not a matRad case: missing {' and '.join(missing)} (has {found})"
        )
    if not isinstance(data["ct"], dict):
        raise MatCaseError(f"{path}: ct is not a struct")
    return data


def case_from_mat(
    path: str | Path,
    target: str | None = None,
    prescription_gy: float | None = None,
    *,
    resolution_mm: float | None = 5.0,
    name: str | None = None,
):
    """A ``Case`` from a matRad/pyRadPlan .mat phantom (e.g. pyRadPlan's TG119.mat).

    Densities outside every structure are zeroed, as matRad and pyRadPlan do by default
    (``ignoreOutsideDensities``). The target defaults to the first TARGET row of ``cst``, the
    prescription to the dose of that row's first objective; ``resolution_mm`` resamples to an
    isotropic grid (None keeps the CT grid). ``meta['origin_xyz_mm']`` is the (x, y, z) centre of
    voxel 0 after resampling.
    """
    from textgrad_sci.losses.dose import Case

    path = Path(path)
    data = read_mat(path)
    ct = data["ct"]
    dens = _densities(ct, path)  # (y, x, z)
    spacing = _resolution(ct, path)
    ny, nx, nz = dens.shape
    masks: dict[str, np.ndarray] = {}
    types: dict[str, str] = {}
    rows = _rows(data["cst"], path)
    for row in rows:
        label, kind = str(row[1]), str(row[2]).upper()
        idx = np.asarray(_first(row[3]) if isinstance(row[3], (list, tuple)) else row[3])
        idx = idx.astype(np.int64).ravel()
        if idx.size and (idx.min() < 1 or idx.max() > dens.size):
            raise MatCaseError(
                f"{path}: structure {label!r} has voxel indices outside 1..{dens.size}"
            )
        mask = np.zeros(dens.size, dtype=bool)
        mask[idx - 1] = True
        masks[label] = mask.reshape((ny, nx, nz), order="F").transpose(2, 0, 1)
        types[label] = kind
    densities = dens.transpose(2, 0, 1).astype(np.float32)
    body = next((n for n in masks if n.upper() in BODY_NAMES), None)
    if body is not None:  # matRad's ignoreOutsideDensities: nothing outside attenuates
        densities[~np.logical_or.reduce(list(masks.values()))] = 0.0
    if body is not None and body != "BODY":
        masks["BODY"] = masks.pop(body)
    elif body is None:
        masks["BODY"] = densities > 0.2
    targets = [n for n, k in types.items() if k == "TARGET" and n in masks]
    if target is None:
        if not targets:
            raise MatCaseError(f"{path}: no TARGET structure in cst; give the target")
        target = targets[0]
    if target not in masks:
        raise MatCaseError(f"{path}: target {target!r} is not in cst ({sorted(masks)})")
    if prescription_gy is None:
        row = next(r for r in rows if str(r[1]) == target)
        prescription_gy = _prescription(row)
        if prescription_gy is None:
            raise MatCaseError(f"{path}: {target!r} has no dose objective; give the prescription")
    origin = tuple(float(np.ravel(ct[k])[0]) if k in ct else 0.0 for k in ("x", "y", "z"))
    if resolution_mm is not None:
        zyx = (origin[2], origin[1], origin[0])
        new_zyx, shape = centred_grid(zyx, spacing, densities.shape, resolution_mm)
        densities, masks = resample_to_grid(densities, masks, zyx, spacing, new_zyx, shape,
                                            (resolution_mm,) * 3)
        spacing = (float(resolution_mm),) * 3
        origin = (new_zyx[2], new_zyx[1], new_zyx[0])
    meta = {"source": str(path), "format": "matRad .mat", "origin_xyz_mm": origin,
            "structure_types": types}
    return Case(name or path.stem, densities, spacing, masks, target, float(prescription_gy),
                meta=meta)


def centred_grid(origin_zyx, spacing, shape, resolution_mm: float):
    """pyRadPlan's dose grid (``Grid.resample``): ceil(n s / r) voxels, first centre shifted
    back by half the grown extent (origins are voxel centres)."""
    if not resolution_mm > 0:
        raise MatCaseError("resolution_mm must be positive")
    n = np.asarray(shape, dtype=np.float64)
    s = np.asarray(spacing, dtype=np.float64)
    new_shape = np.ceil(n * s / resolution_mm - 1e-9).astype(int)
    shift = (new_shape * resolution_mm - n * s) / 2.0
    new_origin = np.asarray(origin_zyx, dtype=np.float64) - shift
    return tuple(float(v) for v in new_origin), tuple(int(v) for v in new_shape)


def resample_to_grid(densities, masks, origin_zyx, spacing, new_origin_zyx, new_shape,
                     new_spacing):
    """Densities (trilinear) and masks (nearest voxel) at the centres of another grid."""
    from scipy.ndimage import map_coordinates

    axes = [
        (o2 + np.arange(n) * s2 - o1) / s1
        for o1, s1, o2, n, s2 in zip(origin_zyx, spacing, new_origin_zyx, new_shape,
                                     new_spacing, strict=True)
    ]
    coords = np.stack(np.meshgrid(*axes, indexing="ij"))
    dens = map_coordinates(np.asarray(densities, dtype=np.float32), coords, order=1,
                           mode="nearest").astype(np.float32)
    rounded = np.rint(coords)
    new_masks = {
        k: map_coordinates(np.asarray(m, dtype=np.uint8), rounded, order=0, mode="constant",
                           cval=0).astype(bool)
        for k, m in masks.items()
    }
    return np.clip(dens, 0.0, None), new_masks
