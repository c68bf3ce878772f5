/* matmul: the linear layer, out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC].
 *
 * weight is [OC,C] (out × in, row-major, as torch.nn.Linear and llm.c): each
 * output is a contiguous dot product, and the tied unembedding wte [V,C] is a
 * weight as it stands. HF's Conv1D tensors (in × out) are transposed at load
 * and save. Two implementations share one interface and one contract: the
 * plain loops (`_ref`, the ones Frama-C proves) and matmul_forward /
 * matmul_backward, which call CBLAS sgemm when the library is built with a
 * BLAS and the loops otherwise. Backward accumulates (+=) into dinp, dweight
 * and dbias; the caller zeroes them. bias and dbias may be NULL (no bias). */
#ifndef LNFREE_KERNELS_MATMUL_H
#define LNFREE_KERNELS_MATMUL_H

#include "kernels/dot_spec.h"
#include "kernels/spec.h"

/*@ predicate matmul_sizes(integer N, integer C, integer OC) =
  @   0 < N && 0 < C && 0 < OC &&
  @   lnf_fits_int(N * C) && lnf_fits_int(OC * C) && lnf_fits_int(N * OC);
  @
  @ // the forward's arguments: out written, the rest read, out apart from them
  @ predicate matmul_forward_args(float *out, float *inp, float *weight, float *bias,
  @                               integer N, integer C, integer OC) =
  @   matmul_sizes(N, C, OC) &&
  @   lnf_writable(out, N * OC) && lnf_readable(inp, N * C) && lnf_readable(weight, OC * C) &&
  @   (bias == \null || lnf_readable(bias, OC)) &&
  @   lnf_apart(out, N * OC, inp, N * C) && lnf_apart(out, N * OC, weight, OC * C) &&
  @   (bias == \null || lnf_apart(out, N * OC, bias, OC));
  @
  @ // out[n][o] in state P, for the row of inp at x0 = n·C: bias[o] (0
  @ // without a bias) + Σ_c inp[x0 + c]·weight[o·C + c]
  @ logic real matmul_forward_row_at{P}(float *inp, integer x0, float *weight, float *bias,
  @                                     integer C, integer o) =
  @   (bias == \null ? 0.0 : bias[o]) + lnf_dot(inp, x0, 1, weight, o * C, 1, C);
  @ logic real matmul_forward_at{P}(float *inp, float *weight, float *bias, integer C,
  @                                 integer n, integer o) =
  @   matmul_forward_row_at(inp, n * C, weight, bias, C, o);
  @
  @ // element k of out [N, OC] in state L is the forward of the inputs in state P
  @ predicate matmul_forward_value{L, P}(float *out, float *inp, float *weight, float *bias,
  @                                      integer C, integer OC, integer k) =
  @   \at(out[k], L) == matmul_forward_at{P}(inp, weight, bias, C, k / OC, k % OC);
  @
  @ // flat index k of [N, OC] lies in the block of rows n0 .. n1-1, columns o0 .. o1-1
  @ predicate matmul_in_block(integer k, integer OC, integer n0, integer n1,
  @                           integer o0, integer o1) =
  @   n0 * OC <= k < n1 * OC && o0 <= k % OC < o1;
  @
  @ // what the backward adds to dinp[n][c] and to dweight[o][c], in state P:
  @ // Σ_o dout[n][o]·weight[o][c] and Σ_n dout[n][o]·inp[n][c]
  @ logic real matmul_dinp_at{P}(float *dout, float *weight, integer C, integer OC,
  @                              integer n, integer c) =
  @   lnf_dot(dout, n * OC, 1, weight, c, C, OC);
  @ logic real matmul_dweight_at{P}(float *dout, float *inp, integer N, integer C, integer OC,
  @                                 integer o, integer c) =
  @   lnf_dot(dout, o, OC, inp, c, C, N);
  @
  @ // what the backward adds to dbias[o], in state P: Σ_n dout[n][o]
  @ logic real matmul_dbias_at{P}(float *dout, integer N, integer OC, integer o) =
  @   lnf_sum(dout, o, OC, N);
  @
  @ // element k of dinp [N, C] in state L is its value in state P plus the
  @ // backward of the inputs in state P; the same for dweight [OC, C]
  @ predicate matmul_dinp_value{L, P}(float *dinp, float *dout, float *weight,
  @                                   integer C, integer OC, integer k) =
  @   \at(dinp[k], L) == \at(dinp[k], P) + matmul_dinp_at{P}(dout, weight, C, OC, k / C, k % C);
  @ predicate matmul_dweight_value{L, P}(float *dweight, float *dout, float *inp,
  @                                      integer N, integer C, integer OC, integer k) =
  @   \at(dweight[k], L) == \at(dweight[k], P) +
  @                         matmul_dweight_at{P}(dout, inp, N, C, OC, k / C, k % C);
  @
  @ // the backward's arguments: the three gradients written, apart from
  @ // each other and from what is read
  @ predicate matmul_backward_args(float *dinp, float *dweight, float *dbias, float *dout,
  @                                float *inp, float *weight, integer N, integer C, integer OC) =
  @   matmul_sizes(N, C, OC) &&
  @   lnf_writable(dinp, N * C) && lnf_writable(dweight, OC * C) &&
  @   (dbias == \null || lnf_writable(dbias, OC)) &&
  @   lnf_readable(dout, N * OC) && lnf_readable(inp, N * C) && lnf_readable(weight, OC * C) &&
  @   \separated(dinp + (0 .. N*C-1), dweight + (0 .. OC*C-1),
  @              dout + (0 .. N*OC-1), inp + (0 .. N*C-1), weight + (0 .. OC*C-1)) &&
  @   \separated(dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1), inp + (0 .. N*C-1)) &&
  @   (dbias == \null || \separated(dbias + (0 .. OC-1), dinp + (0 .. N*C-1),
  @                                 dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1)));
  @*/

