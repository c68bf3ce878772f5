/* verify/stubs/cblas.h: the CBLAS declarations matmul_blas.c uses, for
 * Frama-C only (the build uses the real <cblas.h>). cblas_sgemm's contract
 * below is ASSUMED, not proved: Frama-C cannot see into OpenBLAS. It states
 * what matmul_blas.c relies on: for row-major, tightly packed operands
 * (lda/ldb/ldc equal to the row lengths, as every call in matmul_blas.c passes)
 * sgemm reads A [M·K] and B [K·N] and writes only C [M·N]. */
#ifndef LNFREE_VERIFY_STUB_CBLAS_H
#define LNFREE_VERIFY_STUB_CBLAS_H

#ifndef LNFREE_BLAS_NAME
#define LNFREE_BLAS_NAME "cblas (verify stub)"
#endif

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

/*@ requires Order == CblasRowMajor;
  @ requires 0 < M && 0 < N && 0 < K;
  @ requires M * K <= 0x7fffffff && K * N <= 0x7fffffff && M * N <= 0x7fffffff;
  @ requires lda == (TransA == CblasNoTrans ? K : M);
  @ requires ldb == (TransB == CblasNoTrans ? N : K);
  @ requires ldc == N;
  @ requires \valid_read(A + (0 .. M*K - 1));
  @ requires \valid_read(B + (0 .. K*N - 1));
  @ requires \valid(C + (0 .. M*N - 1));
  @ requires \separated(C + (0 .. M*N - 1), A + (0 .. M*K - 1));
  @ requires \separated(C + (0 .. M*N - 1), B + (0 .. K*N - 1));
  @ assigns C[0 .. M*N - 1] \from A[0 .. M*K - 1], B[0 .. K*N - 1], C[0 .. M*N - 1], alpha, beta;
  @*/
void cblas_sgemm(enum CBLAS_ORDER Order, enum CBLAS_TRANSPOSE TransA,
                 enum CBLAS_TRANSPOSE TransB, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc);

#endif
