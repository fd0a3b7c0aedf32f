// How much a call grows the process's peak resident set (Linux).
#pragma once

#include <malloc.h>

#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>

namespace bench {

/// A /proc/self/status field in bytes (VmRSS: now, VmHWM: peak); 0 if absent.
inline std::size_t proc_status_bytes(std::string_view field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':') {
            return std::stoull(line.substr(field.size() + 1)) * 1024; // reported in kB
        }
    }
    return 0;
}

/// Bytes by which `call` raised the peak resident set size above the
/// resident size before it, or -1 where the peak cannot be reset.
///
/// malloc_trim first hands the allocator's free memory back to the kernel,
/// so that whatever `call` allocates must be faulted in anew and shows up:
/// without it, a call could reuse memory freed earlier in the process and
/// appear to allocate nothing.
template <class Call>
double peak_rss_growth(Call&& call) {
    malloc_trim(0);
    {
        std::ofstream clear("/proc/self/clear_refs");
        clear << "5"; // reset VmHWM to VmRSS
        if (!clear) {
            return -1;
        }
    }
    const std::size_t before = proc_status_bytes("VmRSS");
    call();
    const std::size_t peak = proc_status_bytes("VmHWM");
    return peak > before ? static_cast<double>(peak - before) : 0.0;
}

} // namespace bench
