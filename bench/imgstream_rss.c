/* imgstream_rss.c: peak RSS of one response that carries a large image,
 * taken the way the engine is to take it (issue 14 point 5): xfer with its
 * byte budget, the body scanned as it streams with the image decoded into
 * OUTDIR/.spool (imgstream), the kept body parsed, the spooled file handed
 * to the sink's image writer, the result line held until it is on disk.
 * Usage: imgstream_rss URL OUTDIR. Prints the image's size and the peak RSS.
 * bench/imgstream.sh runs it beside today's `gembatch run` for comparison. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fsx.h"
#include "imgstream.h"
#include "sink.h"
#include "xfer.h"

static int on_data(struct op *op, const char *p, size_t n)
{
    size_t before = op->resp.len;
    int rc = imgs_feed(op->data_ctx, p, n, &op->resp);
    size_t kept = op->resp.len - before;
    xfer_op_release(op, kept < n ? n - kept : 0);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: imgstream_rss URL OUTDIR\n");
        return 2;
    }
    struct sink s;
    struct gb_err err = {0};
    if (sink_open(&s, argv[2], 1, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct imgstream is;
    imgs_init(&is, IMGS_JSON, sink_spool_fd(&s), 0, SINK_MAX_IMAGES_PER_ANSWER);
    struct xfer x;
    struct xfer_opts xo = {NULL, 30000, 0};
    xfer_init(&x, &xo, NULL, "imgstream-bench");
    struct op *op = op_new(&x, 1, NULL, "GET", strdup(argv[1]));
    op->on_data = on_data;
    op->data_ctx = &is;
    op->timeout_ms = 600000;
    xfer_add(&x, op);
    while (!xfer_next_done(&x))
        xfer_poll(&x, 100, NULL, 0);
    imgs_finish(&is, &op->resp);
    int rc = 1;
    json_t *doc = op->cc == CURLE_OK ? json_loadb(op->resp.data, op->resp.len, 0, NULL) : NULL;
    json_t *im = json_array_get(json_object_get(doc, "outputs"), 0);
    json_t *data = json_object_get(im, "data");
    struct imgs_item *it =
        json_is_string(data)
            ? imgs_lookup(&is, json_string_value(data), json_string_length(data))
            : NULL;
    if (it && !it->bad) {
        struct sink_batch *b = sink_batch_new(&s, "big/1");
        char *rel = NULL;
        if (b && sink_batch_image_file(&s, b, 0, it->spool, "png", &rel) == 0) {
            imgs_claim(it);
            json_t *line = json_pack("{s:s,s:[s]}", "id", "big/1", "files", rel);
            sink_batch_close(&s, b, SINK_RESULTS, line);
            json_decref(line);
            printf("image %.1f MiB decoded to %s; kept body %zu bytes\n",
                   (double)it->bytes / 1048576.0, rel, op->resp.len);
            rc = 0;
        }
        free(rel);
    } else {
        fprintf(stderr, "no image came back (curl %d: %s)\n", (int)op->cc, op->errbuf);
    }
    json_decref(doc);
    op_free(op);
    xfer_free(&x);
    imgs_free(&is);
    sink_close(&s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    return rc;
}
