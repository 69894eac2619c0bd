/* cache.c: the answer cache's database and blob folder: open (refusing a
 * foreign, newer or damaged file), get, put. Results live in SQLite (WAL,
 * busy timeout, BEGIN IMMEDIATE for writers), images once per content hash
 * under <db>.blobs/. A hit is checked against the digest stored with its row
 * and each blob against its name, so a damaged cache gives misses or an
 * error, never a wrong answer. Knows nothing about jobs: keys come from
 * cachekey.c. Stats, prune and export are cache_admin.c's. */
#include "cache.h"
#include "cache_int.h"
#include "esc.h"
#include "fsx.h"
#include "jsonx.h"
#include "sha256.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { DEFAULT_BUSY_MS = 10000 };

static const char *const stmt_sql[ST_N] = {
    "SELECT id, created_at, cost_usd, synthetic, result, checksum, nimages FROM results "
    "WHERE key = ?1",
    "SELECT sha, ext, size FROM images WHERE rid = ?1 ORDER BY k",
    "DELETE FROM images WHERE rid IN (SELECT id FROM results WHERE key = ?1)",
    "DELETE FROM results WHERE key = ?1",
    "INSERT INTO results (key, created_at, model, synthetic, cost_usd, result, checksum, "
    "nimages) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO images (rid, k, sha, ext, size) VALUES (?1, ?2, ?3, ?4, ?5)",
};

static const char schema_sql[] =
    "CREATE TABLE gembatch_cache_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE results ("
    " id INTEGER PRIMARY KEY,"
    " key BLOB NOT NULL UNIQUE,"      /* SHA-256 of the request (cachekey.c) */
    " created_at REAL NOT NULL,"      /* seconds since the epoch */
    " model TEXT,"
    " synthetic INTEGER NOT NULL,"    /* made by the emulator */
    " cost_usd REAL,"                 /* NULL: unknown */
    " result TEXT NOT NULL,"          /* the result line minus per-run fields */
    " checksum BLOB NOT NULL,"        /* SHA-256 of result and the image list */
    " nimages INTEGER NOT NULL);"     /* rows in images (0: no lookup needed) */
    "CREATE INDEX results_created ON results (created_at);"
    "CREATE TABLE images ("
    " rid INTEGER NOT NULL, k INTEGER NOT NULL,"
    " sha BLOB NOT NULL, ext TEXT NOT NULL, size INTEGER NOT NULL,"
    " PRIMARY KEY (rid, k));"
    "CREATE INDEX images_sha ON images (sha);";

/* ---- errors ---------------------------------------------------------------------- */

/* One message per kind of SQLite failure, naming the file and what to do. */
int cache_db_fail(struct cache *c, struct gb_err *err, const char *what)
{
    int rc = c->db ? sqlite3_extended_errcode(c->db) : SQLITE_CANTOPEN;
    const char *msg = c->db ? sqlite3_errmsg(c->db) : "cannot open";
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return GB_FAIL(err, GB_EBUSY,
                       "cache '%s' is locked by another process (waited %ld ms to %s); try "
                       "again later, or run without --cache",
                       c->path, c->o.busy_ms, what);
    case SQLITE_NOTADB:
        return GB_FAIL(err, GB_EINVAL,
                       "'%s' is not an SQLite database, so not a gembatch cache; give another "
                       "--cache path",
                       c->path);
    case SQLITE_CORRUPT:
        return GB_FAIL(err, GB_EIO,
                       "cache '%s' is damaged (%s while trying to %s); delete it and its "
                       "'.blobs' folder, or give another --cache path",
                       c->path, msg, what);
    case SQLITE_FULL:
        return GB_FAIL(err, GB_EIO, "cache '%s': the disk is full (trying to %s)", c->path, what);
    default:
        return GB_FAIL(err, GB_EIO, "cache '%s': cannot %s: %s", c->path, what, msg);
    }
}

/* A failure after open turns the cache off for the rest of the process:
 * serving from a database that just failed could be serving damage. */
static int turn_off(struct cache *c, int rc, struct gb_err *err)
{
    if (!c->failed) {
        c->failed = 1;
        snprintf(c->error, sizeof c->error, "%s", err ? err->msg : gb_strerror(rc));
    }
    return rc;
}

int cache_failed(const struct cache *c)
{
    return c ? c->failed : 0;
}

