#define _POSIX_C_SOURCE 200809L
#include "data/brown.h"
#include "base/path.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int brown_is_corpus(const char *dir)
{
    lnf_path path;
    return path_join(&path, dir, "cats.txt", NULL) == 0 && access(path.s, F_OK) == 0;
}

void brown_list_free(char **paths, int n)
{
    for (int i = 0; i < n; i++) {
        free(paths[i]);
    }
    free(paths);
}

int brown_list(const char *dir, char ***paths, int *n, lnf_error *err)
{
    lnf_path cats_path;
    if (path_join(&cats_path, dir, "cats.txt", err) != 0) {
        return -1;
    }
    const char *cats = cats_path.s;
    lnf_buf text = {0};
    char nul = '\0';
    if (buf_read_file(&text, cats, err) != 0) {
        buf_free(&text);
        return -1;
    }
    if (buf_append(&text, &nul, 1) != 0) {
        buf_free(&text);
        return lnf_fail(err, "%s: out of memory", cats);
    }
    char **list = NULL;
    int count = 0, lineno = 0, rc = 0;
    for (char *line = (char *)text.data; rc == 0 && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        lineno++;
        char name[256], category[256], extra;
        int fields = sscanf(line, "%255s %255s %c", name, category, &extra);
        if (fields == 2 && strchr(name, '/') == NULL) {
            char **grown = realloc(list, (size_t)(count + 1) * sizeof *list);
            lnf_path path;
            char *copy = NULL;
            if (grown != NULL) {
                list = grown;
            }
            if (path_join(&path, dir, name, err) != 0) {
                rc = -1;
            } else if (grown == NULL || (copy = strdup(path.s)) == NULL) {
                rc = lnf_fail(err, "%s: out of memory", cats);
            } else {
                list[count++] = copy;
            }
        } else if (fields > 0) { /* blank lines are fine */
            rc = lnf_fail(err, "%s line %d: expected \"FILE CATEGORY\"", cats, lineno);
        }
        line = nl != NULL ? nl + 1 : line + strlen(line);
    }
    buf_free(&text);
    if (rc == 0 && count == 0) {
        rc = lnf_fail(err, "%s: lists no texts", cats);
    }
    if (rc != 0) {
        brown_list_free(list, count);
        return -1;
    }
    *paths = list;
    *n = count;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int one_of(const char *w, size_t n, const char *const *set)
{
    for (; *set != NULL; set++) {
        if (strlen(*set) == n && memcmp(*set, w, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *const closing[] = {",", ".", ";", ":", "?", "!", ")", "]", "}", "''", NULL};
static const char *const opening[] = {"``", "(", "[", "{", NULL};

int brown_detag(const char *tagged, size_t len, lnf_buf *out)
{
    const char *p = tagged, *end = tagged + len;
    int in_paragraph = 0, paragraph_ended = 0, single_open = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl != NULL ? nl : end;
        int line_started = 0, after_opening = 0;
        for (const char *q = p; q < line_end;) {
            while (q < line_end && is_space(*q)) {
                q++;
            }
            const char *w = q;
            while (q < line_end && !is_space(*q)) {
                q++;
            }
            if (w == q) {
                break;
            }
            /* "word/tag": the tag follows the last slash (words may hold slashes) */
            size_t n = (size_t)(q - w);
            for (size_t k = n; k > 0; k--) {
                if (w[k - 1] == '/') {
                    n = k - 1;
                    break;
                }
            }
            if (n == 0) {
                continue;
            }
            int quote = n == 1 && w[0] == '\'';
            if (!line_started) {
                /* a new sentence: a newline after the last, two after a paragraph */
                const char *sep = !in_paragraph ? "" : paragraph_ended ? "\n\n" : "\n";
                if (paragraph_ended) {
                    single_open = 0;
                }
                if (buf_append(out, sep, strlen(sep)) != 0) {
                    return -1;
                }
                in_paragraph = 1;
                paragraph_ended = 0;
                line_started = 1;
            } else {
                int closes = one_of(w, n, closing) || (quote && single_open);
                if (!closes && !after_opening && buf_append(out, " ", 1) != 0) {
                    return -1;
                }
            }
            after_opening = one_of(w, n, opening) || (quote && !single_open);
            if (quote) {
                single_open = !single_open;
            }
            int double_quote = n == 2 && (memcmp(w, "``", 2) == 0 || memcmp(w, "''", 2) == 0);
            if (buf_append(out, double_quote ? "\"" : w, double_quote ? 1 : n) != 0) {
                return -1;
            }
        }
        if (!line_started && in_paragraph) {
            paragraph_ended = 1;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    return in_paragraph ? buf_append(out, "\n", 1) : 0;
}
