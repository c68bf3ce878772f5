#define _POSIX_C_SOURCE 200809L
#define PCRE2_CODE_UNIT_WIDTH 8
#include "data/tokenizer.h"
#include "base/path.h"
#include <jansson.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* GPT-2's pattern with \s as \p{White_Space} and \S as \P{White_Space}: PCRE2's
 * own \s adds U+180E, which Python's `regex` (and GPT-2) does not count. */
static const char PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+"
    "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

#define EOT_TEXT "<|endoftext|>"
#define ALPHABET_END 324          /* the byte alphabet's code points are all below this */
#define CACHE_MAX_PIECE 64        /* longer pieces are rare: not worth their memory */
#define CACHE_MAX_ENTRIES (1 << 18)

typedef struct {
    uint64_t pair; /* left id << 32 | right id */
    int32_t rank;  /* -1: empty slot */
    int32_t result;
} merge_slot;

typedef struct {
    uint64_t hash;
    uint32_t key_off, key_len, ids_off, n_ids;
} cache_entry;

struct tokenizer {
    int n_vocab, eot;
    unsigned char *bytes; /* token i is bytes[offset[i] .. offset[i+1]) */
    size_t *offset;
    int32_t byte_id[256];
    int byte_of_cp[ALPHABET_END]; /* GPT-2's byte alphabet, both ways (-1: none) */
    int cp_of_byte[256];
    int32_t *vocab_slots; /* open addressing over token bytes → id, -1 empty */
    size_t vocab_mask;
    merge_slot *merges;
    size_t merge_mask;
    /* piece bytes → ids, emptied when full */
    int32_t *cache_slots;
    size_t cache_mask;
    cache_entry *entries;
    int n_entries;
    lnf_buf cache_keys, cache_ids;
    /* BPE scratch: symbols as a linked list, a min-heap of (rank, position) */
    int32_t *sym, *next, *prev;
    uint64_t *heap;
    size_t scratch_cap;
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
};

static uint64_t hash_bytes(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

static uint64_t hash_u64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull; /* splitmix64's finaliser */
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Smallest power of two ≥ 2n: tables stay at most half full. */
static size_t table_size(size_t n)
{
    size_t s = 16;
    while (s < 2 * n) {
        s *= 2;
    }
    return s;
}

/* ---- GPT-2's byte alphabet: each byte is shown as one printable character ---- */

/* encoder.py's bytes_to_unicode(): printable Latin-1 bytes stand for
 * themselves, the other 68 for U+0100.. in byte order. */
static void build_alphabet(tokenizer *t)
{
    int n = 0;
    for (int c = 0; c < ALPHABET_END; c++) {
        t->byte_of_cp[c] = -1;
    }
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        t->cp_of_byte[b] = printable ? b : 256 + n++;
        t->byte_of_cp[t->cp_of_byte[b]] = b;
    }
}

/* Alphabet text (UTF-8, code points < 324 so one or two bytes each) → raw bytes
 * in out (room for n). Returns the byte count, or -1 on a character outside. */
static long alphabet_to_bytes(const tokenizer *t, const unsigned char *s, size_t n,
                              unsigned char *out)
{
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        int cp = -1;
        if (s[i] < 0x80) {
            cp = s[i];
        } else if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            cp = (s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
            i++;
        }
        if (cp < 0 || cp >= ALPHABET_END || t->byte_of_cp[cp] < 0) {
            return -1;
        }
        out[k++] = (unsigned char)t->byte_of_cp[cp];
    }
    return k;
}

/* ---- token bytes → id ---- */

static int32_t vocab_find(const tokenizer *t, const unsigned char *p, size_t n)
{
    for (size_t i = hash_bytes(p, n) & t->vocab_mask;; i = (i + 1) & t->vocab_mask) {
        int32_t id = t->vocab_slots[i];
        if (id < 0) {
            return -1;
        }
        size_t len = t->offset[id + 1] - t->offset[id];
        if (len == n && memcmp(t->bytes + t->offset[id], p, n) == 0) {
            return id;
        }
    }
}

