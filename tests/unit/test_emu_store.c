/* test_emu_store.c: stored interactions (background polls, cancel, eviction,
 * include_input) and Files API sessions (offsets, cut chunks kept, finalize,
 * PROCESSING then ACTIVE, uri lookup), without HTTP. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "emu_int.h"

static void put(struct emu_store *s, const char *id, int background, int polls)
{
    struct emu_rec_in in = {0};
    snprintf(in.id, sizeof in.id, "%s", id);
    in.final_json = strdup("{\"id\":\"x\",\"status\":\"completed\",\"outputs\":[1]}");
    in.pending_json = background ? strdup("{\"id\":\"x\",\"status\":\"in_progress\",\"outputs\":[]}")
                                 : NULL;
    in.input_json = strdup("\"hello\"");
    in.tools_json = strdup("[{\"type\":\"google_search\"}]");
    in.final_status = EMU_ST_COMPLETED;
    in.polls = polls;
    in.turns_total = 2;
    in.tokens = 77;
    cr_assert_eq(emu_store_put(s, &in), 0);
}

static int status_of(struct emu_store *s, const char *id, int poll, int finish)
{
    char *j = NULL;
    size_t n;
    int st = -1;
    if (emu_store_get(s, id, poll, finish, 0, &j, &n, &st))
        return -1;
    free(j);
    return st;
}

Test(emu_store, background_polls_then_completed)
{
    struct emu_store *s;
    cr_assert_eq(emu_store_new(10, &s), 0);
    put(s, "a", 1, 2);
    cr_expect_eq(status_of(s, "a", 1, 0), EMU_ST_IN_PROGRESS);
    cr_expect_eq(status_of(s, "a", 1, 0), EMU_ST_IN_PROGRESS);
    cr_expect_eq(status_of(s, "a", 1, 0), EMU_ST_COMPLETED, "the third GET sees it done");
    cr_expect_eq(status_of(s, "a", 0, 0), EMU_ST_COMPLETED);
    put(s, "b", 1, 5);
    cr_expect_eq(status_of(s, "b", 0, 1), EMU_ST_COMPLETED, "a streaming get finishes it");
    emu_store_free(s);
}

Test(emu_store, cancel_running_only)
{
    struct emu_store *s;
    char *j;
    size_t n;
    cr_assert_eq(emu_store_new(10, &s), 0);
    put(s, "a", 1, 3);
    put(s, "b", 0, 0);
    cr_assert_eq(emu_store_cancel(s, "a", &j, &n), 0);
    cr_expect_not_null(strstr(j, "\"status\":\"cancelled\""));
    free(j);
    cr_expect_eq(status_of(s, "a", 1, 0), EMU_ST_CANCELLED);
    cr_expect_eq(emu_store_cancel(s, "a", &j, &n), -2);
    cr_expect_eq(emu_store_cancel(s, "b", &j, &n), -2, "finished: not cancellable");
    cr_expect_eq(emu_store_cancel(s, "zz", &j, &n), -1);
    emu_store_free(s);
}

Test(emu_store, include_input_prev_and_eviction)
{
    struct emu_store *s;
    char *j;
    size_t n;
    int st;
    cr_assert_eq(emu_store_new(2, &s), 0);
    put(s, "a", 0, 0);
    cr_assert_eq(emu_store_get(s, "a", 1, 0, 1, &j, &n, &st), 0);
    cr_expect_str_eq(j, "{\"id\":\"x\",\"status\":\"completed\",\"outputs\":[1],\"input\":\"hello\"}");
    cr_expect_eq(n, strlen(j));
    free(j);
    struct emu_prev pv;
    cr_assert_eq(emu_store_prev(s, "a", &pv), 0);
    cr_expect_eq(pv.turns_total, 2);
    cr_expect_eq(pv.tokens, 77);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(pv.tools, 0), "type")),
                     "google_search");
    json_decref(pv.tools);
    put(s, "b", 0, 0);
    put(s, "c", 0, 0);
    cr_expect_eq(emu_store_count(s), 2);
    cr_expect_eq(status_of(s, "a", 0, 0), -1, "the oldest was evicted");
    cr_expect_eq(emu_store_delete(s, "b"), 0);
    cr_expect_eq(emu_store_delete(s, "b"), -1);
    emu_store_free(s);
}

/* ---- Files API sessions ------------------------------------------------------- */

static struct emu_files *files(long processing_ms)
{
    struct emu_files *f;
    struct emu_files_opts o = {1000, processing_ms, 10, 8080, NULL};
    cr_assert_eq(emu_files_new(&o, &f), 0);
    return f;
}

static char *start(struct emu_files *f, const char *len, char name[64])
{
    struct emu_upload_hdrs h = {"resumable", "start", len, "application/pdf", NULL, NULL};
    struct emu_err e;
    char *url = NULL;
    const char *body = "{\"file\":{\"displayName\":\"doc\"}}";
    cr_assert_eq(emu_files_start(f, "v1beta", "http://127.0.0.1:8080", &h, body, strlen(body), &url,
                                 name, &e),
                 0, "%s", e.msg);
    return url;
}

