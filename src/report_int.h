/* report_int.h: the state shared by report.c (passes, files), report_fields.c
 * (per-field distributions), report_svg.c (charts) and report_html.c (the
 * page). Every array here has a fixed ceiling: memory does not grow with the
 * number of jobs.
 * Ownership: struct rpt owns its strings, its run.json reference and the
 * spool; rpt_free releases them. Field and chart helpers borrow. */
#ifndef GB_REPORT_INT_H
#define GB_REPORT_INT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "hist.h"

#define RPT_MAX_LINE ((size_t)16 << 20) /* a longer result line is counted as unreadable */
#define RPT_CELL_MAX 120                /* bytes of text in one table cell */
#define RPT_MAX_FIELDS 32               /* output fields with a distribution */
#define RPT_TOP_K 256                   /* distinct values tracked per field */
#define RPT_TOP_SHOWN 10                /* bars shown for a free-text field */
#define RPT_ENUM_MAX 16                 /* at most this many distinct: all shown */
#define RPT_NUM_BINS 20
#define RPT_MAX_DEPTH 4                 /* output nesting followed for fields */
#define RPT_MAX_IMAGES 1000             /* contact sheet */
#define RPT_MAX_GROUPS 32               /* error groups (code, status) */
#define RPT_EXAMPLES 3                  /* messages shown per error group */
#define RPT_ATTEMPT_BARS 10             /* jobs by attempts: 1..9 and 10+ */
#define RPT_TIME_BINS 120
#define RPT_TABLE_FIELDS 4              /* output fields shown as table columns */
#define RPT_BAD_LISTED 5
#define RPT_MAX_STATUSES 8

/* ---- per-field distributions (report_fields.c) ---------------------------- */

struct rpt_value {
    uint64_t h;  /* hash of the whole value */
    uint64_t n;  /* count (space-saving estimate in pass 1, exact after pass 2) */
    char *label; /* the value, cut to RPT_CELL_MAX bytes */
};

struct rpt_field {
    char *path;                  /* "category", "seller.address.country", "items[].amount" */
    uint64_t n_str, n_num, n_true, n_false, n_null, n_other;
    struct rpt_value *vals;      /* RPT_TOP_K */
    int32_t *idx;                /* hash index into vals, 2 * RPT_TOP_K slots, -1 empty */
    size_t nvals;
    int overflow;                /* more distinct strings than RPT_TOP_K were seen */
    uint64_t min_n;              /* smallest count among vals once full */
    size_t cursor;               /* where the search for a smallest count resumes */
    double min, max, sum;        /* numbers */
    int all_int;
    double few[RPT_ENUM_MAX];    /* the distinct numbers while there are few (sorted) */
    int nfew;                    /* how many; -1 once there were more */
    int nbins;                   /* 0 until pass 2 lays the bins out */
    int pinned;                  /* pass 2: one bin per value of few[] (bins[i]: few[i]) */
    double lo, w;
    uint64_t bins[RPT_NUM_BINS + 1];
};

enum rpt_kind { RPT_K_NONE, RPT_K_BOOL, RPT_K_STR, RPT_K_NUM };

struct rpt_fields {
    struct rpt_field f[RPT_MAX_FIELDS];
    size_t n;
    uint64_t dropped;  /* values of fields past RPT_MAX_FIELDS (or too deep) */
    uint64_t answers;  /* results with an "output" */
    int pass;          /* 1: discover and estimate; 2: exact counts, bins */
};

void rf_init(struct rpt_fields *fs);
void rf_free(struct rpt_fields *fs);
/* Add one result's output (borrowed). 0 or GB_ENOMEM. */
int rf_add(struct rpt_fields *fs, const json_t *output);
/* Between the passes: bins for numbers, counts of top values reset for the
 * exact recount. */
void rf_start_pass2(struct rpt_fields *fs);
enum rpt_kind rf_kind(const struct rpt_field *f);
/* The values to draw, most frequent first (at most max); *other gets the
 * count of the rest. Sorts f->vals in place. */
size_t rf_top(struct rpt_field *f, size_t max, uint64_t *other);
uint64_t rf_hash(const char *s, size_t n);

/* ---- charts (report_svg.c) --------------------------------------------------- */

struct svg_bar {
    const char *label;
    double value;
    const char *cls; /* CSS class of the bar: "b0" (blue) .. "b4", "bf" (failure) */
};

struct svg_bin {
    double lo, hi;     /* the bin's edges, in the axis' unit */
    double v[2];       /* stacked values: v[0] below, v[1] above */
};

struct svg_mark {
    double at;         /* position on the axis */
    const char *label; /* "p50 12 ms" */
    const char *cls;   /* "m50", "m95", "m99": line style, not colour alone */
};

