/* attention: causal multi-head self-attention over separate q, k, v.
 *
 * q, k, v, out: [B,T,C] with C = NH·hs; head h uses channels h·hs .. h·hs+hs-1.
 * att: [B,NH,T,T] softmax probabilities saved for backward (row t holds keys
 * 0..t; entries t2 > t are written as 0). Scores are q·k/√hs with the row max
 * subtracted before exp, as in PyTorch.
 * Backward accumulates (+=) into dq, dk, dv; scratch holds T floats. */
#ifndef LNFREE_KERNELS_ATTENTION_H
#define LNFREE_KERNELS_ATTENTION_H

#include <errno.h> /* expf may set errno (ERANGE on underflow): the contract says so */

/*@ requires 0 < B && 0 < T && 0 < NH && 0 < C && C % NH == 0;
  @ requires B * T * C <= 0x7fffffff && B * NH * T * T <= 0x7fffffff;
  @ requires \valid(out + (0 .. B*T*C-1));
  @ requires \valid(att + (0 .. B*NH*T*T-1));
  @ requires \valid_read(q + (0 .. B*T*C-1));
  @ requires \valid_read(k + (0 .. B*T*C-1));
  @ requires \valid_read(v + (0 .. B*T*C-1));
  @ requires \separated(out + (0 .. B*T*C-1), att + (0 .. B*NH*T*T-1),
  @                     q + (0 .. B*T*C-1), k + (0 .. B*T*C-1), v + (0 .. B*T*C-1));
  @ assigns out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
  @*/
void attention_forward(float *out, float *att,
                       const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH);

/*@ requires 0 < B && 0 < T && 0 < NH && 0 < C && C % NH == 0;
  @ requires B * T * C <= 0x7fffffff && B * NH * T * T <= 0x7fffffff;
  @ requires \valid(dq + (0 .. B*T*C-1));
  @ requires \valid(dk + (0 .. B*T*C-1));
  @ requires \valid(dv + (0 .. B*T*C-1));
  @ requires \valid(scratch + (0 .. T-1));
  @ requires \valid_read(dout + (0 .. B*T*C-1));
  @ requires \valid_read(att + (0 .. B*NH*T*T-1));
  @ requires \valid_read(q + (0 .. B*T*C-1));
  @ requires \valid_read(k + (0 .. B*T*C-1));
  @ requires \valid_read(v + (0 .. B*T*C-1));
  @ requires \separated(dq + (0 .. B*T*C-1), dk + (0 .. B*T*C-1), dv + (0 .. B*T*C-1),
  @                     scratch + (0 .. T-1), dout + (0 .. B*T*C-1), att + (0 .. B*NH*T*T-1),
  @                     q + (0 .. B*T*C-1), k + (0 .. B*T*C-1), v + (0 .. B*T*C-1));
  @ assigns dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
  @*/
void attention_backward(float *dq, float *dk, float *dv, float *scratch,
                        const float *dout, const float *att,
                        const float *q, const float *k, const float *v,
                        int B, int T, int C, int NH);

#endif
