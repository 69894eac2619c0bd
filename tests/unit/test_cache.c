/* test_cache.c: the answer cache's database: round trips with images by
 * content hash, the modes, max age, refusing foreign, newer, garbage,
 * truncated and locked files, damage found at get, prune by age and size,
 * export, two processes sharing one database, and the blob folder itself
 * (cache_blob.c: layout, read-back checks, the walk). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "cache_int.h"
#include "fsx.h"
#include "sha256.h"

static char dir[64];
static char db[128];

static void setup_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/gb-cache-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/answers.db", dir);
}

static void teardown_dir(void)
{
    fsx_rm_tree(dir);
}

TestSuite(cache, .init = setup_dir, .fini = teardown_dir);

static struct cache *open_mode(enum cache_mode mode, struct gb_err *err)
{
    struct cache_opts o = {db, mode, 0, 200, -1};
    struct cache *c = NULL;
    int rc = cache_open(&o, &c, err);
    cr_assert_eq(rc, 0, "cache_open: %s", err->msg);
    return c;
}

static void key_of(int i, char hex[65])
{
    char s[32];
    uint8_t d[32];
    snprintf(s, sizeof s, "job %d", i);
    sha256_buf(s, strlen(s), d);
    sha256_hex(d, hex);
}

static char *write_file(const char *name, const void *data, size_t n)
{
    char *p = fsx_join(dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fwrite(data, 1, n, f);
    fclose(f);
    return p;
}

static json_t *result_line(const char *id, const char *text)
{
    return json_pack("{s:s,s:s,s:s,s:{s:s},s:s,s:[s],s:[{s:s,s:s}],s:{s:i,s:i},s:i,s:i,s:s}", "id",
                     id, "status", "completed", "model", "gemini-2.5-flash", "output", "label",
                     "cat", "text", text, "files", "images/x/0.png", "outputs", "type", "image",
                     "file", "images/x/0.png", "usage", "total_input_tokens", 10,
                     "total_output_tokens", 3, "attempts", 2, "latency_ms", 412, "finished_at",
                     "2026-01-01T00:00:00Z");
}

static long count_files(const char *root)
{
    long n = 0;
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = fsx_join(root, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0)
            n += S_ISDIR(st.st_mode) ? count_files(p) : 1;
        free(p);
    }
    if (d)
        closedir(d);
    return n;
}

static void sql(const char *statement)
{
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, statement, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", statement, msg ? msg : "");
    sqlite3_close(h);
}

Test(cache, round_trip_keeps_the_answer_and_drops_per_run_fields)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    char key[65];
    key_of(1, key);
    const unsigned char png[] = "\x89PNG fake image bytes";
    char *img = write_file("0.png", png, sizeof png);
    json_t *res = result_line("a", "hello");
    const char *paths[] = {img};
    cr_assert_eq(cache_put(c, key, res, paths, 1, 0.0125, &err), 0, "%s", err.msg);

    struct cache_hit h;
    cr_assert_eq(cache_get(c, key, &h, &err), 1, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(h.result, "text")), "hello");
    cr_assert_null(json_object_get(h.result, "id"));
    cr_assert_null(json_object_get(h.result, "attempts"));
    cr_assert_null(json_object_get(h.result, "latency_ms"));
    cr_assert_null(json_object_get(h.result, "files"));
    cr_assert_not_null(json_object_get(h.result, "usage"));
    cr_assert_not_null(json_object_get(h.result, "output"));
    cr_assert_float_eq(h.cost_usd, 0.0125, 1e-12);
    cr_assert_eq(h.nimages, 1);
    cr_assert_eq(h.images[0].size, sizeof png);
    cr_assert_eq(memcmp(h.images[0].data, png, sizeof png), 0);
    uint8_t d[32];
    char hex[65], want[256];
    sha256_buf(png, sizeof png, d);
    sha256_hex(d, hex);
    snprintf(want, sizeof want, "%s.blobs/%.2s/%s.png", db, hex, hex);
    cr_assert_str_eq(h.images[0].path, want);
    cr_assert_eq(access(want, R_OK), 0);

    json_t *files = json_pack("[s]", "images/b/0.png");
    json_t *line = cache_hit_result(&h, "b", files);
    cr_assert_str_eq(json_string_value(json_object_get(line, "id")), "b");
    cr_assert(json_is_true(json_object_get(line, "cached")));
    cr_assert_eq(json_integer_value(json_object_get(line, "attempts")), 0);
    cr_assert_float_eq(json_real_value(json_object_get(line, "cost_usd")), 0, 1e-12);
    json_t *out0 = json_array_get(json_object_get(line, "outputs"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(out0, "file")), "images/b/0.png");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(line, "files"), 0)),
                     "images/b/0.png");
    json_decref(line);
    json_decref(files);
    cache_hit_free(&h);

    char other[65];
    key_of(2, other);
    cr_assert_eq(cache_get(c, other, &h, &err), 0);
    struct cache_counts n;
    cache_counts(c, &n);
    cr_assert_eq(n.hits, 1);
    cr_assert_eq(n.misses, 1);
    cr_assert_eq(n.puts, 1);
    json_decref(res);
    free(img);
    cache_close(c);
}

Test(cache, images_with_the_same_bytes_are_stored_once)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    const char bytes[] = "same image bytes";
    char *a = write_file("a.png", bytes, sizeof bytes);
    char *b = write_file("b.png", bytes, sizeof bytes);
    json_t *res = result_line("x", "t");
    char k1[65], k2[65];
    key_of(1, k1);
    key_of(2, k2);
    const char *p1[] = {a}, *p2[] = {b};
    cr_assert_eq(cache_put(c, k1, res, p1, 1, NAN, &err), 0, "%s", err.msg);
    cr_assert_eq(cache_put(c, k2, res, p2, 1, NAN, &err), 0, "%s", err.msg);
    char blobs[160];
    snprintf(blobs, sizeof blobs, "%s.blobs", db);
    cr_assert_eq(count_files(blobs), 1);
    struct cache_stats st;
    cr_assert_eq(cache_stats(c, &st, &err), 0);
    cr_assert_eq(st.rows, 2);
    cr_assert_eq(st.image_refs, 2);
    cr_assert_eq(st.blobs, 1);
    cr_assert_eq(st.blob_bytes, sizeof bytes);
    cr_assert_eq(st.schema_version, CACHE_SCHEMA_VERSION);
    struct cache_hit h;
    cr_assert_eq(cache_get(c, k2, &h, &err), 1);
    cr_assert(isnan(h.cost_usd));
    cache_hit_free(&h);
    json_decref(res);
    free(a);
    free(b);
    cache_close(c);
}

Test(cache, modes_read_write_and_refresh)
{
    struct gb_err err = {0};
    struct cache_opts o = {db, CACHE_READ, 0, 200, -1};
    struct cache *c = NULL;
    cr_assert_eq(cache_open(&o, &c, &err), GB_ENOENT, "read mode needs an existing file");
    cr_assert_null(c);
    cr_assert_neq(access(db, F_OK), 0, "read mode must not create the file");

    char key[65];
    key_of(7, key);
    json_t *one = result_line("x", "first"), *two = result_line("x", "second");
    struct cache_hit h;
    c = open_mode(CACHE_WRITE, &err);
    cr_assert_eq(cache_put(c, key, one, NULL, 0, NAN, &err), 0);
    cr_assert_eq(cache_get(c, key, &h, &err), 0, "write mode never serves");
    cache_close(c);

    c = open_mode(CACHE_READ, &err);
    cr_assert_eq(cache_put(c, key, two, NULL, 0, NAN, &err), 0);
    cr_assert_eq(cache_get(c, key, &h, &err), 1);
    cr_assert_str_eq(json_string_value(json_object_get(h.result, "text")), "first",
                     "read mode stores nothing");
    cache_hit_free(&h);
    struct cache_counts n;
    cache_counts(c, &n);
    cr_assert_eq(n.skipped_puts, 1);
    cache_close(c);

    c = open_mode(CACHE_REFRESH, &err);
    cr_assert_eq(cache_get(c, key, &h, &err), 0, "refresh never serves");
    cr_assert_eq(cache_put(c, key, two, NULL, 0, NAN, &err), 0);
    cache_close(c);
    c = open_mode(CACHE_READWRITE, &err);
    cr_assert_eq(cache_get(c, key, &h, &err), 1);
    cr_assert_str_eq(json_string_value(json_object_get(h.result, "text")), "second");
    cache_hit_free(&h);
    cache_close(c);
    json_decref(one);
    json_decref(two);

    enum cache_mode m;
    cr_assert_eq(cache_mode_parse("refresh", &m), 0);
    cr_assert_eq(m, CACHE_REFRESH);
    cr_assert_eq(cache_mode_parse("rw", &m), -1);
}

Test(cache, rows_older_than_max_age_and_of_the_other_origin_are_misses)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    char key[65], syn[65];
    key_of(1, key);
    key_of(2, syn);
    json_t *res = result_line("x", "t");
    json_t *emu = result_line("y", "u");
    json_object_set_new(emu, "synthetic", json_true());
    cr_assert_eq(cache_put(c, key, res, NULL, 0, NAN, &err), 0);
    cr_assert_eq(cache_put(c, syn, emu, NULL, 0, NAN, &err), 0);
    cache_close(c);
    sql("UPDATE results SET created_at = created_at - 7200 WHERE model IS NOT NULL "
        "AND synthetic = 0");

    struct cache_opts o = {db, CACHE_READWRITE, 3600, 200, -1};
    struct cache_hit h;
    cr_assert_eq(cache_open(&o, &c, &err), 0);
    cr_assert_eq(cache_get(c, key, &h, &err), 0, "two hours old, max age one hour");
    cr_assert_eq(cache_get(c, syn, &h, &err), 1);
    cache_hit_free(&h);
    struct cache_counts n;
    cache_counts(c, &n);
    cr_assert_eq(n.expired, 1);
    cache_close(c);

    o.max_age_s = 3 * 3600;
    o.synthetic = 0; /* a run against the real service */
    cr_assert_eq(cache_open(&o, &c, &err), 0);
    cr_assert_eq(cache_get(c, key, &h, &err), 1);
    cache_hit_free(&h);
    cr_assert_eq(cache_get(c, syn, &h, &err), 0, "an emulator's answer is never served as real");
    cache_close(c);
    o.synthetic = 1;
    cr_assert_eq(cache_open(&o, &c, &err), 0);
    cr_assert_eq(cache_get(c, key, &h, &err), 0, "a real answer is never served to a test run");
    cr_assert_eq(cache_get(c, syn, &h, &err), 1);
    cache_hit_free(&h);
    cache_close(c);
    json_decref(res);
    json_decref(emu);
}

