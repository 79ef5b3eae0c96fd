"""Treatment case (densities + structure masks) and two synthetic phantoms."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

AIR = 0.001
WATER = 1.0
BONE = 1.5
FAT = 0.95


@dataclass
class Case:
    """A planning case on a regular voxel grid, C-order (nz, ny, nx)."""

    name: str
    densities: np.ndarray
    spacing_mm: tuple[float, float, float]
    structures: dict[str, np.ndarray]
    target: str
    prescription_gy: float
    isocenter_mm: tuple[float, float, float] | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        dens = np.ascontiguousarray(self.densities, dtype=np.float32)
        if dens.ndim != 3 or min(dens.shape) < 1:
            raise ValueError(f"densities must be a 3-D array (nz, ny, nx), got shape {dens.shape}")
        if not np.all(np.isfinite(dens)) or dens.min() < 0:
            raise ValueError("densities must be finite and non-negative")
        self.densities = dens
        spacing = tuple(float(s) for s in self.spacing_mm)
        if len(spacing) != 3 or min(spacing) <= 0:
            raise ValueError(f"spacing_mm must be three positive numbers, got {self.spacing_mm}")
        self.spacing_mm = spacing
        masks = {}
        for name, mask in self.structures.items():
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != dens.shape:
                raise ValueError(
                    f"structure {name!r} has shape {mask.shape}, densities have {dens.shape}"
                )
            masks[name] = mask
        self.structures = masks
        if "BODY" not in masks:
            raise ValueError("structures must include 'BODY'")
        if self.target not in masks:
            raise ValueError(f"target {self.target!r} is not one of {sorted(masks)}")
        if not masks[self.target].any():
            raise ValueError(f"target {self.target!r} is empty")
        if not self.prescription_gy > 0:
            raise ValueError("prescription_gy must be positive")
        if self.isocenter_mm is not None:
            self.isocenter_mm = tuple(float(v) for v in self.isocenter_mm)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.densities.shape)

    @property
    def n_voxels(self) -> int:
        return int(self.densities.size)

    def isocenter(self) -> np.ndarray:
        """Isocentre (z, y, x) in mm from voxel (0,0,0) centre; target centroid by default."""
        if self.isocenter_mm is not None:
            return np.asarray(self.isocenter_mm, dtype=np.float64)
        idx = np.argwhere(self.structures[self.target])
        return idx.mean(axis=0) * np.asarray(self.spacing_mm)


def _grid(extent_mm: tuple[float, float, float], res: float):
    """Voxel-centre coordinates (z, y, x) in mm, centred on 0, for a field of view."""
    if not res > 0:
        raise ValueError("resolution_mm must be positive")
    n = [max(3, int(round(e / res))) for e in extent_mm]
    axes = [(np.arange(k) - (k - 1) / 2.0) * res for k in n]
    return np.meshgrid(*axes, indexing="ij")


def _ellipsoid(z, y, x, c, r) -> np.ndarray:
    return ((z - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((x - c[2]) / r[2]) ** 2 <= 1.0


def prostate_case(resolution_mm: float = 5.0) -> Case:
    """Synthetic male pelvis: PTV, RECTUM, BLADDER, FEMUR_L, FEMUR_R, BODY; 70.2 Gy (26 x 2.7)."""
    z, y, x = _grid((160.0, 280.0, 400.0), resolution_mm)  # y grows posterior, x to patient left
    body = (y / 125.0) ** 2 + (x / 185.0) ** 2 <= 1.0
    dens = np.full(z.shape, AIR, dtype=np.float32)
    dens[body] = WATER
    fat = body & ((y / 115.0) ** 2 + (x / 175.0) ** 2 > 1.0)
    dens[fat] = FAT
    prostate_c = (0.0, 10.0, 0.0)
    ptv = _ellipsoid(z, y, x, prostate_c, (32.0, 27.0, 32.0))
    rectum = ((y - 48.0) ** 2 + x**2 <= 15.0**2) & (np.abs(z) <= 55.0)
    rectal_gas = ((y - 50.0) ** 2 + x**2 <= 5.0**2) & (np.abs(z - 30.0) <= 10.0)
    bladder = _ellipsoid(z, y, x, (38.0, -22.0, 0.0), (30.0, 30.0, 42.0))
    femur_l = _ellipsoid(z, y, x, (0.0, 5.0, 95.0), (25.0, 25.0, 25.0))
    femur_r = _ellipsoid(z, y, x, (0.0, 5.0, -95.0), (25.0, 25.0, 25.0))
    pubis = (np.abs(y + 62.0) <= 10.0) & (np.abs(x) <= 35.0) & (np.abs(z) <= 30.0)
    sacrum = _ellipsoid(z, y, x, (0.0, 100.0, 0.0), (70.0, 12.0, 45.0)) & body
    for bone in (femur_l, femur_r, pubis, sacrum):
        dens[bone] = BONE
    dens[rectal_gas] = 0.2
    structures = {
        "PTV": ptv & body,
        "RECTUM": rectum & body,
        "BLADDER": bladder & body,
        "FEMUR_L": femur_l & body,
        "FEMUR_R": femur_r & body,
        "BODY": body,
    }
    return Case(
        name="prostate",
        densities=dens,
        spacing_mm=(float(resolution_mm),) * 3,
        structures=structures,
        target="PTV",
        prescription_gy=70.2,
        meta={"phantom": "synthetic pelvis", "resolution_mm": float(resolution_mm)},
    )


def tg119_cshape_case(resolution_mm: float = 5.0) -> Case:
    """AAPM TG-119 C-shape: a C-shaped PTV around a cylindrical CORE in water; 50 Gy."""
    z, y, x = _grid((160.0, 300.0, 300.0), resolution_mm)
    body = (np.abs(y) <= 140.0) & (np.abs(x) <= 140.0)
    dens = np.full(z.shape, AIR, dtype=np.float32)
    dens[body] = WATER
    r = np.sqrt(y**2 + x**2)
    core = (r <= 10.0) & (np.abs(z) <= 50.0)
    ring = (r >= 15.0) & (r <= 37.0) & (np.abs(z) <= 40.0)
    opening = (y < 0.0) & (np.abs(x) <= 15.0)  # the C opens anteriorly
    ptv = ring & ~opening
    structures = {"PTV": ptv & body, "CORE": core & body, "BODY": body}
    return Case(
        name="tg119_cshape",
        densities=dens,
        spacing_mm=(float(resolution_mm),) * 3,
        structures=structures,
        target="PTV",
        prescription_gy=50.0,
        meta={"phantom": "TG-119 C-shape", "resolution_mm": float(resolution_mm)},
    )
