/* test_imgstream.c: media decoded to disk while a body streams in (issue 14
 * point 5): whatever the chunking, the kept body parses, its media strings
 * are placeholders naming files with the exact bytes; short strings, other
 * "data" keys and non-JSON pass unchanged; escapes are undone; bad base64,
 * cut bodies and forged placeholders are caught; SSE in both dialects; and
 * the memory kept does not grow with the image. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "err.h"
#include "fsx.h"
#include "imgstream.h"

static char dir[64];
static int dfd = -1;

static void setup(void)
{
    strcpy(dir, "/tmp/gb-imgs-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
}

static void teardown(void)
{
    close(dfd);
    fsx_rm_tree(dir);
}

TestSuite(imgs, .init = setup, .fini = teardown);

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort(); /* the compiler sees the test cannot go on */
    return p;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *b = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
    return b;
}

static char *b64(const unsigned char *p, size_t n)
{
    char *t = xmalloc(b64_enc_len(n) + 1);
    t[b64_encode(p, n, t)] = '\0';
    return t;
}

/* Feed text in chunks of the given size (0: varying sizes); the kept body. */
static char *run(struct imgstream *s, const char *text, size_t n, size_t chunk, int *rc_out)
{
    struct buf out;
    buf_init(&out, BUF_UNLIMITED);
    size_t i = 0, k = 1;
    int rc = 0;
    while (i < n && !rc) {
        size_t c = chunk ? chunk : (k = k * 7 % 8191 + 1);
        if (c > n - i)
            c = n - i;
        rc = imgs_feed(s, text + i, c, &out);
        i += c;
    }
    if (!rc)
        rc = imgs_finish(s, &out);
    *rc_out = rc;
    buf_putc(&out, '\0');
    return out.data;
}

static unsigned char *file_bytes(const char *name, size_t *n)
{
    int fd = openat(dfd, name, O_RDONLY);
    cr_assert(fd >= 0, "%s missing", name);
    struct stat st;
    fstat(fd, &st);
    unsigned char *b = xmalloc((size_t)st.st_size + 1);
    cr_assert_eq(read(fd, b, (size_t)st.st_size), st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return b;
}

/* the item a kept body's JSON string at path names */
static struct imgs_item *item_at(struct imgstream *s, json_t *v)
{
    cr_assert(json_is_string(v));
    return imgs_lookup(s, json_string_value(v), json_string_length(v));
}

static void check_item(struct imgstream *s, json_t *v, const unsigned char *want, size_t n)
{
    struct imgs_item *it = item_at(s, v);
    cr_assert_not_null(it, "not a placeholder: %.60s", json_string_value(v));
    cr_assert_eq(it->bad, 0);
    cr_assert_eq(it->bytes, n);
    size_t got_n;
    unsigned char *got = file_bytes(it->spool, &got_n);
    cr_assert_eq(got_n, n);
    cr_assert_eq(memcmp(got, want, n), 0, "the decoded bytes differ");
    free(got);
}

Test(imgs, g1_outputs_any_chunking)
{
    size_t n = 300000;
    unsigned char *img = pattern(n, 1);
    char *data = b64(img, n);
    size_t tl = strlen(data) + 512;
    char *body = xmalloc(tl);
    snprintf(body, tl,
             "{\"id\":\"ix\",\"status\":\"completed\",\"outputs\":[{\"type\":\"text\",\"text\":"
             "\"a \\\"data\\\": here\"},{\"type\":\"image\",\"mime_type\":\"image/png\",\"data\":"
             "\"%s\"}],\"usage\":{\"total_tokens\":3}}",
             data);
    size_t chunks[] = {1, 3, 4096, 16384, 0, 1 << 20};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct imgstream s;
        imgs_init(&s, IMGS_JSON, dfd, 0, 4);
        int rc;
        char *kept = run(&s, body, strlen(body), chunks[c], &rc);
        cr_assert_eq(rc, 0);
        cr_assert_lt(strlen(kept), 400, "chunk %zu: the image stayed in the body", chunks[c]);
        json_error_t je;
        json_t *doc = json_loads(kept, 0, &je);
        cr_assert_not_null(doc, "chunk %zu: %s: %s", chunks[c], je.text, kept);
        json_t *outs = json_object_get(doc, "outputs");
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(outs, 0), "text")),
                         "a \"data\": here");
        json_t *im = json_array_get(outs, 1);
        cr_assert_str_eq(json_string_value(json_object_get(im, "mime_type")), "image/png");
        check_item(&s, json_object_get(im, "data"), img, n);
        json_decref(doc);
        free(kept);
        imgs_free(&s);
    }
    free(body);
    free(data);
    free(img);
}

