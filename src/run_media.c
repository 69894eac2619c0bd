/* run_media.c: media too large to go inline: digested a slice at a time (the
 * loop never stalls on a 2 GiB video), deduplicated by content, uploaded
 * through upload.c's resumable protocol, then referenced by uri. Owns no
 * state of its own: records live in struct run's uploads table. */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- media through the Files API --------------------------------------------- */

static void set_uri(struct job *j, size_t k, const char *uri)
{
    struct media *m = &j->media[k];
    json_object_del(m->part, "data");
    json_object_set_new(m->part, "uri", json_string(uri));
    free(m->uri);
    m->uri = strdup(uri);
}

/* Move a job to its next media that must be uploaded, or on to create. */
void run_advance_media(struct run *r, struct job *j)
{
    while ((size_t)j->upload_k < j->nmedia &&
           !(j->media[j->upload_k].upload && !j->media[j->upload_k].uri))
        j->upload_k++;
    if ((size_t)j->upload_k >= j->nmedia) {
        j->phase = PH_CREATE;
        j->attempts = 0;
        run_ready_push(r, j);
        return;
    }
    const struct media *m = &j->media[j->upload_k];
    j->hash_fd = open(m->path, O_RDONLY | O_CLOEXEC);
    struct sha256 *h = calloc(1, sizeof *h);
    if (j->hash_fd < 0 || !h || sha256_init(h)) {
        free(h);
        char msg[600];
        snprintf(msg, sizeof msg, "cannot read '%.500s': %s", m->path, strerror(errno));
        run_record_error(r, j, 0, "LOCAL_ERROR", msg, NULL);
        return;
    }
    j->hash_ctx = h;
    j->hash_off = 0;
    j->phase = PH_HASH;
    j->next = r->hashing;
    r->hashing = j;
}

static void on_hashed(struct run *r, struct job *j, const uint8_t sha[32])
{
    const struct media *m = &j->media[j->upload_k];
    struct upl *rec = uploads_find(&r->up, sha);
    if (!rec) {
        rec = uploads_add(&r->up, sha, m->size, m->mime, m->path);
        if (!rec) {
            run_record_error(r, j, 0, "LOCAL_ERROR", "out of memory", NULL);
            return;
        }
        rec->owner = j;
        j->upl = rec;
        j->phase = PH_UPLOAD;
        j->attempts = 0;
        run_ready_push(r, j);
    } else if (rec->state == UPL_ACTIVE) {
        r->up.reused++;
        set_uri(j, (size_t)j->upload_k, rec->uri);
        j->upload_k++;
        run_advance_media(r, j);
    } else if (rec->state == UPL_FAILED) {
        run_record_error(r, j, 0, "UPLOAD_FAILED", rec->error, NULL);
    } else {
        r->up.reused++;
        j->phase = PH_UPLOAD_WAIT;
        j->next = rec->waiters;
        rec->waiters = j;
    }
}

/* Digest media for upload dedup a slice at a time, so a 2 GiB video does
 * not stall the transfer loop. */
void run_hash_step(struct run *r)
{
    size_t budget = HASH_BUDGET;
    struct job **pp = &r->hashing;
    while (*pp && budget) {
        struct job *j = *pp;
        ssize_t n = pread(j->hash_fd, r->hash_buf, HASH_CHUNK, (off_t)j->hash_off);
        if (n > 0) {
            sha256_update(j->hash_ctx, r->hash_buf, (size_t)n);
            j->hash_off += (uint64_t)n;
            budget = budget > (size_t)n ? budget - (size_t)n : 0;
            if (j->hash_off < j->media[j->upload_k].size) {
                pp = &j->next;
                continue;
            }
        }
        *pp = j->next;
        j->next = NULL;
        close(j->hash_fd);
        j->hash_fd = -1;
        uint8_t sha[32];
        int rc = sha256_final(j->hash_ctx, sha);
        free(j->hash_ctx);
        j->hash_ctx = NULL;
        if (n < 0 || rc || j->hash_off != j->media[j->upload_k].size) {
            run_record_error(r, j, 0, "LOCAL_ERROR",
                             "a media file changed or could not be read "
                             "while it was being prepared for upload",
                             NULL);
            continue;
        }
        on_hashed(r, j, sha);
    }
}

void run_on_upload_done(struct run *r, struct job *j, struct op *op)
{
    struct upl *rec = j->upl;
    long delay = 0;
    enum upl_next next = upl_done(&r->up, rec, op, &r->policy, run_rnd(r), &delay);
    if (op->http > 0 && op->http < 600)
        r->c.http[op->http]++;
    switch (next) {
    case UPL_GO:
        run_ready_push(r, j);
        break;
    case UPL_LATER:
        run_schedule(r, j, (uint64_t)delay);
        break;
    case UPL_DONE: {
        struct job *w = rec->waiters;
        rec->waiters = NULL;
        rec->owner = NULL;
        j->upl = NULL;
        set_uri(j, (size_t)j->upload_k, rec->uri);
        j->upload_k++;
        run_advance_media(r, j);
        while (w) {
            struct job *nx = w->next;
            w->next = NULL;
            set_uri(w, (size_t)w->upload_k, rec->uri);
            w->upload_k++;
            run_advance_media(r, w);
            w = nx;
        }
        break;
    }
    case UPL_FAIL: {
        struct job *w = rec->waiters;
        rec->waiters = NULL;
        rec->owner = NULL;
        j->upl = NULL;
        run_record_error(r, j, op->http, "UPLOAD_FAILED", rec->error, NULL);
        while (w) {
            struct job *nx = w->next;
            run_record_error(r, w, op->http, "UPLOAD_FAILED", rec->error, NULL);
            w = nx;
        }
        break;
    }
    case UPL_ABORT:
        run_abort(r, "the Files API refused the upload: %s", rec->error);
        run_ready_push(r, j);
        break;
    }
}