static int open_fails(int want, const char *needle)
{
    struct gb_err err = {0};
    struct cache_opts o = {db, CACHE_READWRITE, 0, 100, -1};
    struct cache *c = NULL;
    int rc = cache_open(&o, &c, &err);
    cr_assert_eq(rc, want, "rc %d, want %d: %s", rc, want, err.msg);
    cr_assert_null(c);
    cr_assert_not_null(strstr(err.msg, needle), "message: %s", err.msg);
    cr_assert_not_null(strstr(err.msg, db), "the message names the file: %s", err.msg);
    return 0;
}

Test(cache, another_applications_database_is_refused)
{
    sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); "
        "INSERT INTO notes (body) VALUES ('mine')");
    open_fails(GB_EINVAL, "another application's SQLite database");
    /* and left as it was */
    sqlite3 *h = NULL;
    sqlite3_open(db, &h);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master", -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), 1);
    sqlite3_finalize(s);
    sqlite3_close(h);
}

Test(cache, a_newer_schema_is_refused)
{
    struct gb_err err = {0};
    cache_close(open_mode(CACHE_READWRITE, &err));
    sql("UPDATE gembatch_cache_meta SET value = '2' WHERE name = 'schema_version'");
    open_fails(GB_EUNSUPPORTED, "newer gembatch");
}