/*@ requires args: matmul_forward_args(out, inp, weight, bias, N, C, OC);
  @ assigns out[0 .. N*OC-1];
  @ ensures value: \forall integer k; 0 <= k < N*OC ==>
  @   matmul_forward_value{Post, Pre}(out, inp, weight, bias, C, OC, k);
  @*/
void matmul_forward_ref(float *out, const float *inp, const float *weight,
                        const float *bias, int N, int C, int OC);

/*@ requires args: matmul_backward_args(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
  @ assigns dinp[0 .. N*C-1], dweight[0 .. OC*C-1], dbias[0 .. OC-1];
  @ ensures dinp: \forall integer k; 0 <= k < N*C ==>
  @   matmul_dinp_value{Post, Pre}(dinp, dout, weight, C, OC, k);
  @ ensures dweight: \forall integer k; 0 <= k < OC*C ==>
  @   matmul_dweight_value{Post, Pre}(dweight, dout, inp, N, C, OC, k);
  @ ensures dbias: dbias != \null ==> \forall integer o; 0 <= o < OC ==>
  @   dbias[o] == \old(dbias[o]) + matmul_dbias_at{Pre}(dout, N, OC, o);
  @*/
void matmul_backward_ref(float *dinp, float *dweight, float *dbias,
                         const float *dout, const float *inp, const float *weight,
                         int N, int C, int OC);

/* The _ref pair's contracts; BLAS-backed when built with one. Through
 * sgemm they rest on cblas_sgemm's assumed contract (verify/stubs/cblas.h). */
/*@ requires args: matmul_forward_args(out, inp, weight, bias, N, C, OC);
  @ assigns out[0 .. N*OC-1];
  @ ensures value: \forall integer k; 0 <= k < N*OC ==>
  @   matmul_forward_value{Post, Pre}(out, inp, weight, bias, C, OC, k);
  @*/
void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC);

/*@ requires args: matmul_backward_args(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
  @ assigns dinp[0 .. N*C-1], dweight[0 .. OC*C-1], dbias[0 .. OC-1];
  @ ensures dinp: \forall integer k; 0 <= k < N*C ==>
  @   matmul_dinp_value{Post, Pre}(dinp, dout, weight, C, OC, k);
  @ ensures dweight: \forall integer k; 0 <= k < OC*C ==>
  @   matmul_dweight_value{Post, Pre}(dweight, dout, inp, N, C, OC, k);
  @ ensures dbias: dbias != \null ==> \forall integer o; 0 <= o < OC ==>
  @   dbias[o] == \old(dbias[o]) + matmul_dbias_at{Pre}(dout, N, OC, o);
  @*/
