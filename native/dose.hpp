// Dose-volume simulator kernels of textgrad_sci._native.
#pragma once
#include <cstdint>
#include <vector>

namespace tgs {

struct Grid {
  const float* dens;
  int64_t nz, ny, nx;
  double dz, dy, dx;
};

struct BeamSet {
  int n_beams;
  const double* sources;      // (n_beams, 3)
  const double* axes;         // (n_beams, 3, 3): d, u1, u2
  const int64_t* origin;      // (n_beams, 2)
  const int64_t* shape;       // (n_beams, 2)
  const int64_t* offset;      // (n_beams,)
  const int32_t* map;         // beamlet column or -1
};

struct Tables {
  const double* data;  // (n_beams, n, n, 3): lateral tables T_c(|da|, |db|) per beam
  int64_t n;
};

struct Csr {
  std::vector<int64_t> indptr;
  std::vector<int32_t> indices;
  std::vector<float> data;
};

// Pencil-beam dose-influence matrix for the voxels where body[v] != 0 (params: see beams.py).
Csr dose_influence(const Grid& g, const uint8_t* body, const BeamSet& beams,
                   const Tables& tables, const double* params, int threads);

}  // namespace tgs
