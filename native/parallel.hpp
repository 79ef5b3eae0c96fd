// Small std::thread helpers: static and dynamic parallel loops.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace tgs {

// Run fn(begin, end, thread_id) over [0, n) split into `threads` contiguous ranges given by
// `bounds` (size threads+1). Runs inline when there is a single range.
template <class Fn>
void run_ranges(const std::vector<int64_t>& bounds, Fn&& fn) {
  const int n = static_cast<int>(bounds.size()) - 1;
  if (n <= 1) {
    if (n == 1) fn(bounds[0], bounds[1], 0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  for (int t = 1; t < n; ++t) pool.emplace_back([&, t] { fn(bounds[t], bounds[t + 1], t); });
  fn(bounds[0], bounds[1], 0);
  for (auto& th : pool) th.join();
}

// Equal-size ranges over [0, n).
inline std::vector<int64_t> even_bounds(int64_t n, int threads) {
  threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(n, 1))));
  std::vector<int64_t> b(threads + 1);
  for (int t = 0; t <= threads; ++t) b[t] = n * t / threads;
  return b;
}

// Row ranges with about equal numbers of non-zeros (indptr has n_rows+1 entries).
template <class P>
std::vector<int64_t> nnz_bounds(const P* indptr, int64_t n_rows, int threads) {
  threads = std::max(1, threads);
  if (indptr[n_rows] < 65536) threads = 1;  // not worth a thread
  std::vector<int64_t> b(threads + 1, 0);
  const int64_t nnz = indptr[n_rows];
  for (int t = 1; t < threads; ++t) {
    const int64_t goal = nnz * t / threads;
    b[t] = std::lower_bound(indptr, indptr + n_rows + 1, static_cast<P>(goal)) - indptr;
    b[t] = std::max(b[t], b[t - 1]);
  }
  b[threads] = n_rows;
  return b;
}

// Dynamic loop: threads pull blocks of `block` items; fn(begin, end, block_id, thread_id).
template <class Fn>
void run_dynamic(int64_t n, int64_t block, int threads, Fn&& fn) {
  const int64_t n_blocks = (n + block - 1) / block;
  std::atomic<int64_t> next{0};
  auto worker = [&](int tid) {
    for (int64_t k = next++; k < n_blocks; k = next++) {
      fn(k * block, std::min(n, (k + 1) * block), k, tid);
    }
  };
  threads = std::max(1, std::min<int>(threads, static_cast<int>(std::max<int64_t>(n_blocks, 1))));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
}

}  // namespace tgs
