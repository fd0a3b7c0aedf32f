// fedpp: the name that ties a program to a build of fedpp::compiled made
// for the same code generation (fedpp/base/compiled.hpp).
//
// A program linked to fedpp::compiled runs the library's kernels, and both
// hold their own copies of the inline functions they share (Eigen's, the
// standard library's), of which the linker keeps one. Built for different
// targets, they disagree on
// - Eigen's alignment (EIGEN_MAX_ALIGN_BYTES: 16 for SSE, 32 for AVX, 64 for
//   AVX-512): a matrix allocated on one side and freed on the other
//   corrupts the heap;
// - the instruction set: a library built for AVX2 run by a program built
//   for machines without it stops on an illegal instruction, wherever the
//   linker kept the library's copy; a library built for SSE2 runs SSE2
//   kernels in a program built for AVX2;
// - the standard library's containers (_GLIBCXX_DEBUG changes their layout).
// The library defines one function, whose name spells what it was built for
// (FEDPP_COMPILED_BUILD_SIGNATURE_NAME), and every translation unit of a
// program that includes fedpp/base/compiled.hpp calls the function named
// for its own build: a mismatch fails to link, on an undefined
// fedpp::detail::compiled_library_built_for_align_N_..., N the program's
// alignment and the rest its instruction-set extensions
// (`compiled_library_built_for_align_16` for the x86-64 baseline,
// `..._align_32_sse3_ssse3_sse4_1_sse4_2_avx_avx2_fma_f16c_bmi_bmi2` for
// -march=x86-64-v3), rather than fail at run time.
// `nm -C` on the library shows the name it was built for.
//
// The extensions named are those compilers announce (x86: SSE3 up to
// AVX-512's F, DQ, BW and VL subsets, FMA, F16C, BMI and BMI2; Arm: NEON,
// SVE), which is what Eigen's kernels and the compilers' scalar code select
// from. Other options that change code but not these macros (-ffast-math,
// -mtune) are not caught: build both with the same flags.
#pragma once

#include "fedpp/base/matrix.hpp"

#if defined(__SSE3__)
#define FEDPP_DETAIL_SIGNATURE_SSE3 _sse3
#else
#define FEDPP_DETAIL_SIGNATURE_SSE3
#endif
#if defined(__SSSE3__)
#define FEDPP_DETAIL_SIGNATURE_SSSE3 _ssse3
#else
#define FEDPP_DETAIL_SIGNATURE_SSSE3
#endif
#if defined(__SSE4_1__)
#define FEDPP_DETAIL_SIGNATURE_SSE4_1 _sse4_1
#else
#define FEDPP_DETAIL_SIGNATURE_SSE4_1
#endif
#if defined(__SSE4_2__)
#define FEDPP_DETAIL_SIGNATURE_SSE4_2 _sse4_2
#else
#define FEDPP_DETAIL_SIGNATURE_SSE4_2
#endif
#if defined(__AVX__)
#define FEDPP_DETAIL_SIGNATURE_AVX _avx
#else
#define FEDPP_DETAIL_SIGNATURE_AVX
#endif
#if defined(__AVX2__)
#define FEDPP_DETAIL_SIGNATURE_AVX2 _avx2
#else
#define FEDPP_DETAIL_SIGNATURE_AVX2
#endif
#if defined(__FMA__)
#define FEDPP_DETAIL_SIGNATURE_FMA _fma
#else
#define FEDPP_DETAIL_SIGNATURE_FMA
#endif
#if defined(__F16C__)
#define FEDPP_DETAIL_SIGNATURE_F16C _f16c
#else
#define FEDPP_DETAIL_SIGNATURE_F16C
#endif
#if defined(__BMI__)
#define FEDPP_DETAIL_SIGNATURE_BMI _bmi
#else
#define FEDPP_DETAIL_SIGNATURE_BMI
#endif
#if defined(__BMI2__)
#define FEDPP_DETAIL_SIGNATURE_BMI2 _bmi2
#else
#define FEDPP_DETAIL_SIGNATURE_BMI2
#endif
#if defined(__AVX512F__)
#define FEDPP_DETAIL_SIGNATURE_AVX512F _avx512f
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512F
#endif
#if defined(__AVX512DQ__)
#define FEDPP_DETAIL_SIGNATURE_AVX512DQ _avx512dq
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512DQ
#endif
#if defined(__AVX512BW__)
#define FEDPP_DETAIL_SIGNATURE_AVX512BW _avx512bw
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512BW
#endif
#if defined(__AVX512VL__)
#define FEDPP_DETAIL_SIGNATURE_AVX512VL _avx512vl
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512VL
#endif
#if defined(__ARM_NEON)
#define FEDPP_DETAIL_SIGNATURE_NEON _neon
#else
#define FEDPP_DETAIL_SIGNATURE_NEON
#endif
#if defined(__ARM_FEATURE_SVE)
#define FEDPP_DETAIL_SIGNATURE_SVE _sve
#else
#define FEDPP_DETAIL_SIGNATURE_SVE
#endif
#if defined(_GLIBCXX_DEBUG)
#define FEDPP_DETAIL_SIGNATURE_GLIBCXX_DEBUG _glibcxx_debug
#else
#define FEDPP_DETAIL_SIGNATURE_GLIBCXX_DEBUG
#endif