static void vocab_insert(tokenizer *t, int32_t id)
{
    const unsigned char *p = t->bytes + t->offset[id];
    size_t i = hash_bytes(p, t->offset[id + 1] - t->offset[id]) & t->vocab_mask;
    while (t->vocab_slots[i] >= 0) {
        i = (i + 1) & t->vocab_mask;
    }
    t->vocab_slots[i] = id;
}

static const merge_slot *merge_find(const tokenizer *t, int32_t a, int32_t b)
{
    uint64_t pair = (uint64_t)a << 32 | (uint32_t)b;
    for (size_t i = hash_u64(pair) & t->merge_mask;; i = (i + 1) & t->merge_mask) {
        const merge_slot *m = &t->merges[i];
        if (m->rank < 0 || m->pair == pair) {
            return m->rank < 0 ? NULL : m;
        }
    }
}

static void merge_insert(tokenizer *t, int32_t a, int32_t b, int32_t rank, int32_t result)
{
    uint64_t pair = (uint64_t)a << 32 | (uint32_t)b;
    size_t i = hash_u64(pair) & t->merge_mask;
    while (t->merges[i].rank >= 0) {
        i = (i + 1) & t->merge_mask;
    }
    t->merges[i] = (merge_slot){pair, rank, result};
}

/* ---- loading ---- */

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* Reads the token → id object into t->bytes / t->offset and the lookup table. */
static int load_vocab(tokenizer *t, const char *path, lnf_error *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return lnf_fail(err, "%s: invalid JSON at line %d: %s", path, jerr.line, jerr.text);
    }
    int rc = -1;
    const char **keys = NULL;
    const char *key;
    json_t *value;
    size_t total = 0;
    size_t n = json_is_object(root) ? json_object_size(root) : 0;
    if (n == 0 || n > (1u << 24)) {
        lnf_fail(err, "%s: expected a JSON object of up to 2^24 token → id entries", path);
        goto done;
    }
    t->n_vocab = (int)n;
    keys = calloc(n, sizeof *keys);
    t->offset = malloc((n + 1) * sizeof *t->offset);
    if (keys == NULL || t->offset == NULL) {
        lnf_fail(err, "%s: out of memory for %zu tokens", path, n);
        goto done;
    }
    json_object_foreach(root, key, value) {
        json_int_t id = json_is_integer(value) ? json_integer_value(value) : -1;
        if (id < 0 || (size_t)id >= n) {
            lnf_fail(err, "%s: token \"%.40s\": id must be an integer in 0..%zu (the file has "
                     "%zu tokens)", path, key, n - 1, n);
            goto done;
        }
        if (keys[id] != NULL) {
            lnf_fail(err, "%s: id %lld is given to both \"%.40s\" and \"%.40s\"", path,
                     (long long)id, keys[id], key);
            goto done;
        }
        keys[id] = key;
        total += strlen(key);
    }
    t->bytes = malloc(total + 1);
    if (t->bytes == NULL) {
        lnf_fail(err, "%s: out of memory", path);
        goto done;
    }
    t->offset[0] = 0;
    for (size_t id = 0; id < n; id++) {
        long len = alphabet_to_bytes(t, (const unsigned char *)keys[id], strlen(keys[id]),
                                     t->bytes + t->offset[id]);
        if (len <= 0) {
            lnf_fail(err, "%s: token \"%.40s\" (id %zu) %s", path, keys[id], id,
                     len == 0 ? "is empty" : "has a character outside GPT-2's byte alphabet");
            goto done;
        }
        t->offset[id + 1] = t->offset[id] + (size_t)len;
    }
    size_t slots = table_size(n);
    t->vocab_mask = slots - 1;
    t->vocab_slots = malloc(slots * sizeof *t->vocab_slots);
    if (t->vocab_slots == NULL) {
        lnf_fail(err, "%s: out of memory", path);
        goto done;
    }
    memset(t->vocab_slots, 0xff, slots * sizeof *t->vocab_slots);
    for (size_t id = 0; id < n; id++) {
        vocab_insert(t, (int32_t)id);
    }
    rc = 0;
done:
    free(keys);
    json_decref(root);
    return rc;
}

