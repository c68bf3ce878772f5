/* Fuzz target: lnfree.json (ln_state_load).
 *
 * The fuzz bytes are the file, loaded for a 2-layer and a 13-layer model.
 * ln_state_load must fail with a message naming the file, or give a state
 * with 3L + 1 sites in which every frozen site has three σ that are finite,
 * positive float32 values that a division can use (normal: 1/σ finite), and
 * the state must survive ln_state_save → ln_state_load unchanged. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "model/ln_state.h"

static void check_same(const ln_state *a, const ln_state *b)
{
    if (a->n_sites != b->n_sites || a->special_bos != b->special_bos ||
        a->special_eot != b->special_eot || memcmp(a->eot_kind, b->eot_kind, sizeof a->eot_kind)) {
        fz_finding("ln_state round trip changed the special phases or site count");
    }
    for (int i = 0; i < a->n_sites; i++) {
        if (a->sites[i].frozen != b->sites[i].frozen ||
            (a->sites[i].frozen &&
             memcmp(a->sites[i].sigma, b->sites[i].sigma, sizeof a->sites[i].sigma) != 0)) {
            char name[32];
            ln_site_name(a, i, name, sizeof name);
            fz_finding("ln_state round trip changed site %s", name);
        }
    }
}

static void load_for(const char *path, int n_layer)
{
    ln_state st;
    lnf_error err;
    err.msg[0] = '\0';
    if (ln_state_load(&st, n_layer, path, &err) != 0) {
        if (strstr(err.msg, path) == NULL) {
            fz_finding("ln_state_load failed without a message naming the file: '%s'", err.msg);
        }
        return;
    }
    if (st.n_layer != n_layer || st.n_sites != 3 * n_layer + 1 ||
        (st.special_bos != 0 && st.special_bos != 1) ||
        (st.special_eot != 0 && st.special_eot != 1)) {
        fz_finding("accepted state: n_layer %d, %d sites, bos %d, eot %d", st.n_layer, st.n_sites,
                   st.special_bos, st.special_eot);
    }
    for (int i = 0; i < st.n_sites; i++) {
        for (int j = 0; st.sites[i].frozen && j < LN_SCALE_CLASSES; j++) {
            float s = st.sites[i].sigma[j];
            if (!(isfinite(s) && s >= FLT_MIN)) {
                char name[32];
                ln_site_name(&st, i, name, sizeof name);
                fz_finding("site %s: accepted σ[%d] = %g (not a finite, normal positive float)",
                           name, j, (double)s);
            }
        }
    }
    const char *saved = fz_temp_path("saved-lnfree.json");
    ln_state back;
    if (ln_state_save(&st, saved, &err) != 0 || ln_state_load(&back, n_layer, saved, &err) != 0) {
        fz_finding("ln_state_save/ln_state_load round trip failed: %s", err.msg);
    }
    check_same(&st, &back);
    ln_state_free(&back);
    ln_state_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("lnfree.json", data, size);
    load_for(path, 2);
    load_for(path, 13);
    return 0;
}
