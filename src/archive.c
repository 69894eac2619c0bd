/* archive.c: placeholder until the archives issue lands: detects nothing,
 * so every input is read as a JSONL manifest. */
#include "archive.h"

int arc_detect(const unsigned char *head, size_t n)
{
    (void)head;
    (void)n;
    return 0;
}

int arc_open_fd(int fd, const char *name, const unsigned char *head, size_t n,
                const struct arc_opts *o, struct arc **out, struct gb_err *err)
{
    (void)fd;
    (void)head;
    (void)n;
    (void)o;
    *out = NULL;
    return GB_FAIL(err, GB_EUNSUPPORTED, "'%s': archives are not supported yet", name);
}

struct job *arc_next(struct arc *a, const struct job_ctx *ctx)
{
    (void)a;
    (void)ctx;
    return NULL;
}

json_t *arc_skipped(const struct arc *a)
{
    (void)a;
    return NULL;
}

void arc_close(struct arc *a)
{
    (void)a;
}