const char *cache_error(const struct cache *c)
{
    return c && c->failed ? c->error : "";
}

void cache_counts(const struct cache *c, struct cache_counts *out)
{
    memset(out, 0, sizeof *out);
    if (c)
        *out = c->n;
}

int cache_mode_parse(const char *s, enum cache_mode *out)
{
    static const char *const names[] = {"readwrite", "read", "write", "refresh"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = (enum cache_mode)i;
            return 0;
        }
    return -1;
}

/* ---- small helpers --------------------------------------------------------------- */

int cache_exec(struct cache *c, const char *sql, const char *what, struct gb_err *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return cache_db_fail(c, err, what);
    return 0;
}

/* A one-row, one-column integer query (PRAGMA or SELECT count). */
int cache_query_int(struct cache *c, const char *sql, long long *out, const char *what,
                    struct gb_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else if (rc == SQLITE_DONE)
        *out = 0;
    else {
        int r = cache_db_fail(c, err, what);
        sqlite3_finalize(s);
        return r;
    }
    sqlite3_finalize(s);
    return 0;
}

int cache_hex_key(const char *hex, uint8_t out[32])
{
    if (!hex || strlen(hex) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = hex[2 * i + k];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The row's checksum: the result text, then each image as sha.ext:size. */
static int row_checksum(const char *result, size_t n, const char (*sha)[65],
                        const char (*ext)[16], const uint64_t *size, size_t nimg, uint8_t out[32])
{
    struct sha256 h;
    if (sha256_init(&h))
        return GB_ENOMEM;
    sha256_update(&h, result, n);
    for (size_t i = 0; i < nimg; i++) {
        char line[128];
        int m = snprintf(line, sizeof line, "\n%s.%s:%llu", sha[i], ext[i],
                         (unsigned long long)size[i]);
        sha256_update(&h, line, (size_t)m);
    }
    return sha256_final(&h, out) ? GB_ENOMEM : 0;
}

/* ---- open ------------------------------------------------------------------------ */

static int create_schema(struct cache *c, struct gb_err *err)
{
    /* auto_vacuum must be chosen before the first table: prune can then give
     * pages back with incremental_vacuum instead of a whole VACUUM */
    int rc = cache_exec(c, "PRAGMA auto_vacuum = INCREMENTAL", "create the cache", err);
    if (rc)
        return rc;
    if ((rc = cache_exec(c, "BEGIN IMMEDIATE", "create the cache", err)))
        return rc;
    long long ntables = 0;
    /* another process may have made it while this one waited for the lock */
    rc = cache_query_int(c, "SELECT count(*) FROM sqlite_master", &ntables, "create the cache", err);
    if (!rc && ntables == 0) {
        char sql[sizeof schema_sql + 512];
        snprintf(sql, sizeof sql,
                 "%s PRAGMA application_id = %d;"
                 "INSERT INTO gembatch_cache_meta VALUES ('format', 'gembatch answer cache');"
                 "INSERT INTO gembatch_cache_meta VALUES ('schema_version', '%d');"
                 "INSERT INTO gembatch_cache_meta VALUES ('created_by', 'gembatch %s');",
                 schema_sql, CACHE_APPLICATION_ID, CACHE_SCHEMA_VERSION, GEMBATCH_VERSION);
        rc = cache_exec(c, sql, "create the cache", err);
    }
    if (!rc)
        rc = cache_exec(c, "COMMIT", "create the cache", err);
    if (rc)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int read_version(struct cache *c, long long *version, struct gb_err *err)
{
    sqlite3_stmt *s = NULL;
    *version = -1;
    int rc = sqlite3_prepare_v2(
        c->db, "SELECT value FROM gembatch_cache_meta WHERE name = 'schema_version'", -1, &s,
        NULL);
    if (rc != SQLITE_OK) {
        int e = sqlite3_errcode(c->db);
        if (e == SQLITE_ERROR) /* no such table: it has our id but not our tables */
            return GB_FAIL(err, GB_EIO,
                           "cache '%s' is damaged (no gembatch_cache_meta table); delete it and "
                           "its '.blobs' folder, or give another --cache path",
                           c->path);
        return cache_db_fail(c, err, "read the cache's version");
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT)
        *version = strtoll((const char *)sqlite3_column_text(s, 0), NULL, 10);
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        int r = cache_db_fail(c, err, "read the cache's version");
        sqlite3_finalize(s);
        return r;
    }
    sqlite3_finalize(s);
    return 0;
}

/* Ours, current, and whole enough to read: or a clear refusal. */
static int check_schema(struct cache *c, struct gb_err *err)
{
    long long app = 0, ntables = 0, version = -1;
    /* both in one statement, so one snapshot: read apart, another process
     * could make the cache in between and it would look like a foreign one
     * (tables, no id) */
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, "SELECT application_id, (SELECT count(*) FROM sqlite_master) "
                                "FROM pragma_application_id", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        rc = cache_db_fail(c, err, "read the cache");
        sqlite3_finalize(s);
        return rc;
    }
    app = sqlite3_column_int64(s, 0);
    ntables = sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    if (app == 0 && ntables == 0) {
        if (c->o.mode == CACHE_READ)
            return GB_FAIL(err, GB_EINVAL,
                           "'%s' is an empty database, not a gembatch cache (--cache-mode read "
                           "needs a filled one)",
                           c->path);
        if ((rc = create_schema(c, err)))
            return rc;
        if ((rc = cache_query_int(c, "PRAGMA application_id", &app, "read the cache", err)))
            return rc;
    }
    if (app != CACHE_APPLICATION_ID)
        return GB_FAIL(err, GB_EINVAL,
                       "'%s' is another application's SQLite database, not a gembatch answer "
                       "cache; give another --cache path",
                       c->path);
    if ((rc = read_version(c, &version, err)))
        return rc;
    if (version > CACHE_SCHEMA_VERSION)
        return GB_FAIL(err, GB_EUNSUPPORTED,
                       "cache '%s' was written by a newer gembatch (cache schema %lld; this one "
                       "reads %d); use that gembatch, or give another --cache path",
                       c->path, version, CACHE_SCHEMA_VERSION);
    if (version < 1)
        return GB_FAIL(err, GB_EIO,
                       "cache '%s' is damaged (no schema version); delete it and its '.blobs' "
                       "folder, or give another --cache path",
                       c->path);
    return 0;
}

/* A truncated file reads fine until a query reaches a page past its end, so
 * the pages are checked once at open: quick_check reads every page (about
 * 0.1 s per 100 MB), far less than a wrong or failed night. */
static int check_pages(struct cache *c, struct gb_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA quick_check(1)", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        int r = cache_db_fail(c, err, "check the cache");
        sqlite3_finalize(s);
        return r;
    }
    const char *v = (const char *)sqlite3_column_text(s, 0);
    if (!v || strcmp(v, "ok")) {
        GB_FAIL(err, GB_EIO,
                "cache '%s' is damaged (%s); delete it and its '.blobs' folder, or give another "
                "--cache path",
                c->path, v ? v : "check failed");
        sqlite3_finalize(s);
        return GB_EIO;
    }
    sqlite3_finalize(s);
    return 0;
}

