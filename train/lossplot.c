#include "train/lossplot.h"
#include <limits.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/fs.h"
#include "train/metrics.h"

typedef struct {
    int step;
    double loss, val_loss; /* NaN when absent */
    char events[160];      /* "; "-joined */
} point;

/* The SVG being drawn; after a failed allocation, later puts do nothing. */
typedef struct {
    lnf_buf b;
    int failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!t->failed && buf_vprintf(&t->b, fmt, ap) != 0) {
        t->failed = 1;
    }
    va_end(ap);
}

typedef struct {
    point *pts;
    int n, cap;
} points;

static int add_point(const json_t *o, const char *path, int lineno, void *ctx, lnf_error *err)
{
    points *ps = ctx;
    json_t *step = json_object_get(o, "step"), *loss = json_object_get(o, "loss");
    if (!json_is_integer(step)) {
        return lnf_fail(err, "%s:%d: not a metrics record", path, lineno);
    }
    if (ps->n == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 256;
        point *p = realloc(ps->pts, (size_t)cap * sizeof *p);
        if (p == NULL) {
            return lnf_fail(err, "out of memory reading %s", path);
        }
        ps->pts = p;
        ps->cap = cap;
    }
    point *p = &ps->pts[ps->n++];
    p->step = (int)json_integer_value(step);
    p->loss = json_is_number(loss) ? json_number_value(loss) : NAN;
    json_t *val = json_object_get(o, "val_loss");
    p->val_loss = json_is_number(val) ? json_number_value(val) : NAN;
    p->events[0] = '\0';
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(o, "events"), i, ev) {
        size_t used = strlen(p->events);
        snprintf(p->events + used, sizeof p->events - used, "%s%s", used ? "; " : "",
                 json_string_value(ev) ? json_string_value(ev) : "?");
    }
    return 0;
}

static int read_points(const char *path, point **out, int *n_out, lnf_error *err)
{
    points ps = {0};
    if (metrics_each(path, add_point, &ps, err) != 0) {
        free(ps.pts);
        return -1;
    }
    *out = ps.pts;
    *n_out = ps.n;
    return 0;
}

/* Escapes &, < and > for SVG text. */
static void put_escaped(text *t, const char *s)
{
    for (; *s; s++) {
        if (*s == '&') {
            put(t, "&amp;");
        } else if (*s == '<') {
            put(t, "&lt;");
        } else if (*s == '>') {
            put(t, "&gt;");
        } else {
            put(t, "%c", *s);
        }
    }
}

/* One run's points, and how it is drawn. */
typedef struct {
    point *pts;
    int n;
    const char *label;
    const char *train_colour, *val_colour;
} series;

