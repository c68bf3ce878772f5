/* embedding: token plus position embeddings, forward and backward. */
#include "kernels/embedding.h"
#include "kernels/index.h"

void embedding_forward(float *out, const int *tokens, const float *wte, const float *wpe,
                       int B, int T, int C, int V, int maxT)
{
    (void)V; /* V and maxT bound the contract's index ranges only */
    (void)maxT;
    /*@ loop invariant 0 <= b <= B;
      @ loop assigns b, out[0 .. B*T*C-1];
      @ loop variant B - b;
      @*/
    for (int b = 0; b < B; b++) {
        /*@ loop invariant 0 <= t <= T;
          @ loop assigns t, out[0 .. B*T*C-1];
          @ loop variant T - t;
          @*/
        for (int t = 0; t < T; t++) {
            int r = lnf_row_offset(b, B, T) + t;
            int tok = tokens[r];
            float *x = out + lnf_row_offset(r, B * T, C);
            const float *te = wte + lnf_row_offset(tok, V, C);
            const float *pe = wpe + lnf_row_offset(t, maxT, C);
            /*@ loop invariant 0 <= i <= C;
              @ loop assigns i, x[0 .. C-1];
              @ loop variant C - i;
              @*/
            for (int i = 0; i < C; i++) {
                x[i] = te[i] + pe[i];
            }
        }
    }
}

void embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                        int B, int T, int C, int V, int maxT)
{
    (void)V; /* V and maxT bound the contract's index ranges only */
    (void)maxT;
    /*@ loop invariant 0 <= b <= B;
      @ loop assigns b, dwte[0 .. V*C-1], dwpe[0 .. maxT*C-1];
      @ loop variant B - b;
      @*/
    for (int b = 0; b < B; b++) {
        /*@ loop invariant 0 <= t <= T;
          @ loop assigns t, dwte[0 .. V*C-1], dwpe[0 .. maxT*C-1];
          @ loop variant T - t;
          @*/
        for (int t = 0; t < T; t++) {
            int r = lnf_row_offset(b, B, T) + t;
            int tok = tokens[r];
            const float *g = dout + lnf_row_offset(r, B * T, C);
            float *dte = dwte + lnf_row_offset(tok, V, C);
            float *dpe = dwpe + lnf_row_offset(t, maxT, C);
            /*@ loop invariant 0 <= i <= C;
              @ loop assigns i, dte[0 .. C-1], dpe[0 .. C-1];
              @ loop variant C - i;
              @*/
            for (int i = 0; i < C; i++) {
                dte[i] += g[i];
                dpe[i] += g[i];
            }
        }
    }
}
