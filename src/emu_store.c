/* emu_store.c: stored interactions, kept in memory as compact JSON text
 * (never as shared jansson trees, so any thread may read them) in a hash
 * table with a FIFO for eviction past --max-stored. Owns the background
 * life cycle: in_progress for the first N GETs, then the finished rendering;
 * cancel turns a running one into a cancelled one. One mutex. */
#include "emu_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKET 4096
#define MAX_INPUT_ECHO (64 * 1024)            /* inputs larger than this are not echoed */
#define MAX_STORE_BYTES (256ull * 1024 * 1024) /* all stored text: memory stays bounded */

struct rec {
    char id[48];
    char *final_json;
    char *pending_json;  /* background, while running */
    char *cancel_json;   /* after a cancel */
    char *input_json;
    char *tools_json;
    int status;          /* current */
    int final_status;
    int polls_left;
    int turns_total;
    int cont;            /* a continuation state under its token, not an interaction */
    uint64_t tokens;
    uint8_t hash[32];
    size_t bytes;        /* of the strings above, counted against MAX_STORE_BYTES */
    struct rec *hnext;
    struct rec *older, *newer;
};

struct emu_store {
    pthread_mutex_t mu;
    struct rec *bucket[NBUCKET];
    struct rec *oldest, *newest;
    long n, max;
    uint64_t bytes;
};

const char *emu_status_name(int st)
{
    switch (st) {
    case EMU_ST_IN_PROGRESS: return "in_progress";
    case EMU_ST_REQUIRES_ACTION: return "requires_action";
    case EMU_ST_COMPLETED: return "completed";
    case EMU_ST_FAILED: return "failed";
    case EMU_ST_CANCELLED: return "cancelled";
    case EMU_ST_IDLE: return "idle";
    }
    return "unknown";
}

static unsigned hash_id(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h % NBUCKET;
}

static void rec_free(struct rec *r)
{
    if (!r)
        return;
    free(r->final_json);
    free(r->pending_json);
    free(r->cancel_json);
    free(r->input_json);
    free(r->tools_json);
    free(r);
}

int emu_store_new(long max_stored, struct emu_store **out)
{
    struct emu_store *s = calloc(1, sizeof *s);
    if (!s)
        return GB_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    s->max = max_stored > 0 ? max_stored : 1;
    *out = s;
    return 0;
}

