#define _POSIX_C_SOURCE 200809L
#include "blas_env.h"
#include <stdlib.h>
#include <unistd.h>

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
        return "Haswell";
    }
#endif
    return NULL;
}

void blas_env_reexec(char **argv)
{
    const char *core = blas_core_for_cpu();
    if (core == NULL || getenv("OPENBLAS_CORETYPE") != NULL) {
        return;
    }
    setenv("OPENBLAS_CORETYPE", core, 1);
    execv("/proc/self/exe", argv);
}
