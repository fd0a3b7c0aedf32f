// Where the benchmarks find the repository's data sets.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#ifndef FEDPP_BENCH_DATA_DIR
#define FEDPP_BENCH_DATA_DIR "data" // CMake gives the repository's data/
#endif

namespace bench {

/// `relative` (e.g. "digits/digits.csv.gz") under $FEDPP_DATA_DIR if that
/// variable is set, otherwise under the repository's data/.
inline std::string data_file(std::string_view relative) {
    const char* dir = std::getenv("FEDPP_DATA_DIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : FEDPP_BENCH_DATA_DIR) + "/" + std::string(relative);
}

} // namespace bench
