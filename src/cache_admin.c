/* cache_admin.c: looking after the answer cache (`gembatch cache`): stats,
 * prune (old rows, rows past a size, unreferenced blobs, then the space
 * given back) and export. Safe while other processes use the cache: they
 * see misses for what went. Calls cache.c's helpers (cache_int.h); cache.c
 * never calls here. */
#include "cache.h"
#include "cache_int.h"
#include "fsx.h"
#include "sha256.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DEFAULT_GRACE_S = 600 };

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

struct blob_walk {
    long long files;
    uint64_t bytes;
};

static void count_blob(void *ctx, const char *path, const char *name, const struct stat *st)
{
    struct blob_walk *w = ctx;
    (void)path;
    (void)name;
    w->files++;
    w->bytes += (uint64_t)st->st_size;
}

static uint64_t db_bytes(const struct cache *c)
{
    size_t n = strlen(c->path) + 8;
    char *wal = malloc(n);
    uint64_t b = file_size(c->path);
    if (wal) {
        snprintf(wal, n, "%s-wal", c->path);
        b += file_size(wal);
    }
    free(wal);
    return b;
}

int cache_stats(struct cache *c, struct cache_stats *st, struct gb_err *err)
{
    memset(st, 0, sizeof *st);
    long long v = 0;
    int rc = cache_query_int(c, "SELECT count(*) FROM results", &st->rows, "read the cache", err);
    if (!rc)
        rc = cache_query_int(c, "SELECT count(*) FROM images", &st->image_refs, "read the cache", err);
    if (!rc)
        rc = cache_query_int(c, "SELECT value FROM gembatch_cache_meta WHERE name='schema_version'", &v,
                       "read the cache", err);
    if (rc)
        return rc;
    st->schema_version = (int)v;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT min(created_at), max(created_at) FROM results", -1, &s,
                           NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return cache_db_fail(c, err, "read the cache");
    }
    st->oldest = sqlite3_column_double(s, 0);
    st->newest = sqlite3_column_double(s, 1);
    sqlite3_finalize(s);
    struct blob_walk w = {0};
    cache_blob_walk(c->blobs, count_blob, &w);
    st->blobs = w.files;
    st->blob_bytes = w.bytes;
    st->db_bytes = db_bytes(c);
    return 0;
}

struct gc {
    struct cache *c;
    sqlite3_stmt *ref;
    double cutoff;       /* files modified after this are kept */
    long long removed;
    int failed;
};

/* A blob no row names, older than the grace period, goes; so does a
 * temporary left by a process that died mid-copy. */
static void gc_blob(void *ctx, const char *path, const char *name, const struct stat *st)
{
    struct gc *g = ctx;
    if ((double)st->st_mtime > g->cutoff || g->failed)
        return;
    if (!strncmp(name, ".tmp-", 5)) {
        g->removed += unlink(path) == 0;
        return;
    }
    char hex[65];
    uint8_t d[32];
    if (strlen(name) < 66 || name[64] != '.')
        return; /* not a name the cache makes: leave it alone */
    memcpy(hex, name, 64);
    hex[64] = '\0';
    if (cache_hex_key(hex, d))
        return;
    sqlite3_reset(g->ref);
    sqlite3_bind_blob(g->ref, 1, d, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(g->ref);
    if (rc == SQLITE_DONE)
        g->removed += unlink(path) == 0;
    else if (rc != SQLITE_ROW)
        g->failed = 1;
}

static int gc_blobs(struct cache *c, double cutoff, long long *removed, struct gb_err *err)
{
    struct gc g = {c, NULL, cutoff, 0, 0};
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM images WHERE sha = ?1 LIMIT 1", -1, &g.ref,
                           NULL) != SQLITE_OK)
        return cache_db_fail(c, err, "prune the cache");
    cache_blob_walk(c->blobs, gc_blob, &g);
    sqlite3_finalize(g.ref);
    *removed += g.removed;
    return g.failed ? cache_db_fail(c, err, "prune the cache") : 0;
}