/* The byte ids and <|endoftext|>, which every GPT-2 vocabulary has. */
static int find_fixed_tokens(tokenizer *t, const char *path, lnf_error *err)
{
    for (int b = 0; b < 256; b++) {
        unsigned char byte = (unsigned char)b;
        t->byte_id[b] = vocab_find(t, &byte, 1);
        if (t->byte_id[b] < 0) {
            return lnf_fail(err, "%s: no token for byte 0x%02x (U+%04X in the byte alphabet)",
                            path, b, (unsigned)t->cp_of_byte[b]);
        }
    }
    t->eot = vocab_find(t, (const unsigned char *)EOT_TEXT, strlen(EOT_TEXT));
    if (t->eot < 0) {
        return lnf_fail(err, "%s: no \"" EOT_TEXT "\" token", path);
    }
    return 0;
}

/* One merges line (without its newline) → the merge of that rank. made_by[id]
 * is the line whose merge produced token id (0: none yet). */
static int parse_merge(tokenizer *t, char *line, size_t len, int lineno, int rank,
                       int *made_by, const char *path, const char *vocab_path,
                       unsigned char *scratch, lnf_error *err)
{
    char *space = memchr(line, ' ', len);
    if (space == NULL || space == line || space == line + len - 1 ||
        memchr(space + 1, ' ', (size_t)(line + len - space - 1)) != NULL) {
        return lnf_fail(err, "%s line %d: expected two tokens separated by one space, got "
                        "\"%.*s\"", path, lineno, len > 60 ? 60 : (int)len, line);
    }
    const char *part[2] = {line, space + 1};
    size_t part_len[2] = {(size_t)(space - line), (size_t)(line + len - space - 1)};
    int32_t id[2];
    long n_bytes[2];
    for (int k = 0; k < 2; k++) {
        /* both parts' bytes go to scratch back to back: the result's bytes */
        unsigned char *dst = scratch + (k ? n_bytes[0] : 0);
        n_bytes[k] = alphabet_to_bytes(t, (const unsigned char *)part[k], part_len[k], dst);
        if (n_bytes[k] < 0) {
            return lnf_fail(err, "%s line %d: \"%.*s\" has a character outside GPT-2's byte "
                            "alphabet", path, lineno, (int)part_len[k], part[k]);
        }
        id[k] = vocab_find(t, dst, (size_t)n_bytes[k]);
        if (id[k] < 0) {
            return lnf_fail(err, "%s line %d: \"%.*s\" is not in %s", path, lineno,
                            (int)part_len[k], part[k], vocab_path);
        }
        if (n_bytes[k] > 1 && made_by[id[k]] == 0) {
            return lnf_fail(err, "%s line %d: \"%.*s\" is used before a merge makes it", path,
                            lineno, (int)part_len[k], part[k]);
        }
    }
    int32_t result = vocab_find(t, scratch, (size_t)(n_bytes[0] + n_bytes[1]));
    if (result < 0) {
        return lnf_fail(err, "%s line %d: the merge result \"%.*s%.*s\" is not in %s", path,
                        lineno, (int)part_len[0], part[0], (int)part_len[1], part[1], vocab_path);
    }
    if (made_by[result] != 0) {
        return lnf_fail(err, "%s line %d: \"%.*s%.*s\" is already made by line %d", path, lineno,
                        (int)part_len[0], part[0], (int)part_len[1], part[1], made_by[result]);
    }
    made_by[result] = lineno;
    merge_insert(t, id[0], id[1], rank, result);
    return 0;
}

/* Reads the merges file. Every merge must combine bytes or earlier results and
 * make a new token: that makes rank order a valid merge order, which the
 * heap-based BPE below relies on to give encoder.py's result. */