int lossplot_write_runs(const lossplot_run *runs, int n_runs, const char *svg_path,
                        const char *title, lnf_error *err)
{
    /* the first run blue, the second orange, ...: train loss light, validation dark */
    static const char *const palette[][2] = {
        {"#9ecae1", "#1f77b4"}, {"#fdbe85", "#e6550d"}, {"#a1d99b", "#31a354"}};
    series sr[3];
    if (n_runs < 1 || n_runs > 3) {
        return lnf_fail(err, "%s: a plot holds 1 to 3 runs", svg_path);
    }
    for (int r = 0; r < n_runs; r++) {
        if (read_points(runs[r].metrics_path, &sr[r].pts, &sr[r].n, err) != 0) {
            for (int q = 0; q < r; q++) {
                free(sr[q].pts);
            }
            return -1;
        }
        sr[r].label = runs[r].label;
        sr[r].train_colour = palette[r][0];
        sr[r].val_colour = palette[r][1];
    }
    const double W = 960, H = 540, left = 70, right = 20, top = 40, bottom = 50;
    int smin = INT_MAX, smax = INT_MIN;
    double lmin = INFINITY, lmax = -INFINITY;
    for (int r = 0; r < n_runs; r++) {
        for (int i = 0; i < sr[r].n; i++) {
            const point *p = &sr[r].pts[i];
            smin = p->step < smin ? p->step : smin;
            smax = p->step > smax ? p->step : smax;
            double v[2] = {p->loss, p->val_loss};
            for (int k = 0; k < 2; k++) {
                if (isfinite(v[k])) {
                    lmin = fmin(lmin, v[k]);
                    lmax = fmax(lmax, v[k]);
                }
            }
        }
    }
    if (smin > smax) {
        smin = 0;
        smax = 1;
    }
    if (!isfinite(lmin)) {
        lmin = 0.0;
        lmax = 1.0;
    }
    if (smax == smin) {
        smax = smin + 1;
    }
    double pad = 0.05 * (lmax - lmin + 1e-9);
    lmin -= pad;
    lmax += pad;
#define X(s) (left + ((s) - smin) * (W - left - right) / (double)(smax - smin))
#define Y(l) (top + (lmax - (l)) * (H - top - bottom) / (lmax - lmin))
    text t = {0};
    put(&t, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
            "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H, W, H);
    put(&t, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%g\" y=\"22\" "
            "font-size=\"15\">", left);
    put_escaped(&t, title);
    put(&t, "</text>\n");
    /* axes, with 5 ticks each */
    put(&t, "<path d=\"M%g %g V%g H%g\" stroke=\"black\" fill=\"none\"/>\n", left, top, H - bottom,
        W - right);
    for (int k = 0; k <= 4; k++) {
        double l = lmin + (lmax - lmin) * k / 4.0, s = smin + (smax - smin) * k / 4.0;
        put(&t, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.3f</text>\n", left - 6, Y(l) + 4, l);
        put(&t, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.0f</text>\n", X(s), H - bottom + 16,
            s);
    }
    put(&t, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">step</text>\n", (W + left) / 2, H - 12);
    put(&t, "<text transform=\"translate(16 %g) rotate(-90)\" text-anchor=\"middle\">loss "
            "(nats)</text>\n", (H + top - bottom) / 2);
    /* schedule events of every run: a dashed line and a rotated label each */
    for (int r = 0; r < n_runs; r++) {
        for (int i = 0; i < sr[r].n; i++) {
            const point *p = &sr[r].pts[i];
            if (p->events[0] == '\0') {
                continue;
            }
            put(&t, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#c33\" "
                    "stroke-dasharray=\"3 3\" stroke-width=\"0.8\"/>\n", X(p->step), top,
                X(p->step), H - bottom);
            put(&t, "<text transform=\"translate(%.1f %g) rotate(-90)\" fill=\"#c33\" "
                    "font-size=\"9\" text-anchor=\"end\">", X(p->step) - 2, top + 4);
            put_escaped(&t, p->events);
            put(&t, "</text>\n");
        }
    }
    /* each run's two curves: train loss thin, validation thick */
    for (int r = 0; r < n_runs; r++) {
        for (int k = 0; k < 2; k++) {
            put(&t, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"",
                k == 0 ? sr[r].train_colour : sr[r].val_colour, k == 0 ? "1" : "2");
            for (int i = 0; i < sr[r].n; i++) {
                double l = k == 0 ? sr[r].pts[i].loss : sr[r].pts[i].val_loss;
                if (isfinite(l)) {
                    put(&t, "%.1f,%.1f ", X(sr[r].pts[i].step), Y(l));
                }
            }
            put(&t, "\"/>\n");
        }
    }
    /* legend under the title line, clear of the event labels */
    double lx = W - right - 230 * n_runs;
    for (int r = 0; r < n_runs; r++, lx += 230) {
        put(&t, "<text x=\"%g\" y=\"22\" fill=\"%s\">", lx, sr[r].train_colour);
        put_escaped(&t, sr[r].label);
        put(&t, "%strain loss</text>\n", sr[r].label[0] ? " " : "");
        put(&t, "<text x=\"%g\" y=\"34\" fill=\"%s\">", lx, sr[r].val_colour);
        put_escaped(&t, sr[r].label);
        put(&t, "%svalidation loss</text>\n", sr[r].label[0] ? " " : "");
    }
    put(&t, "</svg>\n");
#undef X
#undef Y
    for (int r = 0; r < n_runs; r++) {
        free(sr[r].pts);
    }
    int rc = t.failed ? lnf_fail(err, "%s: out of memory drawing the plot", svg_path)
                      : fs_write_atomic(svg_path, t.b.data, t.b.len, err);
    buf_free(&t.b);
    return rc;
}

int lossplot_write(const char *metrics_path, const char *svg_path, const char *title,
                   lnf_error *err)
{
    lossplot_run run = {.metrics_path = metrics_path, .label = ""};
    return lossplot_write_runs(&run, 1, svg_path, title, err);
}
