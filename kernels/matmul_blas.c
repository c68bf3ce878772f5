/* matmul through CBLAS sgemm (row-major), or the reference loops of matmul.c
 * when the library is built without a BLAS (LNFREE_BLAS=none). Every entry
 * point is a block of the product (matmul.h); the whole product is the block
 * that covers it. dbias has one implementation for both (matmul.c). */
#include "kernels/matmul.h"
#include "kernels/flat_index.h"
#include "kernels/index.h"

#ifdef LNFREE_HAVE_CBLAS
#ifdef LNFREE_CBLAS_NETLIB
#include <cblas-netlib.h>
#else
#include <cblas.h>
#endif

/* out[k] = bias[k % OC] over the block's elements: the forward's block
 * starts as the bias broadcast over its rows, and sgemm adds inp·Wᵀ to it */
/*@ requires sizes: 0 < N && 0 < OC && lnf_fits_int(N * OC);
  @ requires block: 0 <= n0 < n1 <= N && 0 <= o0 < o1 <= OC;
  @ requires valid: lnf_writable(out, N * OC) && lnf_readable(bias, OC) &&
  @                 lnf_apart(out, N * OC, bias, OC);
  @ assigns out[n0*OC .. n1*OC-1];
  @ ensures bias: \forall integer k; matmul_in_block(k, OC, n0, n1, o0, o1) ==>
  @   out[k] == bias[k % OC];
  @ ensures kept: \forall integer k; n0*OC <= k < n1*OC && !matmul_in_block(k, OC, n0, n1, o0, o1) ==>
  @   out[k] == \old(out[k]);
  @*/
static void matmul_bias_block(float *out, const float *bias, int N, int OC,
                              int n0, int n1, int o0, int o1)
{
    int n = n0;
    /*@ loop invariant n0 <= n <= n1;
      @ loop invariant bias: \forall integer k; matmul_in_block(k, OC, n0, n, o0, o1) ==>
      @   out[k] == bias[k % OC];
      @ loop invariant kept: \forall integer k; n0*OC <= k < n1*OC &&
      @   !matmul_in_block(k, OC, n0, n, o0, o1) ==> out[k] == \at(out[k], Pre);
      @ loop assigns n, out[n0*OC .. n1*OC-1];
      @ loop variant n1 - n;
      @*/
    for (; n < n1; n++) {
        int y0 = lnf_block_row_offset(n, n0, n1, N, OC);
        lnf_flat_row_facts(n, OC);
        /*@ loop invariant o0 <= o <= o1;
          @ loop invariant row: \forall integer k; y0 + o0 <= k < y0 + o ==> out[k] == bias[k - y0];
          @ loop invariant rows: \forall integer k; matmul_in_block(k, OC, n0, n, o0, o1) ==>
          @   out[k] == bias[k % OC];
          @ loop invariant kept: \forall integer k; n0*OC <= k < n1*OC &&
          @   !matmul_in_block(k, OC, n0, n, o0, o1) && !(y0 + o0 <= k < y0 + o) ==>
          @   out[k] == \at(out[k], Pre);
          @ loop assigns o, out[y0 + o0 .. y0 + o1-1];
          @ loop variant o1 - o;
          @*/
        for (int o = o0; o < o1; o++) {
            out[y0 + o] = bias[o];
        }
    }
}

void matmul_forward_block(float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC,
                          int n0, int n1, int o0, int o1)
{
    float beta = 0.0f;
    if (bias != 0) {
        matmul_bias_block(out, bias, N, OC, n0, n1, o0, o1);
        beta = 1.0f;
    }
    /*@ assert start: \forall integer k; matmul_in_block(k, OC, n0, n1, o0, o1) ==>
      @   beta * out[k] == (bias == \null ? 0.0 : bias[k % OC]);
      @*/
    lnf_flat_bounds(N, OC);
    lnf_stride_facts(N, C);
    lnf_stride_facts(OC, C);
    /* the operands are those of entry (only out was written) */
    /*@ assert dot_same: \forall integer k; matmul_in_block(k, OC, n0, n1, o0, o1) ==>
      @   lnf_dot(inp, (k / OC) * C, 1, weight, (k % OC) * C, 1, C) ==
      @   lnf_dot{Pre}(inp, (k / OC) * C, 1, weight, (k % OC) * C, 1, C);
      @*/
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n1 - n0, o1 - o0, C,
                1.0f, inp + lnf_row_offset(n0, N, C), C, weight + lnf_row_offset(o0, OC, C), C,
                beta, out + lnf_row_offset(n0, N, OC) + o0, OC)
        /*@ ghost (out, n0, o0, inp, n0, 0, weight, o0, 0) */;
}