Test(imgs, short_strings_and_other_data_keys_pass_unchanged)
{
    /* a small inline image, a function call whose arguments have a long
     * "data", a "data" outside any outputs, and HTML */
    char big[200001];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    size_t bl = sizeof big * 2 + 512;
    char *body = xmalloc(bl);
    snprintf(body, bl,
            "{\"outputs\":[{\"type\":\"image\",\"data\":\"iVBORw0KGgo=\"},{\"type\":"
            "\"function_call\",\"arguments\":{\"data\":\"%s\"}}],\"data\":\"%s\"}",
            big, big);
    const char *texts[] = {body, "<html><body>\"data\": [{\"x\"</body></html>", "[[[[1,2]]]]"};
    for (int t = 0; t < 3; t++) {
        struct imgstream s;
        imgs_init(&s, IMGS_JSON, dfd, 0, 4);
        int rc;
        char *kept = run(&s, texts[t], strlen(texts[t]), 0, &rc);
        cr_assert_eq(rc, 0);
        cr_assert_str_eq(kept, texts[t], "case %d changed", t);
        cr_assert_eq(s.n, 0);
        free(kept);
        imgs_free(&s);
    }
    free(body);
}

Test(imgs, escapes_are_undone)
{
    /* "\/" for '/', and \u0041 for 'A' */
    size_t n = 100000;
    unsigned char *img = pattern(n, 2);
    char *data = b64(img, n), *esc = xmalloc(strlen(data) * 6 + 1);
    size_t w = 0;
    for (size_t i = 0; data[i]; i++) {
        if (data[i] == '/') {
            memcpy(esc + w, "\\/", 2);
            w += 2;
        } else if (data[i] == 'A') {
            memcpy(esc + w, "\\u0041", 6);
            w += 6;
        } else {
            esc[w++] = data[i];
        }
    }
    esc[w] = '\0';
    char *body = xmalloc(w + 100);
    snprintf(body, w + 100,
             "{\"steps\":[{\"type\":\"model_output\",\"content\":[{\"type\":\"image\","
             "\"data\":\"%s\"}]}]}",
             esc);
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 4096, 4);
    int rc;
    char *kept = run(&s, body, strlen(body), 0, &rc);
    cr_assert_eq(rc, 0);
    json_t *doc = json_loads(kept, 0, NULL);
    cr_assert_not_null(doc, "%s", kept);
    json_t *step = json_array_get(json_object_get(doc, "steps"), 0);
    check_item(&s, json_object_get(json_array_get(json_object_get(step, "content"), 0), "data"),
               img, n);
    json_decref(doc);
    free(kept);
    imgs_free(&s);
    free(body);
    free(esc);
    free(data);
    free(img);
}

Test(imgs, bad_base64_is_a_bad_item_and_no_file)
{
    char *bad = xmalloc(100001);
    memset(bad, 'A', 100000);
    memcpy(bad + 50000, "*not*base64*", 12);
    bad[100000] = '\0';
    char *body = xmalloc(100100);
    snprintf(body, 100100, "{\"outputs\":[{\"type\":\"image\",\"data\":\"%s\"},{\"type\":\"text\","
                  "\"text\":\"after\"}]}",
            bad);
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 4096, 4);
    int rc;
    char *kept = run(&s, body, strlen(body), 0, &rc);
    cr_assert_eq(rc, 0);
    json_t *doc = json_loads(kept, 0, NULL);
    cr_assert_not_null(doc, "%s", kept);
    json_t *outs = json_object_get(doc, "outputs");
    struct imgs_item *it = item_at(&s, json_object_get(json_array_get(outs, 0), "data"));
    cr_assert_not_null(it);
    cr_assert_eq(it->bad, 1);
    cr_assert_neq(faccessat(dfd, it->spool, F_OK, 0), 0, "a bad item left its file");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(outs, 1), "text")),
                     "after");
    json_decref(doc);
    free(kept);
    imgs_free(&s);
    free(body);
    free(bad);
}

