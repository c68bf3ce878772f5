/* matmul: the linear layer, out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC].
 *
 * weight is [OC,C] (out × in, row-major, as torch.nn.Linear and llm.c): each
 * output is a contiguous dot product, and the tied unembedding wte [V,C] is a
 * weight as it stands. HF's Conv1D tensors (in × out) are transposed at load
 * and save. Two implementations share one interface: the plain loops (`_ref`,
 * the ones Frama-C proves) and matmul_forward/matmul_backward, which call CBLAS
 * sgemm when the library is built with a BLAS and the loops otherwise.
 * Backward accumulates (+=) into dinp, dweight and dbias; the caller zeroes them.
 * bias and dbias may be NULL (no bias). */
#ifndef LNFREE_KERNELS_MATMUL_H
#define LNFREE_KERNELS_MATMUL_H

/*@ requires 0 < N && 0 < C && 0 < OC;
  @ requires N * C <= 0x7fffffff && OC * C <= 0x7fffffff && N * OC <= 0x7fffffff;
  @ requires \valid(out + (0 .. N*OC-1));
  @ requires \valid_read(inp + (0 .. N*C-1));
  @ requires \valid_read(weight + (0 .. OC*C-1));
  @ requires bias == \null || \valid_read(bias + (0 .. OC-1));
  @ requires \separated(out + (0 .. N*OC-1), inp + (0 .. N*C-1));
  @ requires \separated(out + (0 .. N*OC-1), weight + (0 .. OC*C-1));
  @ requires bias == \null || \separated(out + (0 .. N*OC-1), bias + (0 .. OC-1));
  @ assigns out[0 .. N*OC-1];
  @*/
void matmul_forward_ref(float *out, const float *inp, const float *weight,
                        const float *bias, int N, int C, int OC);

/*@ requires 0 < N && 0 < C && 0 < OC;
  @ requires N * C <= 0x7fffffff && OC * C <= 0x7fffffff && N * OC <= 0x7fffffff;
  @ requires \valid(dinp + (0 .. N*C-1));
  @ requires \valid(dweight + (0 .. OC*C-1));
  @ requires dbias == \null || \valid(dbias + (0 .. OC-1));
  @ requires \valid_read(dout + (0 .. N*OC-1));
  @ requires \valid_read(inp + (0 .. N*C-1));
  @ requires \valid_read(weight + (0 .. OC*C-1));
  @ requires \separated(dinp + (0 .. N*C-1), dweight + (0 .. OC*C-1),
  @                     dout + (0 .. N*OC-1), inp + (0 .. N*C-1), weight + (0 .. OC*C-1));
  @ requires \separated(dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1), inp + (0 .. N*C-1));
  @ requires dbias == \null || \separated(dbias + (0 .. OC-1), dinp + (0 .. N*C-1),
  @                     dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1));
  @ assigns dinp[0 .. N*C-1], dweight[0 .. OC*C-1], dbias[0 .. OC-1];
  @*/
void matmul_backward_ref(float *dinp, float *dweight, float *dbias,
                         const float *dout, const float *inp, const float *weight,
                         int N, int C, int OC);

/* Same contracts as the _ref pair; BLAS-backed when built with one. */
/*@ requires 0 < N && 0 < C && 0 < OC;
  @ requires N * C <= 0x7fffffff && OC * C <= 0x7fffffff && N * OC <= 0x7fffffff;
  @ requires \valid(out + (0 .. N*OC-1));
  @ requires \valid_read(inp + (0 .. N*C-1));
  @ requires \valid_read(weight + (0 .. OC*C-1));
  @ requires bias == \null || \valid_read(bias + (0 .. OC-1));
  @ requires \separated(out + (0 .. N*OC-1), inp + (0 .. N*C-1));
  @ requires \separated(out + (0 .. N*OC-1), weight + (0 .. OC*C-1));
  @ requires bias == \null || \separated(out + (0 .. N*OC-1), bias + (0 .. OC-1));
  @ assigns out[0 .. N*OC-1];
  @*/
void matmul_forward(float *out, const float *inp, const float *weight,
                    const float *bias, int N, int C, int OC);

/*@ requires 0 < N && 0 < C && 0 < OC;
  @ requires N * C <= 0x7fffffff && OC * C <= 0x7fffffff && N * OC <= 0x7fffffff;
  @ requires \valid(dinp + (0 .. N*C-1));
  @ requires \valid(dweight + (0 .. OC*C-1));
  @ requires dbias == \null || \valid(dbias + (0 .. OC-1));
  @ requires \valid_read(dout + (0 .. N*OC-1));
  @ requires \valid_read(inp + (0 .. N*C-1));
  @ requires \valid_read(weight + (0 .. OC*C-1));
  @ requires \separated(dinp + (0 .. N*C-1), dweight + (0 .. OC*C-1),
  @                     dout + (0 .. N*OC-1), inp + (0 .. N*C-1), weight + (0 .. OC*C-1));
  @ requires \separated(dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1), inp + (0 .. N*C-1));
  @ requires dbias == \null || \separated(dbias + (0 .. OC-1), dinp + (0 .. N*C-1),
  @                     dweight + (0 .. OC*C-1), dout + (0 .. N*OC-1));
  @ assigns dinp[0 .. N*C-1], dweight[0 .. OC*C-1], dbias[0 .. OC-1];
  @*/
void matmul_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int N, int C, int OC);

/* Which implementation matmul_forward/backward use: "openblas", "reference" or "none". */
/*@ assigns \nothing; */
const char *matmul_backend(void);

#endif
