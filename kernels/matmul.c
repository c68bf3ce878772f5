/* matmul: the plain-C loops (the implementation Frama-C proves, and the
 * reference the BLAS path is tested and fuzzed against). Each reduction runs
 * over its index in order into one float accumulator, added once into the
 * output. */
#include "kernels/matmul.h"
#include "kernels/index.h"

void matmul_forward_block_ref(float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC,
                          int n0, int n1, int o0, int o1)
{
    /*@ loop invariant n0 <= n <= n1;
      @ loop assigns n, out[n0*OC .. n1*OC-1];
      @ loop variant n1 - n;
      @*/
    for (int n = n0; n < n1; n++) {
        const float *x = inp + lnf_row_offset(n, N, C);
        float *y = out + lnf_block_row_offset(n, n0, n1, N, OC);
        /*@ loop invariant o0 <= o <= o1;
          @ loop assigns o, y[o0 .. o1-1];
          @ loop variant o1 - o;
          @*/
        for (int o = o0; o < o1; o++) {
            const float *w = weight + lnf_row_offset(o, OC, C);
            float acc = bias != 0 ? bias[o] : 0.0f;
            /*@ loop invariant 0 <= c <= C;
              @ loop assigns c, acc;
              @ loop variant C - c;
              @*/
            for (int c = 0; c < C; c++) {
                acc += x[c] * w[c];
            }
            y[o] = acc;
        }
    }
}

void matmul_backward_dinp_block_ref(float *dinp, const float *dout, const float *weight,
                                int N, int C, int OC, int n0, int n1, int c0, int c1)
{
    /*@ loop invariant n0 <= n <= n1;
      @ loop assigns n, dinp[n0*C .. n1*C-1];
      @ loop variant n1 - n;
      @*/
    for (int n = n0; n < n1; n++) {
        float *dx = dinp + lnf_block_row_offset(n, n0, n1, N, C);
        const float *g = dout + lnf_row_offset(n, N, OC);
        /*@ loop invariant c0 <= c <= c1;
          @ loop assigns c, dx[c0 .. c1-1];
          @ loop variant c1 - c;
          @*/
        for (int c = c0; c < c1; c++) {
            float acc = 0.0f;
            /*@ loop invariant 0 <= o <= OC;
              @ loop assigns o, acc;
              @ loop variant OC - o;
              @*/
            for (int o = 0; o < OC; o++) {
                acc += g[o] * weight[lnf_row_offset(o, OC, C) + c];
            }
            dx[c] += acc;
        }
    }
}

void matmul_backward_dweight_block_ref(float *dweight, const float *dout, const float *inp,
                                   int N, int C, int OC, int o0, int o1, int c0, int c1)
{
    /*@ loop invariant o0 <= o <= o1;
      @ loop assigns o, dweight[o0*C .. o1*C-1];
      @ loop variant o1 - o;
      @*/
    for (int o = o0; o < o1; o++) {
        float *dw = dweight + lnf_block_row_offset(o, o0, o1, OC, C);
        /*@ loop invariant c0 <= c <= c1;
          @ loop assigns c, dw[c0 .. c1-1];
          @ loop variant c1 - c;
          @*/
        for (int c = c0; c < c1; c++) {
            float acc = 0.0f;
            /*@ loop invariant 0 <= n <= N;
              @ loop assigns n, acc;
              @ loop variant N - n;
              @*/
            for (int n = 0; n < N; n++) {
                acc += dout[lnf_row_offset(n, N, OC) + o] * inp[lnf_row_offset(n, N, C) + c];
            }
            dw[c] += acc;
        }
    }
}

enum { DBIAS_LANES = 64 }; /* columns of dbias summed side by side */

/* dbias[o] += Σ_n dout[n][o] for o0 ≤ o < o1, each column summed over n in
 * order into its own accumulator (the _ref order), DBIAS_LANES columns at a
 * time so that every row of dout is read contiguously. */
void matmul_backward_dbias_block(float *dbias, const float *dout, int N, int OC, int o0, int o1)
{
    int o = o0;
    /*@ loop invariant o0 <= o <= o1;
      @ loop assigns o, dbias[o0 .. o1-1];
      @ loop variant o1 - o;
      @*/
    while (o < o1) {
        int w = o1 - o < DBIAS_LANES ? o1 - o : DBIAS_LANES;
        //@ assert width: 0 < w <= DBIAS_LANES && o + w <= o1;
        float acc[DBIAS_LANES] = {0.0f};
        /*@ loop invariant 0 <= n <= N;
          @ loop assigns n, acc[0 .. DBIAS_LANES-1];
          @ loop variant N - n;
          @*/
        for (int n = 0; n < N; n++) {
            const float *row = dout + lnf_row_offset(n, N, OC) + o;
            /*@ loop invariant 0 <= j <= w;
              @ loop assigns j, acc[0 .. DBIAS_LANES-1];
              @ loop variant w - j;
              @*/
            for (int j = 0; j < w; j++) {
                acc[j] += row[j];
            }
        }
        /*@ loop invariant 0 <= j <= w;
          @ loop assigns j, dbias[o .. o + w - 1];
          @ loop variant w - j;
          @*/
        for (int j = 0; j < w; j++) {
            dbias[o + j] += acc[j];
        }
        o += w;
    }
}

void matmul_forward_ref(float *out, const float *inp, const float *weight,
                        const float *bias, int N, int C, int OC)
{
    matmul_forward_block_ref(out, inp, weight, bias, N, C, OC, 0, N, 0, OC);
}

void matmul_backward_ref(float *dinp, float *dweight, float *dbias,
                         const float *dout, const float *inp, const float *weight,
                         int N, int C, int OC)
{
    matmul_backward_dinp_block_ref(dinp, dout, weight, N, C, OC, 0, N, 0, C);
    matmul_backward_dweight_block_ref(dweight, dout, inp, N, C, OC, 0, OC, 0, C);
    if (dbias != 0) {
        matmul_backward_dbias_block(dbias, dout, N, OC, 0, OC);
    }
}
