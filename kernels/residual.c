/* residual: elementwise add, forward and backward. */
#include "kernels/residual.h"

void residual_forward(float *out, const float *a, const float *b, int N)
{
    /*@ loop invariant 0 <= i <= N;
      @ loop invariant done: \forall integer j; 0 <= j < i ==> out[j] == a[j] + b[j];
      @ loop assigns i, out[0 .. N-1];
      @ loop variant N - i;
      @*/
    for (int i = 0; i < N; i++) {
        out[i] = a[i] + b[i];
    }
}

void residual_backward(float *da, float *db, const float *dout, int N)
{
    /*@ loop invariant 0 <= i <= N;
      @ loop invariant done_a: \forall integer j; 0 <= j < i ==> da[j] == \at(da[j], Pre) + dout[j];
      @ loop invariant done_b: \forall integer j; 0 <= j < i ==> db[j] == \at(db[j], Pre) + dout[j];
      @ loop invariant todo_a: \forall integer j; i <= j < N ==> da[j] == \at(da[j], Pre);
      @ loop invariant todo_b: \forall integer j; i <= j < N ==> db[j] == \at(db[j], Pre);
      @ loop assigns i, da[0 .. N-1], db[0 .. N-1];
      @ loop variant N - i;
      @*/
    for (int i = 0; i < N; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}
