/* cache.c: the answer cache's database and blob folder: open (refusing a
 * foreign, newer or damaged file), get, put, stats, prune, export. Results
 * live in SQLite (WAL, busy timeout, BEGIN IMMEDIATE for writers), images
 * once per content hash under <db>.blobs/. A hit is checked against the digest
 * stored with its row and each blob against its name, so a damaged cache
 * gives misses or an error, never a wrong answer. Knows nothing about jobs:
 * keys come from cachekey.c. */
#include "cache.h"
#include "fsx.h"
#include "jsonx.h"
#include "sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DEFAULT_BUSY_MS = 10000, BLOB_CHUNK = 64 * 1024, DEFAULT_GRACE_S = 600 };
/* a stored image larger than this is treated as damaged (nothing the run
 * accepts comes near it) so a broken size cannot make a huge allocation */
#define BLOB_MAX ((uint64_t)1 << 30)

enum stmt_id { ST_GET, ST_GET_IMG, ST_DEL_IMG, ST_DEL, ST_PUT, ST_PUT_IMG, ST_N };

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

struct cache {
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
    char *path;
    char *blobs;          /* <path>.blobs */
    struct cache_opts o;
    int blobs_made;
    int failed;
    char error[1024];
    struct cache_counts n;
};

/* ---- errors ---------------------------------------------------------------------- */

/* One message per kind of SQLite failure, naming the file and what to do. */
static int db_fail(struct cache *c, struct gb_err *err, const char *what)
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

static int exec_sql(struct cache *c, const char *sql, const char *what, struct gb_err *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(c, err, what);
    return 0;
}

/* A one-row, one-column integer query (PRAGMA or SELECT count). */
static int query_int(struct cache *c, const char *sql, long long *out, const char *what,
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
        int r = db_fail(c, err, what);
        sqlite3_finalize(s);
        return r;
    }
    sqlite3_finalize(s);
    return 0;
}

static int hex_to_key(const char *hex, uint8_t out[32])
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

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
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

static char *blob_path(const struct cache *c, const char *sha, const char *ext)
{
    size_t n = strlen(c->blobs) + 100;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%.2s/%s.%s", c->blobs, sha, sha, ext);
    return p;
}

/* ---- open ------------------------------------------------------------------------ */

static int create_schema(struct cache *c, struct gb_err *err)
{
    /* auto_vacuum must be chosen before the first table: prune can then give
     * pages back with incremental_vacuum instead of a whole VACUUM */
    int rc = exec_sql(c, "PRAGMA auto_vacuum = INCREMENTAL", "create the cache", err);
    if (rc)
        return rc;
    if ((rc = exec_sql(c, "BEGIN IMMEDIATE", "create the cache", err)))
        return rc;
    long long ntables = 0;
    /* another process may have made it while this one waited for the lock */
    rc = query_int(c, "SELECT count(*) FROM sqlite_master", &ntables, "create the cache", err);
    if (!rc && ntables == 0) {
        char sql[sizeof schema_sql + 512];
        snprintf(sql, sizeof sql,
                 "%s PRAGMA application_id = %d;"
                 "INSERT INTO gembatch_cache_meta VALUES ('format', 'gembatch answer cache');"
                 "INSERT INTO gembatch_cache_meta VALUES ('schema_version', '%d');"
                 "INSERT INTO gembatch_cache_meta VALUES ('created_by', 'gembatch %s');",
                 schema_sql, CACHE_APPLICATION_ID, CACHE_SCHEMA_VERSION, GEMBATCH_VERSION);
        rc = exec_sql(c, sql, "create the cache", err);
    }
    if (!rc)
        rc = exec_sql(c, "COMMIT", "create the cache", err);
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
        return db_fail(c, err, "read the cache's version");
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT)
        *version = strtoll((const char *)sqlite3_column_text(s, 0), NULL, 10);
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        int r = db_fail(c, err, "read the cache's version");
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
        rc = db_fail(c, err, "read the cache");
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
        if ((rc = query_int(c, "PRAGMA application_id", &app, "read the cache", err)))
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
        int r = db_fail(c, err, "check the cache");
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
        r = exec_sql(c, "PRAGMA journal_mode = WAL", "switch the cache to WAL", err);
    if (!r)
        r = exec_sql(c, "PRAGMA synchronous = NORMAL", "open the cache", err);
    if (!r)
        r = check_pages(c, err);
    for (int i = 0; !r && i < ST_N; i++)
        if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                               NULL) != SQLITE_OK)
            r = db_fail(c, err, "read the cache");
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

