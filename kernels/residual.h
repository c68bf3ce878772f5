/* residual: out = a + b elementwise; backward da += dout, db += dout. */
#ifndef LNFREE_KERNELS_RESIDUAL_H
#define LNFREE_KERNELS_RESIDUAL_H

#include "kernels/spec.h"

/*@ requires size: 0 < N;
  @ requires valid_out: lnf_writable(out, N);
  @ requires readable: lnf_readable(a, N) && lnf_readable(b, N);
  @ requires separated: lnf_apart(out, N, a, N) && lnf_apart(out, N, b, N);
  @ assigns out[0 .. N-1];
  @ ensures sum: \forall integer i; 0 <= i < N ==> out[i] == a[i] + b[i];
  @*/
void residual_forward(float *out, const float *a, const float *b, int N);

/*@ requires size: 0 < N;
  @ requires valid_grads: lnf_writable(da, N) && lnf_writable(db, N);
  @ requires readable_dout: lnf_readable(dout, N);
  @ requires separated: \separated(da + (0 .. N-1), db + (0 .. N-1), dout + (0 .. N-1));
  @ assigns da[0 .. N-1], db[0 .. N-1];
  @ ensures accumulate_a: \forall integer i; 0 <= i < N ==> da[i] == \old(da[i]) + dout[i];
  @ ensures accumulate_b: \forall integer i; 0 <= i < N ==> db[i] == \old(db[i]) + dout[i];
  @*/
void residual_backward(float *da, float *db, const float *dout, int N);

#endif
