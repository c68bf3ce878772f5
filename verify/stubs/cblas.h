/* verify/stubs/cblas.h: the CBLAS declarations matmul_blas.c uses, for
 * Frama-C only (the build uses the real <cblas.h>). cblas_sgemm's contract
 * below is ASSUMED, not proved: Frama-C cannot see into OpenBLAS. It states
 * what matmul_blas.c relies on: for row-major operands with leading
 * dimensions lda, ldb, ldc (the row lengths of the arrays the blocks are cut
 * from), sgemm reads the rows of A and B it is given and writes only the
 * rows of C, C[i·ldc + j] for i < M, j < N (the assigns clause names the
 * whole span of those rows). */
#ifndef LNFREE_VERIFY_STUB_CBLAS_H
#define LNFREE_VERIFY_STUB_CBLAS_H

#ifndef LNFREE_BLAS_NAME
#define LNFREE_BLAS_NAME "cblas (verify stub)"
#endif

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

/*@ requires Order == CblasRowMajor;
  @ requires 0 < M && 0 < N && 0 < K;
  @ requires lda >= (TransA == CblasNoTrans ? K : M);
  @ requires ldb >= (TransB == CblasNoTrans ? N : K);
  @ requires ldc >= N;
  @ requires (TransA == CblasNoTrans ? M : K) * lda <= 0x7fffffff;
  @ requires (TransB == CblasNoTrans ? K : N) * ldb <= 0x7fffffff;
  @ requires M * ldc <= 0x7fffffff;
  @ requires \valid_read(A + (0 .. ((TransA == CblasNoTrans ? M : K) - 1) * lda +
  @                                 (TransA == CblasNoTrans ? K : M) - 1));
  @ requires \valid_read(B + (0 .. ((TransB == CblasNoTrans ? K : N) - 1) * ldb +
  @                                 (TransB == CblasNoTrans ? N : K) - 1));
  @ requires \valid(C + (0 .. (M - 1) * ldc + N - 1));
  @ requires \separated(C + (0 .. (M - 1) * ldc + N - 1),
  @                     A + (0 .. ((TransA == CblasNoTrans ? M : K) - 1) * lda +
  @                              (TransA == CblasNoTrans ? K : M) - 1));
  @ requires \separated(C + (0 .. (M - 1) * ldc + N - 1),
  @                     B + (0 .. ((TransB == CblasNoTrans ? K : N) - 1) * ldb +
  @                              (TransB == CblasNoTrans ? N : K) - 1));
  @ assigns C[0 .. (M - 1) * ldc + N - 1] \from A[..], B[..], C[..], alpha, beta;
  @*/
void cblas_sgemm(enum CBLAS_ORDER Order, enum CBLAS_TRANSPOSE TransA,
                 enum CBLAS_TRANSPOSE TransB, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc);

#endif
