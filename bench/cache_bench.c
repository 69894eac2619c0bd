/* cache_bench.c: the answer cache's throughput and size: N puts (each its
 * own transaction, as a run makes them), N gets of those keys, N gets of
 * absent keys, then the database's size on disk. `make bench-cache`;
 * CACHE_BENCH_N (default 100000), CACHE_BENCH_DIR (default a temp folder). */
#include "cache.h"
#include "fsx.h"
#include "sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void key_of(long i, char hex[65])
{
    char s[32];
    uint8_t d[32];
    snprintf(s, sizeof s, "bench %ld", i);
    sha256_buf(s, strlen(s), d);
    sha256_hex(d, hex);
}

int main(void)
{
    long n = getenv("CACHE_BENCH_N") ? atol(getenv("CACHE_BENCH_N")) : 100000;
    char tmpl[] = "/tmp/gb-cache-bench-XXXXXX";
    const char *dir = getenv("CACHE_BENCH_DIR") ? getenv("CACHE_BENCH_DIR") : mkdtemp(tmpl);
    char *db = fsx_join(dir, "answers.db");
    struct cache_opts o = {db, CACHE_READWRITE, 0, 0, -1};
    struct cache *c = NULL;
    struct gb_err err = {0};
    if (!db || cache_open(&o, &c, &err)) {
        fprintf(stderr, "cache_bench: %s\n", err.msg);
        return 1;
    }
    /* a typical structured answer: ~400 bytes of result line */
    json_t *res = json_pack("{s:s,s:s,s:{s:s,s:f,s:[s,s],s:b,s:s},s:s,s:{s:i,s:i,s:i}}", "status",
                            "completed", "model", "gemini-2.5-flash", "output", "category",
                            "animal", "confidence", 0.93, "dominant_colors", "brown", "white",
                            "contains_text", 0, "caption", "A brown and white dog lying on a rug",
                            "text",
                            "{\"category\":\"animal\",\"confidence\":0.93,\"dominant_colors\":"
                            "[\"brown\",\"white\"],\"contains_text\":false,\"caption\":\"A brown "
                            "and white dog lying on a rug\"}",
                            "usage", "total_input_tokens", 301, "total_output_tokens", 42,
                            "total_tokens", 343);
    char key[65];
    double t0 = wall_s();
    for (long i = 0; i < n; i++) {
        key_of(i, key);
        if (cache_put(c, key, res, NULL, 0, 0.0001, &err)) {
            fprintf(stderr, "cache_bench: put: %s\n", err.msg);
            return 1;
        }
    }
    double t1 = wall_s();
    long hits = 0;
    for (long i = 0; i < n; i++) {
        struct cache_hit h;
        key_of(i, key);
        int rc = cache_get(c, key, &h, &err);
        if (rc < 0) {
            fprintf(stderr, "cache_bench: get: %s\n", err.msg);
            return 1;
        }
        hits += rc;
        cache_hit_free(&h);
    }
    double t2 = wall_s();
    for (long i = 0; i < n; i++) {
        struct cache_hit h;
        key_of(n + i, key);
        if (cache_get(c, key, &h, &err) != 0)
            return 1;
    }
    double t3 = wall_s();
    cache_close(c); /* the last connection folds the WAL into the file */
    c = NULL;
    o.mode = CACHE_READ;
    double t4 = wall_s();
    if (cache_open(&o, &c, &err)) {
        fprintf(stderr, "cache_bench: reopen: %s\n", err.msg);
        return 1;
    }
    double t5 = wall_s();
    struct cache_stats st;
    cache_stats(c, &st, &err);
    printf("cache: %ld puts %.2f s (%.0f/s), %ld gets (hits %ld) %.2f s (%.0f/s), "
           "%ld misses %.2f s (%.0f/s)\n",
           n, t1 - t0, n / (t1 - t0), n, hits, t2 - t1, n / (t2 - t1), n, t3 - t2,
           n / (t3 - t2));
    printf("cache: %lld answers in %.1f MiB (%.0f bytes each); open with its page check "
           "%.3f s\n",
           st.rows, st.db_bytes / 1048576.0, (double)st.db_bytes / (double)st.rows, t5 - t4);
    cache_close(c);
    json_decref(res);
    if (!getenv("CACHE_BENCH_DIR"))
        fsx_rm_tree(dir);
    free(db);
    return hits == n ? 0 : 1;
}
