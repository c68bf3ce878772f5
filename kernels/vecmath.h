/* vecmath: what the kernels' loops need to vectorise.
 *
 * LANES: reductions (maxima, sums, dot products) keep this many independent
 * partial results, combined at the end: a fixed order, the same for every
 * vector width (16 floats = one AVX-512 register), where a single running
 * result would be a serial chain the compiler may not reorder.
 *
 * <math.h> with expf declared under GCC's `simd` attribute, so that
 * a vectorised loop calls glibc's libmvec variant of it instead of one scalar
 * call per value (measured: its AVX-512 variant is within 2.64 ulp of exp on
 * every float in [ln FLT_MIN, 0]). The kernels are compiled with
 * -fno-math-errno -fno-trapping-math, which GCC needs to vectorise such loops
 * (kernels/CMakeLists.txt). Frama-C and clang see the plain declaration. */
#ifndef LNFREE_KERNELS_VECMATH_H
#define LNFREE_KERNELS_VECMATH_H

#include <math.h>

enum { LANES = 16 };

#if defined(__GNUC__) && !defined(__clang__) && !defined(__FRAMAC__)
float expf(float) __attribute__((simd("notinbranch")));
#endif

#endif
