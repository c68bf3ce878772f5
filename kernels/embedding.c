/* embedding: token plus position embeddings, forward and backward. One pass
 * over the rows r of [B·T, C] (r = b·T + t, position t = r % T), in order.
 *
 * The row helpers take the whole arrays and the rows' flat offsets, and their
 * contracts quantify over the flat index k: the provers then match each fact
 * on k itself (kernels/flat_index.h says why). */
#include "kernels/embedding.h"
#include "kernels/flat_index.h"
#include "kernels/index.h"

/* out[x0 + i] = wte[te0 + i] + wpe[pe0 + i], i < C: one row of the forward */
/*@ requires size: 0 < C && 0 <= x0 && 0 <= te0 && 0 <= pe0;
  @ requires fits_int: lnf_fits_int(x0 + C) && lnf_fits_int(te0 + C) && lnf_fits_int(pe0 + C);
  @ requires valid: lnf_writable(out + x0, C) && lnf_readable(wte + te0, C) &&
  @                 lnf_readable(wpe + pe0, C);
  @ requires separated: lnf_apart(out + x0, C, wte + te0, C) && lnf_apart(out + x0, C, wpe + pe0, C);
  @ assigns out[x0 .. x0 + C-1];
  @ ensures sum: \forall integer k; x0 <= k < x0 + C ==>
  @   out[k] == \old(wte[te0 + k - x0] + wpe[pe0 + k - x0]);
  @*/
static void embedding_row(float *out, int x0, const float *wte, int te0, const float *wpe,
                          int pe0, int C)
{
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant sum: \forall integer k; x0 <= k < x0 + i ==>
      @   out[k] == \at(wte[te0 + k - x0] + wpe[pe0 + k - x0], Pre);
      @ loop assigns i, out[x0 .. x0 + C-1];
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        out[x0 + i] = wte[te0 + i] + wpe[pe0 + i];
    }
}

void embedding_forward(float *out, const int *tokens, const float *wte, const float *wpe,
                       int B, int T, int C, int V, int maxT)
{
    int N = B * T;
    /*@ loop invariant 0 <= r <= N;
      @ loop invariant done: \forall integer k; 0 <= k < r * C ==>
      @   embedding_value{Here, Pre}(out, tokens, wte, wpe, T, C, k);
      @ loop assigns r, out[0 .. N*C-1];
      @ loop variant N - r;
      @*/
    for (int r = 0; r < N; r++) {
        int t = r % T;
        int off = lnf_row_offset(r, N, C);
        int te0 = lnf_row_offset(tokens[r], V, C);
        int pe0 = lnf_row_offset(t, maxT, C);
        /* the tables are those of entry: only out was written */
        /*@ assert same_tables: \forall integer k; off <= k < off + C ==>
          @   wte[te0 + k - off] == lnf_at{Pre}(wte + (te0 + k - off)) &&
          @   wpe[pe0 + k - off] == lnf_at{Pre}(wpe + (pe0 + k - off));
          @*/
        embedding_row(out, off, wte, te0, wpe, pe0, C);
        lnf_flat_row_facts(r, C);
        /*@ assert new_row: \forall integer k; off <= k < off + C ==>
          @   embedding_value{Here, Pre}(out, tokens, wte, wpe, T, C, k);
          @*/
        /*@ assert old_rows: \forall integer k; 0 <= k < off ==>
          @   embedding_value{Here, Pre}(out, tokens, wte, wpe, T, C, k);
          @*/
    }
}

/* table[j·C + i] += dout[g0 + i], i < C: adds one row of dout into row j of a
 * table [rows, C] (a row of the backward, for dwte and for dwpe) */
/*@ requires size: 0 < C && 0 <= j < rows && lnf_fits_int(rows * C);
  @ requires row: 0 <= g0 && lnf_fits_int(g0 + C);
  @ requires valid: lnf_writable(table, rows * C) && lnf_readable(dout + g0, C);
  @ requires separated: lnf_apart(table, rows * C, dout + g0, C);
  @ assigns table[0 .. rows*C-1];
  @ ensures row_added: \forall integer k; 0 <= k < rows * C ==>
  @   table[k] == \old(table[k]) + (k / C == j ? \old(dout[g0 + k % C]) : 0.0);
  @*/
static void embedding_add_row(float *table, int rows, int j, const float *dout, int g0, int C)
{
    int x0 = lnf_row_offset(j, rows, C);
    /*@ loop invariant 0 <= i <= C;
      @ loop invariant added: \forall integer k; x0 <= k < x0 + i ==>
      @   table[k] == \at(table[k], Pre) + lnf_at{Pre}(dout + (g0 + k - x0));
      @ loop invariant rest: \forall integer k; 0 <= k < rows * C && !(x0 <= k < x0 + i) ==>
      @   table[k] == \at(table[k], Pre);
      @ loop assigns i, table[x0 .. x0 + C-1];
      @ loop variant C - i;
      @*/
    for (int i = 0; i < C; i++) {
        table[x0 + i] += dout[g0 + i];
    }
    lnf_flat_row_iff(j, C, rows * C);
}

void embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                        int B, int T, int C, int V, int maxT)
{
    int N = B * T;
    /* two passes, one per table: each element still receives its rows in order */
    /*@ loop invariant 0 <= r <= N;
      @ loop invariant token_rows: \forall integer k; 0 <= k < V*C ==>
      @   dwte[k] == \at(dwte[k], Pre) + embedding_token_sum{Pre}(dout, tokens, C, r, k / C, k % C);
      @ loop assigns r, dwte[0 .. V*C-1];
      @ loop variant N - r;
      @*/
    for (int r = 0; r < N; r++) {
        embedding_add_row(dwte, V, tokens[r], dout, lnf_row_offset(r, N, C), C);
    }
    /*@ loop invariant 0 <= r <= N;
      @ loop invariant position_rows: \forall integer k; 0 <= k < maxT*C ==>
      @   dwpe[k] == \at(dwpe[k], Pre) + embedding_position_sum{Pre}(dout, T, C, r, k / C, k % C);
      @ loop assigns r, dwpe[0 .. maxT*C-1];
      @ loop variant N - r;
      @*/
    for (int r = 0; r < N; r++) {
        embedding_add_row(dwpe, maxT, r % T, dout, lnf_row_offset(r, N, C), C);
    }
}