static int open_db(struct cache *c, struct gb_err *err)
{
    struct stat st;
    int exists = stat(c->path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode))
        return GB_FAIL(err, GB_EINVAL, "cache '%s' is not a regular file; give a file path",
                       c->path);
    if (!exists && c->o.mode == CACHE_READ)
        return GB_FAIL(err, GB_ENOENT,
                       "no cache at '%s' (--cache-mode read uses an existing one; fill it with "
                       "readwrite or write first)",
                       c->path);
    int flags = SQLITE_OPEN_READWRITE | (c->o.mode == CACHE_READ ? 0 : SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(c->path, &c->db, flags | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK && c->o.mode == CACHE_READ && exists) {
        /* a cache shared read-only (another user's, a mounted image) */
        sqlite3_close(c->db);
        c->db = NULL;
        rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READONLY, NULL);
    }
    if (rc != SQLITE_OK) {
        int e = errno;
        GB_FAIL(err, GB_EIO, "cannot open cache '%s': %s", c->path,
                c->db ? sqlite3_errmsg(c->db) : strerror(e));
        return GB_EIO;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, (int)c->o.busy_ms);
    int r = check_schema(c, err);
    if (!r && c->o.mode != CACHE_READ)
        r = cache_exec(c, "PRAGMA journal_mode = WAL", "switch the cache to WAL", err);
    if (!r)
        r = cache_exec(c, "PRAGMA synchronous = NORMAL", "open the cache", err);
    if (!r)
        r = check_pages(c, err);
    for (int i = 0; !r && i < ST_N; i++)
        if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                               NULL) != SQLITE_OK)
            r = cache_db_fail(c, err, "read the cache");
    return r;
}

