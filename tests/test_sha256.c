/* test_sha256: the FIPS 180-4 / NIST example vectors, and the same digest
 * however the input is split across updates. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden_util.h"
#include "base/sha256.h"

static const struct {
    const char *text;
    const char *digest;
} vectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
     "lmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

START_TEST(test_nist_vectors)
{
    char hex[65];
    sha256_hex(vectors[_i].text, strlen(vectors[_i].text), hex);
    ck_assert_str_eq(hex, vectors[_i].digest);
}
END_TEST

START_TEST(test_million_a)
{
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    char hex[65];
    sha256_hex(a, 1000000, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}
END_TEST

/* Every way of cutting the 896-bit vector into two updates (block edges,
 * padding past 56 bytes, empty updates) gives the one digest. */
START_TEST(test_split_updates)
{
    const char *text = vectors[3].text;
    size_t n = strlen(text);
    for (size_t cut = 0; cut <= n; cut++) {
        sha256_ctx c;
        unsigned char d[32];
        char hex[65];
        sha256_init(&c);
        sha256_update(&c, text, cut);
        sha256_update(&c, text + cut, 0);
        sha256_update(&c, text + cut, n - cut);
        sha256_final(&c, d);
        for (int i = 0; i < 32; i++) {
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
        }
        ck_assert_msg(strcmp(hex, vectors[3].digest) == 0, "cut at %zu: %s", cut, hex);
    }
}
END_TEST

/* Lengths around the padding boundary (55, 56, 63, 64 bytes): one update
 * against byte-at-a-time updates. */
START_TEST(test_padding_lengths)
{
    unsigned char data[130];
    for (int i = 0; i < 130; i++) {
        data[i] = (unsigned char)(i * 7 + 3);
    }
    for (size_t n = 0; n <= 130; n++) {
        sha256_ctx c;
        unsigned char one[32], bytes[32];
        sha256_init(&c);
        sha256_update(&c, data, n);
        sha256_final(&c, one);
        sha256_init(&c);
        for (size_t i = 0; i < n; i++) {
            sha256_update(&c, data + i, 1);
        }
        sha256_final(&c, bytes);
        ck_assert_msg(memcmp(one, bytes, 32) == 0, "length %zu", n);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("fips180-4");
    tcase_add_loop_test(tc, test_nist_vectors, 0, (int)(sizeof vectors / sizeof vectors[0]));
    tcase_add_test(tc, test_million_a);
    tcase_add_test(tc, test_split_updates);
    tcase_add_test(tc, test_padding_lengths);
    suite_add_tcase(s, tc);
    return gu_run(s);
}
