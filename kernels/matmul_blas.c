/* matmul through CBLAS sgemm (row-major), or the reference loops when the
 * library is built without a BLAS (LNFREE_BLAS=none). */
#include "matmul.h"

#ifdef LNFREE_HAVE_CBLAS
#ifdef LNFREE_CBLAS_NETLIB
#include <cblas-netlib.h>
#else
#include <cblas.h>
#endif

void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC)
{
    float beta = 0.0f;
    if (bias != 0) {
        /* out starts as the bias broadcast over rows, then sgemm adds inp·W */
        /*@ loop invariant 0 <= n <= N;
          @ loop assigns n, out[0 .. N*OC-1];
          @ loop variant N - n;
          @*/
        for (int n = 0; n < N; n++) {
            /*@ loop invariant 0 <= o <= OC;
              @ loop assigns o, out[n*OC .. n*OC + OC-1];
              @ loop variant OC - o;
              @*/
            for (int o = 0; o < OC; o++) {
                out[n * OC + o] = bias[o];
            }
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C,
                1.0f, inp, C, weight, C, beta, out, OC);
}

void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC)
{
    /* dinp[N,C] += dout[N,OC] · weight[OC,C] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC,
                1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    /* dweight[OC,C] += doutᵀ · inp */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N,
                1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias != 0) {
        /*@ loop invariant 0 <= n <= N;
          @ loop assigns n, dbias[0 .. OC-1];
          @ loop variant N - n;
          @*/
        for (int n = 0; n < N; n++) {
            /*@ loop invariant 0 <= o <= OC;
              @ loop assigns o, dbias[0 .. OC-1];
              @ loop variant OC - o;
              @*/
            for (int o = 0; o < OC; o++) {
                dbias[o] += dout[n * OC + o];
            }
        }
    }
}

const char *matmul_backend(void) { return LNFREE_BLAS_NAME; }

#else

void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC)
{
    matmul_forward_ref(out, inp, weight, bias, N, C, OC);
}

void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC)
{
    matmul_backward_ref(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
}

const char *matmul_backend(void) { return "none"; }

#endif
