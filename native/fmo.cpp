// Objectives, gradient (D x, D^T g) and accelerated projected gradient, all in C++.
#include "fmo.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sparse.hpp"

namespace tgs {
namespace {

constexpr double kTau = 1.0;         // smooth-max temperature (Gy), as reference.py
constexpr double kEudFloor = 1e-6;   // Gy

double dose_at_volume(std::vector<double>& d, double volume_pct) {
  const int64_t n = static_cast<int64_t>(d.size());
  int64_t k = static_cast<int64_t>(std::ceil(volume_pct / 100.0 * n));
  k = std::min<int64_t>(std::max<int64_t>(k, 1), n);
  std::nth_element(d.begin(), d.begin() + (n - k), d.end());
  return d[n - k];
}

}  // namespace

FmoProblem::FmoProblem(const int64_t* indptr, const int32_t* indices, const float* data,
                       int64_t n_rows, int64_t n_cols, const std::vector<TermSpec>& terms,
                       int threads)
    : n_cols_(n_cols), threads_(std::max(1, threads)), narrow_(n_cols <= 65536) {
  std::vector<int32_t> local(n_rows, -1);
  std::vector<int64_t> active;
  for (const TermSpec& t : terms) {
    for (int64_t v : t.voxels) {
      if (v < 0 || v >= n_rows) throw std::invalid_argument("objective voxel out of range");
      if (local[v] < 0) {
        local[v] = 0;
        active.push_back(v);
      }
    }
  }
  std::sort(active.begin(), active.end());
  for (size_t i = 0; i < active.size(); ++i) local[active[i]] = static_cast<int32_t>(i);
  rptr_.assign(active.size() + 1, 0);
  for (size_t i = 0; i < active.size(); ++i) {
    rptr_[i + 1] = rptr_[i] + (indptr[active[i] + 1] - indptr[active[i]]);
  }
  const int64_t nnz = rptr_.back();
  vals_.resize(nnz);
  if (narrow_) cols16_.resize(nnz); else cols32_.resize(nnz);
  for (size_t i = 0; i < active.size(); ++i) {
    const int64_t src = indptr[active[i]], len = indptr[active[i] + 1] - src;
    std::copy(data + src, data + src + len, vals_.begin() + rptr_[i]);
    for (int64_t k = 0; k < len; ++k) {
      const int32_t c = indices[src + k];
      if (c < 0 || c >= n_cols) throw std::invalid_argument("column index out of range");
      if (narrow_) cols16_[rptr_[i] + k] = static_cast<uint16_t>(c);
      else cols32_[rptr_[i] + k] = c;
    }
  }
  for (const TermSpec& t : terms) {
    Term term{t.kind, {}, t.dose, t.weight, t.volume_pct, t.eud_a};
    term.rows.reserve(t.voxels.size());
    for (int64_t v : t.voxels) term.rows.push_back(local[v]);
    terms_.push_back(std::move(term));
  }
  bounds_ = nnz_bounds(rptr_.data(), static_cast<int64_t>(active.size()), threads_);
  dose_.assign(active.size(), 0.0);
  gd_.assign(active.size(), 0.0);
}

void FmoProblem::compute_dose(const double* x) {
  if (narrow_) matvec(rptr_.data(), cols16_.data(), vals_.data(), bounds_, x, dose_.data());
  else matvec(rptr_.data(), cols32_.data(), vals_.data(), bounds_, x, dose_.data());
}

double FmoProblem::objective(bool with_grad) {
  if (with_grad) std::fill(gd_.begin(), gd_.end(), 0.0);
  double total = 0.0;
  for (const Term& t : terms_) {
    const int64_t n = static_cast<int64_t>(t.rows.size());
    const double p = t.dose, w = t.weight;
    scratch_.resize(n);
    for (int64_t i = 0; i < n; ++i) scratch_[i] = dose_[t.rows[i]];
    auto add = [&](int64_t i, double g) { if (with_grad) gd_[t.rows[i]] += g; };
    switch (t.kind) {
      case kUnder: case kOver: case kDeviation: case kDvhMax: case kDvhMin: {
        const bool band = t.kind == kDvhMax || t.kind == kDvhMin;
        double dv = 0.0;
        if (band) {
          std::vector<double> tmp(scratch_);
          dv = dose_at_volume(tmp, t.volume_pct);
        }
        double s = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          const double d = scratch_[i];
          double diff = d - p;
          if (t.kind == kUnder) diff = std::min(diff, 0.0);
          else if (t.kind == kOver) diff = std::max(diff, 0.0);
          else if (t.kind == kDvhMax) diff = (d > p && d <= dv) ? diff : 0.0;
          else if (t.kind == kDvhMin) diff = (d < p && d >= dv) ? diff : 0.0;
          s += diff * diff;
          if (diff != 0.0) add(i, 2.0 * w / n * diff);
        }
        total += w * s / n;
        break;
      }
      case kMean: {
        double m = 0.0;
        for (double d : scratch_) m += d;
        const double e = std::max(m / n - p, 0.0);
        total += w * e * e;
        if (e > 0) for (int64_t i = 0; i < n; ++i) add(i, 2.0 * w * e / n);
        break;
      }
      case kMax: {
        const double mx = *std::max_element(scratch_.begin(), scratch_.end());
        double sm = 0.0;
        for (double d : scratch_) sm += std::exp((d - mx) / kTau);
        const double e = std::max(mx + kTau * std::log(sm) - p, 0.0);
        total += w * e * e;
        if (e > 0) {
          for (int64_t i = 0; i < n; ++i) add(i, 2.0 * w * e * std::exp((scratch_[i] - mx) / kTau) / sm);
        }
        break;
      }
      case kEud: {
        const double a = t.eud_a;
        double m = 0.0;
        for (double d : scratch_) m += std::pow(std::max(d, kEudFloor), a);
        m /= n;
        const double eud = std::pow(m, 1.0 / a);
        const double e = a >= 1.0 ? std::max(eud - p, 0.0) : std::min(eud - p, 0.0);
        total += w * e * e;
        if (e != 0.0) {
          const double c = 2.0 * w * e * std::pow(m, 1.0 / a - 1.0) / n;
          for (int64_t i = 0; i < n; ++i) add(i, c * std::pow(std::max(scratch_[i], kEudFloor), a - 1.0));
        }
        break;
      }
      default:
        throw std::invalid_argument("unknown objective kind");
    }
  }
  return total;
}

