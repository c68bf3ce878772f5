/* residual: out = a + b elementwise; backward da += dout, db += dout. */
#ifndef LNFREE_KERNELS_RESIDUAL_H
#define LNFREE_KERNELS_RESIDUAL_H

/*@ requires 0 < N;
  @ requires \valid(out + (0 .. N-1));
  @ requires \valid_read(a + (0 .. N-1));
  @ requires \valid_read(b + (0 .. N-1));
  @ requires \separated(out + (0 .. N-1), a + (0 .. N-1));
  @ requires \separated(out + (0 .. N-1), b + (0 .. N-1));
  @ assigns out[0 .. N-1];
  @ ensures sum: \forall integer i; 0 <= i < N ==> out[i] == a[i] + b[i];
  @*/
void residual_forward(float *out, const float *a, const float *b, int N);

/*@ requires 0 < N;
  @ requires \valid(da + (0 .. N-1));
  @ requires \valid(db + (0 .. N-1));
  @ requires \valid_read(dout + (0 .. N-1));
  @ requires \separated(da + (0 .. N-1), db + (0 .. N-1), dout + (0 .. N-1));
  @ assigns da[0 .. N-1], db[0 .. N-1];
  @ ensures accumulate_a: \forall integer i; 0 <= i < N ==> da[i] == \old(da[i]) + dout[i];
  @ ensures accumulate_b: \forall integer i; 0 <= i < N ==> db[i] == \old(db[i]) + dout[i];
  @*/
void residual_backward(float *da, float *db, const float *dout, int N);

#endif
