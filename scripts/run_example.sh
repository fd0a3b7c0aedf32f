#!/usr/bin/env bash
# Builds and runs examples/model_averaging.cpp, PySyft's "Federated Learning
# with Model Averaging" tutorial in C++.
#
#     bash scripts/run_example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dependencies.sh
# nlohmann-json3-dev: fedpp::formats, which the top-level build requires (CMakeLists.txt)
# and the examples link (--init-weights, --save-weights).
require_debian_packages cmake g++ make libeigen3-dev zlib1g-dev nlohmann-json3-dev

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFEDPP_BUILD_TESTS=OFF -DFEDPP_BUILD_EXAMPLES=ON >/dev/null
cmake --build build --target model_averaging -j "$(build_jobs)"
./build/examples/model_averaging