Test(cache, a_garbage_file_is_refused)
{
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 7 + 3);
    FILE *f = fopen(db, "wb");
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);
    open_fails(GB_EINVAL, "not an SQLite database");
}

/* a cache with enough rows to span many pages */
static void fill(struct cache *c, int n, int text_bytes)
{
    struct gb_err err = {0};
    char *text = malloc((size_t)text_bytes + 1);
    memset(text, 'x', (size_t)text_bytes);
    text[text_bytes] = '\0';
    for (int i = 0; i < n; i++) {
        char key[65];
        key_of(i, key);
        json_t *r = result_line("id", text);
        cr_assert_eq(cache_put(c, key, r, NULL, 0, NAN, &err), 0, "%s", err.msg);
        json_decref(r);
    }
    free(text);
}

Test(cache, a_truncated_file_is_refused)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    fill(c, 400, 600);
    cache_close(c); /* the last close folds the WAL into the file */
    struct stat st;
    cr_assert_eq(stat(db, &st), 0);
    cr_assert_gt(st.st_size, 100000);
    cr_assert_eq(truncate(db, st.st_size / 2), 0);
    open_fails(GB_EIO, "damaged");
}

Test(cache, a_database_held_by_another_process_is_locked)
{
    struct gb_err err = {0};
    cache_close(open_mode(CACHE_READWRITE, &err));
    /* exclusive locking mode keeps every lock until the connection closes */
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
                                 "UPDATE gembatch_cache_meta SET value = value; COMMIT",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    open_fails(GB_EBUSY, "locked by another process");
    sqlite3_close(h);
    cache_close(open_mode(CACHE_READWRITE, &err)); /* free again */
}