Test(imgs, cut_body_leaves_no_file_and_stays_broken)
{
    size_t n = 100000;
    unsigned char *img = pattern(n, 3);
    char *data = b64(img, n);
    size_t bl = strlen(data) + 100;
    char *body = xmalloc(bl);
    snprintf(body, bl, "{\"outputs\":[{\"type\":\"image\",\"data\":\"%s\"}]}", data);
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 4096, 4);
    int rc;
    char *kept = run(&s, body, strlen(body) / 2, 0, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_null(json_loads(kept, 0, NULL), "a cut body parses: %.100s", kept);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.items[0].bad, 1);
    imgs_free(&s);
    DIR *d = fdopendir(dup(dfd));
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d)))
        files += de->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(files, 0, "spool files left behind");
    free(kept);
    free(body);
    free(data);
    free(img);
}

Test(imgs, forged_placeholders_name_nothing)
{
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 0, 4);
    const char *forged[] = {"gbspool:0000000000000000:0", "gbspool:", "iVBORw0KGgo="};
    for (int i = 0; i < 3; i++)
        cr_assert_null(imgs_lookup(&s, forged[i], strlen(forged[i])));
    char own[64];
    snprintf(own, sizeof own, "gbspool:%s:0", s.nonce);
    cr_assert_null(imgs_lookup(&s, own, strlen(own)), "no item 0 yet");
    imgs_free(&s);
}

Test(imgs, too_many_items_stop_the_stream)
{
    char *data = xmalloc(8001);
    memset(data, 'Q', 8000);
    data[8000] = '\0';
    struct buf body;
    buf_init(&body, BUF_UNLIMITED);
    buf_puts(&body, "{\"outputs\":[");
    for (int i = 0; i < 10; i++)
        buf_printf(&body, "%s{\"type\":\"image\",\"data\":\"%s\"}", i ? "," : "", data);
    buf_puts(&body, "]}");
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 1024, 3);
    int rc;
    char *kept = run(&s, body.data, body.len, 4096, &rc);
    cr_assert_eq(rc, GB_ELIMIT);
    cr_assert_eq(s.over_limit, 1);
    cr_assert_eq(s.n, 3);
    imgs_free(&s);
    free(kept);
    buf_free(&body);
    free(data);
}

/* An image past the per-file cap stops the transfer and leaves no file:
 * a server streaming endless base64 cannot fill the disk. */
Test(imgs, an_image_past_the_cap_stops_and_leaves_no_file)
{
    size_t n = 300000;
    unsigned char *raw = pattern(n, 7);
    char *data = b64(raw, n);
    struct buf body;
    buf_init(&body, BUF_UNLIMITED);
    buf_printf(&body, "{\"outputs\":[{\"type\":\"image\",\"data\":\"%s\"}]}", data);
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 1024, 8);
    cr_assert_eq(s.max_item_bytes, IMGS_MAX_ITEM_DEFAULT);
    s.max_item_bytes = 100000;
    int rc;
    char *kept = run(&s, body.data, body.len, 4096, &rc);
    cr_assert_eq(rc, GB_ELIMIT);
    cr_assert_eq(s.too_big, 1);
    cr_assert_eq(s.n, 1);
    cr_assert(s.items[0].bad);
    cr_assert_eq(faccessat(dfd, s.items[0].spool, F_OK, 0), -1, "the cut file is left");
    imgs_free(&s);
    /* under the cap the same image is whole */
    imgs_init(&s, IMGS_JSON, dfd, 1024, 8);
    s.max_item_bytes = n;
    free(kept);
    kept = run(&s, body.data, body.len, 4096, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(s.too_big, 0);
    cr_assert_eq(s.items[0].bytes, n);
    imgs_free(&s);
    free(kept);
    buf_free(&body);
    free(data);
    free(raw);
}

