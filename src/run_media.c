/* run_media.c: media too large to go inline: digested a slice at a time (the
 * loop never stalls on a 2 GiB video), deduplicated by content, uploaded
 * through upload.c's resumable protocol, then referenced by uri. Owns no
 * state of its own: records live in struct run's uploads table. Calls only
 * run_jobs.c in the engine. */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* The media t is working on now has its uri: point the request at it. */
static void set_uri(struct task *t, const char *uri)
{
    struct media *m = &t->job->media[t->media.k];
    json_object_del(m->part, "data");
    json_object_set_new(m->part, "uri", json_string(uri));
    free(m->uri);
    m->uri = strdup(uri);
    t->media.k++;
}

void media_advance(struct run *r, struct task *t)
{
    const struct job *j = t->job;
    while (t->media.k < j->nmedia && !(j->media[t->media.k].upload && !j->media[t->media.k].uri))
        t->media.k++;
    if (t->media.k >= j->nmedia) {
        task_next_request(r, t, NULL, KIND_FIRST);
        return;
    }
    const struct media *m = &j->media[t->media.k];
    t->media.fd = open(m->path, O_RDONLY | O_CLOEXEC);
    struct sha256 *h = calloc(1, sizeof *h);
    if (t->media.fd < 0 || !h || sha256_init(h)) {
        free(h);
        char msg[600];
        snprintf(msg, sizeof msg, "cannot read '%.500s': %s", m->path, strerror(errno));
        task_fail(r, t, 0, "LOCAL_ERROR", msg, NULL);
        return;
    }
    t->media.hash = h;
    t->media.off = 0;
    task_phase(r, t, PH_HASH);
    t->next = r->hashing;
    r->hashing = t;
}

static void on_hashed(struct run *r, struct task *t, const uint8_t sha[32])
{
    const struct media *m = &t->job->media[t->media.k];
    struct upl *rec = uploads_find(&r->up, sha);
    if (!rec) {
        rec = uploads_add(&r->up, sha, m->size, m->mime, m->path);
        if (!rec) {
            task_fail(r, t, 0, "LOCAL_ERROR", "out of memory", NULL);
            return;
        }
        rec->owner = t;
        t->media.upl = rec;
        t->attempts = 0;
        task_phase(r, t, PH_UPLOAD);
        task_ready(r, t);
    } else if (rec->state == UPL_ACTIVE) {
        r->up.reused++;
        set_uri(t, rec->uri);
        media_advance(r, t);
    } else if (rec->state == UPL_FAILED) {
        task_fail(r, t, 0, "UPLOAD_FAILED", rec->error, NULL);
    } else {
        r->up.reused++;
        task_phase(r, t, PH_UPLOAD_WAIT);
        t->next = rec->waiters;
        rec->waiters = t;
    }
}

void media_hash_step(struct run *r)
{
    size_t budget = HASH_BUDGET;
    struct task **pp = &r->hashing;
    while (*pp && budget) {
        struct task *t = *pp;
        uint64_t size = t->job->media[t->media.k].size;
        ssize_t n = pread(t->media.fd, r->hash_buf, HASH_CHUNK, (off_t)t->media.off);
        if (n > 0) {
            sha256_update(t->media.hash, r->hash_buf, (size_t)n);
            t->media.off += (uint64_t)n;
            budget = budget > (size_t)n ? budget - (size_t)n : 0;
            if (t->media.off < size) {
                pp = &t->next;
                continue;
            }
        }
        *pp = t->next;
        t->next = NULL;
        close(t->media.fd);
        t->media.fd = -1;
        uint8_t sha[32];
        int rc = sha256_final(t->media.hash, sha);
        free(t->media.hash);
        t->media.hash = NULL;
        if (n < 0 || rc || t->media.off != size) {
            task_fail(r, t, 0, "LOCAL_ERROR",
                      "a media file changed or could not be read while it was being prepared "
                      "for upload",
                      NULL);
            continue;
        }
        on_hashed(r, t, sha);
    }
}

void media_upload_done(struct run *r, struct task *t, struct op *op)
{
    struct upl *rec = t->media.upl;
    long delay = 0;
    enum upl_next next = upl_done(&r->up, rec, op, &r->policy, run_rnd(r), &delay);
    if (op->http > 0 && op->http < 600)
        r->c.http[op->http]++;
    struct task *w = NULL;
    if (next == UPL_DONE || next == UPL_FAIL) {
        w = rec->waiters;
        rec->waiters = NULL;
        rec->owner = NULL;
        t->media.upl = NULL;
    }
    switch (next) {
    case UPL_GO:
        task_ready(r, t);
        break;
    case UPL_LATER:
        task_schedule(r, t, (uint64_t)delay);
        break;
    case UPL_DONE:
        set_uri(t, rec->uri);
        media_advance(r, t);
        while (w) {
            struct task *nx = w->next;
            w->next = NULL;
            set_uri(w, rec->uri);
            media_advance(r, w);
            w = nx;
        }
        break;
    case UPL_FAIL:
        task_fail(r, t, op->http, "UPLOAD_FAILED", rec->error, NULL);
        while (w) {
            struct task *nx = w->next;
            task_fail(r, w, op->http, "UPLOAD_FAILED", rec->error, NULL);
            w = nx;
        }
        break;
    case UPL_ABORT:
        run_abort(r, "the Files API refused the upload: %s", rec->error);
        task_ready(r, t); /* recorded as interrupted when the run drains */
        break;
    }
}