void cache_close(struct cache *c)
{
    if (!c)
        return;
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

/* Read a blob whole and check it is what its row says. 0, or -1: gone or
 * not those bytes (a miss, never an error: prune may have taken it). */
static int load_blob(struct cache_image *im)
{
    if (im->size > BLOB_MAX)
        return -1;
    int fd = open(im->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == im->size;
    im->data = ok ? malloc(im->size ? im->size : 1) : NULL;
    ok = im->data && fsx_pread_full(fd, im->data, im->size, 0) == (ssize_t)im->size;
    close(fd);
    uint8_t d[32];
    char hex[65];
    if (!ok || sha256_buf(im->data, im->size, d))
        return -1;
    sha256_hex(d, hex);
    return strcmp(hex, im->sha256) ? -1 : 0;
}

/* The images of row rid, with their checksum lines. < 0: a database error. */
static int load_images(struct cache *c, long long rid, struct cache_hit *hit, struct gb_err *err)
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
        im->path = blob_path(c, im->sha256, im->ext);
        if (!im->path)
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    return rc == SQLITE_DONE ? 0 : db_fail(c, err, "read the cache");
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
        ok = load_blob(&hit->images[i]) == 0;
    return ok;
}

static int delete_key(struct cache *c, const uint8_t key[32], struct gb_err *err)
{
    for (int i = ST_DEL_IMG; i <= ST_DEL; i++) {
        sqlite3_stmt *s = c->st[i];
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 1, key, 32, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            return db_fail(c, err, "write the cache");
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
    int rc = exec_sql(c, "BEGIN IMMEDIATE", "write the cache", err);
    if (!rc)
        rc = delete_key(c, key, err);
    if (!rc)
        rc = exec_sql(c, "COMMIT", "write the cache", err);
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
    if (hex_to_key(key, k))
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
        return turn_off(c, db_fail(c, err, "read the cache"), err);
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
    rc = nimages ? load_images(c, rid, hit, err) : 0;
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

/* The extension of an image path ("png"), or "bin" when it has none usable:
 * it only names the blob file. */
static void path_ext(const char *path, char ext[16])
{
    const char *dot = strrchr(fsx_basename(path), '.');
    size_t n = dot ? strlen(dot + 1) : 0;
    int ok = n > 0 && n < 16;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = dot[1 + i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    }
    snprintf(ext, 16, "%s", ok ? dot + 1 : "bin");
}

static int make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Copy src into the blob folder under its content hash, written whole to a
 * temporary name and renamed, so a reader sees it complete or not at all.
 * The fresh mtime keeps prune's grace period from taking a blob that a row
 * is about to name. */
static int store_blob(struct cache *c, const char *src, char sha_hex[65], char ext[16],
                      uint64_t *size, struct gb_err *err)
{
    char *tmp = NULL, *final = NULL;
    unsigned char *buf = NULL;
    int in = -1, out = -1, rc = GB_EIO, renamed = 0;
    struct sha256 h = {0};
    path_ext(src, ext);
    *size = 0;
    if (!c->blobs_made && make_dir(c->blobs)) {
        GB_FAIL(err, GB_EIO, "cannot create '%s': %s", c->blobs, strerror(errno));
        goto out;
    }
    c->blobs_made = 1;
    size_t tn = strlen(c->blobs) + 32;
    tmp = malloc(tn);
    buf = malloc(BLOB_CHUNK);
    if (!tmp || !buf || sha256_init(&h)) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, tn, "%s/.tmp-XXXXXX", c->blobs);
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        GB_FAIL(err, GB_EIO, "cannot read image '%s' for the cache: %s", src, strerror(errno));
        goto out;
    }
    out = mkstemp(tmp);
    if (out < 0) {
        GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", c->blobs, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = read(in, buf, BLOB_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            GB_FAIL(err, GB_EIO, "cannot read image '%s': %s", src, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        sha256_update(&h, buf, (size_t)n);
        *size += (uint64_t)n;
        if (fsx_write_all(out, buf, (size_t)n)) {
            GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", c->blobs, strerror(errno));
            goto out;
        }
    }
    uint8_t d[32];
    if (sha256_final(&h, d) || fsync(out)) {
        GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", c->blobs, strerror(errno));
        goto out;
    }
    sha256_hex(d, sha_hex);
    final = blob_path(c, sha_hex, ext);
    char *dir = final ? fsx_dirname(final) : NULL;
    int dir_ok = dir && make_dir(dir) == 0;
    free(dir);
    if (!final || !dir_ok) {
        GB_FAIL(err, GB_EIO, "cannot create a folder in '%s': %s", c->blobs, strerror(errno));
        goto out;
    }
    /* same bytes, same name: renaming over a copy already there keeps one
     * file per content, mends a damaged one, and gives it a fresh mtime */
    if (rename(tmp, final)) {
        GB_FAIL(err, GB_EIO, "cannot write '%s': %s", final, strerror(errno));
        goto out;
    }
    renamed = 1;
    rc = 0;
out:
    sha256_free(&h);
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    if (tmp && out >= 0 && !renamed)
        unlink(tmp);
    free(tmp);
    free(final);
    free(buf);
    return rc;
}

/* The result as stored: a copy without the fields of one run. */
static char *stored_text(const json_t *result, size_t *n)
{
    static const char *const drop[] = CACHE_RUN_FIELDS;
    json_t *o = json_copy((json_t *)result);
    if (!o)
        return NULL;
    for (int i = 0; drop[i]; i++)
        json_object_del(o, drop[i]);
    char *t = jx_dump(o, n);
    json_decref(o);
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
        return db_fail(c, err, "write the cache");
    long long rid = sqlite3_last_insert_rowid(c->db);
    for (size_t i = 0; i < nimg; i++) {
        uint8_t d[32];
        if (hex_to_key(sha[i], d))
            return GB_FAIL(err, GB_EINVAL, "bad image digest");
        s = c->st[ST_PUT_IMG];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_int64(s, 2, (long long)i);
        sqlite3_bind_blob(s, 3, d, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 4, ext[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, (long long)size[i]);
        if (sqlite3_step(s) != SQLITE_DONE)
            return db_fail(c, err, "write the cache");
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
    if (hex_to_key(key, k))
        return GB_FAIL(err, GB_EINVAL, "a cache key must be 64 hex digits");
    if (!json_is_object(result))
        return GB_FAIL(err, GB_EINVAL, "a cached result must be a JSON object");
    char (*sha)[65] = calloc(nimages + 1, sizeof *sha);
    char (*ext)[16] = calloc(nimages + 1, sizeof *ext);
    uint64_t *size = calloc(nimages + 1, sizeof *size);
    size_t n = 0;
    char *text = stored_text(result, &n);
    int rc = GB_ENOMEM, in_tx = 0;
    uint8_t sum[32];
    if (!sha || !ext || !size || !text) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nimages; i++)
        if ((rc = store_blob(c, image_paths[i], sha[i], ext[i], &size[i], err)))
            goto fail;
    if ((rc = row_checksum(text, n, (const char(*)[65])sha, (const char(*)[16])ext, size,
                           nimages, sum))) {
        GB_FAIL(err, rc, "out of memory");
        goto fail;
    }
    if ((rc = exec_sql(c, "BEGIN IMMEDIATE", "write the cache", err)))
        goto fail;
    in_tx = 1;
    if ((rc = insert_row(c, k, result, text, n, sum, cost_usd, (const char(*)[65])sha,
                         (const char(*)[16])ext, size, nimages, err)) ||
        (rc = exec_sql(c, "COMMIT", "write the cache", err)))
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

/* ---- stats, prune, export ---------------------------------------------------------- */

struct blob_walk {
    long long files;
    uint64_t bytes;
};

/* Visit each blob file (<blobs>/xx/<name>), and the temporaries at the top. */
static void walk_blobs(const char *root, void (*fn)(void *ctx, const char *path,
                                                    const char *name, const struct stat *st),
                       void *ctx)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && strncmp(e->d_name, ".tmp-", 5))
            continue;
        char *p = fsx_join(root, e->d_name);
        struct stat st;
        if (p && lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && strlen(e->d_name) == 2) {
                DIR *sd = opendir(p);
                struct dirent *f;
                while (sd && (f = readdir(sd))) {
                    char *q = f->d_name[0] == '.' ? NULL : fsx_join(p, f->d_name);
                    struct stat fst;
                    if (q && lstat(q, &fst) == 0 && S_ISREG(fst.st_mode))
                        fn(ctx, q, f->d_name, &fst);
                    free(q);
                }
                if (sd)
                    closedir(sd);
            } else if (S_ISREG(st.st_mode)) {
                fn(ctx, p, e->d_name, &st);
            }
        }
        free(p);
    }
    closedir(d);
}

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
    int rc = query_int(c, "SELECT count(*) FROM results", &st->rows, "read the cache", err);
    if (!rc)
        rc = query_int(c, "SELECT count(*) FROM images", &st->image_refs, "read the cache", err);
    if (!rc)
        rc = query_int(c, "SELECT value FROM gembatch_cache_meta WHERE name='schema_version'", &v,
                       "read the cache", err);
    if (rc)
        return rc;
    st->schema_version = (int)v;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, "SELECT min(created_at), max(created_at) FROM results", -1, &s,
                           NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return db_fail(c, err, "read the cache");
    }
    st->oldest = sqlite3_column_double(s, 0);
    st->newest = sqlite3_column_double(s, 1);
    sqlite3_finalize(s);
    struct blob_walk w = {0};
    walk_blobs(c->blobs, count_blob, &w);
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
    if (hex_to_key(hex, d))
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
        return db_fail(c, err, "prune the cache");
    walk_blobs(c->blobs, gc_blob, &g);
    sqlite3_finalize(g.ref);
    *removed += g.removed;
    return g.failed ? db_fail(c, err, "prune the cache") : 0;
}

