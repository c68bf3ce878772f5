/* matmul: the plain-C loops (the implementation Frama-C proves, and the
 * reference the BLAS path is tested and fuzzed against). Each reduction runs
 * over its index in order into one float accumulator, added once into the
 * output. */
#include "kernels/matmul.h"
#include "kernels/flat_index.h"
#include "kernels/index.h"

/* acc + Σ_{i<n} a[a0 + i·sa]·b[b0 + i·sb], the terms added in order into one float */
/*@ requires size: 0 < n && 0 < sa && 0 < sb && 0 <= a0 && 0 <= b0;
  @ requires fits_int: lnf_fits_int(n * sa) && lnf_fits_int(n * sb) &&
  @                    lnf_fits_int(a0 + (n - 1) * sa) && lnf_fits_int(b0 + (n - 1) * sb);
  @ requires readable: \valid_read(a + (a0 .. a0 + n*sa - sa)) &&
  @                    \valid_read(b + (b0 .. b0 + n*sb - sb));
  @ assigns \nothing;
  @ ensures dot: \result == acc + lnf_dot(a, a0, sa, b, b0, sb, n);
  @*/
static inline float matmul_dot(float acc, const float *a, int a0, int sa,
                               const float *b, int b0, int sb, int n)
{
    float sum = acc;
    /* for EVA: at ±1e30 a term (≤ 1e7 in the domain) rounds back to the
     * bound, so the widened sum is stable whatever n (verify/README.md) */
    /*@ widen_hints sum, -1e30, 1e30; */
    /*@ loop invariant 0 <= i <= n;
      @ loop invariant dot: sum == acc + lnf_dot_sum(a, a0, sa, b, b0, sb, i);
      @ loop assigns i, sum;
      @ loop variant n - i;
      @*/
    for (int i = 0; i < n; i++) {
        sum += a[a0 + lnf_row_offset(i, n, sa)] * b[b0 + lnf_row_offset(i, n, sb)];
    }
    return sum;
}

/* out[y0 + o] = bias[o] + Σ_c inp[x0 + c]·weight[o·C + c] for o0 ≤ o < o1:
 * the columns o0 .. o1-1 of one row of the forward */
/*@ requires sizes: 0 < C && 0 <= o0 < o1 <= OC && lnf_fits_int(OC * C);
  @ requires rows: 0 <= y0 && lnf_fits_int(y0 + OC) && 0 <= x0 && lnf_fits_int(x0 + C);
  @ requires valid: lnf_writable(out + y0, OC) && lnf_readable(inp + x0, C) &&
  @                 lnf_readable(weight, OC * C) && (bias == \null || lnf_readable(bias, OC));
  @ requires separated: lnf_apart(out + y0, OC, inp + x0, C) && lnf_apart(out + y0, OC, weight, OC * C) &&
  @                     (bias == \null || lnf_apart(out + y0, OC, bias, OC));
  @ assigns out[y0 + o0 .. y0 + o1-1];
  @ ensures row: \forall integer k; y0 + o0 <= k < y0 + o1 ==>
  @   out[k] == matmul_forward_row_at{Pre}(inp, x0, weight, bias, C, k - y0);
  @*/
static void matmul_forward_row(float *out, int y0, const float *inp, int x0,
                               const float *weight, const float *bias, int C, int OC,
                               int o0, int o1)
{
    /*@ loop invariant o0 <= o <= o1;
      @ loop invariant row: \forall integer k; y0 + o0 <= k < y0 + o ==>
      @   out[k] == matmul_forward_row_at{Pre}(inp, x0, weight, bias, C, k - y0);
      @ loop assigns o, out[y0 + o0 .. y0 + o1-1];
      @ loop variant o1 - o;
      @*/
    for (int o = o0; o < o1; o++) {
        int w0 = lnf_row_offset(o, OC, C);
        float acc = matmul_dot(bias != 0 ? bias[o] : 0.0f, inp, x0, 1, weight, w0, 1, C);
        /*@ assert same_inputs: \forall integer c; 0 <= c < C ==>
          @   inp[x0 + c] == lnf_at{Pre}(inp + (x0 + c)) &&
          @   weight[w0 + c] == lnf_at{Pre}(weight + (w0 + c));
          @*/
        /*@ assert dot_same: lnf_dot(inp, x0, 1, weight, w0, 1, C) ==
          @   lnf_dot{Pre}(inp, x0, 1, weight, w0, 1, C);
          @*/
        //@ assert acc_value: acc == matmul_forward_row_at{Pre}(inp, x0, weight, bias, C, o);
        out[y0 + o] = acc;
    }
}

