/* report_svg.c: the report's charts as inline SVG, drawn by gembatch so the
 * figures need no script and no library. Widths are percentages and heights
 * pixels, so a chart fills any screen with text at its CSS size; colours
 * come from classes (the page's Okabe-Ito palette) and markers differ by
 * line style, never by colour alone. Every chart has a title and a desc. */
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ROW_PX 24
#define LABEL_CHARS 26
#define BAR_X0 36.0   /* % where bars start */
#define BAR_SPAN 46.0 /* % of the widest bar */

void fmt_count(double v, char *out, size_t n)
{
    char d[40];
    snprintf(d, sizeof d, "%.0f", fabs(v) < 9e18 ? fabs(v) : 9e18);
    size_t len = strlen(d), o = 0;
    if (v <= -0.5 && o + 1 < n)
        out[o++] = '-';
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        out[o++] = d[i];
        size_t left = len - i - 1;
        if (left && left % 3 == 0 && o + 1 < n)
            out[o++] = ',';
    }
    out[o] = '\0';
}

void fmt_num(double v, char *out, size_t n)
{
    if (!isfinite(v))
        snprintf(out, n, "%g", v);
    else if (v == floor(v) && fabs(v) < 1e15)
        fmt_count(v, out, n);
    else if (fabs(v) >= 10000)
        fmt_count(round(v), out, n);
    else
        snprintf(out, n, "%.4g", v);
}

