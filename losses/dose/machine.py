"""matRad's generic 6 MV photon machine as a small shipped table, and the lateral dose tables.

The table (``data/photons_generic_6mv.npz``) is derived once from ``photons_Generic.mat`` in the
pyRadPlan 0.5.0 wheel (see ``data/README.md``, :func:`derive_machine_table`); the runtime
never needs pyRadPlan. matRad's SVD pencil beam (Bortfeld, Schlegel & Rhein 1993): the dose of a
bixel at a voxel is (SAD / t)^2 * sum_c DD_c(z) * (F (x) K_c)(lateral offset at the iso plane),
DD_c(z) = beta_c / (beta_c - m) * (exp(-m z) - exp(-beta_c z)) with radiological depth z, F the
bixel's square fluence blurred by the Gaussian penumbra, K_c the radial kernels at the beam's SSD.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).with_name("data") / "photons_generic_6mv.npz"
SSD_STEP_MM = 10.0  # the table keeps every 10th of matRad's 1 mm SSD steps


@dataclass(frozen=True)
class Machine:
    """Photon machine data: depth-dose fit, penumbra, radial kernels (1/mm^2) over SSD."""

    m: float
    betas: np.ndarray  # (3,)
    sad_mm: float
    penumbra_fwhm_mm: float
    kernel_pos_mm: np.ndarray  # (n_pos,)
    ssds_mm: np.ndarray  # (n_ssd,)
    kernels: np.ndarray  # (n_ssd, 3, n_pos)

    def kernels_at_ssd(self, ssd_mm: float) -> np.ndarray:
        """(3, n_pos) kernels at an SSD, linear between tabulated SSDs, clamped at the ends."""
        s = float(np.clip(ssd_mm, self.ssds_mm[0], self.ssds_mm[-1]))
        i = int(np.clip(np.searchsorted(self.ssds_mm, s) - 1, 0, len(self.ssds_mm) - 2))
        f = (s - self.ssds_mm[i]) / (self.ssds_mm[i + 1] - self.ssds_mm[i])
        return (1.0 - f) * self.kernels[i] + f * self.kernels[i + 1]


@lru_cache(maxsize=4)
def load_machine(path: str | Path = DATA) -> Machine:
    """The shipped machine table (or another written by :func:`derive_machine_table`)."""
    with np.load(Path(path), allow_pickle=False) as f:
        return Machine(float(f["m"]), f["betas"].astype(np.float64), float(f["sad_mm"]),
                       float(f["penumbra_fwhm_mm"]), f["kernel_pos_mm"].astype(np.float64),
                       f["ssds_mm"].astype(np.float64), f["kernels"].astype(np.float64))


def derive_machine_table(mat_path: str | Path, out_path: str | Path = DATA) -> Path:
    """Write the small table from matRad's ``photons_Generic.mat`` (scipy.io, MATLAB 5)."""
    import scipy.io

    machine = scipy.io.loadmat(str(mat_path), simplify_cells=True)["machine"]
    data = machine["data"]
    ssds = np.array([k["SSD"] for k in data["kernel"]], dtype=np.float64)
    keep = np.flatnonzero(np.isclose(np.mod(ssds - ssds[0], SSD_STEP_MM), 0.0))
    kernels = np.array([[data["kernel"][i][f"kernel{c}"] for c in (1, 2, 3)] for i in keep])
    np.savez_compressed(
        out_path, m=np.float64(data["m"]), betas=np.asarray(data["betas"], dtype=np.float64),
        sad_mm=np.float64(machine["meta"]["SAD"]),
        penumbra_fwhm_mm=np.float64(data["penumbraFWHMatIso"]),
        kernel_pos_mm=np.asarray(data["kernelPos"], dtype=np.float64), ssds_mm=ssds[keep],
        kernels=kernels.astype(np.float32),
    )
    return Path(out_path)


def _square_blurred(x: np.ndarray, width: float, sigma: float) -> np.ndarray:
    """A 1-D square of ``width`` blurred by a unit Gaussian of ``sigma`` (value 1 inside)."""
    from scipy.special import erf

    s = np.sqrt(2.0) * sigma
    return 0.5 * (erf((x + width / 2) / s) - erf((x - width / 2) / s))


def lateral_tables(machine: Machine, ssd_mm: float, width_mm: float, cutoff_mm: float,
                   step_mm: float, penumbra_fwhm_mm: float | None = None) -> np.ndarray:
    """(n, n, 3) tables T_c(|da|, |db|) on a ``step_mm`` lattice from 0 past ``cutoff_mm``.

    T_c = F (x) K_c with F the bixel's square (``width_mm`` at the iso plane) blurred by the
    penumbra Gaussian; a discrete 2-D convolution on the same lattice (FFT), as matRad does.
    """
    fwhm = machine.penumbra_fwhm_mm if penumbra_fwhm_mm is None else penumbra_fwhm_mm
    sigma = fwhm / np.sqrt(8.0 * np.log(2.0))
    n = int(np.ceil(cutoff_mm / step_mm)) + 2
    reach_f = width_mm / 2 + 5.0 * sigma
    kf = int(np.ceil(reach_f / step_mm))
    axis_f = np.arange(-kf, kf + 1) * step_mm
    prof = _square_blurred(axis_f, width_mm, sigma)
    fluence = np.outer(prof, prof)
    reach_k = min(float(machine.kernel_pos_mm[-1]), (n + kf) * step_mm * np.sqrt(2.0))
    kk = int(np.ceil(reach_k / step_mm))
    axis_k = np.arange(-kk, kk + 1) * step_mm
    r = np.hypot(axis_k[:, None], axis_k[None, :])
    kern = machine.kernels_at_ssd(ssd_mm)
    out = np.empty((n, n, 3))
    from scipy import fft

    size = (fft.next_fast_len(fluence.shape[0] + r.shape[0] - 1, real=True),) * 2
    f_hat = fft.rfft2(fluence, size)
    centre = kf + kk  # the full convolution's centre
    for c in range(3):
        k2 = np.interp(r, machine.kernel_pos_mm, kern[c], right=0.0) * step_mm**2
        conv = fft.irfft2(f_hat * fft.rfft2(k2, size), size)
        out[:, :, c] = conv[centre:centre + n, centre:centre + n]
    return out