int cache_open(const struct cache_opts *o, struct cache **out, struct gb_err *err)
{
    *out = NULL;
    struct cache *c = calloc(1, sizeof *c);
    if (!c)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    c->o = *o;
    if (c->o.busy_ms <= 0)
        c->o.busy_ms = DEFAULT_BUSY_MS;
    c->path = strdup(o->path);
    size_t n = strlen(o->path) + 8;
    c->blobs = malloc(n);
    int rc = GB_ENOMEM;
    if (!c->path || !c->blobs) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(c->blobs, n, "%s.blobs", o->path);
    c->o.path = c->path;
    if ((rc = open_db(c, err)))
        goto fail;
    *out = c;
    return 0;
fail:
    cache_close(c);
    return rc;
}

int cache_set_secret(struct cache *c, const char *key)
{
    return esc_secret_keep(&c->secret, key);
}

void cache_close(struct cache *c)
{
    if (!c)
        return;
    cache_set_secret(c, NULL);
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c->blobs);
    free(c->path);
    free(c);
}

/* ---- get ------------------------------------------------------------------------- */

void cache_hit_free(struct cache_hit *hit)
{
    if (!hit)
        return;
    json_decref(hit->result);
    for (size_t i = 0; i < hit->nimages; i++) {
        free(hit->images[i].path);
        free(hit->images[i].data);
    }
    free(hit->images);
    memset(hit, 0, sizeof *hit);
}

/* The images of row rid, with their checksum lines. < 0: a database error. */
int cache_load_images(struct cache *c, long long rid, struct cache_hit *hit, struct gb_err *err)
{
    sqlite3_stmt *s = c->st[ST_GET_IMG];
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, rid);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct cache_image *nv = realloc(hit->images, (hit->nimages + 1) * sizeof *nv);
        if (!nv)
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        hit->images = nv;
        struct cache_image *im = &nv[hit->nimages++];
        memset(im, 0, sizeof *im);
        const uint8_t *sha = sqlite3_column_blob(s, 0);
        const char *ext = (const char *)sqlite3_column_text(s, 1);
        if (sha && sqlite3_column_bytes(s, 0) == 32)
            sha256_hex(sha, im->sha256);
        snprintf(im->ext, sizeof im->ext, "%s", ext ? ext : "");
        im->size = (uint64_t)sqlite3_column_int64(s, 2);
        im->path = cache_blob_path(c->blobs, im->sha256, im->ext);
        if (!im->path)
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    return rc == SQLITE_DONE ? 0 : cache_db_fail(c, err, "read the cache");
}

/* Whether a row read back is what was stored: the checksum over its text
 * and image list, then each blob's bytes. */
static int row_intact(const char *text, size_t n, const uint8_t *sum, int sumlen,
                      struct cache_hit *hit)
{
    size_t k = hit->nimages;
    char (*sha)[65] = calloc(k + 1, sizeof *sha);
    char (*ext)[16] = calloc(k + 1, sizeof *ext);
    uint64_t *size = calloc(k + 1, sizeof *size);
    uint8_t d[32];
    int ok = sha && ext && size && sumlen == 32;
    for (size_t i = 0; ok && i < k; i++) {
        memcpy(sha[i], hit->images[i].sha256, 65);
        memcpy(ext[i], hit->images[i].ext, 16);
        size[i] = hit->images[i].size;
    }
    ok = ok && row_checksum(text, n, (const char(*)[65])sha, (const char(*)[16])ext, size, k,
                            d) == 0 &&
         memcmp(d, sum, 32) == 0;
    free(sha);
    free(ext);
    free(size);
    for (size_t i = 0; ok && i < k; i++)
        ok = cache_blob_load(&hit->images[i]) == 0;
    return ok;
}

static int delete_key(struct cache *c, const uint8_t key[32], struct gb_err *err)
{
    for (int i = ST_DEL_IMG; i <= ST_DEL; i++) {
        sqlite3_stmt *s = c->st[i];
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            return cache_db_fail(c, err, "write the cache");
    }
    return 0;
}

/* A row that is damaged goes (when this mode writes), so the answer is made
 * and stored again instead of being missed every night. */