/* Delete the rows chosen by `where` (an SQL condition on results) with
 * their image rows, in one transaction. */
static int delete_rows(struct cache *c, const char *where, long long *deleted, struct gb_err *err)
{
    char sql[512];
    int rc = cache_exec(c, "BEGIN IMMEDIATE", "prune the cache", err);
    if (rc)
        return rc;
    snprintf(sql, sizeof sql, "DELETE FROM images WHERE rid IN (SELECT id FROM results WHERE %s)",
             where);
    rc = cache_exec(c, sql, "prune the cache", err);
    if (!rc) {
        snprintf(sql, sizeof sql, "DELETE FROM results WHERE %s", where);
        rc = cache_exec(c, sql, "prune the cache", err);
    }
    if (!rc)
        *deleted += sqlite3_changes(c->db);
    if (!rc)
        rc = cache_exec(c, "COMMIT", "prune the cache", err);
    if (rc)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Give free pages back: incremental vacuum, then fold the WAL into the
 * file and truncate it (a reader elsewhere may keep it: then it stays). */
static int shrink(struct cache *c, struct gb_err *err)
{
    int rc = cache_exec(c, "PRAGMA incremental_vacuum", "prune the cache", err);
    if (!rc)
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return rc;
}

/* How many of the oldest rows hold at least `excess` bytes. A row's share
 * of the database is its text's share of all the text (pages hold whole
 * rows, keys and indexes, so text alone would under-count); its images
 * count whole (a blob shared with a newer row is not freed, and the next
 * round measures again). */
static int rows_to_free(struct cache *c, uint64_t excess, uint64_t db_bytes_held,
                        long long *nrows, struct gb_err *err)
{
    sqlite3_stmt *s = NULL;
    long long text_total = 0;
    *nrows = 0;
    int rc = cache_query_int(c, "SELECT coalesce(sum(length(CAST(result AS BLOB)) + 64), 0) FROM results",
                       &text_total, "prune the cache", err);
    if (rc)
        return rc;
    double per_text_byte = text_total > 0 ? (double)db_bytes_held / (double)text_total : 1;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT length(CAST(result AS BLOB)) + 64, "
                           "(SELECT coalesce(sum(size), 0) FROM images WHERE rid = results.id) "
                           "FROM results ORDER BY created_at, id",
                           -1, &s, NULL) != SQLITE_OK)
        return cache_db_fail(c, err, "prune the cache");
    double sum = 0;
    while (sum < (double)excess && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        sum += (double)sqlite3_column_int64(s, 0) * per_text_byte +
               (double)sqlite3_column_int64(s, 1);
        (*nrows)++;
    }
    int bad = sum < (double)excess && rc != SQLITE_DONE;
    sqlite3_finalize(s);
    return bad ? cache_db_fail(c, err, "prune the cache") : 0;
}

static uint64_t total_bytes(struct cache *c)
{
    struct blob_walk w = {0};
    cache_blob_walk(c->blobs, count_blob, &w);
    return db_bytes(c) + w.bytes;
}

/* What the database and blobs hold: the database by its pages, not its
 * files, since a WAL another process keeps open is not what prune frees. */
static int held_bytes(struct cache *c, uint64_t *db, uint64_t *blobs, struct gb_err *err)
{
    long long pages = 0, size = 0;
    int rc = cache_query_int(c, "PRAGMA page_count", &pages, "prune the cache", err);
    if (!rc)
        rc = cache_query_int(c, "PRAGMA page_size", &size, "prune the cache", err);
    struct blob_walk w = {0};
    cache_blob_walk(c->blobs, count_blob, &w);
    *db = (uint64_t)(pages * size);
    *blobs = w.bytes;
    return rc;
}

