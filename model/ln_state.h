/* ln_state: which LayerNorm sites are real and which frozen, with their σ.
 *
 * Sites per layer l: h.l.ln1qk (feeds q and k), h.l.ln1v (feeds v), h.l.ln2;
 * plus lnf. A frozen site divides by a constant σ chosen per token: sigma_bos
 * at position 0 while the BOS special phase is on; sigma_eot for EOT tokens
 * while the EOT phase is on and the site's kind takes part in it; else sigma.
 * Stored as lnfree.json in the model directory (absent = every site real). */
#ifndef LNFREE_MODEL_LN_STATE_H
#define LNFREE_MODEL_LN_STATE_H

#include <stdint.h>
#include "base/error.h"
#include "kernels/layernorm.h"

typedef enum { SITE_LN1QK = 0, SITE_LN1V = 1, SITE_LN2 = 2, SITE_LNF = 3, SITE_KINDS = 4 } site_kind;

typedef struct {
    int frozen;
    float sigma[LN_SCALE_CLASSES]; /* indexed by LN_SCALE_AVG, _BOS, _EOT */
} ln_site;

typedef struct {
    int n_layer;
    int special_bos;
    int special_eot;
    int eot_kind[SITE_KINDS]; /* does this kind use sigma_eot (while special_eot) */
    int n_sites;              /* 3·L + 1 */
    ln_site *sites;           /* [l·3 + kind] for kinds ln1qk, ln1v, ln2; [3L] is lnf */
} ln_state;

/* Every site real, both special phases on, EOT special on the v path only. */
int ln_state_init(ln_state *st, int n_layer, lnf_error *err);
void ln_state_free(ln_state *st);

int ln_site_index(const ln_state *st, int layer, site_kind kind);
site_kind ln_site_kind_of(const ln_state *st, int index);
/* The layer of an ln1qk, ln1v or ln2 site; -1 for lnf. */
int ln_site_layer(const ln_state *st, int index);
/* "h.3.ln1v", "lnf": writes into buf (≥ 32 bytes). */
void ln_site_name(const ln_state *st, int index, char *buf, int buflen);
const char *ln_site_kind_name(site_kind kind);

int ln_state_all_real(const ln_state *st);

/* Reads lnfree.json at path; a missing file means every site real. Validates
 * format, version, site names, modes and σ (finite and positive). */
int ln_state_load(ln_state *st, int n_layer, const char *path, lnf_error *err);
int ln_state_save(const ln_state *st, const char *path, lnf_error *err);

/* The token-class rule, the one place it is written: LN_SCALE_BOS for
 * position 0 while bos_on, else LN_SCALE_EOT for the EOT token while eot_on,
 * else LN_SCALE_AVG. With both on it is the class a token has by identity,
 * which σ is measured over and the auxiliary loss calls ordinary (AVG). */
int ln_token_class(int position, int token, int eot_token, int bos_on, int eot_on);

/* The scale class of each of the B·T tokens for sites of the given kind,
 * under the state's special phases. */
void ln_state_scale_classes(const ln_state *st, site_kind kind, const int *tokens,
                            int B, int T, int eot_token, uint8_t *classes);

/* Freezes site with its σ per class (indexed by LN_SCALE_AVG, _BOS, _EOT);
 * fails, naming the site, the class and the bound, unless every σ lies in
 * [LN_FIXED_MIN_SCALE, LN_FIXED_MAX_SCALE], the domain where the fixed-scale
 * LayerNorm is proven finite. */
int ln_state_freeze(ln_state *st, int site, const float sigma[LN_SCALE_CLASSES], lnf_error *err);

typedef enum { LN_SPECIAL_BOS, LN_SPECIAL_EOT } ln_special;

/* Ends a special phase: from now on that class uses the site's s.avg. */
void ln_state_end_special(ln_state *st, ln_special which);

/* Which site kinds use sigma_eot while the EOT phase is on. */
void ln_state_set_eot_kinds(ln_state *st, const int eot_kind[SITE_KINDS]);

#endif
