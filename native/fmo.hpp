// Fluence-map optimisation problem: objectives on the rows the objectives touch.
#pragma once
#include <cstdint>
#include <vector>

namespace tgs {

enum Kind {
  kUnder = 0, kOver, kDeviation, kMean, kMax, kEud, kDvhMax, kDvhMin
};

struct TermSpec {
  int kind;
  std::vector<int64_t> voxels;  // global flat voxel indices
  double dose, weight, volume_pct, eud_a;
};

struct PgdResult {
  std::vector<double> x;
  std::vector<double> history;
  int iterations;
};

class FmoProblem {
 public:
  FmoProblem(const int64_t* indptr, const int32_t* indices, const float* data, int64_t n_rows,
             int64_t n_cols, const std::vector<TermSpec>& terms, int threads);
  int64_t n_cols() const { return n_cols_; }
  int64_t active_rows() const { return static_cast<int64_t>(rptr_.size()) - 1; }
  int64_t active_nnz() const { return rptr_.back(); }
  double value(const double* x);
  double value_and_grad(const double* x, double* g);
  PgdResult solve_pgd(const std::vector<double>& x0, int max_iter, double tol);
  // Projected L-BFGS: two-loop direction on the free variables, Armijo search along the
  // projection arc.
  PgdResult solve_lbfgs(const std::vector<double>& x0, int max_iter, double tol, int memory);

 private:
  struct Term {
    int kind;
    std::vector<int32_t> rows;  // local (active) row indices
    double dose, weight, volume_pct, eud_a;
  };
  void compute_dose(const double* x);
  double objective(bool with_grad);
  void gradient(double* g);  // D^T of the dose gradient left by objective(true)
  int64_t n_cols_;
  int threads_;
  bool narrow_;
  std::vector<int64_t> rptr_, bounds_;
  std::vector<uint16_t> cols16_;
  std::vector<int32_t> cols32_;
  std::vector<float> vals_;
  std::vector<Term> terms_;
  std::vector<double> dose_, gd_, scratch_;
  std::vector<std::vector<double>> partial_;
};

}  // namespace tgs