int cache_prune(struct cache *c, const struct cache_prune_opts *o, struct cache_prune_result *r,
                struct gb_err *err)
{
    memset(r, 0, sizeof *r);
    double now = o->now > 0 ? o->now : wall_s();
    double grace = o->blob_grace_s == 0 ? DEFAULT_GRACE_S : o->blob_grace_s < 0 ? 0 : o->blob_grace_s;
    r->bytes_before = total_bytes(c);
    int rc = 0;
    char where[160];
    if (o->older_than_s > 0) {
        snprintf(where, sizeof where, "created_at < %.6f", now - o->older_than_s);
        rc = delete_rows(c, where, &r->rows, err);
    }
    if (!rc)
        rc = gc_blobs(c, wall_s() - grace, &r->blobs, err);
    if (!rc)
        rc = shrink(c, err);
    /* the estimate per row is close but not exact (pages, shared blobs):
     * measure again and go on until it fits */
    for (int round = 0; !rc && o->max_bytes && round < 16; round++) {
        uint64_t dbb = 0, blobb = 0;
        rc = held_bytes(c, &dbb, &blobb, err);
        if (rc || dbb + blobb <= o->max_bytes)
            break;
        long long nrows = 0;
        if ((rc = rows_to_free(c, dbb + blobb - o->max_bytes, dbb, &nrows, err)) || nrows == 0)
            break;
        snprintf(where, sizeof where,
                 "id IN (SELECT id FROM results ORDER BY created_at, id LIMIT %lld)", nrows);
        if (!(rc = delete_rows(c, where, &r->rows, err)) &&
            !(rc = gc_blobs(c, wall_s() - grace, &r->blobs, err)))
            rc = shrink(c, err);
    }
    r->bytes_after = total_bytes(c);
    return rc;
}

int cache_export(struct cache *c, FILE *out, struct gb_err *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id, key, created_at, model, synthetic, cost_usd, result "
                           "FROM results ORDER BY created_at, id",
                           -1, &s, NULL) != SQLITE_OK)
        return cache_db_fail(c, err, "read the cache");
    int rc, ret = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char hex[65] = "", when[32];
        if (sqlite3_column_bytes(s, 1) == 32)
            sha256_hex(sqlite3_column_blob(s, 1), hex);
        iso8601(sqlite3_column_double(s, 2), when);
        const char *model = (const char *)sqlite3_column_text(s, 3);
        json_error_t je;
        json_t *res = json_loadb((const char *)sqlite3_column_text(s, 6),
                                 (size_t)sqlite3_column_bytes(s, 6), 0, &je);
        json_t *o = json_pack("{s:s,s:s,s:s?,s:b,s:o,s:o?}", "key", hex, "created_at", when,
                              "model", model, "synthetic", sqlite3_column_int(s, 4), "cost_usd",
                              sqlite3_column_type(s, 5) == SQLITE_NULL
                                  ? json_null()
                                  : json_real(sqlite3_column_double(s, 5)),
                              "result", res ? res : json_null());
        struct cache_hit h = {0};
        if (!o || (ret = cache_load_images(c, sqlite3_column_int64(s, 0), &h, err))) {
            json_decref(o);
            cache_hit_free(&h);
            ret = ret ? ret : GB_FAIL(err, GB_ENOMEM, "out of memory");
            break;
        }
        json_t *imgs = json_array();
        for (size_t i = 0; i < h.nimages; i++)
            json_array_append_new(imgs, json_pack("{s:s,s:s,s:I,s:s}", "sha256",
                                                  h.images[i].sha256, "ext", h.images[i].ext,
                                                  "size", (json_int_t)h.images[i].size, "path",
                                                  h.images[i].path));
        json_object_set_new(o, "images", imgs);
        cache_hit_free(&h);
        char *line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!line || fprintf(out, "%s\n", line) < 0) {
            free(line);
            ret = GB_FAIL(err, GB_EIO, "cannot write the export: %s", strerror(errno));
            break;
        }
        free(line);
    }
    if (!ret && rc != SQLITE_DONE)
        ret = cache_db_fail(c, err, "read the cache");
    sqlite3_finalize(s);
    return ret;
}