void fmt_secs(double s, char *out, size_t n)
{
    if (s < 10)
        snprintf(out, n, "%.2f s", s);
    else if (s < 60)
        snprintf(out, n, "%.1f s", s);
    else if (s < 3600)
        snprintf(out, n, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(out, n, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void fmt_ms(double ms, char *out, size_t n)
{
    if (ms < 10)
        snprintf(out, n, "%.2g ms", ms);
    else if (ms < 1000)
        snprintf(out, n, "%.0f ms", ms);
    else
        fmt_secs(ms / 1000, out, n);
}

void fmt_usd(double v, char *out, size_t n)
{
    if (v >= 1000) {
        char c[40];
        fmt_count(floor(v), c, sizeof c);
        snprintf(out, n, "$%s.%02d", c, (int)round(fmod(v, 1) * 100) % 100);
    } else if (v >= 1 || v == 0) {
        snprintf(out, n, "$%.2f", v);
    } else {
        snprintf(out, n, "$%.4f", v);
    }
}

static void open_svg(struct buf *out, const char *cls, int height, const char *id,
                     const char *title, const char *desc)
{
    buf_printf(out,
               "<svg class=\"chart %s\" width=\"100%%\" height=\"%d\" role=\"img\" "
               "aria-labelledby=\"%s-t %s-d\"><title id=\"%s-t\">",
               cls, height, id, id, id);
    html_esc(out, title, strlen(title), 0);
    buf_printf(out, "</title><desc id=\"%s-d\">", id);
    html_esc(out, desc, strlen(desc), 0);
    buf_puts(out, "</desc>");
}

/* A count's unit, singular for one: "1 job", "2 jobs". */
static const char *unit_of(double v, const char *unit, char *buf, size_t n)
{
    size_t l = unit ? strlen(unit) : 0;
    if (v != 1 || l < 2 || unit[l - 1] != 's' || l >= n)
        return unit;
    memcpy(buf, unit, l - 1);
    buf[l - 1] = '\0';
    return buf;
}

void svg_hbars(struct buf *out, const char *id, const char *title, const char *desc,
               const struct svg_bar *bars, size_t n, const char *unit)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    open_svg(out, "hbars", (int)n * ROW_PX + 6, id, title, desc);
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * ROW_PX + 4;
        double w = max > 0 ? bars[i].value / max * BAR_SPAN : 0;
        if (bars[i].value > 0 && w < 0.4)
            w = 0.4; /* a count of one stays visible next to a million */
        char v[48];
        fmt_num(bars[i].value, v, sizeof v);
        const char *l = bars[i].label ? bars[i].label : "";
        buf_printf(out, "<g><title>");
        html_esc(out, l, strlen(l), 0);
        char one[32];
        const char *u = unit_of(bars[i].value, unit, one, sizeof one);
        buf_printf(out, ": %s%s%s</title><text class=\"lbl\" x=\"0\" y=\"%d\">", v,
                   u ? " " : "", u ? u : "", y + 15);
        html_esc(out, l, strlen(l), LABEL_CHARS);
        buf_printf(out,
                   "</text><rect class=\"%s\" x=\"%.2f%%\" y=\"%d\" width=\"%.2f%%\" "
                   "height=\"16\"/><text class=\"val\" x=\"%.2f%%\" dx=\"4\" y=\"%d\">%s</text></g>",
                   bars[i].cls ? bars[i].cls : "b0", BAR_X0, y + 2, w, BAR_X0 + w, y + 15, v);
    }
    buf_puts(out, "</svg>");
}

/* ---- histograms and time series ------------------------------------------------ */

#define PLOT_TOP 46 /* room for three rows of marker labels */
#define PLOT_H 120

struct axis {
    double lo, hi;
    int log;
};

static double pos(const struct axis *a, double x)
{
    if (a->hi <= a->lo)
        return 0.5;
    double p = a->log ? (log(x > 0 ? x : a->lo) - log(a->lo)) / (log(a->hi) - log(a->lo))
                      : (x - a->lo) / (a->hi - a->lo);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

static double at(const struct axis *a, double p)
{
    return a->log ? exp(log(a->lo) + p * (log(a->hi) - log(a->lo))) : a->lo + p * (a->hi - a->lo);
}

static void marks(struct buf *out, const struct svg_hist *h, const struct axis *ax)
{
    for (size_t i = 0; i < h->nmarks; i++) {
        double p = pos(ax, h->marks[i].at) * 100;
        int row = (int)(i % 3);
        const char *anchor = p < 12 ? "start" : p > 88 ? "end" : "middle";
        buf_printf(out,
                   "<line class=\"mark %s\" x1=\"%.2f%%\" x2=\"%.2f%%\" y1=\"%d\" y2=\"%d\"/>"
                   "<text class=\"mlbl\" x=\"%.2f%%\" y=\"%d\" text-anchor=\"%s\">",
                   h->marks[i].cls, p, p, 14 * row + 16, PLOT_TOP + PLOT_H, p, 14 * row + 12,
                   anchor);
        html_esc(out, h->marks[i].label, strlen(h->marks[i].label), 0);
        buf_puts(out, "</text>");
    }
}

/* Ticks at five places; on a linear axis of equal bins, on bin edges (round
 * numbers when the bins are), else evenly. */
static void tick(struct buf *out, const struct svg_hist *h, const struct axis *ax, double x)
{
    double p = pos(ax, x) * 100;
    char s[48];
    h->fmt_x(x, s, sizeof s);
    const char *anchor = p < 4 ? "start" : p > 96 ? "end" : "middle";
    buf_printf(out,
               "<line class=\"tk\" x1=\"%.2f%%\" x2=\"%.2f%%\" y1=\"%d\" y2=\"%d\"/>"
               "<text class=\"ax\" x=\"%.2f%%\" y=\"%d\" text-anchor=\"%s\">",
               p, p, PLOT_TOP + PLOT_H, PLOT_TOP + PLOT_H + 4, p, PLOT_TOP + PLOT_H + 16, anchor);
    html_esc(out, s, strlen(s), 0);
    buf_puts(out, "</text>");
}

/* Five ticks: on a linear axis, on bin edges (round numbers when the bins
 * are); on a log axis, evenly. */
static void x_ticks(struct buf *out, const struct svg_hist *h, const struct axis *ax)
{
    size_t nb = h->nbins;
    if (ax->log || nb < 2) {
        for (int t = 0; t <= 4; t++)
            tick(out, h, ax, at(ax, t / 4.0));
        return;
    }
    size_t step = (nb + 3) / 4;
    for (size_t t = 0; t < nb; t += step)
        if (t == 0 || nb - t >= (step + 1) / 2) /* not crowding the last edge */
            tick(out, h, ax, h->bins[t].lo);
    tick(out, h, ax, h->bins[nb - 1].hi);
}

void svg_histogram(struct buf *out, const struct svg_hist *h)
{
    struct axis ax = {h->nbins ? h->bins[0].lo : 0, h->nbins ? h->bins[h->nbins - 1].hi : 1,
                      h->log_x};
    if (ax.log && ax.lo <= 0)
        ax.log = 0;
    double ymax = 0;
    for (size_t i = 0; i < h->nbins; i++)
        if (h->bins[i].v[0] + h->bins[i].v[1] > ymax)
            ymax = h->bins[i].v[0] + h->bins[i].v[1];
    int legend = h->series[1] != NULL;
    int height = PLOT_TOP + PLOT_H + 24 + (legend ? 20 : 0);
    open_svg(out, "hist", height, h->id, h->title, h->desc);
    char ys[48], unit[32];
    fmt_num(ymax, ys, sizeof ys);
    snprintf(unit, sizeof unit, "%s", h->y_unit);
    if (ymax == 1 && strlen(unit) > 1 && unit[strlen(unit) - 1] == 's')
        unit[strlen(unit) - 1] = '\0'; /* "1 job", not "1 jobs" */
    buf_printf(out,
               "<line class=\"gl\" x1=\"0\" x2=\"100%%\" y1=\"%d\" y2=\"%d\"/>"
               "<line class=\"bl\" x1=\"0\" x2=\"100%%\" y1=\"%d\" y2=\"%d\"/>"
               "<text class=\"ax\" x=\"0\" y=\"%d\">%s %s</text>",
               PLOT_TOP, PLOT_TOP, PLOT_TOP + PLOT_H, PLOT_TOP + PLOT_H, PLOT_TOP - 3, ys, unit);
    for (size_t i = 0; i < h->nbins; i++) {
        const struct svg_bin *b = &h->bins[i];
        double x0 = pos(&ax, b->lo) * 100, x1 = pos(&ax, b->hi) * 100;
        double w = x1 - x0 > 0.3 ? x1 - x0 - 0.15 : x1 - x0;
        double base = PLOT_TOP + PLOT_H;
        char lo[48], hi[48], c0[48], c1[48];
        h->fmt_x(b->lo, lo, sizeof lo);
        h->fmt_x(b->hi, hi, sizeof hi);
        fmt_num(b->v[0], c0, sizeof c0);
        fmt_num(b->v[1], c1, sizeof c1);
        buf_puts(out, "<g><title>");
        html_esc(out, lo, strlen(lo), 0);
        buf_puts(out, " to ");
        html_esc(out, hi, strlen(hi), 0);
        buf_printf(out, ": %s", c0);
        char one[32];
        if (legend)
            buf_printf(out, " %s, %s %s", h->series[0], c1, h->series[1]);
        else
            buf_printf(out, " %s", unit_of(b->v[0], h->y_unit, one, sizeof one));
        buf_puts(out, "</title>");
        for (int s = 0; s < 2; s++) {
            if (b->v[s] <= 0 || ymax <= 0)
                continue;
            double ph = b->v[s] / ymax * PLOT_H;
            if (ph < 1)
                ph = 1;
            base -= ph;
            buf_printf(out,
                       "<rect class=\"%s\" x=\"%.3f%%\" y=\"%.1f\" width=\"%.3f%%\" "
                       "height=\"%.1f\"/>",
                       s ? "bf" : "b0", x0, base, w, ph);
        }
        buf_puts(out, "</g>");
    }
    marks(out, h, &ax);
    x_ticks(out, h, &ax);
    if (legend) {
        int y = PLOT_TOP + PLOT_H + 38;
        buf_printf(out,
                   "<rect class=\"b0\" x=\"0\" y=\"%d\" width=\"12\" height=\"12\"/>"
                   "<text class=\"ax\" x=\"16\" y=\"%d\">%s</text>"
                   "<rect class=\"bf\" x=\"50%%\" y=\"%d\" width=\"12\" height=\"12\"/>"
                   "<text class=\"ax\" x=\"50%%\" dx=\"16\" y=\"%d\">%s (stacked above)</text>",
                   y - 10, y, h->series[0], y - 10, y, h->series[1]);
    }
    buf_puts(out, "</svg>");
}
