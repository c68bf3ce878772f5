#include "train/lossplot.h"
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/fs.h"

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

static int read_points(const char *path, point **out, int *n_out, lnf_error *err)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return lnf_fail(err, "%s: cannot open metrics log: %s", path, strerror(errno));
    }
    point *pts = NULL;
    int n = 0, cap = 0, lineno = 0, rc = 0;
    char line[4096];
    while (rc == 0 && fgets(line, sizeof line, fp) != NULL) {
        lineno++;
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        json_t *step = json_object_get(o, "step"), *loss = json_object_get(o, "loss");
        if (o == NULL || !json_is_integer(step)) {
            rc = lnf_fail(err, "%s:%d: not a metrics record", path, lineno);
        } else {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                point *p = realloc(pts, (size_t)cap * sizeof *p);
                if (p == NULL) {
                    rc = lnf_fail(err, "out of memory reading %s", path);
                    json_decref(o);
                    break;
                }
                pts = p;
            }
            point *p = &pts[n++];
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
        }
        json_decref(o);
    }
    fclose(fp);
    if (rc != 0) {
        free(pts);
        return -1;
    }
    *out = pts;
    *n_out = n;
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

int lossplot_write(const char *metrics_path, const char *svg_path, const char *title,
                   lnf_error *err)
{
    point *pts;
    int n;
    if (read_points(metrics_path, &pts, &n, err) != 0) {
        return -1;
    }
    const double W = 960, H = 540, left = 70, right = 20, top = 40, bottom = 50;
    int smin = n ? pts[0].step : 0, smax = n ? pts[0].step : 1;
    double lmin = INFINITY, lmax = -INFINITY;
    for (int i = 0; i < n; i++) {
        smin = pts[i].step < smin ? pts[i].step : smin;
        smax = pts[i].step > smax ? pts[i].step : smax;
        double v[2] = {pts[i].loss, pts[i].val_loss};
        for (int k = 0; k < 2; k++) {
            if (isfinite(v[k])) {
                lmin = fmin(lmin, v[k]);
                lmax = fmax(lmax, v[k]);
            }
        }
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
    /* schedule events: a dashed line and a rotated label each */
    for (int i = 0; i < n; i++) {
        if (pts[i].events[0] == '\0') {
            continue;
        }
        put(&t, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#c33\" "
                "stroke-dasharray=\"3 3\" stroke-width=\"0.8\"/>\n", X(pts[i].step), top,
            X(pts[i].step), H - bottom);
        put(&t, "<text transform=\"translate(%.1f %g) rotate(-90)\" fill=\"#c33\" font-size=\"9\" "
                "text-anchor=\"end\">", X(pts[i].step) - 2, top + 4);
        put_escaped(&t, pts[i].events);
        put(&t, "</text>\n");
    }
    /* the two curves */
    const char *colour[2] = {"#1f77b4", "#ff7f0e"};
    for (int k = 0; k < 2; k++) {
        put(&t, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"", colour[k],
            k == 0 ? "1.2" : "2");
        for (int i = 0; i < n; i++) {
            double l = k == 0 ? pts[i].loss : pts[i].val_loss;
            if (isfinite(l)) {
                put(&t, "%.1f,%.1f ", X(pts[i].step), Y(l));
            }
        }
        put(&t, "\"/>\n");
    }
    /* legend in the title line, clear of the event labels */
    put(&t, "<text x=\"%g\" y=\"22\" fill=\"%s\">train loss</text>\n", W - right - 220, colour[0]);
    put(&t, "<text x=\"%g\" y=\"22\" fill=\"%s\">validation loss</text>\n", W - right - 140,
        colour[1]);
    put(&t, "</svg>\n");
#undef X
#undef Y
    free(pts);
    int rc = t.failed ? lnf_fail(err, "%s: out of memory drawing the plot", svg_path)
                      : fs_write_atomic(svg_path, t.b.data, t.b.len, err);
    buf_free(&t.b);
    return rc;
}
