// Exact floating-point numbers in the benchmarks' JSON, for Python to read.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace bench {

/// Space-separated hexadecimal floats: exact, and read by Python's
/// float.fromhex.
inline std::string hex_list(const std::vector<double>& values) {
    std::string text;
    for (const double value : values) {
        char buffer[40];
        std::snprintf(buffer, sizeof buffer, "%a", value);
        if (!text.empty()) {
            text += ' ';
        }
        text += buffer;
    }
    return text;
}

} // namespace bench