/* Delete the rows chosen by `where` (an SQL condition on results) with
 * their image rows, in one transaction. */
static int delete_rows(struct cache *c, const char *where, long long *deleted, struct gb_err *err)
{
    char sql[512];
    int rc = exec_sql(c, "BEGIN IMMEDIATE", "prune the cache", err);
    if (rc)
        return rc;
    snprintf(sql, sizeof sql, "DELETE FROM images WHERE rid IN (SELECT id FROM results WHERE %s)",
             where);
    rc = exec_sql(c, sql, "prune the cache", err);
    if (!rc) {
        snprintf(sql, sizeof sql, "DELETE FROM results WHERE %s", where);
        rc = exec_sql(c, sql, "prune the cache", err);
    }
    if (!rc)
        *deleted += sqlite3_changes(c->db);
    if (!rc)
        rc = exec_sql(c, "COMMIT", "prune the cache", err);
    if (rc)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Give free pages back: incremental vacuum, then fold the WAL into the
 * file and truncate it (a reader elsewhere may keep it: then it stays). */
static int shrink(struct cache *c, struct gb_err *err)
{
    int rc = exec_sql(c, "PRAGMA incremental_vacuum", "prune the cache", err);
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
    int rc = query_int(c, "SELECT coalesce(sum(length(CAST(result AS BLOB)) + 64), 0) FROM results",
                       &text_total, "prune the cache", err);
    if (rc)
        return rc;
    double per_text_byte = text_total > 0 ? (double)db_bytes_held / (double)text_total : 1;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT length(CAST(result AS BLOB)) + 64, "
                           "(SELECT coalesce(sum(size), 0) FROM images WHERE rid = results.id) "
                           "FROM results ORDER BY created_at, id",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(c, err, "prune the cache");
    double sum = 0;
    while (sum < (double)excess && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        sum += (double)sqlite3_column_int64(s, 0) * per_text_byte +
               (double)sqlite3_column_int64(s, 1);
        (*nrows)++;
    }
    int bad = sum < (double)excess && rc != SQLITE_DONE;
    sqlite3_finalize(s);
    return bad ? db_fail(c, err, "prune the cache") : 0;
}

static uint64_t total_bytes(struct cache *c)
{
    struct blob_walk w = {0};
    walk_blobs(c->blobs, count_blob, &w);
    return db_bytes(c) + w.bytes;
}

/* What the database and blobs hold: the database by its pages, not its
 * files, since a WAL another process keeps open is not what prune frees. */
static int held_bytes(struct cache *c, uint64_t *db, uint64_t *blobs, struct gb_err *err)
{
    long long pages = 0, size = 0;
    int rc = query_int(c, "PRAGMA page_count", &pages, "prune the cache", err);
    if (!rc)
        rc = query_int(c, "PRAGMA page_size", &size, "prune the cache", err);
    struct blob_walk w = {0};
    walk_blobs(c->blobs, count_blob, &w);
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
        return db_fail(c, err, "read the cache");
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
        if (!o || (ret = load_images(c, sqlite3_column_int64(s, 0), &h, err))) {
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
        ret = db_fail(c, err, "read the cache");
    sqlite3_finalize(s);
    return ret;
}
