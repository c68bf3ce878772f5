#define _XOPEN_SOURCE 700
#include "tests/data_util.h"
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/golden_util.h"

static char tmpdir[256];

const char *du_cache(const char *name)
{
    const char *cache = getenv("LNFREE_CACHE");
    const char *home = getenv("HOME");
    const char *path = cache != NULL && cache[0] != '\0'
                           ? gu_fmt("%s/%s", cache, name)
                           : gu_fmt("%s/.cache/lnfree/%s", home ? home : "", name);
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "%s is missing: run scripts/fetch-data\n", path);
        exit(1);
    }
    return path;
}

const char *du_tmpdir(const char *tag)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lnfree_test_%s_XXXXXX", tag);
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    return tmpdir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void du_cleanup(void)
{
    if (tmpdir[0] != '\0') {
        nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

const char *du_path(const char *name) { return gu_fmt("%s/%s", tmpdir, name); }

const char *du_keep(const char *s)
{
    static char kept[64][512];
    static int n;
    if (n == 64 || strlen(s) >= sizeof kept[0]) { /* also called outside tests */
        fprintf(stderr, "du_keep: no room for \"%s\"\n", s);
        abort();
    }
    return strcpy(kept[n++], s);
}

void du_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_msg(fwrite(data, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

void du_write_str(const char *path, const char *text) { du_write(path, text, strlen(text)); }

void du_assert_msg_has(const char *what, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *)) {
        ck_assert_msg(strstr(msg, s) != NULL, "%s: message \"%s\" lacks \"%s\"", what, msg, s);
    }
    va_end(ap);
}