static int load_merges(tokenizer *t, const char *path, const char *vocab_path, lnf_error *err)
{
    lnf_buf text = {0};
    if (buf_read_file(&text, path, err) != 0) {
        buf_free(&text);
        return -1;
    }
    int rc = -1, rank = 0;
    int *made_by = calloc((size_t)t->n_vocab, sizeof *made_by);
    unsigned char *scratch = malloc(text.len + 1);
    size_t lines = 1;
    for (size_t i = 0; i < text.len; i++) {
        lines += text.data[i] == '\n';
    }
    size_t slots = table_size(lines);
    t->merge_mask = slots - 1;
    t->merges = malloc(slots * sizeof *t->merges);
    if (made_by == NULL || scratch == NULL || t->merges == NULL) {
        lnf_fail(err, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < slots; i++) {
        t->merges[i].rank = -1;
    }
    char *p = (char *)text.data, *end = p + text.len;
    for (int lineno = 1; p < end; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        size_t len = (size_t)(line_end - p);
        if (len > 0 && p[len - 1] == '\r') {
            len--;
        }
        int header = lineno == 1 && len >= 8 && memcmp(p, "#version", 8) == 0;
        if (!header && parse_merge(t, p, len, lineno, rank++, made_by, path, vocab_path,
                                   scratch, err) != 0) {
            goto done;
        }
        p = nl ? nl + 1 : end;
    }
    if (t->n_vocab != 256 + rank + 1) {
        lnf_fail(err, "%s: has %d tokens, but 256 bytes + %d merges (%s) + " EOT_TEXT
                 " make %d", vocab_path, t->n_vocab, rank, path, 256 + rank + 1);
        goto done;
    }
    rc = 0;
done:
    free(made_by);
    free(scratch);
    buf_free(&text);
    return rc;
}

static int compile_pattern(tokenizer *t, lnf_error *err)
{
    int code;
    PCRE2_SIZE at;
    t->re = pcre2_compile((PCRE2_SPTR)PATTERN, PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &at, NULL);
    if (t->re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return lnf_fail(err, "PCRE2 cannot compile GPT-2's pattern at offset %zu: %s",
                        (size_t)at, (char *)msg);
    }
    /* the JIT is much faster; without it (unsupported CPU) the interpreter runs */
    if (pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE) == 0) {
        /* a long whitespace run backtracks through (?!\S): give it room */
        t->jit = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
        t->mctx = pcre2_match_context_create(NULL);
        if (t->jit == NULL || t->mctx == NULL) {
            return lnf_fail(err, "out of memory for the PCRE2 JIT stack");
        }
        pcre2_jit_stack_assign(t->mctx, NULL, t->jit);
    }
    t->md = pcre2_match_data_create_from_pattern(t->re, NULL);
    if (t->md == NULL) {
        return lnf_fail(err, "out of memory for PCRE2 match data");
    }
    return 0;
}

static int alloc_cache(tokenizer *t, lnf_error *err)
{
    size_t slots = table_size(CACHE_MAX_ENTRIES);
    t->cache_mask = slots - 1;
    t->cache_slots = malloc(slots * sizeof *t->cache_slots);
    t->entries = malloc(CACHE_MAX_ENTRIES * sizeof *t->entries);
    if (t->cache_slots == NULL || t->entries == NULL) {
        return lnf_fail(err, "out of memory for the tokenizer cache");
    }
    memset(t->cache_slots, 0xff, slots * sizeof *t->cache_slots);
    return 0;
}

int tokenizer_files(const char *dir, lnf_path *vocab, lnf_path *merges, lnf_error *err)
{
    static const char *const names[2][2] = {{"vocab.json", "merges.txt"},
                                            {"encoder.json", "vocab.bpe"}};
    lnf_path paths[2][2];
    int pick = -1;
    for (int k = 1; k >= 0; k--) {
        for (int f = 0; f < 2; f++) {
            if (path_join(&paths[k][f], dir, names[k][f], err) != 0) {
                return -1;
            }
        }
        if (file_exists(paths[k][0].s) || file_exists(paths[k][1].s)) {
            pick = k;
        }
    }
    if (pick < 0) {
        return lnf_fail(err, "%s: no GPT-2 tokenizer here (expected vocab.json + merges.txt or "
                        "encoder.json + vocab.bpe; scripts/fetch-data caches the latter)", dir);
    }
    for (int f = 0; f < 2; f++) {
        if (!file_exists(paths[pick][f].s)) {
            return lnf_fail(err, "%s: missing (needed with %s)", paths[pick][f].s,
                            names[pick][1 - f]);
        }
    }
    *vocab = paths[pick][0];
    *merges = paths[pick][1];
    return 0;
}