Test(cache, damage_found_at_get_is_a_miss_and_the_row_goes)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    const char bytes[] = "image one";
    char *img = write_file("0.png", bytes, sizeof bytes);
    const char *paths[] = {img};
    char k1[65], k2[65], k3[65];
    key_of(1, k1);
    key_of(2, k2);
    key_of(3, k3);
    json_t *res = result_line("x", "answer");
    cr_assert_eq(cache_put(c, k1, res, paths, 1, NAN, &err), 0);
    cr_assert_eq(cache_put(c, k2, res, NULL, 0, NAN, &err), 0);
    cr_assert_eq(cache_put(c, k3, res, paths, 1, NAN, &err), 0);
    struct cache_hit h;
    cr_assert_eq(cache_get(c, k1, &h, &err), 1);
    /* the blob's bytes changed behind the cache's back */
    FILE *f = fopen(h.images[0].path, "r+b");
    fputc('X', f);
    fclose(f);
    cache_hit_free(&h);
    cr_assert_eq(cache_get(c, k1, &h, &err), 0, "a blob that does not match is a miss");
    cr_assert_eq(cache_get(c, k3, &h, &err), 0);
    cache_close(c);
    /* the stored text changed (same length, so only the checksum sees it) */
    sql("UPDATE results SET result = replace(result, 'answer', 'ANSWER')");
    c = open_mode(CACHE_READWRITE, &err);
    cr_assert_eq(cache_get(c, k2, &h, &err), 0, "a row whose checksum fails is a miss");
    struct cache_counts n;
    cache_counts(c, &n);
    cr_assert_eq(n.broken, 1);
    struct cache_stats st;
    cr_assert_eq(cache_stats(c, &st, &err), 0);
    cr_assert_eq(st.rows, 0, "damaged rows are deleted so the next put replaces them");
    /* a new put mends the blob */
    cr_assert_eq(cache_put(c, k1, res, paths, 1, NAN, &err), 0);
    cr_assert_eq(cache_get(c, k1, &h, &err), 1);
    cr_assert_eq(memcmp(h.images[0].data, bytes, sizeof bytes), 0);
    cache_hit_free(&h);
    cache_close(c);
    json_decref(res);
    free(img);
}

