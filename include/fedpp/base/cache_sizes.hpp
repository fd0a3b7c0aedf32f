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

#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
#define FEDPP_DETAIL_SYSCONF_CACHES 1
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

/// A cache's size in bytes as the system reports it: sysconf(`name`) where
/// the C library knows it, else Linux's sysfs file `sysfs_path`; 0 if
/// neither reports one.
inline std::size_t reported_cache_bytes([[maybe_unused]] int name, const char* sysfs_path) noexcept {
#if defined(FEDPP_DETAIL_SYSCONF_CACHES)
    if (const long reported = ::sysconf(name); reported > 0) {
        return static_cast<std::size_t>(reported);
    }
#endif
    std::size_t from_sysfs = 0;
    if (std::FILE* file = std::fopen(sysfs_path, "r")) {
        char text[32] = {};
        if (std::fgets(text, sizeof text, file) != nullptr) {
            from_sysfs = parse_cache_size(text);
        }
        std::fclose(file);
    }
    return from_sysfs;
}

#if defined(FEDPP_DETAIL_SYSCONF_CACHES)
inline constexpr int sysconf_level1_data_cache = _SC_LEVEL1_DCACHE_SIZE;
inline constexpr int sysconf_level2_cache = _SC_LEVEL2_CACHE_SIZE;
#else
inline constexpr int sysconf_level1_data_cache = -1; // not asked: sysfs is
inline constexpr int sysconf_level2_cache = -1;
#endif

/// The level-1 data cache of one core in bytes, or 0 if the system reports
/// none. Read once.
inline std::size_t level1_data_cache_bytes() noexcept {
    static const std::size_t bytes =
        reported_cache_bytes(sysconf_level1_data_cache, "/sys/devices/system/cpu/cpu0/cache/index0/size");
    return bytes;
}

/// The level-2 data cache of one core in bytes, or 0 if the system reports
/// none. Read once.
inline std::size_t level2_cache_bytes() noexcept {
    static const std::size_t bytes =
        reported_cache_bytes(sysconf_level2_cache, "/sys/devices/system/cpu/cpu0/cache/index2/size");
    return bytes;
}

} // namespace fedpp::detail
