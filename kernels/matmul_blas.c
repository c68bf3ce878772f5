/* matmul through CBLAS sgemm (row-major), or the reference loops of matmul.c
 * when the library is built without a BLAS (LNFREE_BLAS=none). Every entry
 * point is a block of the product (matmul.h); the whole product is the block
 * that covers it. dbias has one implementation for both (matmul.c). */
#include "kernels/matmul.h"
#include "kernels/index.h"

#ifdef LNFREE_HAVE_CBLAS
#ifdef LNFREE_CBLAS_NETLIB
#include <cblas-netlib.h>
#else
#include <cblas.h>
#endif

void matmul_forward_block(float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC,
                          int n0, int n1, int o0, int o1)
{
    float *y = out + lnf_row_offset(n0, N, OC) + o0;
    float beta = 0.0f;
    if (bias != 0) {
        /* the block starts as the bias broadcast over rows, then sgemm adds inp·W */
        /*@ loop invariant n0 <= n <= n1;
          @ loop assigns n, out[n0*OC .. n1*OC-1];
          @ loop variant n1 - n;
          @*/
        for (int n = n0; n < n1; n++) {
            float *row = out + lnf_block_row_offset(n, n0, n1, N, OC);
            /*@ loop invariant o0 <= o <= o1;
              @ loop assigns o, row[o0 .. o1-1];
              @ loop variant o1 - o;
              @*/
            for (int o = o0; o < o1; o++) {
                row[o] = bias[o];
            }
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n1 - n0, o1 - o0, C,
                1.0f, inp + lnf_row_offset(n0, N, C), C, weight + lnf_row_offset(o0, OC, C), C,
                beta, y, OC);
}

void matmul_backward_dinp_block(float *dinp, const float *dout, const float *weight,
                                int N, int C, int OC, int n0, int n1, int c0, int c1)
{
    /* dinp[n0:n1, c0:c1] += dout[n0:n1, :] · weight[:, c0:c1] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n1 - n0, c1 - c0, OC,
                1.0f, dout + lnf_row_offset(n0, N, OC), OC, weight + c0, C,
                1.0f, dinp + lnf_row_offset(n0, N, C) + c0, C);
}

void matmul_backward_dweight_block(float *dweight, const float *dout, const float *inp,
                                   int N, int C, int OC, int o0, int o1, int c0, int c1)
{
    /* dweight[o0:o1, c0:c1] += dout[:, o0:o1]ᵀ · inp[:, c0:c1] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, c1 - c0, N,
                1.0f, dout + o0, OC, inp + c0, C,
                1.0f, dweight + lnf_row_offset(o0, OC, C) + c0, C);
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
    matmul_backward_dweight_block(dweight, dout, inp, N, C, OC, 0, OC, 0, C);
    if (dbias != 0) {
        matmul_backward_dbias_block(dbias, dout, N, OC, 0, OC);
    }
}
