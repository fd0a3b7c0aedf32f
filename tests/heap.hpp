// Bytes of heap memory in use by the whole process, for tests that show
// memory stays flat. Under AddressSanitizer malloc is ASan's, so ask it;
// otherwise ask glibc.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define FEDPP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FEDPP_TEST_ASAN 1
#endif
#endif

#if defined(FEDPP_TEST_ASAN)
// Declared here: GCC does not install <sanitizer/allocator_interface.h>.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
inline std::size_t heap_bytes_in_use() { return __sanitizer_get_current_allocated_bytes(); }
#else
#include <malloc.h>
inline std::size_t heap_bytes_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
#endif

#include "process_memory.hpp" // examples/: VmRSS, VmHWM

using examples::proc_status_bytes;
using examples::reset_peak_rss;