// Pastes the parts (each empty or `_name`) after the alignment. The outer
// macro expands its arguments first; the inner one pastes them.
#define FEDPP_DETAIL_SIGNATURE_PASTE_(align, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q)                 \
    compiled_library_built_for_align_##align##a##b##c##d##e##f##g##h##i##j##k##l##m##n##o##p##q
#define FEDPP_DETAIL_SIGNATURE_PASTE(...) FEDPP_DETAIL_SIGNATURE_PASTE_(__VA_ARGS__)

/// The name of the function fedpp::compiled defines for the build it was
/// made by, and a program's translation units call for theirs.
#define FEDPP_COMPILED_BUILD_SIGNATURE_NAME                                                                     \
    FEDPP_DETAIL_SIGNATURE_PASTE(EIGEN_MAX_ALIGN_BYTES, FEDPP_DETAIL_SIGNATURE_SSE3, FEDPP_DETAIL_SIGNATURE_SSSE3, \
                                 FEDPP_DETAIL_SIGNATURE_SSE4_1, FEDPP_DETAIL_SIGNATURE_SSE4_2,                  \
                                 FEDPP_DETAIL_SIGNATURE_AVX, FEDPP_DETAIL_SIGNATURE_AVX2,                       \
                                 FEDPP_DETAIL_SIGNATURE_FMA, FEDPP_DETAIL_SIGNATURE_F16C,                       \
                                 FEDPP_DETAIL_SIGNATURE_BMI, FEDPP_DETAIL_SIGNATURE_BMI2,                       \
                                 FEDPP_DETAIL_SIGNATURE_AVX512F, FEDPP_DETAIL_SIGNATURE_AVX512DQ,               \
                                 FEDPP_DETAIL_SIGNATURE_AVX512BW, FEDPP_DETAIL_SIGNATURE_AVX512VL,              \
                                 FEDPP_DETAIL_SIGNATURE_NEON, FEDPP_DETAIL_SIGNATURE_SVE,                       \
                                 FEDPP_DETAIL_SIGNATURE_GLIBCXX_DEBUG)

namespace fedpp::detail {
/// Defined by fedpp::compiled for the build it was made by only.
bool FEDPP_COMPILED_BUILD_SIGNATURE_NAME() noexcept;
/// Makes every translation unit that includes this header call it (a call
/// to a function defined elsewhere, which no compiler or link-time
/// optimiser may drop, so the reference reaches the linker).
inline const bool compiled_library_built_alike = FEDPP_COMPILED_BUILD_SIGNATURE_NAME();
} // namespace fedpp::detail