Test(cache, prune_older_than_takes_rows_and_their_blobs)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    const char b1[] = "old image", b2[] = "new image";
    char *i1 = write_file("1.png", b1, sizeof b1), *i2 = write_file("2.png", b2, sizeof b2);
    const char *p1[] = {i1}, *p2[] = {i2};
    char k1[65], k2[65];
    key_of(1, k1);
    key_of(2, k2);
    json_t *res = result_line("x", "t");
    cr_assert_eq(cache_put(c, k1, res, p1, 1, NAN, &err), 0);
    cr_assert_eq(cache_put(c, k2, res, p2, 1, NAN, &err), 0);
    cache_close(c);
    sql("UPDATE results SET created_at = created_at - 10 * 86400 WHERE id = 1");
    c = open_mode(CACHE_READWRITE, &err);
    struct cache_prune_opts po = {7 * 86400, 0, 0, -1};
    struct cache_prune_result pr;
    cr_assert_eq(cache_prune(c, &po, &pr, &err), 0, "%s", err.msg);
    cr_assert_eq(pr.rows, 1);
    cr_assert_eq(pr.blobs, 1);
    struct cache_hit h;
    cr_assert_eq(cache_get(c, k1, &h, &err), 0);
    cr_assert_eq(cache_get(c, k2, &h, &err), 1);
    cache_hit_free(&h);
    char blobs[160];
    snprintf(blobs, sizeof blobs, "%s.blobs", db);
    cr_assert_eq(count_files(blobs), 1);
    /* with the default grace period a fresh unreferenced blob stays */
    char *i3 = write_file("3.png", "orphan", 6);
    const char *p3[] = {i3};
    char k3[65];
    key_of(3, k3);
    cr_assert_eq(cache_put(c, k3, res, p3, 1, NAN, &err), 0);
    sql("DELETE FROM images WHERE rid = (SELECT id FROM results WHERE created_at = "
        "(SELECT max(created_at) FROM results))");
    struct cache_prune_opts keep = {0, 0, 0, 0};
    cr_assert_eq(cache_prune(c, &keep, &pr, &err), 0);
    cr_assert_eq(pr.blobs, 0, "a blob younger than the grace period may be about to be named");
    cr_assert_eq(count_files(blobs), 2);
    cache_close(c);
    json_decref(res);
    free(i1);
    free(i2);
    free(i3);
}

Test(cache, prune_max_size_keeps_the_newest_within_the_size)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    fill(c, 600, 2000);
    cache_close(c);
    /* row i made i seconds after the first: oldest first is well defined */
    sql("UPDATE results SET created_at = 1700000000 + id");
    c = open_mode(CACHE_READWRITE, &err);
    struct cache_stats st;
    cr_assert_eq(cache_stats(c, &st, &err), 0);
    uint64_t before = st.db_bytes + st.blob_bytes;
    cr_assert_gt(before, 1200000);
    uint64_t max = 400000;
    struct cache_prune_opts po = {0, max, 0, -1};
    struct cache_prune_result pr;
    cr_assert_eq(cache_prune(c, &po, &pr, &err), 0, "%s", err.msg);
    cr_assert_leq(pr.bytes_after, max, "after %llu", (unsigned long long)pr.bytes_after);
    cr_assert_gt(pr.rows, 300);
    cr_assert_lt(pr.rows, 600);
    cr_assert_eq(cache_stats(c, &st, &err), 0);
    cr_assert_eq(st.rows, 600 - pr.rows);
    char newest[65], oldest[65];
    key_of(599, newest);
    key_of(0, oldest);
    struct cache_hit h;
    cr_assert_eq(cache_get(c, newest, &h, &err), 1);
    cache_hit_free(&h);
    cr_assert_eq(cache_get(c, oldest, &h, &err), 0);
    cache_close(c);
}

