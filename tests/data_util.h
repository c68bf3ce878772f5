/* data_util: shared helpers for the data suites (tokenizer, token files,
 * prepare): the fetch-data cache, a scratch directory, small files, and
 * checks that an error message says what it should. */
#ifndef LNFREE_TESTS_DATA_UTIL_H
#define LNFREE_TESTS_DATA_UTIL_H

#include <stddef.h>
#include <check.h>

/* CACHE/name, CACHE as in scripts/fetch-data ($LNFREE_CACHE, else
 * ~/.cache/lnfree). Exits with a message when it is missing: a failure, not a
 * skip (the CTest fixture runs scripts/fetch-data first). */
const char *du_cache(const char *name);

/* Creates a fresh /tmp/lnfree_test_TAG_XXXXXX; du_cleanup removes it. */
const char *du_tmpdir(const char *tag);
void du_cleanup(void);

/* du_tmpdir()/name (after du_tmpdir was called), in a rotating buffer. */
const char *du_path(const char *name);

/* A copy of s that lives as long as the process (up to 64 of them): for paths
 * kept across calls that rotate gu_fmt's buffers. */
const char *du_keep(const char *s);

void du_write(const char *path, const void *data, size_t n);
void du_write_str(const char *path, const char *text);

/* Fails the test unless msg contains every one of the NULL-terminated strings. */
void du_assert_msg_has(const char *what, const char *msg, ...) __attribute__((sentinel));

#endif
