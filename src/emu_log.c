/* emu_log.c: the --log request log: one JSON line per request, written with
 * a single write() on an O_APPEND descriptor, so lines from concurrent
 * requests never interleave and every line is on disk when the answer leaves.
 * Never writes the API key: it is not among the fields. */
#include "emu_srv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

void emu_log_request(struct req *r, unsigned status)
{
    struct emu *e = r->e;
    if (e->log_fd < 0 || r->logged)
        return;
    r->logged = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char iso[32], stamp[48];
    emu_iso8601((int64_t)ts.tv_sec * 1000, iso);
    iso[19] = '\0'; /* drop the Z, add milliseconds */
    snprintf(stamp, sizeof stamp, "%s.%03ldZ", iso, ts.tv_nsec / 1000000);
    const char *path = r->url;
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ts", stamp, "method", r->method, "path",
                          path, "status", (int)status, "dialect", emu_dialect_name(r->dialect));
    if (!o)
        return;
    if (r->log_model[0])
        json_object_set_new(o, r->log_is_agent ? "agent" : "model", json_string(r->log_model));
    if (r->log_iid[0])
        json_object_set_new(o, "interaction_id", json_string(r->log_iid));
    if (r->log_prev[0])
        json_object_set_new(o, "previous_interaction_id", json_string(r->log_prev));
    if (r->log_turns)
        json_object_set_new(o, "turns", json_integer(r->log_turns));
    if (r->log_continued)
        json_object_set_new(o, "continued", json_true());
    if (r->log_signatures)
        json_object_set_new(o, "signatures", json_integer(r->log_signatures));
    const char *fn = r->log_batch.lost ? "batch_create_lost" : fault_name(r->fault);
    json_object_set_new(o, "fault", fn ? json_string(fn) : json_null());
    json_object_set_new(o, "parts", r->log_parts ? json_incref(r->log_parts) : json_array());
    if (r->rt && (r->rt->flags & RT_UPLOAD)) {
        const char *cmd = req_header(r, "X-Goog-Upload-Command");
        const char *fname = req_header(r, "X-Goog-Upload-File-Name");
        json_t *u = json_pack("{s:s, s:I, s:I}", "command", cmd ? cmd : "", "offset",
                              (json_int_t)r->up_offset, "bytes", (json_int_t)r->up_got);
        const char *rec = NULL;
        for (int i = 0; i < r->rep.nh; i++)
            if (!strcasecmp(r->rep.hname[i], "X-Goog-Upload-Size-Received"))
                rec = r->rep.hval[i];
        if (u && rec)
            json_object_set_new(u, "received", json_integer(strtoll(rec, NULL, 10)));
        else if (u && r->up)
            json_object_set_new(u, "received",
                                json_integer((json_int_t)emu_upload_received(r->up)));
        else if (u)
            json_object_set_new(u, "received", json_integer(0));
        if (u && fname)
            json_object_set_new(u, "file_name", json_string(fname));
        json_object_set_new(o, "upload", u);
    }
    if (r->rt && (r->rt->flags & RT_TIER)) {
        const char *asked = emu_tier_name(r->tier_asked), *served = emu_tier_name(r->tier_served);
        json_object_set_new(o, "tier_asked", asked ? json_string(asked) : json_null());
        json_object_set_new(o, "tier_served", served ? json_string(served) : json_null());
    }
    if (r->log_file[0])
        json_object_set_new(o, "file", json_string(r->log_file));
    if (r->log_batch.name[0]) {
        json_object_set_new(o, "batch", json_string(r->log_batch.name));
        if (r->log_batch.state[0])
            json_object_set_new(o, "state", json_string(r->log_batch.state));
        if (r->log_batch.requests)
            json_object_set_new(o, "requests", json_integer(r->log_batch.requests));
        if (r->log_batch.display[0])
            json_object_set_new(o, "display_name", json_string(r->log_batch.display));
    }
    if (r->delay_ms)
        json_object_set_new(o, "latency_ms", json_integer(r->delay_ms));
    struct buf line;
    buf_init(&line, BUF_UNLIMITED);
    int rc = jf_append(&line, o);
    json_decref(o);
    if (rc || buf_putc(&line, '\n')) {
        buf_free(&line);
        return;
    }
    /* one write() per line (O_APPEND): lines from many threads never interleave */
    ssize_t w = write(e->log_fd, line.data, line.len);
    (void)w;
    buf_free(&line);
}

