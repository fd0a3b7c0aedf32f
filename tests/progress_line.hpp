// The line progress_printer prints for one round's metrics, as a string.
#pragma once

#include <fedpp/federated/reporting.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdio>
#include <string>

namespace fedpp_test {

inline std::string progress_line(const fedpp::federated::RoundMetrics& metrics, std::size_t total_rounds) {
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    fedpp::federated::progress_printer(out, total_rounds)(metrics);
    std::rewind(out);
    char line[512] = {};
    const bool read = std::fgets(line, sizeof line, out) != nullptr;
    std::fclose(out);
    REQUIRE(read);
    return line;
}

} // namespace fedpp_test