struct svg_hist {
    const char *id;           /* unique in the page: ids of title and desc */
    const char *title, *desc;
    const struct svg_bin *bins;
    size_t nbins;
    int log_x;                /* bins on a log axis (edges > 0) */
    const struct svg_mark *marks;
    size_t nmarks;
    const char *series[2];    /* legend names of v[0], v[1] (v[1] NULL: one series) */
    void (*fmt_x)(double x, char *out, size_t n);
    const char *y_unit;       /* "jobs", "requests", "jobs/s" */
};

/* A horizontal bar chart of items (labels escaped here). */
void svg_hbars(struct buf *out, const char *id, const char *title, const char *desc,
               const struct svg_bar *bars, size_t n, const char *unit);
/* A histogram or time series with optional markers. */
void svg_histogram(struct buf *out, const struct svg_hist *h);
/* Numbers for people: 1234567 -> "1,234,567"; reals with up to 3 decimals. */
void fmt_count(double v, char *out, size_t n);
void fmt_num(double v, char *out, size_t n);
void fmt_ms(double ms, char *out, size_t n);
void fmt_secs(double s, char *out, size_t n);
void fmt_usd(double v, char *out, size_t n);

/* ---- escaping (report_html.c) --------------------------------------------------- */

/* Text or attribute value: & < > " ' escaped, control bytes and invalid
 * UTF-8 become U+FFFD. At most max bytes of s are used (0: all), never
 * cutting a character; "..." is added when cut. */
void html_esc(struct buf *out, const char *s, size_t n, size_t max);
/* A JSON string literal safe inside <script>: <, >, &, U+2028/9 and controls
 * as \uXXXX, cut like html_esc. */
void json_esc(struct buf *out, const char *s, size_t n, size_t max);
/* A relative path for href/src: NULL (refused) for anything that is not a
 * plain relative path (scheme, leading '/', '..', backslash); otherwise
 * percent-encoded. New string. */
char *url_rel(const char *prefix, const char *path);

/* ---- the report ---------------------------------------------------------------- */

struct rpt_example {
    char *id, *msg, *where;
};

struct rpt_group {
    long code;
    char *status;
    uint64_t n;
    int nex;
    struct rpt_example ex[RPT_EXAMPLES];
};

struct rpt_image {
    char *id, *url; /* url: relative to the page, already checked */
};

struct rpt_bad {
    char file[16];
    long line;
    char why[160];
};

struct rpt {
    const char *outdir;
    char *outfile;
    char *prefix;            /* from the page's folder to OUTDIR ("" when the same) */
    long max_rows;
    json_t *run;             /* run.json, NULL when missing or unreadable */
    char run_problem[300];   /* why run.json is not used */
    int pass;
    /* lines */
    uint64_t n_results, n_errors, n_bad;
    struct rpt_bad bad[RPT_BAD_LISTED];
    uint64_t n_cached, n_cost;
    double cost_sum;
    uint64_t attempts_ok[RPT_ATTEMPT_BARS + 1], attempts_fail[RPT_ATTEMPT_BARS + 1];
    uint64_t reasks[4];      /* 0, 1, 2, 3+ */
    uint64_t tok_in, tok_out, tok_total;
    struct hist lat_lines;   /* latency_ms of result lines, in microseconds */
    /* throughput: "finished_at" of lines */
    double tmin, tmax;
    uint64_t n_timed;
    double t0, tw;
    int ntbins;
    uint64_t tb_ok[RPT_TIME_BINS], tb_fail[RPT_TIME_BINS];
    /* outputs */
    struct rpt_fields fields;
    char *cols[RPT_TABLE_FIELDS]; /* top-level output keys shown in the table */
    int ncols;
    /* errors */
    struct rpt_group groups[RPT_MAX_GROUPS];
    int ngroups;
    uint64_t groups_other;
    /* images */
    struct rpt_image img[RPT_MAX_IMAGES];
    size_t nimg;
    uint64_t nimg_total, nimg_refused;
    char *statuses[RPT_MAX_STATUSES]; /* status values, as table codes */
    int nstatus;
    uint64_t n_text;         /* results without an "output" */
    /* the table */
    uint64_t rows_total, row_i, rows_kept;
    FILE *spool;             /* pass 2 writes the rows' JSON here */
};

void rpt_free(struct rpt *r);
/* Index of a status value in r->statuses (added in pass 1), -1 past the cap. */
int rpt_status_index(struct rpt *r, const char *s);
/* Relative path from folder `from` to folder `to` (absolute, resolved), with
 * a trailing '/', "" when the same. New string. */
char *rpt_rel_prefix(const char *from, const char *to);
/* "finished_at" as seconds since the epoch, -1 when absent or malformed. */
double rpt_time_of(const json_t *v);
/* The table has a text column: some results have no "output". */
static inline int rpt_has_text(const struct rpt *r)
{
    return r->n_results && (r->ncols == 0 || r->n_text > 0);
}
/* Write the page to f. 0 or GB_EIO. */
int rpt_write_page(struct rpt *r, FILE *f, struct gb_err *err);
/* CSS and script of the page, and their CSP hashes ("sha256-..."). */
extern const char rpt_css[], rpt_js[];

#endif
