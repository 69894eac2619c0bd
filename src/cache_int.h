/* cache_int.h: what the answer cache's files share: struct cache, its
 * prepared statements, the helpers cache.c lends to cache_admin.c (the
 * SQLite failure messages, one-line queries, keys, a row's images), and the
 * blob folder (cache_blob.c). Nothing outside cache*.c includes it.
 * Ownership: struct cache is cache_open's (cache_close frees it). The
 * helpers allocate nothing the caller keeps, except cache_load_images and
 * cache_blob_load, which fill a hit (free with cache_hit_free), and
 * cache_blob_path (a new string). */
#ifndef GB_CACHE_INT_H
#define GB_CACHE_INT_H

#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cache.h"
#include "err.h"

enum stmt_id { ST_GET, ST_GET_IMG, ST_DEL_IMG, ST_DEL, ST_PUT, ST_PUT_IMG, ST_N };

struct cache {
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
    char *path;
    char *blobs;          /* <path>.blobs */
    struct cache_opts o;
    char *secret;         /* blanked out of stored answers (cache_set_secret) */
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

/* ---- cache_blob.c ------------------------------------------------------ */

/* root/<sha[0..2)>/<sha>.<ext>. New string, NULL on ENOMEM. */
char *cache_blob_path(const char *root, const char *sha, const char *ext);
/* Read im->path whole into im->data (new, freed by cache_hit_free) and
 * check it is what im says (size, sha256). 0, or -1: gone or not those
 * bytes (a miss, never an error: prune may have taken it). */
int cache_blob_load(struct cache_image *im);
/* Copy src into root under its content hash (sha_hex, ext and *size set),
 * creating root unless *root_made (then set). 0, or <0 with err set. */
int cache_blob_store(const char *root, int *root_made, const char *src, char sha_hex[65],
                     char ext[16], uint64_t *size, struct gb_err *err);
/* Visit each blob file (root/xx/<name>) and the temporaries at the top. */
void cache_blob_walk(const char *root,
                     void (*fn)(void *ctx, const char *path, const char *name,
                                const struct stat *st),
                     void *ctx);

#endif