void matmul_forward_block_ref(float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC,
                          int n0, int n1, int o0, int o1)
{
    int n = n0;
    /*@ loop invariant n0 <= n <= n1;
      @ loop invariant rows: \forall integer k; matmul_in_block(k, OC, n0, n, o0, o1) ==>
      @   matmul_forward_value{Here, Pre}(out, inp, weight, bias, C, OC, k);
      @ loop invariant kept: \forall integer k; n0*OC <= k < n1*OC &&
      @   !matmul_in_block(k, OC, n0, n, o0, o1) ==> out[k] == \at(out[k], Pre);
      @ loop assigns n, out[n0*OC .. n1*OC-1];
      @ loop variant n1 - n;
      @*/
    for (; n < n1; n++) {
        int x0 = lnf_row_offset(n, N, C);
        int y0 = lnf_block_row_offset(n, n0, n1, N, OC);
        /* the operands are those of entry (only out was written), so each
         * output of the row is the same function of them as at entry */
        /*@ assert same_inputs: (\forall integer c; 0 <= c < C ==>
          @     inp[x0 + c] == lnf_at{Pre}(inp + (x0 + c))) &&
          @   (\forall integer i; 0 <= i < OC * C ==> weight[i] == \at(weight[i], Pre)) &&
          @   (bias != \null ==> \forall integer o; 0 <= o < OC ==> bias[o] == \at(bias[o], Pre));
          @*/
        /*@ assert weight_rows: \forall integer o, c; o0 <= o < o1 && 0 <= c < C ==>
          @   0 <= o * C + c < OC * C;
          @*/
        /*@ assert weight_same: \forall integer o, c; o0 <= o < o1 && 0 <= c < C ==>
          @   weight[o * C + c] == \at(weight[o * C + c], Pre);
          @*/
        /*@ assert dot_same: \forall integer o; o0 <= o < o1 ==>
          @   lnf_dot(inp, x0, 1, weight, o * C, 1, C) ==
          @   lnf_dot{Pre}(inp, x0, 1, weight, o * C, 1, C);
          @*/
        /*@ assert row_same: \forall integer o; o0 <= o < o1 ==>
          @   matmul_forward_row_at(inp, x0, weight, bias, C, o) ==
          @   matmul_forward_row_at{Pre}(inp, x0, weight, bias, C, o);
          @*/
        matmul_forward_row(out, y0, inp, x0, weight, bias, C, OC, o0, o1);
        lnf_flat_row_facts(n, OC);
        /*@ assert new_row: \forall integer k; y0 + o0 <= k < y0 + o1 ==>
          @   matmul_forward_value{Here, Pre}(out, inp, weight, bias, C, OC, k);
          @*/
    }
    //@ assert at_end: n == n1;
}

/* dst[y0 + c] += Σ_{i<n} a[a0 + i·sa]·b[c + i·sb] for c0 ≤ c < c1: one row
 * of a backward accumulation, each element's dot product summed in order
 * into one float and added once. dinp's row n is a = dout's row n (a0 = n·OC,
 * sa = 1) against the columns of weight (sb = C); dweight's row o is dout's
 * column o (a0 = o, sa = OC) against the columns of inp (sb = C). */
