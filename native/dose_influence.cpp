// Pencil-beam dose-influence matrix: ray-traced radiological depth, matRad depth-dose terms,
// Gaussian penumbra growing with depth, inverse square and a low scatter tail.
#include <cmath>
#include <vector>

#include "dose.hpp"
#include "parallel.hpp"

namespace tgs {
namespace {

struct Params {
  double mu, beta_p, peak_p, beta_s, peak_s, sigma0, sigma_k, scatter, ssigma0, ssigma_k;
  double step, width, sad, cutoff, min_entry;
};

Params unpack(const double* p) {
  return Params{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11],
                p[12], p[13], p[14]};
}

// erf by linear interpolation in a table on [-6, 6] (error < 5e-9, 5x faster than std::erf).
constexpr int kErfN = 1 << 16;
constexpr double kErfLim = 6.0;

const std::vector<double>& erf_table() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kErfN + 2);
    for (int i = 0; i <= kErfN + 1; ++i) t[i] = std::erf(-kErfLim + 2.0 * kErfLim * i / kErfN);
    return t;
  }();
  return table;
}

inline double fast_erf(const double* table, double x) {
  if (x <= -kErfLim) return -1.0;
  if (x >= kErfLim) return 1.0;
  const double u = (x + kErfLim) * (kErfN / (2.0 * kErfLim));
  const int i = static_cast<int>(u);
  const double f = u - i;
  return table[i] + f * (table[i + 1] - table[i]);
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

// Square beamlets of half-width `half` blurred by a Gaussian (s = sqrt(2) sigma), for the
// n beamlets lo..lo+n-1 along one axis: neighbours share their edges, so n+1 erf calls.
void profiles(const double* table, double coord, int64_t lo, int n, double width, double scale,
              double half, double s, double* out) {
  const double inv = 1.0 / s;
  double prev = fast_erf(table, ((coord - lo * width) * scale + half) * inv);
  for (int k = 0; k < n; ++k) {
    const double next = fast_erf(table, ((coord - (lo + k) * width) * scale - half) * inv);
    out[k] = 0.5 * (prev - next);
    prev = next;
  }
}

struct Block {
  std::vector<int32_t> counts, cols;
  std::vector<float> vals;
};

// All beams' entries of one voxel row, in increasing column order.
void voxel_row(const Grid& g, const BeamSet& B, const Params& P, int64_t v, Block& out) {
  const int64_t ix = v % g.nx, iy = (v / g.nx) % g.ny, iz = v / (g.nx * g.ny);
  const double p[3] = {iz * g.dz, iy * g.dy, ix * g.dx};
  const double sq2 = std::sqrt(2.0);
  const double* table = erf_table().data();
  thread_local std::vector<double> buf;
  thread_local std::vector<char> ok;
  int32_t count = 0;
  for (int b = 0; b < B.n_beams; ++b) {
    const double* s = B.sources + 3 * b;
    const double* ax = B.axes + 9 * b;
    const double r[3] = {p[0] - s[0], p[1] - s[1], p[2] - s[2]};
    const double t = r[0] * ax[0] + r[1] * ax[1] + r[2] * ax[2];
    if (!(t > 0)) continue;
    const double a = (r[0] * ax[3] + r[1] * ax[4] + r[2] * ax[5]) * P.sad / t;
    const double bb = (r[0] * ax[6] + r[1] * ax[7] + r[2] * ax[8]) * P.sad / t;
    const double scale = t / P.sad, half = 0.5 * P.width * scale, lim = half + P.cutoff;
    const double reach = lim / scale + 1e-9 * P.width;
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
    const double ddp = (1.0 - P.scatter) * depth_term(att, z, P.mu, P.beta_p) / P.peak_p;
    const double dds = P.scatter * depth_term(att, z, P.mu, P.beta_s) / P.peak_s;
    const double sp = sq2 * std::sqrt(P.sigma0 * P.sigma0 + (P.sigma_k * z) * (P.sigma_k * z));
    const double ss =
        sq2 * std::sqrt(P.ssigma0 * P.ssigma0 + (P.ssigma_k * z) * (P.ssigma_k * z));
    const double inv_sq = (P.sad / t) * (P.sad / t);
    const int na = static_cast<int>(a_hi - a_lo + 1), nbl = static_cast<int>(b_hi - b_lo + 1);
    buf.resize(2 * (na + nbl));
    ok.resize(na + nbl);
    double *fpa = buf.data(), *fsa = fpa + na, *fpb = fsa + na, *fsb = fpb + nbl;
    char *ok_a = ok.data(), *ok_b = ok_a + na;
    profiles(table, a, a_lo, na, P.width, scale, half, sp, fpa);
    profiles(table, a, a_lo, na, P.width, scale, half, ss, fsa);
    profiles(table, bb, b_lo, nbl, P.width, scale, half, sp, fpb);
    profiles(table, bb, b_lo, nbl, P.width, scale, half, ss, fsb);
    for (int k = 0; k < na; ++k) ok_a[k] = std::fabs((a - (a_lo + k) * P.width) * scale) <= lim;
    for (int k = 0; k < nbl; ++k) ok_b[k] = std::fabs((bb - (b_lo + k) * P.width) * scale) <= lim;
    for (int64_t ia = a_lo; ia <= a_hi; ++ia) {
      const int ka = static_cast<int>(ia - a_lo);
      if (!ok_a[ka]) continue;
      const int32_t* row = B.map + B.offset[b] + (ia - o0) * n1 - o1;
      for (int64_t ib = b_lo; ib <= b_hi; ++ib) {
        const int kb = static_cast<int>(ib - b_lo);
        const int32_t col = row[ib];
        if (!ok_b[kb] || col < 0) continue;
        const double val = inv_sq * (ddp * fpa[ka] * fpb[kb] + dds * fsa[ka] * fsb[kb]);
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

Csr dose_influence(const Grid& g, const uint8_t* body, const BeamSet& beams, const double* params,
                   int threads) {
  const Params P = unpack(params);
  const int64_t n = g.nz * g.ny * g.nx;
  const int64_t block = 512;
  std::vector<Block> blocks((n + block - 1) / block);
  run_dynamic(n, block, threads, [&](int64_t begin, int64_t end, int64_t k, int) {
    Block& out = blocks[k];
    for (int64_t v = begin; v < end; ++v) {
      if (body[v]) {
        voxel_row(g, beams, P, v, out);
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