Test(cache, export_writes_one_json_line_per_row)
{
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READWRITE, &err);
    const char bytes[] = "img";
    char *img = write_file("0.png", bytes, sizeof bytes);
    const char *paths[] = {img};
    char k1[65], k2[65];
    key_of(1, k1);
    key_of(2, k2);
    json_t *res = result_line("x", "t");
    cr_assert_eq(cache_put(c, k1, res, paths, 1, 0.5, &err), 0);
    cr_assert_eq(cache_put(c, k2, res, NULL, 0, NAN, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_eq(cache_export(c, out, &err), 0, "%s", err.msg);
    fclose(out);
    char *nl = strchr(buf, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    json_error_t je;
    json_t *l1 = json_loads(buf, 0, &je), *l2 = json_loads(nl + 1, 0, &je);
    cr_assert_not_null(l1);
    cr_assert_not_null(l2);
    cr_assert_str_eq(json_string_value(json_object_get(l1, "key")), k1);
    cr_assert_float_eq(json_real_value(json_object_get(l1, "cost_usd")), 0.5, 1e-12);
    cr_assert_eq(json_array_size(json_object_get(l1, "images")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(l1, "result"), "text")),
                     "t");
    cr_assert(json_is_null(json_object_get(l2, "cost_usd")));
    cr_assert_str_eq(json_string_value(json_object_get(l2, "key")), k2);
    json_decref(l1);
    json_decref(l2);
    free(buf);
    json_decref(res);
    free(img);
    cache_close(c);
}

/* Two processes put their own keys and read each other's while both write. */
static void worker(int who, int n)
{
    struct gb_err err = {0};
    struct cache_opts o = {db, CACHE_READWRITE, 0, 30000, -1};
    struct cache *c = NULL;
    if (cache_open(&o, &c, &err)) {
        fprintf(stderr, "worker %d: %s\n", who, err.msg);
        _exit(10);
    }
    int seen_other = 0;
    for (int i = 0; i < n; i++) {
        char key[65];
        key_of(who * 100000 + i, key);
        char text[32];
        snprintf(text, sizeof text, "%d:%d", who, i);
        json_t *r = json_pack("{s:s}", "text", text);
        if (cache_put(c, key, r, NULL, 0, NAN, &err))
            _exit(11);
        json_decref(r);
        struct cache_hit h;
        key_of((1 - who) * 100000 + i / 2, key);
        int rc = cache_get(c, key, &h, &err);
        if (rc < 0)
            _exit(12);
        if (rc == 1) {
            char want[32];
            snprintf(want, sizeof want, "%d:%d", 1 - who, i / 2);
            if (strcmp(json_string_value(json_object_get(h.result, "text")), want))
                _exit(13); /* a wrong answer */
            seen_other++;
            cache_hit_free(&h);
        }
    }
    cache_close(c);
    _exit(0);
}

Test(cache, two_processes_share_one_database)
{
    const int n = 400;
    pid_t p[2];
    for (int w = 0; w < 2; w++) {
        p[w] = fork();
        cr_assert_geq(p[w], 0);
        if (p[w] == 0)
            worker(w, n);
    }
    for (int w = 0; w < 2; w++) {
        int status = 0;
        waitpid(p[w], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker %d: status %d", w,
                  WEXITSTATUS(status));
    }
    struct gb_err err = {0};
    struct cache *c = open_mode(CACHE_READ, &err);
    struct cache_stats st;
    cr_assert_eq(cache_stats(c, &st, &err), 0);
    cr_assert_eq(st.rows, 2 * n);
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < n; i += 37) {
            char key[65], want[32];
            key_of(w * 100000 + i, key);
            snprintf(want, sizeof want, "%d:%d", w, i);
            struct cache_hit h;
            cr_assert_eq(cache_get(c, key, &h, &err), 1);
            cr_assert_str_eq(json_string_value(json_object_get(h.result, "text")), want);
            cache_hit_free(&h);
        }
    cache_close(c);
}

