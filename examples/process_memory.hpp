// Reading this process's memory use from /proc (Linux): the resident set
// now (VmRSS) and its peak (VmHWM), which can be reset to measure the peak of
// one piece of work. Used by examples/round_memory.cpp and the tests.
#pragma once

#include <cstddef>
#include <fstream>
#include <string>

namespace examples {

/// A /proc/self/status field in bytes ("VmRSS": now, "VmHWM": peak), 0 if absent.
inline std::size_t proc_status_bytes(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            return std::stoull(line.substr(field.size() + 1)) * 1024; // reported in kB
        }
    }
    return 0;
}

/// Resets the peak resident set size (VmHWM) to the current size. False
/// where /proc does not allow it.
inline bool reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    return static_cast<bool>(clear);
}

} // namespace examples
