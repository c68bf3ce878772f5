/* blas_env: makes sure OpenBLAS runs kernels this CPU supports in full, before
 * any BLAS call.
 *
 * Debian 12's OpenBLAS 0.3.21 does not recognise recent Intel CPUs (e.g. a
 * Xeon with AVX-512 BF16) and falls back to its Prescott (SSE3) kernels,
 * several times slower; it does recognise AMD's Zen 1-4. Its choice is made
 * from OPENBLAS_CORETYPE when the library is loaded, i.e. before main, so a
 * program that wants another core type sets the variable and executes itself
 * again. Only a fallback is corrected: OpenBLAS's own pick stands whenever it
 * uses the widest vectors the CPU has, and an OPENBLAS_CORETYPE already in the
 * environment is always respected. */
#ifndef LNFREE_BASE_BLAS_ENV_H
#define LNFREE_BASE_BLAS_ENV_H

/* The OpenBLAS core type for this CPU (and its OS), from CPUID: "Cooperlake"
 * (AVX-512 + BF16), "SkylakeX" (AVX-512), "Zen" (AMD, AVX2 + FMA), "Haswell"
 * (other AVX2 + FMA), or NULL (no AVX2: OpenBLAS's own detection is kept). */
const char *blas_core_for_cpu(void);

/* The core OpenBLAS picked in this process, or NULL without OpenBLAS. */
const char *blas_core_in_use(void);

/* 2 for AVX-512 kernels, 1 for AVX2 ones, 0 for anything narrower. */
int blas_core_vector_class(const char *core);

/* The core type to set: best when OpenBLAS runs narrower kernels (`used`)
 * and the user set none (`env` NULL); else NULL, nothing to do. */
const char *blas_core_override(const char *best, const char *used, const char *env);

/* With OPENBLAS_CORETYPE unset and OpenBLAS on narrower kernels than
 * blas_core_for_cpu(), sets it and re-executes /proc/self/exe with argv;
 * returns only if nothing was done (or the exec failed, which is harmless:
 * the run continues on OpenBLAS's pick). */
void blas_env_reexec(char **argv);

#endif
