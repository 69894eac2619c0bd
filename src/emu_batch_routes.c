/* emu_batch_routes.c: the Batch API's endpoints in the route table
 * (emu_routes.c): create, get, list, cancel and delete on batches, and the
 * download of a file's bytes (a batch's results) at both paths the clients
 * use. Turns emu_batch.c's answers into replies and the log's fields; a
 * large body is streamed, never built in memory. */
#include "emu_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void route_batch_create(struct req *r)
{
    struct emu_err err = {0};
    char *json = NULL;
    size_t len = 0;
    snprintf(r->log_model, sizeof r->log_model, "%.120s", r->id);
    if (r->pre) {
        reply_error(r, &r->err);
        return;
    }
    if (emu_batch_create(r->e->batches, r->id, r->body.data, r->body.len, &json, &len,
                         &r->log_batch, &err)) {
        reply_error(r, &err);
        return;
    }
    /* the batch_create_lost fault: made, but the client never reads that it
     * was, as after a dropped connection, a 500 or a torn body */
    switch (r->log_batch.lost) {
    case EMU_LOST_500:
        free(json);
        emu_fault_error(F_500, &err);
        reply_error(r, &err);
        return;
    case EMU_LOST_DROPPED:
        r->fault = F_RESET; /* half the body, then the connection drops */
        break;
    case EMU_LOST_CUT:
        r->fault = F_BAD_JSON; /* a 200 whose body stops halfway */
        break;
    }
    reply_json(r, json, len);
}

/* the log names the batch asked for, found or not */
static void log_name(struct req *r)
{
    snprintf(r->log_batch.name, sizeof r->log_batch.name, "batches/%.50s", r->id);
}

void route_batch_get(struct req *r)
{
    struct emu_err err = {0};
    log_name(r);
    struct emu_body *body = NULL;
    if (emu_batch_get(r->e->batches, r->id, &body, &r->log_batch, &err))
        reply_error(r, &err);
    else
        reply_stream(r, 200, JSON_CTYPE, body);
}

void route_batch_list(struct req *r)
{
    struct emu_err err = {0};
    char *json = NULL;
    size_t len = 0;
    const char *ps = req_query(r, "pageSize");
    if (!ps)
        ps = req_query(r, "page_size");
    const char *tok = req_query(r, "pageToken");
    if (!tok)
        tok = req_query(r, "page_token");
    char *end = NULL;
    long page_size = ps ? strtol(ps, &end, 10) : 0;
    if (ps && (end == ps || *end || page_size < 0)) {
        emu_fail(&err, 400, "INVALID_ARGUMENT", "Invalid value for pageSize: '%.40s'.", ps);
        reply_error(r, &err);
        return;
    }
    if (emu_batch_list(r->e->batches, page_size, tok, &json, &len, &err))
        reply_error(r, &err);
    else
        reply_json(r, json, len);
}

void route_batch_cancel(struct req *r)
{
    struct emu_err err = {0};
    log_name(r);
    if (emu_batch_cancel(r->e->batches, r->id, &r->log_batch, &err))
        reply_error(r, &err);
    else
        reply_json(r, strdup("{}"), 2);
}

void route_batch_delete(struct req *r)
{
    struct emu_err err = {0};
    log_name(r);
    if (emu_batch_delete(r->e->batches, r->id, &r->log_batch, &err))
        reply_error(r, &err);
    else
        reply_json(r, strdup("{}"), 2);
}

/* GET {v}/files/{id}:download?alt=media and /download/{v}/files/...: the
 * bytes, streamed from the spool. Without alt=media: the File, as a get. */
void route_file_download(struct req *r)
{
    struct emu_err err = {0};
    struct emu_body *body = NULL;
    char mime[128];
    uint64_t bytes = 0;
    int fd = -1;
    snprintf(r->log_file, sizeof r->log_file, "files/%.50s", r->id);
    const char *alt = req_query(r, "alt");
    if (!alt || strcmp(alt, "media")) {
        char *json = NULL;
        size_t len = 0;
        int rc = emu_files_get(r->e->files, r->id, &json, &len);
        if (rc == -1) {
            emu_fail(&err, 404, "NOT_FOUND", "File files/%s was not found.", r->id);
            reply_error(r, &err);
        } else {
            reply_json(r, json, len);
        }
        return;
    }
    if (emu_files_download(r->e->files, r->id, &fd, &bytes, mime, sizeof mime, &err)) {
        reply_error(r, &err);
        return;
    }
    if (emu_body_new(&body) || emu_body_file(body, fd, 0, bytes)) {
        if (!body)
            close(fd);
        emu_body_free(body);
        emu_fail(&err, 500, "INTERNAL", "out of memory");
        reply_error(r, &err);
        return;
    }
    reply_stream(r, 200, "application/octet-stream", body);
}
