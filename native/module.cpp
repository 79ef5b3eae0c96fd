// textgrad_sci._native: compiled kernels (the dose-volume simulator).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>

#include "dose.hpp"
#include "fmo.hpp"
#include "sparse.hpp"

namespace py = pybind11;

namespace {

template <class T>
using Arr = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Weighted sum of squares: sum_i w_i * x_i^2. A tiny kernel that proves the build works.
double weighted_sum_of_squares(Arr<double> x, Arr<double> w) {
  if (x.ndim() != 1 || w.ndim() != 1 || x.shape(0) != w.shape(0)) {
    throw std::invalid_argument("x and w must be 1-D arrays of the same length");
  }
  auto xs = x.unchecked<1>();
  auto ws = w.unchecked<1>();
  double total = 0.0;
  for (py::ssize_t i = 0; i < xs.shape(0); ++i) total += ws(i) * xs(i) * xs(i);
  return total;
}

template <class T>
py::array_t<T> to_numpy(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(static_cast<py::ssize_t>(heap->size()), heap->data(), owner);
}

void need(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(what);
}

py::tuple dose_influence(Arr<float> dens, Arr<double> spacing, Arr<uint8_t> body,
                         Arr<double> sources, Arr<double> axes, Arr<int64_t> origin,
                         Arr<int64_t> shape, Arr<int64_t> offset, Arr<int32_t> map,
                         Arr<double> tables, Arr<double> params, int threads) {
  need(dens.ndim() == 3, "densities must be 3-D");
  need(spacing.size() == 3, "spacing must have 3 values");
  need(body.size() == dens.size(), "body mask size differs from the grid");
  const int nb = static_cast<int>(sources.size() / 3);
  need(sources.size() == 3 * nb && axes.size() == 9 * nb, "bad beam arrays");
  need(origin.size() == 2 * nb && shape.size() == 2 * nb && offset.size() == nb,
       "bad beamlet grid arrays");
  need(params.size() == 12, "params must have 12 values");
  need(tables.ndim() == 4 && tables.shape(0) == nb && tables.shape(1) == tables.shape(2) &&
           tables.shape(3) == 3 && tables.shape(1) >= 2,
       "tables must have shape (n_beams, n, n, 3)");
  for (int b = 0; b < nb; ++b) {
    need(offset.data()[b] + shape.data()[2 * b] * shape.data()[2 * b + 1] <= map.size(),
         "beamlet map too small");
  }
  const double* sp = spacing.data();
  tgs::Grid g{dens.data(), dens.shape(0), dens.shape(1), dens.shape(2), sp[0], sp[1], sp[2]};
  tgs::BeamSet beams{nb, sources.data(), axes.data(), origin.data(), shape.data(), offset.data(),
                     map.data()};
  tgs::Csr m;
  {
    py::gil_scoped_release release;
    const tgs::Tables tab{tables.data(), static_cast<int64_t>(tables.shape(1))};
    m = tgs::dose_influence(g, body.data(), beams, tab, params.data(), threads);
  }
  return py::make_tuple(to_numpy(std::move(m.indptr)), to_numpy(std::move(m.indices)),
                        to_numpy(std::move(m.data)));
}

py::array_t<double> csr_matvec(Arr<int64_t> indptr, Arr<int32_t> indices, Arr<float> data,
                               Arr<double> x, int threads) {
  const int64_t n_rows = static_cast<int64_t>(indptr.size()) - 1;
  need(n_rows >= 0 && indices.size() == data.size(), "inconsistent CSR arrays");
  need(indptr.data()[n_rows] == data.size(), "indptr does not match the data length");
  py::array_t<double> y(n_rows);
  {
    py::gil_scoped_release release;
    auto b = tgs::nnz_bounds(indptr.data(), n_rows, threads);
    tgs::matvec(indptr.data(), indices.data(), data.data(), b, x.data(), y.mutable_data());
  }
  return y;
}

py::array_t<double> csr_rmatvec(Arr<int64_t> indptr, Arr<int32_t> indices, Arr<float> data,
                                Arr<double> w, int64_t n_cols, int threads) {
  const int64_t n_rows = static_cast<int64_t>(indptr.size()) - 1;
  need(w.size() == n_rows, "w must have one value per row");
  py::array_t<double> y(n_cols);
  {
    py::gil_scoped_release release;
    auto b = tgs::nnz_bounds(indptr.data(), n_rows, threads);
    std::vector<std::vector<double>> partial;
    tgs::rmatvec(indptr.data(), indices.data(), data.data(), b, w.data(), n_cols, partial,
                 y.mutable_data());
  }
  return y;
}

std::unique_ptr<tgs::FmoProblem> make_problem(Arr<int64_t> indptr, Arr<int32_t> indices,
                                              Arr<float> data, int64_t n_cols, py::list terms,
                                              int threads) {
  std::vector<tgs::TermSpec> specs;
  for (auto item : terms) {
    auto t = item.cast<py::tuple>();
    need(t.size() == 6, "term = (kind, voxels, dose, weight, volume_pct, eud_a)");
    auto vox = t[1].cast<Arr<int64_t>>();
    need(vox.size() > 0, "an objective has no voxels");
    tgs::TermSpec s{t[0].cast<int>(), std::vector<int64_t>(vox.data(), vox.data() + vox.size()),
                    t[2].cast<double>(), t[3].cast<double>(), t[4].cast<double>(),
                    t[5].cast<double>()};
    need(s.kind >= 0 && s.kind <= tgs::kDvhMin, "unknown objective kind");
    specs.push_back(std::move(s));
  }
  const int64_t n_rows = static_cast<int64_t>(indptr.size()) - 1;
  need(indices.size() == data.size() && indptr.data()[n_rows] == data.size(),
       "inconsistent CSR arrays");
  return std::make_unique<tgs::FmoProblem>(indptr.data(), indices.data(), data.data(), n_rows,
                                           n_cols, specs, threads);
}

Arr<double> checked_x(const tgs::FmoProblem& p, Arr<double> x) {
  need(x.ndim() == 1 && x.shape(0) == p.n_cols(), "fluence has the wrong length");
  return x;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "Compiled kernels of textgrad-sci: the dose-volume simulator";
  m.def("weighted_sum_of_squares", &weighted_sum_of_squares, py::arg("x"), py::arg("w"),
        "Return sum(w * x**2) computed in C++.");
  m.def("dose_influence", &dose_influence, "Pencil-beam dose-influence matrix as CSR arrays.");
  m.def("csr_matvec", &csr_matvec, "y = A x for a float32 CSR matrix, multithreaded.");
  m.def("csr_rmatvec", &csr_rmatvec, "y = A^T w for a float32 CSR matrix, multithreaded.");
  py::class_<tgs::FmoProblem>(m, "FmoProblem")
      .def(py::init(&make_problem), py::arg("indptr"), py::arg("indices"), py::arg("data"),
           py::arg("n_cols"), py::arg("terms"), py::arg("threads"))
      .def_property_readonly("active_rows", &tgs::FmoProblem::active_rows)
      .def_property_readonly("active_nnz", &tgs::FmoProblem::active_nnz)
      .def("value",
           [](tgs::FmoProblem& p, Arr<double> x) {
             auto xs = checked_x(p, x);
             py::gil_scoped_release release;
             return p.value(xs.data());
           })
      .def("value_and_grad",
           [](tgs::FmoProblem& p, Arr<double> x) {
             auto xs = checked_x(p, x);
             py::array_t<double> g(p.n_cols());
             double f;
             {
               py::gil_scoped_release release;
               f = p.value_and_grad(xs.data(), g.mutable_data());
             }
             return py::make_tuple(f, g);
           })
      .def("solve_pgd",
           [](tgs::FmoProblem& p, Arr<double> x0, int max_iter, double tol) {
             auto xs = checked_x(p, x0);
             std::vector<double> v(xs.data(), xs.data() + xs.size());
             tgs::PgdResult r;
             {
               py::gil_scoped_release release;
               r = p.solve_pgd(v, max_iter, tol);
             }
             return py::make_tuple(to_numpy(std::move(r.x)), r.history, r.iterations);
           })
      .def("solve_lbfgs",
           [](tgs::FmoProblem& p, Arr<double> x0, int max_iter, double tol, int memory) {
             auto xs = checked_x(p, x0);
             std::vector<double> v(xs.data(), xs.data() + xs.size());
             tgs::PgdResult r;
             {
               py::gil_scoped_release release;
               r = p.solve_lbfgs(v, max_iter, tol, memory);
             }
             return py::make_tuple(to_numpy(std::move(r.x)), r.history, r.iterations);
           });
}
