// Reference kernels (see kernels.cpp): single-core FMA peak and STREAM triad.
#pragma once

namespace bench {
void register_fma_peak();
void register_stream_triad();
} // namespace bench
