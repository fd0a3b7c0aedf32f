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
// `..._align_32_sse3_ssse3_sse4_1_sse4_2_popcnt_avx_avx2_fma_f16c_bmi_bmi2_lzcnt`
// for -march=x86-64-v3), rather than fail at run time. `nm -C` on the
// library shows the name it was built for.
//
// The extensions named are those GCC and Clang announce (x86: SSE3 to
// SSE4.2, POPCNT, AVX, AVX2, FMA, F16C, BMI, BMI2, LZCNT, AVX-VNNI and
// AVX-512's subsets; Arm: NEON, SVE and its fixed vector length), which is
// what Eigen's kernels and the compilers' own code select from. Other
// options that change code but not these macros (-ffast-math, -mtune), the
// extensions not listed (GFNI, VAES, AMX), and other compilers' flags
// (MSVC's /arch sets __AVX__ to __AVX512F__ only) are not caught: build
// both with the same flags.
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
#if defined(__POPCNT__)
#define FEDPP_DETAIL_SIGNATURE_POPCNT _popcnt
#else
#define FEDPP_DETAIL_SIGNATURE_POPCNT
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
#if defined(__LZCNT__)
#define FEDPP_DETAIL_SIGNATURE_LZCNT _lzcnt
#else
#define FEDPP_DETAIL_SIGNATURE_LZCNT
#endif
#if defined(__AVXVNNI__)
#define FEDPP_DETAIL_SIGNATURE_AVXVNNI _avxvnni
#else
#define FEDPP_DETAIL_SIGNATURE_AVXVNNI
#endif
#if defined(__AVX512F__)
#define FEDPP_DETAIL_SIGNATURE_AVX512F _avx512f
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512F
#endif
#if defined(__AVX512CD__)
#define FEDPP_DETAIL_SIGNATURE_AVX512CD _avx512cd
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512CD
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
#if defined(__AVX512ER__)
#define FEDPP_DETAIL_SIGNATURE_AVX512ER _avx512er
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512ER
#endif
#if defined(__AVX512PF__)
#define FEDPP_DETAIL_SIGNATURE_AVX512PF _avx512pf
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512PF
#endif
#if defined(__AVX512IFMA__)
#define FEDPP_DETAIL_SIGNATURE_AVX512IFMA _avx512ifma
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512IFMA
#endif
#if defined(__AVX512VBMI__)
#define FEDPP_DETAIL_SIGNATURE_AVX512VBMI _avx512vbmi
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512VBMI
#endif
#if defined(__AVX512VBMI2__)
#define FEDPP_DETAIL_SIGNATURE_AVX512VBMI2 _avx512vbmi2
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512VBMI2
#endif
#if defined(__AVX512VNNI__)
#define FEDPP_DETAIL_SIGNATURE_AVX512VNNI _avx512vnni
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512VNNI
#endif
#if defined(__AVX512BITALG__)
#define FEDPP_DETAIL_SIGNATURE_AVX512BITALG _avx512bitalg
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512BITALG
#endif
#if defined(__AVX512VPOPCNTDQ__)
#define FEDPP_DETAIL_SIGNATURE_AVX512VPOPCNTDQ _avx512vpopcntdq
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512VPOPCNTDQ
#endif
#if defined(__AVX512BF16__)
#define FEDPP_DETAIL_SIGNATURE_AVX512BF16 _avx512bf16
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512BF16
#endif
#if defined(__AVX512FP16__)
#define FEDPP_DETAIL_SIGNATURE_AVX512FP16 _avx512fp16
#else
#define FEDPP_DETAIL_SIGNATURE_AVX512FP16
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
#if defined(__ARM_FEATURE_SVE_BITS) // (the vector length fixed at compile time: Eigen's SVE packets)
#define FEDPP_DETAIL_SIGNATURE_SVE_BITS FEDPP_DETAIL_SIGNATURE_CAT(_bits_, __ARM_FEATURE_SVE_BITS)
#else
#define FEDPP_DETAIL_SIGNATURE_SVE_BITS
#endif

