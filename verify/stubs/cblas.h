/* verify/stubs/cblas.h: the CBLAS declarations matmul_blas.c and
 * attention_blas.c use, for Frama-C only (the build uses the real <cblas.h>).
 * cblas_sgemm's contract below is ASSUMED, not proved: Frama-C cannot see
 * into OpenBLAS. It states what the callers rely on: for row-major operands
 * with leading dimensions lda, ldb, ldc (the row lengths of the arrays the
 * blocks are cut from), sgemm reads the rows of A and B it is given, writes
 * only the rows of C (the assigns clause names the whole span of those rows,
 * and `kept` says the rest of it keeps its values), and each element of the
 * M × N block is
 *   C[i][j] = beta·C[i][j] + alpha·Σ_k op(A)[i][k]·op(B)[k][j]
 * over the reals, op(X) being X or Xᵀ. The reals are an idealisation as for
 * the plain loops (rounding is not stated); OpenBLAS's order of summation
 * is its own, which is why the BLAS and reference paths agree to round-off
 * and not bit for bit. With beta = 0 BLAS does not read C at all, which the
 * reals cannot tell from 0·C.
 *
 * The values (`product`, `kept`) are stated only where
 * LNFREE_VERIFY_SGEMM_VALUES is defined, as verify/run does for
 * matmul_blas.c: attention_blas.c's contracts are memory-only, and with the
 * values among the hypotheses of each later goal its memory goals run past
 * the provers' time limit. */
#ifndef LNFREE_VERIFY_STUB_CBLAS_H
#define LNFREE_VERIFY_STUB_CBLAS_H

#include "kernels/dot_spec.h"

#ifndef LNFREE_BLAS_NAME
#define LNFREE_BLAS_NAME "cblas (verify stub)"
#endif

enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };

/*@ // op(A)·op(B) at row i, column j over the reals (kernels/dot_spec.h),
  @ // for row-major A, B cut from the arrays Ab and Bb at row ar0, column
  @ // ac0 (A == Ab + ar0·lda + ac0) and row br0, column bc0. Row i of op(A)
  @ // is the row ar0 + i of Ab from column ac0, or, transposed, its column
  @ // ac0 + i from row ar0 (stride lda); column j of op(B) is the column
  @ // bc0 + j of Bb from row br0 (stride ldb), or, transposed, its row br0 + j.
  @ logic real sgemm_product{L}(integer transa, integer transb,
  @                             float *Ab, integer ar0, integer ac0, integer lda,
  @                             float *Bb, integer br0, integer bc0, integer ldb,
  @                             integer K, integer i, integer j) =
  @   lnf_dot(Ab, transa == CblasNoTrans ? (ar0 + i) * lda + ac0 : ar0 * lda + ac0 + i,
  @           transa == CblasNoTrans ? 1 : lda,
  @           Bb, transb == CblasNoTrans ? br0 * ldb + bc0 + j : (br0 + j) * ldb + bc0,
  @           transb == CblasNoTrans ? ldb : 1, K);
  @*/

/* The ghost parameters name the arrays the operands are blocks of, and
 * where each block starts (row, column): C == Cb + cr0·ldc + cc0, and the
 * same for A in Ab and B in Bb. They let the contract state the result per
 * element of the caller's array, Cb[k] for k in rows cr0 .. cr0+M-1 and
 * columns cc0 .. cc0+N-1, which is what the callers' contracts state. */
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
  @ requires blocks: 0 <= cr0 && 0 <= cc0 && cc0 + N <= ldc && C == Cb + (cr0 * ldc + cc0) &&
  @                  0 <= ar0 && 0 <= ac0 && A == Ab + (ar0 * lda + ac0) &&
  @                  0 <= br0 && 0 <= bc0 && B == Bb + (br0 * ldb + bc0);
  @ assigns C[0 .. (M - 1) * ldc + N - 1] \from A[..], B[..], C[..], alpha, beta;
  @*/
void cblas_sgemm(enum CBLAS_ORDER Order, enum CBLAS_TRANSPOSE TransA,
                 enum CBLAS_TRANSPOSE TransB, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc)
    /*@ ghost (float *Cb, int cr0, int cc0, const float *Ab, int ar0, int ac0,
      @        const float *Bb, int br0, int bc0) */;

/* the values: a second declaration, whose contract Frama-C adds to the first */
#ifdef LNFREE_VERIFY_SGEMM_VALUES
/*@ ensures product: \forall integer k; cr0 * ldc <= k < (cr0 + M) * ldc &&
  @   cc0 <= k % ldc < cc0 + N ==>
  @   Cb[k] == beta * \old(Cb[k]) +
  @            alpha * sgemm_product{Pre}(TransA, TransB, Ab, ar0, ac0, lda, Bb, br0, bc0, ldb,
  @                                       K, k / ldc - cr0, k % ldc - cc0);
  @ ensures kept: \forall integer k; cr0 * ldc <= k < (cr0 + M) * ldc &&
  @   !(cc0 <= k % ldc < cc0 + N) ==> Cb[k] == \old(Cb[k]);
  @*/
void cblas_sgemm(enum CBLAS_ORDER Order, enum CBLAS_TRANSPOSE TransA,
                 enum CBLAS_TRANSPOSE TransB, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta,
                 float *C, int ldc)
    /*@ ghost (float *Cb, int cr0, int cc0, const float *Ab, int ar0, int ac0,
      @        const float *Bb, int br0, int bc0) */;
#endif
#endif
