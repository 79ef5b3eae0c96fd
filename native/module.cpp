// textgrad_sci._native: compiled kernels (the dose-volume simulator lives here).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace {

// Weighted sum of squares: sum_i w_i * x_i^2. A tiny kernel that proves the build works.
double weighted_sum_of_squares(py::array_t<double, py::array::c_style | py::array::forcecast> x,
                               py::array_t<double, py::array::c_style | py::array::forcecast> w) {
  if (x.ndim() != 1 || w.ndim() != 1 || x.shape(0) != w.shape(0)) {
    throw std::invalid_argument("x and w must be 1-D arrays of the same length");
  }
  auto xs = x.unchecked<1>();
  auto ws = w.unchecked<1>();
  double total = 0.0;
  for (py::ssize_t i = 0; i < xs.shape(0); ++i) total += ws(i) * xs(i) * xs(i);
  return total;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "Compiled kernels of textgrad-sci";
  m.def("weighted_sum_of_squares", &weighted_sum_of_squares, py::arg("x"), py::arg("w"),
        "Return sum(w * x**2) computed in C++.");
}
