/* matmul: plain-C reference loops (the implementation Frama-C proves). */
#include "matmul.h"
#include "index.h"

void matmul_forward_ref(float *out, const float *inp, const float *weight,
                        const float *bias, int N, int C, int OC)
{
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, out[0 .. N*OC-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        const float *x = inp + lnf_row_offset(n, N, C);
        float *y = out + lnf_row_offset(n, N, OC);
        /*@ loop invariant 0 <= o <= OC;
          @ loop assigns o, y[0 .. OC-1];
          @ loop variant OC - o;
          @*/
        for (int o = 0; o < OC; o++) {
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

void matmul_backward_ref(float *dinp, float *dweight, float *dbias,
                         const float *dout, const float *inp, const float *weight,
                         int N, int C, int OC)
{
    /* dinp[n,c] += sum_o dout[n,o] * weight[o,c] */
    /*@ loop invariant 0 <= n <= N;
      @ loop assigns n, dinp[0 .. N*C-1];
      @ loop variant N - n;
      @*/
    for (int n = 0; n < N; n++) {
        /*@ loop invariant 0 <= c <= C;
          @ loop assigns c, dinp[n*C .. n*C + C-1];
          @ loop variant C - c;
          @*/
        for (int c = 0; c < C; c++) {
            float acc = 0.0f;
            /*@ loop invariant 0 <= o <= OC;
              @ loop assigns o, acc;
              @ loop variant OC - o;
              @*/
            for (int o = 0; o < OC; o++) {
                acc += dout[lnf_row_offset(n, N, OC) + o] * weight[lnf_row_offset(o, OC, C) + c];
            }
            dinp[lnf_row_offset(n, N, C) + c] += acc;
        }
    }
    /* dweight[o,c] += sum_n dout[n,o] * inp[n,c] */
    /*@ loop invariant 0 <= o <= OC;
      @ loop assigns o, dweight[0 .. OC*C-1];
      @ loop variant OC - o;
      @*/
    for (int o = 0; o < OC; o++) {
        /*@ loop invariant 0 <= c <= C;
          @ loop assigns c, dweight[o*C .. o*C + C-1];
          @ loop variant C - c;
          @*/
        for (int c = 0; c < C; c++) {
            float acc = 0.0f;
            /*@ loop invariant 0 <= n <= N;
              @ loop assigns n, acc;
              @ loop variant N - n;
              @*/
            for (int n = 0; n < N; n++) {
                acc += dout[lnf_row_offset(n, N, OC) + o] * inp[lnf_row_offset(n, N, C) + c];
            }
            dweight[lnf_row_offset(o, OC, C) + c] += acc;
        }
    }
    if (dbias != 0) {
        /*@ loop invariant 0 <= o <= OC;
          @ loop assigns o, dbias[0 .. OC-1];
          @ loop variant OC - o;
          @*/
        for (int o = 0; o < OC; o++) {
            float acc = 0.0f;
            /*@ loop invariant 0 <= n <= N;
              @ loop assigns n, acc;
              @ loop variant N - n;
              @*/
            for (int n = 0; n < N; n++) {
                acc += dout[lnf_row_offset(n, N, OC) + o];
            }
            dbias[o] += acc;
        }
    }
}