/*@ requires sizes: 0 < n && 0 < sa && 0 <= a0 && 0 <= c0 < c1 <= sb && 0 <= y0;
  @ requires fits_int: lnf_fits_int(n * sa) && lnf_fits_int(n * sb) &&
  @                    lnf_fits_int(a0 + (n - 1) * sa) && lnf_fits_int(y0 + c1);
  @ requires valid: \valid(dst + (y0 + c0 .. y0 + c1 - 1)) &&
  @                 \valid_read(a + (a0 .. a0 + n*sa - sa)) && \valid_read(b + (0 .. n*sb - 1));
  @ requires separated: \separated(dst + (y0 + c0 .. y0 + c1 - 1), a + (a0 .. a0 + n*sa - sa)) &&
  @                     \separated(dst + (y0 + c0 .. y0 + c1 - 1), b + (0 .. n*sb - 1));
  @ assigns dst[y0 + c0 .. y0 + c1 - 1];
  @ ensures row: \forall integer k; y0 + c0 <= k < y0 + c1 ==>
  @   dst[k] == \old(dst[k]) + lnf_dot{Pre}(a, a0, sa, b, k - y0, sb, n);
  @*/
static void matmul_accumulate_row(float *dst, int y0, const float *a, int a0, int sa,
                                  const float *b, int sb, int n, int c0, int c1)
{
    /*@ loop invariant c0 <= c <= c1;
      @ loop invariant done: \forall integer k; y0 + c0 <= k < y0 + c ==>
      @   dst[k] == \at(dst[k], Pre) + lnf_dot{Pre}(a, a0, sa, b, k - y0, sb, n);
      @ loop invariant todo: \forall integer k; y0 + c <= k < y0 + c1 ==>
      @   dst[k] == \at(dst[k], Pre);
      @ loop assigns c, dst[y0 + c0 .. y0 + c1 - 1];
      @ loop variant c1 - c;
      @*/
    for (int c = c0; c < c1; c++) {
        float acc = matmul_dot(0.0f, a, a0, sa, b, c, sb, n);
        lnf_stride_facts(n, sa);
        lnf_stride_facts(n, sb);
        /*@ assert a_same: \forall integer i; 0 <= i < n ==>
          @   a[a0 + i * sa] == lnf_at{Pre}(a + (a0 + i * sa));
          @*/
        /*@ assert b_same: \forall integer i; 0 <= i < n ==>
          @   b[c + i * sb] == lnf_at{Pre}(b + (c + i * sb));
          @*/
        /*@ assert dot_same: lnf_dot(a, a0, sa, b, c, sb, n) == lnf_dot{Pre}(a, a0, sa, b, c, sb, n);
          @*/
        dst[y0 + c] += acc;
    }
}

void matmul_backward_dinp_block_ref(float *dinp, const float *dout, const float *weight,
                                int N, int C, int OC, int n0, int n1, int c0, int c1)
{
    int n = n0;
    /*@ loop invariant n0 <= n <= n1;
      @ loop invariant rows: \forall integer k; matmul_in_block(k, C, n0, n, c0, c1) ==>
      @   matmul_dinp_value{Here, Pre}(dinp, dout, weight, C, OC, k);
      @ loop invariant kept: \forall integer k; n0*C <= k < n1*C &&
      @   !matmul_in_block(k, C, n0, n, c0, c1) ==> dinp[k] == \at(dinp[k], Pre);
      @ loop assigns n, dinp[n0*C .. n1*C-1];
      @ loop variant n1 - n;
      @*/
    for (; n < n1; n++) {
        int y0 = lnf_block_row_offset(n, n0, n1, N, C);
        int g0 = lnf_row_offset(n, N, OC);
        /* dout and weight are those of entry (only dinp was written) */
        /*@ assert dout_same: \forall integer o; 0 <= o < OC ==>
          @   dout[g0 + o * 1] == lnf_at{Pre}(dout + (g0 + o * 1));
          @*/
        /*@ assert weight_cols: \forall integer o, c; 0 <= o < OC && c0 <= c < c1 ==>
          @   0 <= c + o * C < OC * C;
          @*/
        /*@ assert weight_same: \forall integer o, c; 0 <= o < OC && c0 <= c < c1 ==>
          @   weight[c + o * C] == \at(weight[c + o * C], Pre);
          @*/
        /*@ assert dot_same: \forall integer c; c0 <= c < c1 ==>
          @   lnf_dot(dout, g0, 1, weight, c, C, OC) == lnf_dot{Pre}(dout, g0, 1, weight, c, C, OC);
          @*/
        matmul_accumulate_row(dinp, y0, dout, g0, 1, weight, C, OC, c0, c1);
        lnf_flat_row_facts(n, C);
        /*@ assert new_row: \forall integer k; y0 + c0 <= k < y0 + c1 ==>
          @   matmul_dinp_value{Here, Pre}(dinp, dout, weight, C, OC, k);
          @*/
    }
    //@ assert at_end: n == n1;
}