static int drop_broken(struct cache *c, const uint8_t key[32], struct gb_err *err)
{
    c->n.broken++;
    if (c->o.mode == CACHE_READ)
        return 0;
    int rc = cache_exec(c, "BEGIN IMMEDIATE", "write the cache", err);
    if (!rc)
        rc = delete_key(c, key, err);
    if (!rc)
        rc = cache_exec(c, "COMMIT", "write the cache", err);
    if (rc)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int cache_get(struct cache *c, const char *key, struct cache_hit *hit, struct gb_err *err)
{
    memset(hit, 0, sizeof *hit);
    uint8_t k[32];
    if (!c || c->failed || c->o.mode == CACHE_WRITE || c->o.mode == CACHE_REFRESH) {
        if (c)
            c->n.misses++;
        return 0;
    }
    if (cache_hex_key(key, k))
        return GB_FAIL(err, GB_EINVAL, "a cache key must be 64 hex digits");
    sqlite3_stmt *s = c->st[ST_GET];
    sqlite3_reset(s);
    sqlite3_bind_blob(s, 1, k, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        c->n.misses++;
        return 0;
    }
    if (rc != SQLITE_ROW)
        return turn_off(c, cache_db_fail(c, err, "read the cache"), err);
    long long rid = sqlite3_column_int64(s, 0);
    hit->created_at = sqlite3_column_double(s, 1);
    hit->cost_usd = sqlite3_column_type(s, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2);
    int synthetic = sqlite3_column_int(s, 3);
    long long nimages = sqlite3_column_int64(s, 6);
    if ((c->o.max_age_s > 0 && wall_s() - hit->created_at > c->o.max_age_s) ||
        (c->o.synthetic >= 0 && synthetic != c->o.synthetic)) {
        sqlite3_reset(s);
        c->n.expired += c->o.max_age_s > 0 && wall_s() - hit->created_at > c->o.max_age_s;
        c->n.misses++;
        return 0;
    }
    /* the text and checksum are copied out: load_images reuses the connection */
    size_t n = (size_t)sqlite3_column_bytes(s, 4);
    const char *t = (const char *)sqlite3_column_text(s, 4);
    int sumlen = sqlite3_column_bytes(s, 5);
    const void *sp = sqlite3_column_blob(s, 5);
    char *text = t ? malloc(n + 1) : NULL;
    uint8_t sum[32] = {0};
    if (text) {
        memcpy(text, t, n);
        text[n] = '\0';
    }
    if (sp && sumlen == 32)
        memcpy(sum, sp, 32);
    sqlite3_reset(s);
    if (!text) {
        c->n.misses++;
        return drop_broken(c, k, err) ? turn_off(c, GB_EIO, err) : 0;
    }
    /* a row that says it has no images is not asked for them; one that
     * lies is caught by the checksum, which covers the image list */
    rc = nimages ? cache_load_images(c, rid, hit, err) : 0;
    if (rc) {
        free(text);
        cache_hit_free(hit);
        return turn_off(c, rc, err);
    }
    json_error_t je;
    if (row_intact(text, n, sum, sumlen, hit))
        hit->result = json_loadb(text, n, 0, &je);
    free(text);
    if (!hit->result || !json_is_object(hit->result)) {
        cache_hit_free(hit);
        c->n.misses++;
        return drop_broken(c, k, err) ? turn_off(c, GB_EIO, err) : 0;
    }
    c->n.hits++;
    return 1;
}

json_t *cache_hit_result(const struct cache_hit *hit, const char *id, const json_t *files)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(id));
    json_object_update(o, hit->result);
    json_object_set_new(o, "cached", json_true());
    json_object_set_new(o, "attempts", json_integer(0));
    json_object_set_new(o, "cost_usd", json_real(0));
    if (files && json_array_size(files))
        json_object_set(o, "files", (json_t *)files);
    /* image outputs name their files in order, as the run's own lines do */
    size_t i, k = 0;
    json_t *item;
    json_array_foreach (jx_arr(o, "outputs"), i, item) {
        if (!json_object_get(item, "file"))
            continue;
        json_t *f = files ? json_array_get(files, k++) : NULL;
        if (f)
            json_object_set(item, "file", f);
        else
            json_object_del(item, "file");
    }
    return o;
}

/* ---- put ------------------------------------------------------------------------- */