int tokenizer_load(tokenizer **out, const char *dir, lnf_error *err)
{
    lnf_path vocab, merges;
    if (tokenizer_files(dir, &vocab, &merges, err) != 0) {
        return -1;
    }
    tokenizer *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return lnf_fail(err, "out of memory for the tokenizer");
    }
    build_alphabet(t);
    if (load_vocab(t, vocab.s, err) != 0 || find_fixed_tokens(t, vocab.s, err) != 0 ||
        load_merges(t, merges.s, vocab.s, err) != 0 ||
        compile_pattern(t, err) != 0 || alloc_cache(t, err) != 0) {
        tokenizer_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void tokenizer_free(tokenizer *t)
{
    if (t == NULL) {
        return;
    }
    free(t->bytes);
    free(t->offset);
    free(t->vocab_slots);
    free(t->merges);
    free(t->cache_slots);
    free(t->entries);
    buf_free(&t->cache_keys);
    buf_free(&t->cache_ids);
    free(t->sym);
    free(t->next);
    free(t->prev);
    free(t->heap);
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mctx);
    pcre2_jit_stack_free(t->jit);
    pcre2_code_free(t->re);
    free(t);
}

int tokenizer_vocab_size(const tokenizer *t) { return t->n_vocab; }

int tokenizer_eot(const tokenizer *t) { return t->eot; }

/* ---- BPE ---- */

static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) {
            break;
        }
        if (c + 1 < *n && h[c + 1] < h[c]) {
            c++;
        }
        if (h[c] >= v) {
            break;
        }
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
    return top;
}

/* A candidate merge at symbol position i: ordered by rank, then leftmost. */
static void push_candidate(tokenizer *t, size_t *n_heap, int32_t i)
{
    const merge_slot *m = merge_find(t, t->sym[i], t->sym[t->next[i]]);
    if (m != NULL) {
        heap_push(t->heap, n_heap, (uint64_t)m->rank << 32 | (uint32_t)i);
    }
}

static int grow_scratch(tokenizer *t, size_t n)
{
    if (n <= t->scratch_cap) {
        return 0;
    }
    size_t cap = n < 256 ? 256 : 2 * n;
    int32_t *s = realloc(t->sym, cap * sizeof *s);
    if (s != NULL) {
        t->sym = s;
    }
    int32_t *nx = realloc(t->next, cap * sizeof *nx);
    if (nx != NULL) {
        t->next = nx;
    }
    int32_t *pv = realloc(t->prev, cap * sizeof *pv);
    if (pv != NULL) {
        t->prev = pv;
    }
    uint64_t *h = realloc(t->heap, 3 * cap * sizeof *h);
    if (h != NULL) {
        t->heap = h;
    }
    if (s == NULL || nx == NULL || pv == NULL || h == NULL) {
        return -1;
    }
    t->scratch_cap = cap;
    return 0;
}

/* encoder.py's bpe(): repeatedly merge the lowest-ranked adjacent pair, all its
 * occurrences left to right. Here each occurrence is a heap entry (rank, pos);
 * since a merge's parts always rank below it (checked at load), pairs formed by
 * a merge rank above it, so popping (rank, leftmost) gives the same merges in
 * O(n log n) rather than encoder.py's O(n²) for very long pieces. */
