/* cache_int.h: what the answer cache's files share: struct cache, its
 * prepared statements, and the helpers cache.c lends to cache_admin.c (the
 * SQLite failure messages, one-line queries, keys, a row's images). Nothing
 * outside cache*.c includes it.
 * Ownership: struct cache is cache_open's (cache_close frees it); the
 * helpers allocate nothing the caller keeps, except cache_load_images, which
 * fills hit (free with cache_hit_free). */
#ifndef GB_CACHE_INT_H
#define GB_CACHE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "cache.h"
#include "err.h"

enum stmt_id { ST_GET, ST_GET_IMG, ST_DEL_IMG, ST_DEL, ST_PUT, ST_PUT_IMG, ST_N };

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

/* ---- cache.c ------------------------------------------------------------- */

/* The failure of the last SQLite call as err, one message per kind (locked,
 * not a database, damaged, disk full), naming the file and what to do; what
 * says what was being done ("read the cache"). Returns the GB_E* code. */
int cache_db_fail(struct cache *c, struct gb_err *err, const char *what);
/* Run sql (no rows). 0, or cache_db_fail's code. */
int cache_exec(struct cache *c, const char *sql, const char *what, struct gb_err *err);
/* A one-row, one-column integer query (PRAGMA or SELECT count); 0 when it
 * gives no row. */
int cache_query_int(struct cache *c, const char *sql, long long *out, const char *what,
                    struct gb_err *err);
/* 64 hex digits into 32 bytes. 0, or -1. */
int cache_hex_key(const char *hex, uint8_t out[32]);
/* The images of row rid into hit (paths only, no bytes). < 0: a database
 * error. */
int cache_load_images(struct cache *c, long long rid, struct cache_hit *hit, struct gb_err *err);

#endif
