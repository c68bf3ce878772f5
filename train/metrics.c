#define _POSIX_C_SOURCE 200809L
#include "train/metrics.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/fs.h"
#include "model/domain_watch.h"

/* Rewrites the log keeping the lines of steps before `step`. */
static int keep_steps_before(const char *path, int step, lnf_error *err)
{
    lnf_buf all = {0}, kept = {0};
    lnf_error ignored;
    if (buf_read_file(&all, path, &ignored) != 0) {
        buf_free(&all);
        return 0; /* no log yet */
    }
    int rc = buf_append(&all, "", 1); /* NUL-terminate */
    for (char *save = NULL, *line = rc == 0 ? strtok_r((char *)all.data, "\n", &save) : NULL;
         line != NULL && rc == 0; line = strtok_r(NULL, "\n", &save)) {
        json_t *o = json_loads(line, 0, NULL);
        if (o != NULL && json_integer_value(json_object_get(o, "step")) < step) {
            rc = buf_append(&kept, line, strlen(line)) || buf_append(&kept, "\n", 1) ? -1 : 0;
        }
        json_decref(o);
    }
    if (rc != 0) {
        rc = lnf_fail(err, "%s: out of memory", path);
    } else {
        rc = fs_write_atomic(path, kept.data, kept.len, err);
    }
    buf_free(&all);
    buf_free(&kept);
    return rc;
}

int metrics_open(metrics_log *l, const char *out_dir, int resume, int resume_step,
                 lnf_error *err)
{
    l->fp = NULL;
    if (path_join(&l->path, out_dir, "metrics.jsonl", err) != 0 ||
        (resume && keep_steps_before(l->path.s, resume_step, err) != 0)) {
        return -1;
    }
    l->fp = fopen(l->path.s, resume ? "a" : "w");
    if (l->fp == NULL) {
        return lnf_fail(err, "%s: cannot open: %s", l->path.s, strerror(errno));
    }
    return 0;
}

int metrics_append(metrics_log *l, const json_t *rec, lnf_error *err)
{
    char *line = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(7));
    int ok = line != NULL && fprintf(l->fp, "%s\n", line) > 0 && fflush(l->fp) == 0;
    free(line);
    return ok ? 0 : lnf_fail(err, "%s: cannot append: %s", l->path.s, strerror(errno));
}

void metrics_close(metrics_log *l)
{
    if (l->fp != NULL) {
        fclose(l->fp);
        l->fp = NULL;
    }
}

int metrics_each(const char *path, metrics_visit visit, void *ctx, lnf_error *err)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return lnf_fail(err, "%s: cannot open metrics log: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, fp) > 0) {
        lineno++;
        json_t *rec = json_loads(line, 0, NULL);
        rc = json_is_object(rec) ? visit(rec, path, lineno, ctx, err)
                                 : lnf_fail(err, "%s:%d: not a metrics record", path, lineno);
        json_decref(rec);
    }
    free(line);
    fclose(fp);
    return rc;
}

static int fold_domain(const json_t *rec, const char *path, int lineno, void *all,
                       lnf_error *err)
{
    json_t *d = json_object_get(rec, "domain");
    if (!json_is_object(d)) {
        return lnf_fail(err, "%s:%d: no \"domain\" object", path, lineno);
    }
    dw_margins_fold(all, d);
    return 0;
}

json_t *metrics_domain_margins(const char *path, lnf_error *err)
{
    json_t *all = json_object();
    if (metrics_each(path, fold_domain, all, err) != 0) {
        json_decref(all);
        return NULL;
    }
    return all;
}