void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC);

/* Blocks of the same products, for the parallel driver (kernels/parallel.h),
 * which splits each product into blocks whose bounds depend on the sizes
 * only and computes each block on one thread: every output element is then
 * computed by the same code in the same order whatever the thread count.
 * Each block reduces over the whole inner dimension in one call.
 *   forward: out[n][o] = bias[o] + Σ_c inp[n][c]·weight[o][c], n0 ≤ n < n1, o0 ≤ o < o1
 *   dinp:    dinp[n][c] += Σ_o dout[n][o]·weight[o][c],         n0 ≤ n < n1, c0 ≤ c < c1
 *   dweight: dweight[o][c] += Σ_n dout[n][o]·inp[n][c],         o0 ≤ o < o1, c0 ≤ c < c1
 *   dbias:   dbias[o] += Σ_n dout[n][o],                         o0 ≤ o < o1
 * Without a BLAS they are the _ref loops restricted to the block (the same
 * values bit for bit). */
/*@ requires args: matmul_forward_args(out, inp, weight, bias, N, C, OC);
  @ requires block: 0 <= n0 < n1 <= N && 0 <= o0 < o1 <= OC;
  @ assigns out[n0*OC .. n1*OC-1];
  @ ensures value: \forall integer k; matmul_in_block(k, OC, n0, n1, o0, o1) ==>
  @   matmul_forward_value{Post, Pre}(out, inp, weight, bias, C, OC, k);
  @ ensures kept: \forall integer k; n0*OC <= k < n1*OC && !matmul_in_block(k, OC, n0, n1, o0, o1) ==>
  @   out[k] == \old(out[k]);
  @*/
void matmul_forward_block(float *out, const float *inp, const float *weight,
                          const float *bias, int N, int C, int OC,
                          int n0, int n1, int o0, int o1);

/*@ requires sizes: matmul_sizes(N, C, OC);
  @ requires block: 0 <= n0 < n1 <= N && 0 <= c0 < c1 <= C;
  @ requires valid_dinp: lnf_writable(dinp, N * C);
  @ requires readable: lnf_readable(dout, N * OC) && lnf_readable(weight, OC * C);
  @ requires separated: \separated(dinp + (0 .. N*C-1), dout + (0 .. N*OC-1),
  @                                weight + (0 .. OC*C-1));
  @ assigns dinp[n0*C .. n1*C-1];
  @ ensures value: \forall integer k; matmul_in_block(k, C, n0, n1, c0, c1) ==>
  @   matmul_dinp_value{Post, Pre}(dinp, dout, weight, C, OC, k);
  @ ensures kept: \forall integer k; n0*C <= k < n1*C && !matmul_in_block(k, C, n0, n1, c0, c1) ==>
  @   dinp[k] == \old(dinp[k]);
  @*/
void matmul_backward_dinp_block(float *dinp, const float *dout, const float *weight,
                                int N, int C, int OC, int n0, int n1, int c0, int c1);

/*@ requires sizes: matmul_sizes(N, C, OC);
  @ requires block: 0 <= o0 < o1 <= OC && 0 <= c0 < c1 <= C;
  @ requires valid_dweight: lnf_writable(dweight, OC * C);
  @ requires readable: lnf_readable(dout, N * OC) && lnf_readable(inp, N * C);
  @ requires separated: \separated(dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1),
  @                                inp + (0 .. N*C-1));
  @ assigns dweight[o0*C .. o1*C-1];
  @ ensures value: \forall integer k; matmul_in_block(k, C, o0, o1, c0, c1) ==>
  @   matmul_dweight_value{Post, Pre}(dweight, dout, inp, N, C, OC, k);
  @ ensures kept: \forall integer k; o0*C <= k < o1*C && !matmul_in_block(k, C, o0, o1, c0, c1) ==>
  @   dweight[k] == \old(dweight[k]);
  @*/
void matmul_backward_dweight_block(float *dweight, const float *dout, const float *inp,
                                   int N, int C, int OC, int o0, int o1, int c0, int c1);