// Pastes the parts (each empty or `_name`) after the alignment. The outer
// macros expand their arguments first; the inner ones paste them.
#define FEDPP_DETAIL_SIGNATURE_CAT_(a, b) a##b
#define FEDPP_DETAIL_SIGNATURE_CAT(a, b) FEDPP_DETAIL_SIGNATURE_CAT_(a, b)
#define FEDPP_DETAIL_SIGNATURE_PASTE_(align, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14,       \
                                       p15, p16, p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27, p28,        \
                                       p29, p30, p31)                                                               \
    compiled_library_built_for_align_##align##p0##p1##p2##p3##p4##p5##p6##p7##p8##p9##p10##p11##p12##p13##p14       \
    ##p15##p16##p17##p18##p19##p20##p21##p22##p23##p24##p25##p26##p27##p28##p29##p30##p31
#define FEDPP_DETAIL_SIGNATURE_PASTE(...) FEDPP_DETAIL_SIGNATURE_PASTE_(__VA_ARGS__)

/// The name of the function fedpp::compiled defines for the build it was
/// made by, and a program's translation units call for theirs.
#define FEDPP_COMPILED_BUILD_SIGNATURE_NAME                                                                     \
    FEDPP_DETAIL_SIGNATURE_PASTE(EIGEN_MAX_ALIGN_BYTES, FEDPP_DETAIL_SIGNATURE_SSE3,                                \
                                 FEDPP_DETAIL_SIGNATURE_SSSE3, FEDPP_DETAIL_SIGNATURE_SSE4_1,                       \
                                 FEDPP_DETAIL_SIGNATURE_SSE4_2, FEDPP_DETAIL_SIGNATURE_POPCNT,                      \
                                 FEDPP_DETAIL_SIGNATURE_AVX, FEDPP_DETAIL_SIGNATURE_AVX2,                           \
                                 FEDPP_DETAIL_SIGNATURE_FMA, FEDPP_DETAIL_SIGNATURE_F16C,                           \
                                 FEDPP_DETAIL_SIGNATURE_BMI, FEDPP_DETAIL_SIGNATURE_BMI2,                           \
                                 FEDPP_DETAIL_SIGNATURE_LZCNT, FEDPP_DETAIL_SIGNATURE_AVXVNNI,                      \
                                 FEDPP_DETAIL_SIGNATURE_AVX512F, FEDPP_DETAIL_SIGNATURE_AVX512CD,                   \
                                 FEDPP_DETAIL_SIGNATURE_AVX512DQ, FEDPP_DETAIL_SIGNATURE_AVX512BW,                  \
                                 FEDPP_DETAIL_SIGNATURE_AVX512VL, FEDPP_DETAIL_SIGNATURE_AVX512ER,                  \
                                 FEDPP_DETAIL_SIGNATURE_AVX512PF, FEDPP_DETAIL_SIGNATURE_AVX512IFMA,                \
                                 FEDPP_DETAIL_SIGNATURE_AVX512VBMI, FEDPP_DETAIL_SIGNATURE_AVX512VBMI2,             \
                                 FEDPP_DETAIL_SIGNATURE_AVX512VNNI, FEDPP_DETAIL_SIGNATURE_AVX512BITALG,            \
                                 FEDPP_DETAIL_SIGNATURE_AVX512VPOPCNTDQ, FEDPP_DETAIL_SIGNATURE_AVX512BF16,         \
                                 FEDPP_DETAIL_SIGNATURE_AVX512FP16, FEDPP_DETAIL_SIGNATURE_NEON,                    \
                                 FEDPP_DETAIL_SIGNATURE_SVE, FEDPP_DETAIL_SIGNATURE_SVE_BITS,                       \
                                 FEDPP_DETAIL_SIGNATURE_GLIBCXX_DEBUG)

namespace fedpp::detail {
/// Defined by fedpp::compiled for the build it was made by only.
bool FEDPP_COMPILED_BUILD_SIGNATURE_NAME() noexcept;
/// Makes every translation unit that includes this header call it (a call
/// to a function defined elsewhere, which no compiler or link-time
/// optimiser may drop, so the reference reaches the linker).
inline const bool compiled_library_built_alike = FEDPP_COMPILED_BUILD_SIGNATURE_NAME();
} // namespace fedpp::detail
