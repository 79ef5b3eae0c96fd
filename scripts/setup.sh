#!/usr/bin/env bash
# Install everything textgrad-sci needs on a fresh Debian machine into ./.venv (idempotent).
# System packages: bubblewrap (code sandbox), chromium + chromium-driver (report browser test).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=""
  for pkg in bubblewrap chromium chromium-driver; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    echo "== apt-get install$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q --disable-pip-version-check meson-python meson ninja pybind11 numpy 2>&1 | grep -v '^WARNING: Location' || true

# llama-cpp-python with its OpenAI-compatible server (the tests start `python -m llama_cpp.server`).
if ! python -c "import llama_cpp, llama_cpp.server.app" 2>/dev/null; then
  echo "== building llama-cpp-python[server] from source (compiles llama.cpp: about 4 minutes on 2 idle cores)"
  # Not -march=native: on x86 machines whose CPU lists AMX but whose VM does not enable it, a
  # native build dies with a general protection fault in libggml-cpu. AVX2/FMA/F16C run anywhere.
  if [ "$(uname -m)" = x86_64 ]; then
    export CMAKE_ARGS="${CMAKE_ARGS:-} -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  fi
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" pip install --no-cache-dir --disable-pip-version-check "llama-cpp-python[server]>=0.3.0" 2>&1 \
    | grep -v '^WARNING: Location' || true
  python -c "import llama_cpp, llama_cpp.server.app" || { echo "llama-cpp-python[server] failed to install" >&2; exit 1; }
fi

echo "== pip install -e .[dev]"
pip install -q --disable-pip-version-check --no-build-isolation -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
python -c "import textgrad_sci, textgrad_sci._native" || { echo "textgrad-sci failed to install" >&2; exit 1; }
echo "== ready: .venv"