void matmul_backward_dweight_block_ref(float *dweight, const float *dout, const float *inp,
                                   int N, int C, int OC, int o0, int o1, int c0, int c1)
{
    int o = o0;
    /*@ loop invariant o0 <= o <= o1;
      @ loop invariant rows: \forall integer k; matmul_in_block(k, C, o0, o, c0, c1) ==>
      @   matmul_dweight_value{Here, Pre}(dweight, dout, inp, N, C, OC, k);
      @ loop invariant kept: \forall integer k; o0*C <= k < o1*C &&
      @   !matmul_in_block(k, C, o0, o, c0, c1) ==> dweight[k] == \at(dweight[k], Pre);
      @ loop assigns o, dweight[o0*C .. o1*C-1];
      @ loop variant o1 - o;
      @*/
    for (; o < o1; o++) {
        int y0 = lnf_block_row_offset(o, o0, o1, OC, C);
        /* dout and inp are those of entry (only dweight was written) */
        /*@ assert dout_rows: \forall integer i; 0 <= i < N ==> 0 <= o + i * OC < N * OC;
          @*/
        /*@ assert dout_same: \forall integer i; 0 <= i < N ==>
          @   dout[o + i * OC] == lnf_at{Pre}(dout + (o + i * OC));
          @*/
        /*@ assert inp_cols: \forall integer i, c; 0 <= i < N && c0 <= c < c1 ==>
          @   0 <= c + i * C < N * C;
          @*/
        /*@ assert inp_same: \forall integer i, c; 0 <= i < N && c0 <= c < c1 ==>
          @   inp[c + i * C] == \at(inp[c + i * C], Pre);
          @*/
        /*@ assert dot_same: \forall integer c; c0 <= c < c1 ==>
          @   lnf_dot(dout, o, OC, inp, c, C, N) == lnf_dot{Pre}(dout, o, OC, inp, c, C, N);
          @*/
        matmul_accumulate_row(dweight, y0, dout, o, OC, inp, C, N, c0, c1);
        lnf_flat_row_facts(o, C);
        /*@ assert new_row: \forall integer k; y0 + c0 <= k < y0 + c1 ==>
          @   matmul_dweight_value{Here, Pre}(dweight, dout, inp, N, C, OC, k);
          @*/
    }
    //@ assert at_end: o == o1;
}

enum { DBIAS_LANES = 64 }; /* columns of dbias summed side by side */

/* dbias[o] += Σ_n dout[n][o] for o0 ≤ o < o1, each column summed over n in
 * order into its own accumulator (the _ref order), DBIAS_LANES columns at a
 * time so that every row of dout is read contiguously. */