static void seen_blob(void *ctx, const char *path, const char *name, const struct stat *st)
{
    (void)path;
    (void)st;
    json_array_append_new(ctx, json_string(name));
}

Test(cache, blob_folder_layout_read_back_and_walk)
{
    char *root = fsx_join(dir, "b.blobs"), *a = write_file("pic.png", "PNGBYTES", 8),
         *b = write_file("odd.PNG", "other", 5);
    char sha[65], ext[16], sha2[65], ext2[16], want[65];
    uint64_t size = 0, size2 = 0;
    uint8_t d[32];
    int made = 0;
    struct gb_err err = {0};
    cr_assert_eq(cache_blob_store(root, &made, a, sha, ext, &size, &err), 0, "%s", err.msg);
    cr_expect_eq(made, 1, "the folder is made once");
    cr_assert_eq(cache_blob_store(root, &made, b, sha2, ext2, &size2, &err), 0, "%s", err.msg);
    sha256_buf("PNGBYTES", 8, d);
    sha256_hex(d, want);
    cr_expect_str_eq(sha, want);
    cr_expect_str_eq(ext, "png");
    cr_expect_str_eq(ext2, "bin", "an upper-case extension only names the file: bin");
    cr_expect_eq(size, 8);
    char *path = cache_blob_path(root, sha, ext), expect[256];
    snprintf(expect, sizeof expect, "%s/%.2s/%s.png", root, sha, sha);
    cr_expect_str_eq(path, expect);
    struct cache_image im = {path, "png", "", 8, NULL};
    memcpy(im.sha256, sha, 65);
    cr_expect_eq(cache_blob_load(&im), 0);
    cr_expect(im.data && !memcmp(im.data, "PNGBYTES", 8));
    free(im.data);
    im.data = NULL;
    im.size = 9;
    cr_expect_eq(cache_blob_load(&im), -1, "a size that does not match is a miss");
    free(im.data);
    im.data = NULL;
    im.size = 8;
    FILE *f = fopen(path, "wb");
    fputs("PNGBYTEX", f);
    fclose(f);
    cr_expect_eq(cache_blob_load(&im), -1, "bytes that do not match their name are a miss");
    free(im.data);
    /* the walk: blobs in two-letter folders and temporaries at the top;
     * not dot files, not other folders */
    char *tmp = fsx_join(root, ".tmp-abc"), *hidden = fsx_join(root, ".hidden"),
         *other = fsx_join(root, "abc");
    free(write_file("b.blobs/.tmp-abc", "t", 1));
    free(write_file("b.blobs/.hidden", "h", 1));
    cr_assert_eq(mkdir(other, 0755), 0);
    free(write_file("b.blobs/abc/x.png", "x", 1));
    json_t *names = json_array();
    cache_blob_walk(root, seen_blob, names);
    cr_expect_eq(json_array_size(names), 3, "two blobs and one temporary");
    size_t i;
    json_t *v;
    int tmp_seen = 0;
    json_array_foreach (names, i, v)
        tmp_seen += !strcmp(json_string_value(v), ".tmp-abc");
    cr_expect_eq(tmp_seen, 1);
    json_decref(names);
    free(tmp);
    free(hidden);
    free(other);
    free(path);
    free(a);
    free(b);
    free(root);
}