double FmoProblem::value(const double* x) {
  compute_dose(x);
  return objective(false);
}

double FmoProblem::value_and_grad(const double* x, double* g) {
  compute_dose(x);
  const double f = objective(true);
  gradient(g);
  return f;
}

void FmoProblem::gradient(double* g) {
  if (narrow_) {
    rmatvec(rptr_.data(), cols16_.data(), vals_.data(), bounds_, gd_.data(), n_cols_, partial_, g);
  } else {
    rmatvec(rptr_.data(), cols32_.data(), vals_.data(), bounds_, gd_.data(), n_cols_, partial_, g);
  }
}

// FISTA with backtracking and adaptive restart on x >= 0 (mirrors reference.pgd).
PgdResult FmoProblem::solve_pgd(const std::vector<double>& x0, int max_iter, double tol) {
  const size_t n = static_cast<size_t>(n_cols_);
  if (x0.size() != n) throw std::invalid_argument("x0 has the wrong length");
  auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
  };
  std::vector<double> x(n), gx(n), y(n), gy(n), xn(n), step(n), g1(n);
  for (size_t i = 0; i < n; ++i) x[i] = std::max(x0[i], 0.0);
  double fx = value_and_grad(x.data(), gx.data());
  PgdResult res{x, {fx}, 0};
  const double gn = std::sqrt(dot(gx, gx));
  if (gn == 0.0) return res;
  const double delta = 1e-3 * std::max(std::sqrt(dot(x, x)), 1.0) / gn;
  for (size_t i = 0; i < n; ++i) xn[i] = std::max(x[i] - delta * gx[i], 0.0);
  value_and_grad(xn.data(), g1.data());
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; ++i) {
    num += (g1[i] - gx[i]) * (g1[i] - gx[i]);
    den += (xn[i] - x[i]) * (xn[i] - x[i]);
  }
  double lip = std::max(std::sqrt(num) / std::max(std::sqrt(den), 1e-300), 1e-12);
  // Doses are linear in x: carry D x along so each iteration needs one D x and one D^T g.
  std::vector<double> dx(dose_.size()), dxn(dose_.size()), dy(dose_.size());
  compute_dose(x.data());
  dx = dose_;
  y = x;
  dy = dx;
  double t = 1.0;
  int it = 0;
  while (it < max_iter) {
    ++it;
    dose_ = dy;
    const double fy = objective(true);
    gradient(gy.data());
    double fn = 0.0;
    while (true) {
      for (size_t i = 0; i < n; ++i) {
        xn[i] = std::max(y[i] - gy[i] / lip, 0.0);
        step[i] = xn[i] - y[i];
      }
      fn = value(xn.data());
      if (fn <= fy + dot(gy, step) + 0.5 * lip * dot(step, step) + 1e-12 * std::fabs(fy)) break;
      lip *= 2.0;
    }
    dxn = dose_;
    if (fn > fx) {
      y = x;
      dy = dx;
      t = 1.0;
      res.history.push_back(fx);
      continue;
    }
    const double tn = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
    const double beta = (t - 1.0) / tn;
    for (size_t i = 0; i < n; ++i) y[i] = xn[i] + beta * (xn[i] - x[i]);
    for (size_t i = 0; i < dy.size(); ++i) dy[i] = dxn[i] + beta * (dxn[i] - dx[i]);
    const bool done = fx - fn <= tol * std::max(std::fabs(fx), 1.0);
    x.swap(xn);
    dx.swap(dxn);
    fx = fn;
    t = tn;
    lip *= 0.9;
    res.history.push_back(fx);
    if (done) break;
  }
  res.x = x;
  res.iterations = it;
  return res;
}