void matmul_backward_dbias_block(float *dbias, const float *dout, int N, int OC, int o0, int o1)
{
    int o = o0;
    /*@ loop invariant o0 <= o <= o1;
      @ loop invariant done: \forall integer k; o0 <= k < o ==>
      @   dbias[k] == \at(dbias[k], Pre) + lnf_sum_terms{Pre}(dout, k, OC, N);
      @ loop invariant todo: \forall integer k; o <= k < o1 ==> dbias[k] == \at(dbias[k], Pre);
      @ loop assigns o, dbias[o0 .. o1-1];
      @ loop variant o1 - o;
      @*/
    while (o < o1) {
        int w = o1 - o < DBIAS_LANES ? o1 - o : DBIAS_LANES;
        //@ assert width: 0 < w <= DBIAS_LANES && o + w <= o1;
        float acc[DBIAS_LANES] = {0.0f};
        /*@ widen_hints acc, -1e30, 1e30; */ /* for EVA, as matmul_dot's sum */
        /*@ loop invariant 0 <= n <= N;
          @ loop invariant sums: \forall integer j; 0 <= j < w ==>
          @   acc[j] == lnf_sum_terms{Pre}(dout, o + j, OC, n);
          @ loop assigns n, acc[0 .. DBIAS_LANES-1];
          @ loop variant N - n;
          @*/
        for (int n = 0; n < N; n++) {
            int r0 = lnf_row_offset(n, N, OC);
            const float *row = dout + r0 + o;
            /*@ loop invariant 0 <= j <= w;
              @ loop invariant added: \forall integer i; 0 <= i < j ==>
              @   acc[i] == lnf_sum_terms{Pre}(dout, o + i, OC, n + 1);
              @ loop invariant not_yet: \forall integer i; j <= i < w ==>
              @   acc[i] == lnf_sum_terms{Pre}(dout, o + i, OC, n);
              @ loop assigns j, acc[0 .. DBIAS_LANES-1];
              @ loop variant w - j;
              @*/
            for (int j = 0; j < w; j++) {
                //@ assert term: row[j] == lnf_at{Pre}(dout + (o + j + n * OC));
                /*@ assert next: lnf_sum_terms{Pre}(dout, o + j, OC, n + 1) ==
                  @   lnf_sum_terms{Pre}(dout, o + j, OC, n) + lnf_at{Pre}(dout + (o + j + n * OC));
                  @*/
                acc[j] += row[j];
                //@ assert new_sum: acc[j] == lnf_sum_terms{Pre}(dout, o + j, OC, n + 1);
            }
        }
        /*@ loop invariant 0 <= j <= w;
          @ loop invariant done: \forall integer k; o0 <= k < o + j ==>
          @   dbias[k] == \at(dbias[k], Pre) + lnf_sum_terms{Pre}(dout, k, OC, N);
          @ loop invariant todo: \forall integer k; o + j <= k < o1 ==> dbias[k] == \at(dbias[k], Pre);
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
    /* the later calls read dout and inp as they were on entry, so their dot
     * products and sums are those of entry */
    /*@ assert same_inputs: (\forall integer i; 0 <= i < N * OC ==> dout[i] == \at(dout[i], Pre)) &&
      @   (\forall integer i; 0 <= i < N * C ==> inp[i] == \at(inp[i], Pre));
      @*/
    /*@ assert dout_cols: \forall integer i, o; 0 <= i < N && 0 <= o < OC ==> 0 <= o + i * OC < N * OC;
      @*/
    /*@ assert inp_cols: \forall integer i, c; 0 <= i < N && 0 <= c < C ==> 0 <= c + i * C < N * C;
      @*/
    /*@ assert dweight_same: \forall integer o, c; 0 <= o < OC && 0 <= c < C ==>
      @   lnf_dot(dout, o, OC, inp, c, C, N) == lnf_dot{Pre}(dout, o, OC, inp, c, C, N);
      @*/
    matmul_backward_dweight_block_ref(dweight, dout, inp, N, C, OC, 0, OC, 0, C);
    /*@ assert dbias_same: \forall integer o; 0 <= o < OC ==>
      @   lnf_sum(dout, o, OC, N) == lnf_sum{Pre}(dout, o, OC, N);
      @*/
    lnf_flat_bounds(OC, C);
    /*@ assert dweight_done: \forall integer k; 0 <= k < OC*C ==>
      @   matmul_dweight_value{Here, Pre}(dweight, dout, inp, N, C, OC, k);
      @*/
    if (dbias != 0) {
        matmul_backward_dbias_block(dbias, dout, N, OC, 0, OC);
    }
}