Test(emu_files, offsets_cut_chunks_and_finalize)
{
    struct emu_files *f = files(0);
    char name[64], n2[64];
    char *url = start(f, "10", name);
    const char *id = strstr(url, "upload_id=") + 10;
    char uid[64];
    snprintf(uid, sizeof uid, "%.*s", (int)strcspn(id, "&"), id);
    struct emu_upload *u;
    struct emu_err e;
    struct emu_upload_hdrs h = {0};
    h.offset = "0";
    cr_assert_eq(emu_upload_begin(f, uid, EMU_UP_UPLOAD, &h, 6, &u, n2, &e), 0, "%s", e.msg);
    cr_expect_str_eq(n2, name);
    /* a connection cut after 4 of 6 bytes: the 4 stay */
    cr_assert_eq(emu_upload_data(f, u, "%PDF", 4), 0);
    emu_upload_abort(f, u);
    struct emu_upload_reply r;
    cr_assert_eq(emu_upload_status(f, uid, EMU_UP_QUERY, &r, &e), 0);
    cr_expect_eq(r.received, 4);
    cr_expect_str_eq(r.status, "active");
    h.offset = "6";
    cr_expect_eq(emu_upload_begin(f, uid, EMU_UP_UPLOAD, &h, 6, &u, n2, &e), -1);
    cr_expect_eq(e.http, 400, "offset mismatch");
    h.offset = "4";
    cr_expect_eq(emu_upload_begin(f, uid, EMU_UP_UPLOAD, &h, 7, &u, n2, &e), -1);
    cr_expect_eq(e.http, 400, "past the announced size");
    cr_assert_eq(emu_upload_begin(f, uid, EMU_UP_UPLOAD | EMU_UP_FINALIZE, &h, 6, &u, n2, &e), 0);
    cr_assert_eq(emu_upload_data(f, u, "-1.4\n ", 6), 0);
    cr_assert_eq(emu_upload_end(f, u, EMU_UP_UPLOAD | EMU_UP_FINALIZE, &r, &e), 0, "%s", e.msg);
    cr_expect_str_eq(r.status, "final");
    json_t *root = json_loads(r.body, 0, NULL);
    json_t *file = json_object_get(root, "file");
    cr_expect_str_eq(json_string_value(json_object_get(file, "sizeBytes")), "10");
    cr_expect_str_eq(json_string_value(json_object_get(file, "mimeType")), "application/pdf");
    cr_expect_str_eq(json_string_value(json_object_get(file, "displayName")), "doc");
    /* SHA-256("%PDF-1.4\n ") in base64 */
    uint8_t d[32];
    char want[48];
    sha256_buf("%PDF-1.4\n ", 10, d);
    want[b64_encode(d, 32, want)] = '\0';
    cr_expect_str_eq(json_string_value(json_object_get(file, "sha256Hash")), want);
    const char *uri = json_string_value(json_object_get(file, "uri"));
    struct emu_facts facts;
    char mime[64], nm[64];
    cr_expect_eq(emu_files_lookup(f, uri, &facts, mime, sizeof mime, nm, sizeof nm), EMU_FILE_ACTIVE);
    cr_expect_eq(facts.bytes, 10);
    cr_expect_str_eq(nm, name);
    cr_expect_eq(emu_files_lookup(f, "http://127.0.0.1:8080/v1beta/files/nope", &facts, mime,
                                  sizeof mime, nm, sizeof nm),
                 EMU_FILE_UNKNOWN);
    cr_expect_eq(emu_files_lookup(f, "https://example.com/v1beta/files/nope", &facts, mime,
                                  sizeof mime, nm, sizeof nm),
                 EMU_FILE_NOT_OURS);
    json_decref(root);
    free(r.body);
    free(url);
    emu_files_free(f);
}

Test(emu_files, processing_then_active)
{
    struct emu_files *f = files(150);
    char name[64], n2[64];
    char *url = start(f, "3", name);
    char uid[64];
    const char *id = strstr(url, "upload_id=") + 10;
    snprintf(uid, sizeof uid, "%.*s", (int)strcspn(id, "&"), id);
    struct emu_upload *u;
    struct emu_err e;
    struct emu_upload_hdrs h = {0};
    h.offset = "0";
    cr_assert_eq(emu_upload_begin(f, uid, EMU_UP_UPLOAD | EMU_UP_FINALIZE, &h, 3, &u, n2, &e), 0);
    emu_upload_data(f, u, "abc", 3);
    struct emu_upload_reply r;
    cr_assert_eq(emu_upload_end(f, u, EMU_UP_UPLOAD | EMU_UP_FINALIZE, &r, &e), 0);
    char *j;
    size_t n;
    cr_assert_eq(emu_files_get(f, name + 6, &j, &n), 0);
    cr_expect_not_null(strstr(j, "\"state\":\"PROCESSING\""), "%s", j);
    free(j);
    usleep(200 * 1000);
    cr_assert_eq(emu_files_get(f, name + 6, &j, &n), 0);
    cr_expect_not_null(strstr(j, "\"state\":\"ACTIVE\""), "%s", j);
    free(j);
    cr_expect_eq(emu_files_delete(f, name + 6), 0);
    cr_expect_eq(emu_files_get(f, name + 6, &j, &n), -1);
    free(r.body);
    free(url);
    emu_files_free(f);
}
