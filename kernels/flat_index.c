/* flat_index: the lemma functions of flat_index.h. They compile to empty
 * functions; WP proves their contracts here, from these lemmas. */
#include "kernels/flat_index.h"

/*@ lemma lnf_row_order:
  @   \forall integer a, b, w; 0 < w && a * w < b * w + w ==> a <= b;
  @ lemma lnf_flat_in_row:
  @   \forall integer k, w; 0 < w && 0 <= k ==> (k / w) * w <= k < (k / w) * w + w;
  @ lemma lnf_flat_row:
  @   \forall integer k, r, w; 0 < w && 0 <= r && 0 <= k ==>
  @     (r * w <= k < r * w + w <==> k / w == r);
  @ lemma lnf_stride_next:
  @   \forall integer i, n, s; 0 <= i < n && 0 < s ==> 0 <= i * s && i * s + s <= n * s;
  @ lemma lnf_flat_column:
  @   \forall integer k, w; 0 < w && 0 <= k ==> k % w == k - (k / w) * w;
  @*/

void lnf_flat_row_facts(int r, int w)
{
    (void)r;
    (void)w;
}

void lnf_flat_row_iff(int r, int w, int n)
{
    (void)r;
    (void)w;
    (void)n;
}

void lnf_stride_facts(int n, int s)
{
    (void)n;
    (void)s;
}

void lnf_flat_bounds(int n, int w)
{
    (void)n;
    (void)w;
}
