#define _POSIX_C_SOURCE 200809L
#include "base/blas_env.h"
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

/* OpenBLAS's own, when the program is linked with it (weak: NULL otherwise). */
extern char *openblas_get_corename(void) __attribute__((weak));

const char *blas_core_for_cpu(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    /* __builtin_cpu_supports also checks that the OS saves the AVX-512 state */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
        return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return __builtin_cpu_is("amd") ? "Zen" : "Haswell";
    }
#endif
    return NULL;
}

const char *blas_core_in_use(void)
{
    return openblas_get_corename != NULL ? openblas_get_corename() : NULL;
}

int blas_core_vector_class(const char *core)
{
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    static const char *const avx2[] = {"Haswell", "Zen"};
    for (size_t i = 0; core != NULL && i < sizeof avx512 / sizeof avx512[0]; i++) {
        if (strcasecmp(core, avx512[i]) == 0) {
            return 2;
        }
    }
    for (size_t i = 0; core != NULL && i < sizeof avx2 / sizeof avx2[0]; i++) {
        if (strcasecmp(core, avx2[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

const char *blas_core_override(const char *best, const char *used, const char *env)
{
    if (best == NULL || used == NULL || env != NULL ||
        blas_core_vector_class(used) >= blas_core_vector_class(best)) {
        return NULL;
    }
    return best;
}

void blas_env_reexec(char **argv)
{
    const char *core = blas_core_override(blas_core_for_cpu(), blas_core_in_use(),
                                          getenv("OPENBLAS_CORETYPE"));
    if (core != NULL) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        execv("/proc/self/exe", argv);
    }
}
