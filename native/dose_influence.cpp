// Pencil-beam dose-influence matrix, matRad's SVD photon model: ray-traced radiological depth,
// matRad's three depth-dose terms, each times its lateral table (bixel square (x) penumbra (x)
// kernel, precomputed per beam in Python), inverse square, radial cut-off at the iso plane.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dose.hpp"
#include "parallel.hpp"

namespace tgs {
namespace {

struct Params {
  double mu, beta[3], step, width, sad, cutoff, min_entry, table_step, tail_radius, tail_keep;
};

Params unpack(const double* p) {
  return Params{p[0], {p[1], p[2], p[3]}, p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
}

// Uniform [0, 1) from (voxel, column): splitmix64, so the sample is the same on every thread
// (the NumPy reference computes the same bits).
inline double tail_uniform(int64_t v, int32_t col) {
  uint64_t x = static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(col);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}

// One term of matRad's depth-dose fit; att = exp(-mu z).
double depth_term(double att, double z, double mu, double beta) {
  return beta / (beta - mu) * (att - std::exp(-beta * z));
}

// Water-equivalent path length from point p back to the source along -r/|r|, marched in
// voxel-index units (the NumPy reference does the same arithmetic).
double radiological_depth(const Grid& g, const double p[3], const double r[3], double step) {
  const double norm = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
  const double ez = -r[0] / norm / g.dz, ey = -r[1] / norm / g.dy, ex = -r[2] / norm / g.dx;
  const double pz = p[0] / g.dz, py = p[1] / g.dy, px = p[2] / g.dx;
  double acc[2] = {0.0, 0.0};  // two sums: the adds of consecutive samples overlap
  for (int64_t k = 0;; ++k) {
    const double c = (k + 0.5) * step;
    const double uz = pz + c * ez + 0.5, uy = py + c * ey + 0.5, ux = px + c * ex + 0.5;
    if (uz < 0.0 || uy < 0.0 || ux < 0.0) break;
    const int64_t iz = static_cast<int64_t>(uz), iy = static_cast<int64_t>(uy);
    const int64_t ix = static_cast<int64_t>(ux);
    if (iz >= g.nz || iy >= g.ny || ix >= g.nx) break;
    acc[k & 1] += g.dens[(iz * g.ny + iy) * g.nx + ix];
  }
  return (acc[0] + acc[1]) * step;
}

struct Block {
  std::vector<int32_t> counts, cols;
  std::vector<float> vals;
};

// Bilinear lookup of the three lateral tables at iso-plane offsets (|da|, |db|) / step,
// weighted by the three depth-dose terms.
inline double lateral(const double* tab, int64_t n, double ua, double ub, const double dd[3]) {
  const int64_t i = static_cast<int64_t>(ua), k = static_cast<int64_t>(ub);
  if (i + 1 >= n || k + 1 >= n) return 0.0;
  const double fa = ua - i, fb = ub - k;
  const double* t00 = tab + (i * n + k) * 3;
  const double* t01 = t00 + 3;
  const double* t10 = t00 + n * 3;
  const double* t11 = t10 + 3;
  double v = 0.0;
  for (int c = 0; c < 3; ++c) {
    const double lo = (1.0 - fb) * t00[c] + fb * t01[c];
    const double hi = (1.0 - fb) * t10[c] + fb * t11[c];
    v += dd[c] * ((1.0 - fa) * lo + fa * hi);
  }
  return v;
}

// All beams' entries of one voxel row, in increasing column order.
void voxel_row(const Grid& g, const BeamSet& B, const Tables& T, const Params& P, int64_t v,
               Block& out) {
  const int64_t ix = v % g.nx, iy = (v / g.nx) % g.ny, iz = v / (g.nx * g.ny);
  const double p[3] = {iz * g.dz, iy * g.dy, ix * g.dx};
  const double inv_h = 1.0 / P.table_step, cut2 = P.cutoff * P.cutoff;
  const double tail2 = P.tail_radius * P.tail_radius, inv_keep = 1.0 / P.tail_keep;
  thread_local std::vector<double> buf;
  int32_t count = 0;
  for (int b = 0; b < B.n_beams; ++b) {
    const double* s = B.sources + 3 * b;
    const double* ax = B.axes + 9 * b;
    const double r[3] = {p[0] - s[0], p[1] - s[1], p[2] - s[2]};
    const double t = r[0] * ax[0] + r[1] * ax[1] + r[2] * ax[2];
    if (!(t > 0)) continue;
    const double a = (r[0] * ax[3] + r[1] * ax[4] + r[2] * ax[5]) * P.sad / t;
    const double bb = (r[0] * ax[6] + r[1] * ax[7] + r[2] * ax[8]) * P.sad / t;
    const double reach = P.cutoff + 1e-9 * P.width;
    const int64_t o0 = B.origin[2 * b], o1 = B.origin[2 * b + 1];
    const int64_t n0 = B.shape[2 * b], n1 = B.shape[2 * b + 1];
    int64_t a_lo = std::max<int64_t>(o0, static_cast<int64_t>(std::ceil((a - reach) / P.width)));
    int64_t a_hi = std::min<int64_t>(o0 + n0 - 1,
                                     static_cast<int64_t>(std::floor((a + reach) / P.width)));
    int64_t b_lo = std::max<int64_t>(o1, static_cast<int64_t>(std::ceil((bb - reach) / P.width)));
    int64_t b_hi = std::min<int64_t>(o1 + n1 - 1,
                                     static_cast<int64_t>(std::floor((bb + reach) / P.width)));
    if (a_lo > a_hi || b_lo > b_hi) continue;
    const double z = radiological_depth(g, p, r, P.step);
    const double att = std::exp(-P.mu * z);
    double dd[3];
    for (int c = 0; c < 3; ++c) dd[c] = depth_term(att, z, P.mu, P.beta[c]);
    const double inv_sq = (P.sad / t) * (P.sad / t);
    const int na = static_cast<int>(a_hi - a_lo + 1), nbl = static_cast<int>(b_hi - b_lo + 1);
    buf.resize(2 * (na + nbl));
    double *da = buf.data(), *db = da + na, *ua = db + nbl, *ub = ua + na;
    for (int k = 0; k < na; ++k) {
      da[k] = a - (a_lo + k) * P.width;
      ua[k] = std::fabs(da[k]) * inv_h;
    }
    for (int k = 0; k < nbl; ++k) {
      db[k] = bb - (b_lo + k) * P.width;
      ub[k] = std::fabs(db[k]) * inv_h;
    }
    const double* tab = T.data + b * T.n * T.n * 3;
    for (int64_t ia = a_lo; ia <= a_hi; ++ia) {
      const int ka = static_cast<int>(ia - a_lo);
      const int32_t* row = B.map + B.offset[b] + (ia - o0) * n1 - o1;
      for (int64_t ib = b_lo; ib <= b_hi; ++ib) {
        const int kb = static_cast<int>(ib - b_lo);
        const int32_t col = row[ib];
        const double r2 = da[ka] * da[ka] + db[kb] * db[kb];
        if (col < 0 || r2 > cut2) continue;
        double val = inv_sq * lateral(tab, T.n, ua[ka], ub[kb], dd);
        if (r2 > tail2 && P.tail_keep < 1.0) {  // matRad-style dij sampling of the far tail
          if (tail_uniform(v, col) >= P.tail_keep) continue;
          val *= inv_keep;
        }
        if (val > P.min_entry) {
          out.cols.push_back(col);
          out.vals.push_back(static_cast<float>(val));
          ++count;
        }
      }
    }
  }
  out.counts.push_back(count);
}

}  // namespace

Csr dose_influence(const Grid& g, const uint8_t* body, const BeamSet& beams, const Tables& tables,
                   const double* params, int threads) {
  const Params P = unpack(params);
  const int64_t n = g.nz * g.ny * g.nx;
  const int64_t block = 512;
  std::vector<Block> blocks((n + block - 1) / block);
  run_dynamic(n, block, threads, [&](int64_t begin, int64_t end, int64_t k, int) {
    Block& out = blocks[k];
    for (int64_t v = begin; v < end; ++v) {
      if (body[v]) {
        voxel_row(g, beams, tables, P, v, out);
      } else {
        out.counts.push_back(0);
      }
    }
  });
  Csr m;
  m.indptr.assign(n + 1, 0);
  int64_t v = 0, nnz = 0;
  for (const Block& blk : blocks) {
    for (int32_t c : blk.counts) m.indptr[++v] = (nnz += c);
  }
  m.indices.resize(nnz);
  m.data.resize(nnz);
  std::vector<int64_t> starts(blocks.size() + 1, 0);
  for (size_t k = 0; k < blocks.size(); ++k) starts[k + 1] = starts[k] + blocks[k].cols.size();
  run_dynamic(static_cast<int64_t>(blocks.size()), 16, threads,
              [&](int64_t begin, int64_t end, int64_t, int) {
                for (int64_t k = begin; k < end; ++k) {
                  std::copy(blocks[k].cols.begin(), blocks[k].cols.end(),
                            m.indices.begin() + starts[k]);
                  std::copy(blocks[k].vals.begin(), blocks[k].vals.end(),
                            m.data.begin() + starts[k]);
                }
              });
  return m;
}

}  // namespace tgs