PgdResult FmoProblem::solve_lbfgs(const std::vector<double>& x0, int max_iter, double tol,
                                  int memory) {
  const size_t n = static_cast<size_t>(n_cols_);
  if (x0.size() != n) throw std::invalid_argument("x0 has the wrong length");
  memory = std::max(1, memory);
  auto dot = [n](const double* a, const double* b) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
  };
  std::vector<double> x(n), g(n), xn(n), gn(n), d(n), q(n), free(n);
  std::vector<std::vector<double>> S, Y;
  std::vector<double> rho, alpha(memory);
  for (size_t i = 0; i < n; ++i) x[i] = std::max(x0[i], 0.0);
  double f = value_and_grad(x.data(), g.data());
  PgdResult res{x, {f}, 0};
  int it = 0;
  while (it < max_iter) {
    ++it;
    // Variables held at the bound by the gradient stay fixed this iteration.
    for (size_t i = 0; i < n; ++i) {
      free[i] = (x[i] <= 0.0 && g[i] > 0.0) ? 0.0 : 1.0;
      q[i] = g[i] * free[i];
    }
    const int k = static_cast<int>(S.size());
    for (int j = k - 1; j >= 0; --j) {
      alpha[j] = rho[j] * dot(S[j].data(), q.data());
      for (size_t i = 0; i < n; ++i) q[i] -= alpha[j] * Y[j][i] * free[i];
    }
    double gamma = 1.0;
    if (k > 0) gamma = dot(S[k - 1].data(), Y[k - 1].data()) / dot(Y[k - 1].data(), Y[k - 1].data());
    for (size_t i = 0; i < n; ++i) q[i] *= gamma;
    for (int j = 0; j < k; ++j) {
      const double beta = rho[j] * dot(Y[j].data(), q.data());
      for (size_t i = 0; i < n; ++i) q[i] += S[j][i] * (alpha[j] - beta) * free[i];
    }
    for (size_t i = 0; i < n; ++i) d[i] = -q[i] * free[i];
    if (!(dot(g.data(), d.data()) < 0.0)) {  // not a descent direction: restart the memory
      S.clear(); Y.clear(); rho.clear();
      for (size_t i = 0; i < n; ++i) d[i] = -g[i] * free[i];
    }
    double step = 1.0;
    if (S.empty()) {
      double gmax = 0.0;
      for (size_t i = 0; i < n; ++i) gmax = std::max(gmax, std::fabs(d[i]));
      double xmax = 0.0;
      for (size_t i = 0; i < n; ++i) xmax = std::max(xmax, x[i]);
      if (gmax > 0.0) step = 0.01 * std::max(xmax, 1e-3) / gmax;
    }
    double fn = f;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls) {
      for (size_t i = 0; i < n; ++i) xn[i] = std::max(x[i] + step * d[i], 0.0);
      fn = value_and_grad(xn.data(), gn.data());
      double decrease = 0.0;
      for (size_t i = 0; i < n; ++i) decrease += g[i] * (xn[i] - x[i]);
      if (fn <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;  // no progress possible along this direction
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = xn[i] - x[i];
      y[i] = gn[i] - g[i];
    }
    const double sy = dot(s.data(), y.data());
    if (sy > 1e-12 * std::sqrt(dot(s.data(), s.data()) * dot(y.data(), y.data()))) {
      if (static_cast<int>(S.size()) == memory) {
        S.erase(S.begin()); Y.erase(Y.begin()); rho.erase(rho.begin());
      }
      S.push_back(std::move(s));
      Y.push_back(std::move(y));
      rho.push_back(1.0 / sy);
    }
    const bool done = f - fn <= tol * std::max(std::fabs(f), 1.0);
    x.swap(xn);
    g.swap(gn);
    f = fn;
    res.history.push_back(f);
    if (done) break;
  }
  res.x = x;
  res.iterations = it;
  return res;
}

}  // namespace tgs
