// fedpp: the data cache sizes the machine reports, for kernels that size
// their blocks from them instead of from a constant tuned on one CPU.
#pragma once

#include <cstddef>
#include <cstdio>

#if defined(__has_include)
#if __has_include(<unistd.h>)
#include <unistd.h>
#endif
#endif

namespace fedpp::detail {

/// Parses a sysfs cache size ("2048K", "1M", "32768"); 0 if it is none.
inline std::size_t parse_cache_size(const char* text) noexcept {
    std::size_t value = 0;
    bool digits = false;
    for (; *text >= '0' && *text <= '9'; ++text) {
        if (value > (std::size_t{1} << 40)) {
            return 0; // no cache is a terabyte: not a size
        }
        value = value * 10 + static_cast<std::size_t>(*text - '0');
        digits = true;
    }
    if (!digits) {
        return 0;
    }
    switch (*text) {
    case 'K': return value << 10;
    case 'M': return value << 20;
    case 'G': return value << 30;
    case '\0':
    case '\n': return value;
    default: return 0;
    }
}

/// The level-2 data cache of one core in bytes, as the system reports it
/// (sysconf where the C library knows it, else Linux's sysfs), or 0 if it
/// reports none. Read once.
inline std::size_t level2_cache_bytes() noexcept {
    static const std::size_t bytes = [] {
#if defined(_SC_LEVEL2_CACHE_SIZE)
        if (const long reported = ::sysconf(_SC_LEVEL2_CACHE_SIZE); reported > 0) {
            return static_cast<std::size_t>(reported);
        }
#endif
        std::size_t from_sysfs = 0;
        if (std::FILE* file = std::fopen("/sys/devices/system/cpu/cpu0/cache/index2/size", "r")) {
            char text[32] = {};
            if (std::fgets(text, sizeof text, file) != nullptr) {
                from_sysfs = parse_cache_size(text);
            }
            std::fclose(file);
        }
        return from_sysfs;
    }();
    return bytes;
}

} // namespace fedpp::detail
