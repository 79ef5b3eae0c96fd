// Multithreaded CSR products, templated on the column-index type.
#pragma once
#include <cstdint>
#include <vector>

#include "parallel.hpp"

namespace tgs {

// y[i] = sum_k data[k] * x[cols[k]] for rows in bounds (nnz-balanced ranges).
template <class C>
void matvec(const int64_t* rptr, const C* cols, const float* vals, const std::vector<int64_t>& bounds,
            const double* x, double* y) {
  run_ranges(bounds, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      // Four partial sums break the floating-point add dependency chain.
      double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
      int64_t k = rptr[i];
      const int64_t stop = rptr[i + 1];
      for (; k + 4 <= stop; k += 4) {
        a0 += static_cast<double>(vals[k]) * x[cols[k]];
        a1 += static_cast<double>(vals[k + 1]) * x[cols[k + 1]];
        a2 += static_cast<double>(vals[k + 2]) * x[cols[k + 2]];
        a3 += static_cast<double>(vals[k + 3]) * x[cols[k + 3]];
      }
      for (; k < stop; ++k) a0 += static_cast<double>(vals[k]) * x[cols[k]];
      y[i] = (a0 + a1) + (a2 + a3);
    }
  });
}

// y = A^T w: each thread sums its rows into its own buffer, then the buffers are added.
template <class C>
void rmatvec(const int64_t* rptr, const C* cols, const float* vals, const std::vector<int64_t>& bounds,
             const double* w, int64_t n_cols, std::vector<std::vector<double>>& partial, double* y) {
  const size_t nt = bounds.size() - 1;
  if (partial.size() < nt) partial.resize(nt);
  run_ranges(bounds, [&](int64_t begin, int64_t end, int t) {
    std::vector<double>& acc = partial[t];
    acc.assign(n_cols, 0.0);
    for (int64_t i = begin; i < end; ++i) {
      const double wi = w[i];
      if (wi == 0.0) continue;
      for (int64_t k = rptr[i]; k < rptr[i + 1]; ++k) acc[cols[k]] += wi * static_cast<double>(vals[k]);
    }
  });
  for (int64_t j = 0; j < n_cols; ++j) {
    double s = 0.0;
    for (size_t t = 0; t < nt; ++t) s += partial[t][j];
    y[j] = s;
  }
}

}  // namespace tgs
