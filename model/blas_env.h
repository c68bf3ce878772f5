/* blas_env: picks OpenBLAS's kernels for this CPU before any BLAS call.
 *
 * Debian 12's OpenBLAS 0.3.21 does not recognise recent Intel CPUs (e.g. this
 * project's Xeon with AVX-512 BF16) and falls back to its Prescott (SSE3)
 * kernels, several times slower. Its choice is made from OPENBLAS_CORETYPE when
 * the library is loaded, i.e. before main, so a program that wants another
 * core type sets the variable and executes itself again. An OPENBLAS_CORETYPE
 * already in the environment is always respected. */
#ifndef LNFREE_MODEL_BLAS_ENV_H
#define LNFREE_MODEL_BLAS_ENV_H

/* The OpenBLAS core type this CPU (and its OS) fully supports, from CPUID:
 * "Cooperlake" (AVX-512 + BF16), "SkylakeX" (AVX-512), "Haswell" (AVX2 + FMA),
 * or NULL to leave OpenBLAS's own detection alone. */
const char *blas_core_for_cpu(void);

/* With OPENBLAS_CORETYPE unset and a better core type known, sets it and
 * re-executes /proc/self/exe with argv; returns only if nothing was done (or
 * the exec failed, which is harmless: the run continues on OpenBLAS's pick). */
void blas_env_reexec(char **argv);

#endif
