/* bench_sgemm: this machine's sgemm peak with the OpenBLAS, threads and
 * kernel choice lnfree runs with. Times cblas_sgemm (row-major, one call on
 * OMP_NUM_THREADS threads) for each shape and prints one JSON line per shape:
 * the median GFLOP/s over REPS calls after one warm-up, and the OpenBLAS core
 * its kernels came from.
 *
 * usage: bench_sgemm REPS SHAPE...   SHAPE: M,N,K[,TA,TB] (TA, TB: n or t;
 *        C[M,N] = op(A)·op(B) with op(A) [M,K] and op(B) [K,N]) */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/blas_env.h"
#include "base/clock.h"


static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static float *filled(size_t n)
{
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; x != NULL && i < n; i++) {
        x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    }
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_sgemm REPS M,N,K[,TA,TB]...\n");
        return 2;
    }
    blas_env_reexec(argv);
    int reps = atoi(argv[1]);
    if (reps < 1) {
        fprintf(stderr, "bench_sgemm: REPS must be >= 1\n");
        return 2;
    }
    for (int a = 2; a < argc; a++) {
        int M, N, K;
        char ta = 'n', tb = 'n';
        if (sscanf(argv[a], "%d,%d,%d,%c,%c", &M, &N, &K, &ta, &tb) < 3 || M < 1 || N < 1 ||
            K < 1 || strchr("nt", ta) == NULL || strchr("nt", tb) == NULL) {
            fprintf(stderr, "bench_sgemm: bad shape '%s' (M,N,K[,n|t,n|t])\n", argv[a]);
            return 2;
        }
        float *A = filled((size_t)M * K), *B = filled((size_t)K * N), *C = filled((size_t)M * N);
        double *t = calloc((size_t)reps, sizeof(double));
        if (A == NULL || B == NULL || C == NULL || t == NULL) {
            fprintf(stderr, "bench_sgemm: out of memory for %s\n", argv[a]);
            return 1;
        }
        enum CBLAS_TRANSPOSE opa = ta == 't' ? CblasTrans : CblasNoTrans;
        enum CBLAS_TRANSPOSE opb = tb == 't' ? CblasTrans : CblasNoTrans;
        int lda = ta == 't' ? M : K, ldb = tb == 't' ? K : N;
        for (int r = -1; r < reps; r++) {
            double t0 = lnf_now();
            cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
            if (r >= 0) {
                t[r] = lnf_now() - t0;
            }
        }
        qsort(t, (size_t)reps, sizeof(double), cmp_double);
        double flops = 2.0 * M * N * K;
        printf("{\"shape\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, \"seconds\": %.6f, "
               "\"gflops\": %.2f, \"gflops_best\": %.2f, \"openblas_core\": \"%s\"}\n",
               argv[a], M, N, K, t[reps / 2], flops / t[reps / 2] * 1e-9, flops / t[0] * 1e-9,
               blas_core_in_use());
        free(A);
        free(B);
        free(C);
        free(t);
    }
    return 0;
}