/* The blocks as plain loops (matmul.c), with the same requirements: what the
 * blocks run without a BLAS, and what the _ref functions run over the whole
 * product. Each states what it computes over the reals: every element of the
 * block is bias + inp·Wᵀ (forward), or its entry value plus dout·W (dinp) or
 * doutᵀ·inp (dweight); every other element of the block's rows keeps its
 * value. */
/*@ requires args: matmul_forward_args(out, inp, weight, bias, N, C, OC);
  @ requires block: 0 <= n0 < n1 <= N && 0 <= o0 < o1 <= OC;
  @ assigns out[n0*OC .. n1*OC-1];
  @ ensures value: \forall integer k; matmul_in_block(k, OC, n0, n1, o0, o1) ==>
  @   matmul_forward_value{Post, Pre}(out, inp, weight, bias, C, OC, k);
  @ ensures kept: \forall integer k; n0*OC <= k < n1*OC && !matmul_in_block(k, OC, n0, n1, o0, o1) ==>
  @   out[k] == \old(out[k]);
  @*/
void matmul_forward_block_ref(float *out, const float *inp, const float *weight,
                              const float *bias, int N, int C, int OC,
                              int n0, int n1, int o0, int o1);

/*@ requires sizes: matmul_sizes(N, C, OC);
  @ requires block: 0 <= n0 < n1 <= N && 0 <= c0 < c1 <= C;
  @ requires valid_dinp: lnf_writable(dinp, N * C);
  @ requires readable: lnf_readable(dout, N * OC) && lnf_readable(weight, OC * C);
  @ requires separated: \separated(dinp + (0 .. N*C-1), dout + (0 .. N*OC-1),
  @                                weight + (0 .. OC*C-1));
  @ assigns dinp[n0*C .. n1*C-1];
  @ ensures value: \forall integer k; matmul_in_block(k, C, n0, n1, c0, c1) ==>
  @   matmul_dinp_value{Post, Pre}(dinp, dout, weight, C, OC, k);
  @ ensures kept: \forall integer k; n0*C <= k < n1*C && !matmul_in_block(k, C, n0, n1, c0, c1) ==>
  @   dinp[k] == \old(dinp[k]);
  @*/
void matmul_backward_dinp_block_ref(float *dinp, const float *dout, const float *weight,
                                    int N, int C, int OC, int n0, int n1, int c0, int c1);

/*@ requires sizes: matmul_sizes(N, C, OC);
  @ requires block: 0 <= o0 < o1 <= OC && 0 <= c0 < c1 <= C;
  @ requires valid_dweight: lnf_writable(dweight, OC * C);
  @ requires readable: lnf_readable(dout, N * OC) && lnf_readable(inp, N * C);
  @ requires separated: \separated(dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1),
  @                                inp + (0 .. N*C-1));
  @ assigns dweight[o0*C .. o1*C-1];
  @ ensures value: \forall integer k; matmul_in_block(k, C, o0, o1, c0, c1) ==>
  @   matmul_dweight_value{Post, Pre}(dweight, dout, inp, N, C, OC, k);
  @ ensures kept: \forall integer k; o0*C <= k < o1*C && !matmul_in_block(k, C, o0, o1, c0, c1) ==>
  @   dweight[k] == \old(dweight[k]);
  @*/
void matmul_backward_dweight_block_ref(float *dweight, const float *dout, const float *inp,
                                       int N, int C, int OC, int o0, int o1, int c0, int c1);

/*@ requires sizes: 0 < N && 0 < OC && lnf_fits_int(N * OC);
  @ requires block: 0 <= o0 < o1 <= OC;
  @ requires valid_dbias: lnf_writable(dbias, OC);
  @ requires readable: lnf_readable(dout, N * OC);
  @ requires separated: lnf_apart(dbias, OC, dout, N * OC);
  @ assigns dbias[o0 .. o1-1];
  @ ensures value: \forall integer o; o0 <= o < o1 ==>
  @   dbias[o] == \old(dbias[o]) + matmul_dbias_at{Pre}(dout, N, OC, o);
  @*/
void matmul_backward_dbias_block(float *dbias, const float *dout, int N, int OC, int o0, int o1);

/* Which implementation matmul_forward/backward use: "openblas", "reference" or "none". */
/*@ assigns \nothing; */
const char *matmul_backend(void);

#endif