static int bpe(tokenizer *t, const unsigned char *p, size_t n, lnf_buf *out)
{
    if (n > 0x7fffffff || grow_scratch(t, n) != 0) {
        return -1;
    }
    size_t n_heap = 0;
    for (size_t i = 0; i < n; i++) {
        t->sym[i] = t->byte_id[p[i]];
        t->next[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        t->prev[i] = (int32_t)i - 1;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        push_candidate(t, &n_heap, (int32_t)i);
    }
    while (n_heap > 0) {
        uint64_t top = heap_pop(t->heap, &n_heap);
        int32_t i = (int32_t)(uint32_t)top, j = t->next[i];
        /* stale: i was merged away, or its right neighbour changed */
        if (t->sym[i] < 0 || j < 0) {
            continue;
        }
        const merge_slot *m = merge_find(t, t->sym[i], t->sym[j]);
        if (m == NULL || (uint64_t)m->rank != top >> 32) {
            continue;
        }
        t->sym[i] = m->result;
        t->sym[j] = -1;
        t->next[i] = t->next[j];
        if (t->next[i] >= 0) {
            t->prev[t->next[i]] = i;
            push_candidate(t, &n_heap, i);
        }
        if (t->prev[i] >= 0) {
            push_candidate(t, &n_heap, t->prev[i]);
        }
    }
    for (int32_t i = 0; i >= 0; i = t->next[i]) {
        if (buf_append(out, &t->sym[i], sizeof t->sym[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

static void cache_clear(tokenizer *t)
{
    memset(t->cache_slots, 0xff, (t->cache_mask + 1) * sizeof *t->cache_slots);
    t->n_entries = 0;
    t->cache_keys.len = 0;
    t->cache_ids.len = 0;
}

/* One piece of text → its ids appended to out, through the cache. */
static int encode_piece(tokenizer *t, const unsigned char *p, size_t n, lnf_buf *out)
{
    if (n > CACHE_MAX_PIECE) {
        return bpe(t, p, n, out);
    }
    uint64_t h = hash_bytes(p, n);
    size_t slot = h & t->cache_mask;
    for (; t->cache_slots[slot] >= 0; slot = (slot + 1) & t->cache_mask) {
        const cache_entry *e = &t->entries[t->cache_slots[slot]];
        if (e->hash == h && e->key_len == n && memcmp(t->cache_keys.data + e->key_off, p, n) == 0) {
            return buf_append(out, t->cache_ids.data + e->ids_off, e->n_ids * sizeof(int32_t));
        }
    }
    size_t before = out->len;
    if (bpe(t, p, n, out) != 0) {
        return -1;
    }
    if (t->n_entries == CACHE_MAX_ENTRIES) {
        cache_clear(t);
        for (slot = h & t->cache_mask; t->cache_slots[slot] >= 0;) {
            slot = (slot + 1) & t->cache_mask;
        }
    }
    cache_entry e = {h, (uint32_t)t->cache_keys.len, (uint32_t)n, (uint32_t)t->cache_ids.len,
                     (uint32_t)((out->len - before) / sizeof(int32_t))};
    if (buf_append(&t->cache_keys, p, n) != 0 ||
        buf_append(&t->cache_ids, out->data + before, out->len - before) != 0) {
        return -1;
    }
    t->entries[t->n_entries] = e;
    t->cache_slots[slot] = t->n_entries++;
    return 0;
}

int tokenizer_encode(tokenizer *t, const void *text, size_t len, int32_t **ids, size_t *n,
                     lnf_error *err)
{
    const unsigned char *s = text;
    lnf_buf out = {0};
    size_t pos = 0;
    while (pos < len) {
        size_t start = len, end = len;
        int rc = pcre2_match(t->re, s, len, pos, 0, t->md, t->mctx);
        if (rc >= 0) {
            const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->md);
            start = ov[0];
            end = ov[1];
        } else if (rc != PCRE2_ERROR_NOMATCH) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            buf_free(&out);
            return lnf_fail(err, "splitting the text at byte %zu: PCRE2: %s", pos, (char *)msg);
        }
        /* bytes the pattern skipped (invalid UTF-8) are a piece of their own */
        if ((start > pos && encode_piece(t, s + pos, start - pos, &out) != 0) ||
            (end > start && encode_piece(t, s + start, end - start, &out) != 0)) {
            buf_free(&out);
            return lnf_fail(err, "out of memory encoding %zu bytes of text", len);
        }
        pos = end;
    }
    *ids = (int32_t *)out.data;
    *n = out.len / sizeof(int32_t);
    return 0;
}

int tokenizer_decode(const tokenizer *t, const int32_t *ids, size_t n, lnf_buf *out,
                     lnf_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_vocab) {
            return lnf_fail(err, "token id %ld (number %zu) is outside the vocabulary 0..%d",
                            (long)ids[i], i + 1, t->n_vocab - 1);
        }
        size_t a = t->offset[ids[i]], b = t->offset[ids[i] + 1];
        if (buf_append(out, t->bytes + a, b - a) != 0) {
            return lnf_fail(err, "out of memory decoding %zu tokens", n);
        }
    }
    return 0;
}