void matmul_backward_dinp_block(float *dinp, const float *dout, const float *weight,
                                int N, int C, int OC, int n0, int n1, int c0, int c1)
{
    /* dinp[n0:n1, c0:c1] += dout[n0:n1, :] · weight[:, c0:c1] */
    lnf_flat_bounds(N, C);
    lnf_stride_facts(N, OC);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n1 - n0, c1 - c0, OC,
                1.0f, dout + lnf_row_offset(n0, N, OC), OC, weight + c0, C,
                1.0f, dinp + lnf_row_offset(n0, N, C) + c0, C)
        /*@ ghost (dinp, n0, c0, dout, n0, 0, weight, 0, c0) */;
}

void matmul_backward_dweight_block(float *dweight, const float *dout, const float *inp,
                                   int N, int C, int OC, int o0, int o1, int c0, int c1)
{
    /* dweight[o0:o1, c0:c1] += dout[:, o0:o1]ᵀ · inp[:, c0:c1] */
    lnf_flat_bounds(OC, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, c1 - c0, N,
                1.0f, dout + o0, OC, inp + c0, C,
                1.0f, dweight + lnf_row_offset(o0, OC, C) + c0, C)
        /*@ ghost (dweight, o0, c0, dout, 0, o0, inp, 0, c0) */;
}

const char *matmul_backend(void) { return LNFREE_BLAS_NAME; }

#else

void matmul_forward_block(float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC,
                          int n0, int n1, int o0, int o1)
{
    matmul_forward_block_ref(out, inp, weight, bias, N, C, OC, n0, n1, o0, o1);
}

void matmul_backward_dinp_block(float *dinp, const float *dout, const float *weight,
                                int N, int C, int OC, int n0, int n1, int c0, int c1)
{
    matmul_backward_dinp_block_ref(dinp, dout, weight, N, C, OC, n0, n1, c0, c1);
}

void matmul_backward_dweight_block(float *dweight, const float *dout, const float *inp,
                                   int N, int C, int OC, int o0, int o1, int c0, int c1)
{
    matmul_backward_dweight_block_ref(dweight, dout, inp, N, C, OC, o0, o1, c0, c1);
}

const char *matmul_backend(void) { return "none"; }

#endif

void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC)
{
    matmul_forward_block(out, inp, weight, bias, N, C, OC, 0, N, 0, OC);
}

void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC)
{
    matmul_backward_dinp_block(dinp, dout, weight, N, C, OC, 0, N, 0, C);
    /* as in matmul_backward_ref: the later calls' dot products and sums are
     * those of entry */
    lnf_stride_facts(N, OC);
    lnf_stride_facts(N, C);
    /*@ assert dweight_same: \forall integer o, c; 0 <= o < OC && 0 <= c < C ==>
      @   lnf_dot(dout, o, OC, inp, c, C, N) == lnf_dot{Pre}(dout, o, OC, inp, c, C, N);
      @*/
    matmul_backward_dweight_block(dweight, dout, inp, N, C, OC, 0, OC, 0, C);
    /*@ assert dbias_same: \forall integer o; 0 <= o < OC ==>
      @   lnf_sum(dout, o, OC, N) == lnf_sum{Pre}(dout, o, OC, N);
      @*/
    lnf_flat_bounds(OC, C);
    if (dbias != 0) {
        matmul_backward_dbias_block(dbias, dout, N, OC, 0, OC);
    }
}