void emu_store_free(struct emu_store *s)
{
    if (!s)
        return;
    for (struct rec *r = s->oldest, *nx; r; r = nx) {
        nx = r->newer;
        rec_free(r);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static struct rec **find_slot(struct emu_store *s, const char *id)
{
    struct rec **pp = &s->bucket[hash_id(id)];
    while (*pp && strcmp((*pp)->id, id))
        pp = &(*pp)->hnext;
    return pp;
}

/* The record of id if it is of the kind asked for (interaction or
 * continuation state), else NULL: a token is never an interaction id. */
static struct rec *find_rec(struct emu_store *s, const char *id, int cont)
{
    struct rec *r = *find_slot(s, id);
    return r && r->cont == cont ? r : NULL;
}

static void unlink_rec(struct emu_store *s, struct rec *r)
{
    struct rec **pp = find_slot(s, r->id);
    if (*pp == r)
        *pp = r->hnext;
    if (r->older)
        r->older->newer = r->newer;
    else
        s->oldest = r->newer;
    if (r->newer)
        r->newer->older = r->older;
    else
        s->newest = r->older;
    s->n--;
    s->bytes -= r->bytes;
}

static size_t slen(const char *p)
{
    return p ? strlen(p) : 0;
}

int emu_store_put(struct emu_store *s, struct emu_rec_in *in)
{
    struct rec *r = calloc(1, sizeof *r);
    if (!r) {
        free(in->final_json);
        free(in->pending_json);
        free(in->input_json);
        free(in->tools_json);
        return GB_ENOMEM;
    }
    memcpy(r->id, in->id, sizeof r->id);
    r->final_json = in->final_json;
    r->pending_json = in->pending_json;
    if (in->input_json && strlen(in->input_json) <= MAX_INPUT_ECHO)
        r->input_json = in->input_json;
    else
        free(in->input_json);
    r->tools_json = in->tools_json;
    r->final_status = in->final_status;
    r->status = in->pending_json ? EMU_ST_IN_PROGRESS : in->final_status;
    r->polls_left = in->polls;
    r->turns_total = in->turns_total;
    r->cont = in->cont;
    r->tokens = in->tokens;
    memcpy(r->hash, in->hash, sizeof r->hash);
    r->bytes = sizeof *r + slen(r->final_json) + slen(r->pending_json) + slen(r->input_json) +
               slen(r->tools_json);
    struct rec *evicted = NULL;
    pthread_mutex_lock(&s->mu);
    struct rec **pp = find_slot(s, r->id);
    r->hnext = *pp;
    *pp = r;
    r->older = s->newest;
    if (s->newest)
        s->newest->newer = r;
    else
        s->oldest = r;
    s->newest = r;
    s->n++;
    s->bytes += r->bytes;
    /* past --max-stored or the byte budget: drop the oldest (never r itself) */
    while ((s->n > s->max || s->bytes > MAX_STORE_BYTES) && s->oldest != r) {
        struct rec *old = s->oldest;
        unlink_rec(s, old);
        old->hnext = evicted; /* freed outside the lock */
        evicted = old;
    }
    pthread_mutex_unlock(&s->mu);
    while (evicted) {
        struct rec *nx = evicted->hnext;
        rec_free(evicted);
        evicted = nx;
    }
    return 0;
}

static const char *current_json(const struct rec *r)
{
    if (r->status == EMU_ST_CANCELLED && r->cancel_json)
        return r->cancel_json;
    if (r->status == EMU_ST_IN_PROGRESS && r->pending_json)
        return r->pending_json;
    return r->final_json;
}

/* json (an object) with ,"input":INPUT spliced in before its last brace. */
static char *splice_input(const char *json, const char *input, size_t *len)
{
    size_t a = strlen(json), b = strlen(input);
    if (a < 2 || json[a - 1] != '}')
        return NULL;
    char *o = malloc(a + b + 16);
    if (!o)
        return NULL;
    size_t n = a - 1;
    memcpy(o, json, n);
    if (json[n - 1] != '{')
        o[n++] = ',';
    memcpy(o + n, "\"input\":", 8);
    n += 8;
    memcpy(o + n, input, b);
    n += b;
    o[n++] = '}';
    o[n] = '\0';
    *len = n;
    return o;
}

int emu_store_get(struct emu_store *s, const char *id, int poll, int finish, int include_input,
                  char **json, size_t *len, int *status)
{
    *json = NULL;
    pthread_mutex_lock(&s->mu);
    struct rec *r = find_rec(s, id, 0);
    if (!r) {
        pthread_mutex_unlock(&s->mu);
        return -1;
    }
    if (r->status == EMU_ST_IN_PROGRESS) {
        if (finish || (poll && r->polls_left <= 0)) {
            r->status = r->final_status;
            size_t k = slen(r->pending_json);
            r->bytes -= k;
            s->bytes -= k;
            free(r->pending_json);
            r->pending_json = NULL;
        } else if (poll) {
            r->polls_left--;
        }
    }
    const char *cur = current_json(r);
    if (include_input && r->input_json)
        *json = splice_input(cur, r->input_json, len);
    else if ((*json = strdup(cur)))
        *len = strlen(cur);
    if (status)
        *status = r->status;
    pthread_mutex_unlock(&s->mu);
    return *json ? 0 : GB_ENOMEM;
}

int emu_store_prev(struct emu_store *s, const char *id, struct emu_prev *out)
{
    char *tools = NULL;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    struct rec *r = find_rec(s, id, 0);
    if (r) {
        out->turns_total = r->turns_total;
        out->tokens = r->tokens;
        memcpy(out->hash, r->hash, sizeof out->hash);
        tools = r->tools_json ? strdup(r->tools_json) : NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (!r)
        return -1;
    if (tools)
        out->tools = json_loads(tools, 0, NULL);
    free(tools);
    return 0;
}

/* The pending rendering with the status turned to cancelled. */
static char *cancelled_of(const char *pending)
{
    json_t *o = json_loads(pending, 0, NULL);
    char ts[32];
    if (!o)
        return NULL;
    emu_iso8601(emu_now_ms(), ts);
    json_object_set_new(o, "status", json_string("cancelled"));
    json_object_set_new(o, "updated", json_string(ts));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

int emu_store_cancel(struct emu_store *s, const char *id, char **json, size_t *len)
{
    char *pending = NULL;
    *json = NULL;
    pthread_mutex_lock(&s->mu);
    struct rec *r = find_rec(s, id, 0);
    int rc = !r ? -1 : r->status != EMU_ST_IN_PROGRESS ? -2 : 0;
    if (!rc)
        pending = strdup(r->pending_json);
    pthread_mutex_unlock(&s->mu);
    if (rc)
        return rc;
    char *c = pending ? cancelled_of(pending) : NULL;
    free(pending);
    if (!c)
        return GB_ENOMEM;
    pthread_mutex_lock(&s->mu);
    r = find_rec(s, id, 0);
    if (!r || r->status != EMU_ST_IN_PROGRESS) { /* finished or gone meanwhile */
        rc = !r ? -1 : -2;
        pthread_mutex_unlock(&s->mu);
        free(c);
        return rc;
    }
    r->status = EMU_ST_CANCELLED;
    size_t was = slen(r->pending_json), now = slen(c);
    r->bytes = r->bytes - was + now;
    s->bytes = s->bytes - was + now;
    free(r->pending_json);
    r->pending_json = NULL;
    r->cancel_json = c;
    *json = strdup(c);
    *len = *json ? strlen(*json) : 0;
    pthread_mutex_unlock(&s->mu);
    return *json ? 0 : GB_ENOMEM;
}

int emu_store_delete(struct emu_store *s, const char *id)
{
    pthread_mutex_lock(&s->mu);
    struct rec *r = find_rec(s, id, 0);
    if (r)
        unlink_rec(s, r);
    pthread_mutex_unlock(&s->mu);
    rec_free(r);
    return r ? 0 : -1;
}

int emu_store_cont_put(struct emu_store *s, const char *token, char *state_json)
{
    struct emu_rec_in in = {.final_json = state_json, .cont = 1};
    snprintf(in.id, sizeof in.id, "%s", token);
    return emu_store_put(s, &in);
}

int emu_store_cont_get(struct emu_store *s, const char *token, char **state_json)
{
    pthread_mutex_lock(&s->mu);
    struct rec *r = find_rec(s, token, 1);
    *state_json = r ? strdup(r->final_json) : NULL;
    pthread_mutex_unlock(&s->mu);
    return !r ? -1 : *state_json ? 0 : GB_ENOMEM;
}

long emu_store_count(struct emu_store *s)
{
    pthread_mutex_lock(&s->mu);
    long n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}
