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
#include "kernels/spec.h"

/*@ predicate attention_sizes(integer B, integer T, integer C, integer NH) =
  @   0 < B && 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @   lnf_fits_int(B * T * C) && lnf_fits_int(B * NH * T * T);
  @*/

/*@ requires sizes: attention_sizes(B, T, C, NH);
  @ requires valid_out: lnf_writable(out, B*T*C) && lnf_writable(att, B*NH*T*T);
  @ requires readable: lnf_readable(q, B*T*C) && lnf_readable(k, B*T*C) && lnf_readable(v, B*T*C);
  @ requires separated: \separated(out + (0 .. B*T*C-1), att + (0 .. B*NH*T*T-1),
  @                                q + (0 .. B*T*C-1), k + (0 .. B*T*C-1), v + (0 .. B*T*C-1));
  @ assigns out[0 .. B*T*C-1], att[0 .. B*NH*T*T-1], errno;
  @*/
void attention_forward(float *out, float *att,
                       const float *q, const float *k, const float *v,
                       int B, int T, int C, int NH);

/*@ requires sizes: attention_sizes(B, T, C, NH);
  @ requires valid_grads: lnf_writable(dq, B*T*C) && lnf_writable(dk, B*T*C) &&
  @                       lnf_writable(dv, B*T*C) && lnf_writable(scratch, T);
  @ requires readable: lnf_readable(dout, B*T*C) && lnf_readable(att, B*NH*T*T) &&
  @                    lnf_readable(q, B*T*C) && lnf_readable(k, B*T*C) && lnf_readable(v, B*T*C);
  @ requires separated: \separated(dq + (0 .. B*T*C-1), dk + (0 .. B*T*C-1), dv + (0 .. B*T*C-1),
  @                     scratch + (0 .. T-1), dout + (0 .. B*T*C-1), att + (0 .. B*NH*T*T-1),
  @                     q + (0 .. B*T*C-1), k + (0 .. B*T*C-1), v + (0 .. B*T*C-1));
  @ assigns dq[0 .. B*T*C-1], dk[0 .. B*T*C-1], dv[0 .. B*T*C-1], scratch[0 .. T-1];
  @*/
void attention_backward(float *dq, float *dk, float *dv, float *scratch,
                        const float *dout, const float *att,
                        const float *q, const float *k, const float *v,
                        int B, int T, int C, int NH);

/* Head h of one batch entry, on that entry's arrays: q, k, v, out [T, C],
 * att [NH, T, T]. What the parallel driver runs on one thread per (entry,
 * head) pair: pairs write disjoint parts of out, att, dq, dk and dv (head h's
 * channels; att's T rows of head h). The assigns clauses name the entry's
 * whole rows for out, dq, dk and dv, a superset. */
/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_out: lnf_writable(out, T*C) && lnf_writable(att, NH*T*T);
  @ requires readable: lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(out + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                                q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns out[0 .. T*C-1], att[h*T*T .. (h+1)*T*T-1], errno;
  @*/
void attention_forward_head(float *out, float *att,
                            const float *q, const float *k, const float *v,
                            int T, int C, int NH, int h);

/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_grads: lnf_writable(dq, T*C) && lnf_writable(dk, T*C) &&
  @                       lnf_writable(dv, T*C) && lnf_writable(scratch, T);
  @ requires readable: lnf_readable(dout, T*C) && lnf_readable(att, NH*T*T) &&
  @                    lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(dq + (0 .. T*C-1), dk + (0 .. T*C-1), dv + (0 .. T*C-1),
  @                     scratch + (0 .. T-1), dout + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                     q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns dq[0 .. T*C-1], dk[0 .. T*C-1], dv[0 .. T*C-1], scratch[0 .. T-1];
  @*/
void attention_backward_head(float *dq, float *dk, float *dv, float *scratch,
                             const float *dout, const float *att,
                             const float *q, const float *k, const float *v,
                             int T, int C, int NH, int h);

/* The same two head functions in row blocks of ATT_BLOCK queries through
 * CBLAS sgemm (attention_blas.c) when the library has a BLAS, the loops above
 * otherwise: per block, the scores q·kᵀ/√hs over the keys the block can see,
 * the row softmax as above, and att·v; backward, per block, datt = dout·vᵀ,
 * dv += attᵀ·dout, the softmax backward per row, dq += dscore·k and
 * dk += dscoreᵀ·q. What parallel.c runs; the loops above stay the reference
 * (tests, fuzzers and the proofs of the whole-batch functions use them).
 * Backward needs ATT_BLOCK·T floats of scratch. */
#define ATT_BLOCK 64

/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_out: lnf_writable(out, T*C) && lnf_writable(att, NH*T*T);
  @ requires readable: lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(out + (0 .. T*C-1), att + (0 .. NH*T*T-1),
  @                                q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns out[0 .. T*C-1], att[h*T*T .. (h+1)*T*T-1], errno;
  @*/
void attention_forward_head_blocked(float *out, float *att,
                                    const float *q, const float *k, const float *v,
                                    int T, int C, int NH, int h);

/*@ requires sizes: 0 < T && 0 < NH && 0 < C && C % NH == 0 &&
  @                 lnf_fits_int(T * C) && lnf_fits_int(NH * T * T) &&
  @                 lnf_fits_int(ATT_BLOCK * T);
  @ requires head: 0 <= h < NH;
  @ requires valid_grads: lnf_writable(dq, T*C) && lnf_writable(dk, T*C) &&
  @                       lnf_writable(dv, T*C) && lnf_writable(scratch, ATT_BLOCK*T);
  @ requires readable: lnf_readable(dout, T*C) && lnf_readable(att, NH*T*T) &&
  @                    lnf_readable(q, T*C) && lnf_readable(k, T*C) && lnf_readable(v, T*C);
  @ requires separated: \separated(dq + (0 .. T*C-1), dk + (0 .. T*C-1), dv + (0 .. T*C-1),
  @                     scratch + (0 .. ATT_BLOCK*T-1), dout + (0 .. T*C-1),
  @                     att + (0 .. NH*T*T-1),
  @                     q + (0 .. T*C-1), k + (0 .. T*C-1), v + (0 .. T*C-1));
  @ assigns dq[0 .. T*C-1], dk[0 .. T*C-1], dv[0 .. T*C-1], scratch[0 .. ATT_BLOCK*T-1];
  @*/
void attention_backward_head_blocked(float *dq, float *dk, float *dv, float *scratch,
                                     const float *dout, const float *att,
                                     const float *q, const float *k, const float *v,
                                     int T, int C, int NH, int h);

#endif