/* The result as stored: a copy without the fields of one run. */
static char *stored_text(const struct cache *c, const json_t *result, size_t *n)
{
    static const char *const drop[] = CACHE_RUN_FIELDS;
    json_t *o = json_copy((json_t *)result);
    if (!o)
        return NULL;
    for (int i = 0; drop[i]; i++)
        json_object_del(o, drop[i]);
    char *t = jx_dump(o, n);
    json_decref(o);
    if (t && c->secret)
        t[*n = esc_redact(t, *n, c->secret, strlen(c->secret))] = '\0';
    return t;
}

static int insert_row(struct cache *c, const uint8_t key[32], const json_t *result,
                      const char *text, size_t n, const uint8_t sum[32], double cost_usd,
                      const char (*sha)[65], const char (*ext)[16], const uint64_t *size,
                      size_t nimg, struct gb_err *err)
{
    int rc = delete_key(c, key, err);
    if (rc)
        return rc;
    sqlite3_stmt *s = c->st[ST_PUT];
    sqlite3_reset(s);
    const char *model = jx_str(result, "model");
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, wall_s());
    if (model)
        sqlite3_bind_text(s, 3, model, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int(s, 4, jx_bool(result, "synthetic", 0));
    if (isnan(cost_usd))
        sqlite3_bind_null(s, 5);
    else
        sqlite3_bind_double(s, 5, cost_usd);
    sqlite3_bind_text(s, 6, text, (int)n, SQLITE_STATIC);
    sqlite3_bind_blob(s, 7, sum, 32, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, (long long)nimg);
    if (sqlite3_step(s) != SQLITE_DONE)
        return cache_db_fail(c, err, "write the cache");
    long long rid = sqlite3_last_insert_rowid(c->db);
    for (size_t i = 0; i < nimg; i++) {
        uint8_t d[32];
        if (cache_hex_key(sha[i], d))
            return GB_FAIL(err, GB_EINVAL, "bad image digest");
        s = c->st[ST_PUT_IMG];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_int64(s, 2, (long long)i);
        sqlite3_bind_blob(s, 3, d, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, ext[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, (long long)size[i]);
        if (sqlite3_step(s) != SQLITE_DONE)
            return cache_db_fail(c, err, "write the cache");
    }
    return 0;
}

int cache_put(struct cache *c, const char *key, const json_t *result,
              const char *const *image_paths, size_t nimages, double cost_usd,
              struct gb_err *err)
{
    if (!c || c->failed || c->o.mode == CACHE_READ) {
        if (c)
            c->n.skipped_puts++;
        return 0;
    }
    uint8_t k[32];
    if (cache_hex_key(key, k))
        return GB_FAIL(err, GB_EINVAL, "a cache key must be 64 hex digits");
    if (!json_is_object(result))
        return GB_FAIL(err, GB_EINVAL, "a cached result must be a JSON object");
    char (*sha)[65] = calloc(nimages + 1, sizeof *sha);
    char (*ext)[16] = calloc(nimages + 1, sizeof *ext);
    uint64_t *size = calloc(nimages + 1, sizeof *size);
    size_t n = 0;
    char *text = stored_text(c, result, &n);
    int rc = GB_ENOMEM, in_tx = 0;
    uint8_t sum[32];
    if (!sha || !ext || !size || !text) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nimages; i++)
        if ((rc = cache_blob_store(c->blobs, &c->blobs_made, image_paths[i], sha[i], ext[i],
                                    &size[i], err)))
            goto fail;
    if ((rc = row_checksum(text, n, (const char(*)[65])sha, (const char(*)[16])ext, size,
                           nimages, sum))) {
        GB_FAIL(err, rc, "out of memory");
        goto fail;
    }
    if ((rc = cache_exec(c, "BEGIN IMMEDIATE", "write the cache", err)))
        goto fail;
    in_tx = 1;
    if ((rc = insert_row(c, k, result, text, n, sum, cost_usd, (const char(*)[65])sha,
                         (const char(*)[16])ext, size, nimages, err)) ||
        (rc = cache_exec(c, "COMMIT", "write the cache", err)))
        goto fail;
    c->n.puts++;
    free(text);
    free(sha);
    free(ext);
    free(size);
    return 0;
fail:
    if (in_tx)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    free(text);
    free(sha);
    free(ext);
    free(size);
    return turn_off(c, rc, err);
}