static const char *sse_body(const char *data, int crlf, int g3)
{
    static char *b;
    free(b);
    size_t tl = strlen(data) + 1024;
    b = xmalloc(tl);
    const char *nl = crlf ? "\r\n" : "\n";
    if (g3)
        snprintf(b, tl,
                 "event: step.start%sdata: {\"event_type\":\"step.start\",\"index\":0,\"step\":"
                 "{\"type\":\"model_output\"}}%s%s"
                 ": a comment with \"data\": [{%s"
                 "data:{\"event_type\":\"step.delta\",\"index\":0,%sdata: \"delta\":{\"type\":"
                 "\"image\",\"mime_type\":\"image/png\",\"data\":\"%s\"}}%s%s"
                 "data: {\"event_type\":\"step.stop\",\"index\":0}%s%s",
                 nl, nl, nl, nl, nl, data, nl, nl, nl, nl);
    else
        snprintf(b, tl,
                 "data: {\"event_type\":\"interaction.start\",\"interaction\":{\"id\":\"ix\"}}%s%s"
                 "data: {\"event_type\":\"content.delta\",\"index\":0,\"delta\":{\"type\":"
                 "\"image\",\"data\":\"%s\",\"mime_type\":\"image/png\"}}%s%s"
                 "data: {\"event_type\":\"interaction.complete\"}%s%s",
                 nl, nl, data, nl, nl, nl, nl);
    return b;
}

Test(imgs, sse_both_dialects_and_line_ends)
{
    size_t n = 200000;
    unsigned char *img = pattern(n, 4);
    char *data = b64(img, n);
    for (int g3 = 0; g3 < 2; g3++)
        for (int crlf = 0; crlf < 2; crlf++) {
            const char *body = sse_body(data, crlf, g3);
            struct imgstream s;
            imgs_init(&s, IMGS_SSE, dfd, 0, 4);
            int rc;
            char *kept = run(&s, body, strlen(body), 0, &rc);
            cr_assert_eq(rc, 0);
            cr_assert_eq(s.n, 1, "g3 %d crlf %d: %zu items", g3, crlf, s.n);
            cr_assert_lt(strlen(kept), 600);
            /* the kept stream is the same stream with the placeholder in */
            char ph[64];
            snprintf(ph, sizeof ph, "gbspool:%s:0", s.nonce);
            const char *at = strstr(kept, ph);
            cr_assert_not_null(at, "%s", kept);
            json_t *v = json_stringn(at, strlen(ph));
            check_item(&s, v, img, n);
            json_decref(v);
            char *again = xmalloc(strlen(kept) + strlen(data));
            size_t pre = (size_t)(at - kept);
            memcpy(again, kept, pre);
            strcpy(again + pre, data);
            strcat(again, at + strlen(ph));
            cr_assert_str_eq(again, body, "g3 %d crlf %d: framing changed", g3, crlf);
            free(again);
            free(kept);
            imgs_free(&s);
        }
    free(data);
    free(img);
}

Test(imgs, memory_does_not_grow_with_the_image)
{
    /* 24 MiB of image in 16 KiB pieces: what is held stays at the threshold
     * plus the kept body, never near the image's size */
    size_t n = 24u << 20;
    unsigned char *img = pattern(n, 5);
    char *data = b64(img, n);
    size_t dl = strlen(data);
    const char *head = "{\"outputs\":[{\"type\":\"image\",\"data\":\"", *tail = "\"}]}";
    struct imgstream s;
    imgs_init(&s, IMGS_JSON, dfd, 0, 4);
    struct buf out;
    buf_init(&out, BUF_UNLIMITED);
    cr_assert_eq(imgs_feed(&s, head, strlen(head), &out), 0);
    size_t peak = 0;
    for (size_t i = 0; i < dl; i += 16384) {
        size_t c = dl - i < 16384 ? dl - i : 16384;
        cr_assert_eq(imgs_feed(&s, data + i, c, &out), 0);
        size_t held = out.cap + s.pend.cap;
        peak = held > peak ? held : peak;
    }
    cr_assert_eq(imgs_feed(&s, tail, strlen(tail), &out), 0);
    cr_assert_leq(peak, IMGS_THRESHOLD_DEFAULT * 2 + 4096, "held %zu bytes", peak);
    cr_assert_eq(s.items[0].bytes, n);
    buf_free(&out);
    imgs_free(&s);
    free(data);
    free(img);
}
