/* report_page.h: the page being written (report_html.c) and its chart
 * sections (report_page.c).
 * Ownership: struct page owns its buffer; the FILE is borrowed. Values from
 * run_get are borrowed from struct rpt's run.json. */
#ifndef GB_REPORT_PAGE_H
#define GB_REPORT_PAGE_H

#include "report_int.h"

struct page {
    struct buf b; /* written to f at each page_flush */
    FILE *f;
    int failed;   /* errno of the first failed write */
};

int page_flush(struct page *p);
/* Escaped text of a C string. */
void page_text(struct page *p, const char *s);
/* One figure of the summary (see report_html.c); sub is already escaped. */
void page_fig(struct page *p, const char *label, const char *key, double v, const char *shown,
              const char *sub);
/* run.json value at a dotted path ("counts.completed"), NULL if absent. */
const json_t *run_get(const struct rpt *r, const char *path);
int run_num(const struct rpt *r, const char *path, double *out);

/* Answers, images, timing, retries, errors and cost sections. 0 or GB_EIO. */
int page_sections(struct page *p, struct rpt *r);

#endif
