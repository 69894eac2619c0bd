/* test_input.c: the input layer: a folder walked in sorted order with links,
 * devices, empty and unreadable files skipped and counted by reason; a
 * pipeline's "accept" choosing the types; media files given as INPUT (one job
 * each); and the rule that keeps a garbled manifest a manifest. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "input.h"
#include "job.h"
#include "pipeline.h"
#include "skip.h"
#include "sniff.h"

static char dir[] = "/tmp/gb-input-XXXXXX";

struct env {
    struct pipeline *pipe;
    struct sniff sniff;
    struct job_ctx ctx;
};

static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0"
                                   "\x90\x91\x68\x36";

static void put(const char *rel, const void *data, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "cannot write %s", p);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void sub(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
}

static void link_to(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    cr_assert_eq(symlink(target, p), 0);
}

static char *path_of(const char *rel)
{
    char *p = malloc(512);
    snprintf(p, 512, "%s/%s", dir, rel);
    return p;
}

static void env_init(struct env *e, const char *pipeline_json)
{
    memset(e, 0, sizeof *e);
    put("p.json", pipeline_json, strlen(pipeline_json));
    char *p = path_of("p.json");
    struct gb_err err = {0};
    cr_assert_eq(pipe_load(p, &e->pipe, &err), 0, "%s", err.msg);
    free(p);
    sniff_init(&e->sniff);
    e->ctx.pipe = e->pipe;
    e->ctx.sniff = &e->sniff;
    e->ctx.inline_limit = 20000000;
    e->ctx.schemas = schema_cache_new();
    snprintf(e->ctx.nonce, sizeof e->ctx.nonce, "0123456789abcdef");
}

static void env_free(struct env *e)
{
    schema_cache_free(e->ctx.schemas);
    sniff_free(&e->sniff);
    pipe_free(e->pipe);
    fsx_rm_tree(dir);
}

/* Give the tree to nobody (links included), for the test that runs as nobody. */
static void chown_tree(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    cr_assert_eq(lchown(p, 65534, 65534), 0, "%s: %s", p, strerror(errno));
    struct stat st;
    if (lstat(p, &st) || !S_ISDIR(st.st_mode))
        return;
    DIR *d = opendir(p);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char r[512];
        snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        chown_tree(r);
    }
    if (d)
        closedir(d);
}

/* All job ids of an input, in order, as "a,b,c"; the skips are left in *in. */
static void ids_of(struct env *e, struct input *in, char *out, size_t outsz)
{
    out[0] = '\0';
    struct job *j;
    while ((j = input_next(in, &e->ctx))) {
        cr_expect_not(j->failed_build, "%s: %s", j->id, j->build_err.msg);
        if (out[0])
            strncat(out, ",", outsz - strlen(out) - 1);
        strncat(out, j->id, outsz - strlen(out) - 1);
        job_free(j);
    }
}

static const char *reason_of(const struct input *in, const char *entry)
{
    size_t i;
    json_t *s;
    json_array_foreach(input_skipped(in), i, s) {
        if (!strcmp(json_string_value(json_object_get(s, "entry")), entry))
            return json_string_value(json_object_get(s, "reason"));
    }
    return "(not skipped)";
}

static const char *code_of(const struct input *in, const char *entry)
{
    size_t i;
    json_t *s;
    json_array_foreach(input_skipped(in), i, s) {
        if (!strcmp(json_string_value(json_object_get(s, "entry")), entry))
            return json_string_value(json_object_get(s, "code"));
    }
    return "(not skipped)";
}

static const struct arc_opts no_opts = {0, 0, NULL, NULL, NULL};

/* A tree with media below, text beside, and every kind of thing to pass over. */
static void make_tree(void)
{
    cr_assert_not_null(mkdtemp(dir));
    sub("in");
    sub("in/a");
    sub("in/a/b");
    put("in/b.png", png, sizeof png - 1);
    put("in/a.png", png, sizeof png - 1);
    put("in/a/x.png", png, sizeof png - 1);
    put("in/a/b/c.png", png, sizeof png - 1);
    put("in/notes.txt", "just text\nin two lines\n", 23);
    put("in/empty.png", "", 0);
    put("outside.png", png, sizeof png - 1);
    link_to("../outside.png", "in/out.png");  /* a link out of the folder */
    link_to("a.png", "in/in.png");            /* a link inside, to a file inside */
    link_to("a", "in/dirlink");               /* a link to a folder inside */
    link_to("/", "in/root");                  /* a link to a folder outside */
    char *f = path_of("in/fifo");
    cr_assert_eq(mkfifo(f, 0644), 0);
    free(f);
}

Test(input, folder_walks_sorted_recursive_and_never_follows_links)
{
    make_tree();
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Describe.\"}");
    char *root = path_of("in");
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(root, &no_opts, &in, &err), 0, "%s", err.msg);
    cr_expect_eq(in->kind, INPUT_FOLDER);
    char ids[1024];
    ids_of(&e, in, ids, sizeof ids);
    /* the order of `LC_ALL=C sort` over the relative paths: "a.png" < "a/..." */
    cr_expect_str_eq(ids, "a.png,a/b/c.png,a/x.png,b.png");
    cr_expect(strstr(reason_of(in, "out.png"), "symbolic link"), "%s", reason_of(in, "out.png"));
    cr_expect(strstr(reason_of(in, "in.png"), "symbolic link"));
    cr_expect(strstr(reason_of(in, "dirlink"), "symbolic link"));
    cr_expect(strstr(reason_of(in, "root"), "symbolic link"));
    cr_expect_str_eq(reason_of(in, "fifo"), "FIFO");
    cr_expect_str_eq(reason_of(in, "empty.png"), "empty file");
    cr_expect(strstr(reason_of(in, "notes.txt"), "not media (text/plain)"),
              "%s", reason_of(in, "notes.txt"));
    cr_expect_str_eq(code_of(in, "notes.txt"), "media_type");
    cr_expect_str_eq(code_of(in, "fifo"), "special");
    cr_expect_str_eq(code_of(in, "empty.png"), "empty");
    const struct skips *sk = input_skips(in);
    cr_assert_not_null(sk);
    cr_expect_eq(sk->count[SKIP_LINK], 4);
    cr_expect_eq(sk->count[SKIP_SPECIAL], 1);
    cr_expect_eq(sk->count[SKIP_EMPTY], 1);
    cr_expect_eq(sk->count[SKIP_TYPE], 1);
    cr_expect_eq(skips_total(sk), 7);
    json_t *cj = skips_counts_json(sk);
    char *cs = json_dumps(cj, JSON_COMPACT | JSON_SORT_KEYS);
    cr_expect_str_eq(cs, "{\"by_reason\":{\"empty\":1,\"link\":4,\"media_type\":1,\"special\":1},"
                         "\"total\":7}");
    free(cs);
    json_decref(cj);
    char line[300];
    cr_expect_str_eq(skips_line(sk, line, sizeof line), "7 entries skipped: 1 not an accepted "
                     "type, 1 empty, 4 links, 1 device or FIFO");
    input_close(in);
    cr_expect_eq(input_count(root), -1, "a folder's files are not counted ahead");
    free(root);
    env_free(&e);
}

Test(input, folder_jobs_carry_entry_source_and_path)
{
    make_tree();
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Describe.\"}");
    char *root = path_of("in");
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(root, &no_opts, &in, &err), 0, "%s", err.msg);
    struct job *j = input_next(in, &e.ctx);
    j = j ? (job_free(j), input_next(in, &e.ctx)) : NULL; /* the second: a/b/c.png */
    cr_assert_not_null(j);
    cr_expect_str_eq(j->id, "a/b/c.png");
    cr_expect_str_eq(j->entry, "a/b/c.png");
    cr_expect_str_eq(j->source, root);
    cr_expect_eq(j->line, 0);
    cr_assert_eq(j->nmedia, 1);
    char *want = path_of("in/a/b/c.png");
    cr_expect_str_eq(j->media[0].path, want);
    cr_expect_str_eq(j->media[0].type, "image");
    cr_expect_str_eq(j->media[0].mime, "image/png");
    cr_expect_eq(j->media[0].size, sizeof png - 1);
    cr_expect_not(j->media[0].spooled, "a folder's file is read in place, never deleted");
    free(want);
    job_free(j);
    input_close(in);
    free(root);
    env_free(&e);
}

Test(input, accept_chooses_the_types_that_run)
{
    make_tree();
    put("in/data.csv", "id,amount\n1,2\n3,4\n", 18);
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Read.\",\"accept\":[\"text/*\"]}");
    char *root = path_of("in");
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(root, &no_opts, &in, &err), 0, "%s", err.msg);
    struct job *j;
    char ids[512] = "";
    while ((j = input_next(in, &e.ctx))) {
        cr_expect_str_eq(j->media[0].type, "document");
        strcat(ids, j->id);
        strcat(ids, ";");
        job_free(j);
    }
    cr_expect_str_eq(ids, "data.csv;notes.txt;");
    cr_expect(strstr(reason_of(in, "a.png"), "image/png is not in the pipeline's \"accept\""),
              "%s", reason_of(in, "a.png"));
    cr_expect_eq(input_skips(in)->count[SKIP_TYPE], 4);
    input_close(in);
    free(root);
    env_free(&e);
}

static int skip_b(void *ctx, const char *id)
{
    int *asked = ctx;
    (*asked)++;
    return !strcmp(id, "b.png");
}

Test(input, folder_asks_the_skip_callback_before_reading)
{
    make_tree();
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Describe.\"}");
    char *root = path_of("in");
    int asked = 0;
    struct arc_opts o = {0, 0, NULL, skip_b, &asked};
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(root, &o, &in, &err), 0, "%s", err.msg);
    char ids[1024];
    ids_of(&e, in, ids, sizeof ids);
    cr_expect_str_eq(ids, "a.png,a/b/c.png,a/x.png");
    /* asked about regular files only: 4 PNGs, the text and the empty file */
    cr_expect_eq(asked, 6);
    cr_expect_str_eq(reason_of(in, "b.png"), "(not skipped)", "counted by the callback, not here");
    input_close(in);
    free(root);
    env_free(&e);
}

Test(input, folders_nested_too_deep_are_skipped)
{
    cr_assert_not_null(mkdtemp(dir));
    char rel[1024] = "in";
    sub(rel);
    for (int i = 0; i <= FLD_MAX_DEPTH; i++) {
        strcat(rel, "/d");
        sub(rel);
    }
    strcat(rel, "/deep.png");
    put(rel, png, sizeof png - 1);
    put("in/top.png", png, sizeof png - 1);
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Describe.\"}");
    char *root = path_of("in");
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(root, &no_opts, &in, &err), 0, "%s", err.msg);
    char ids[1024];
    ids_of(&e, in, ids, sizeof ids);
    cr_expect_str_eq(ids, "top.png");
    json_t *s = json_array_get(input_skipped(in), 0);
    cr_assert_not_null(s);
    cr_expect(strstr(json_string_value(json_object_get(s, "reason")), "nested more than 64"),
              "%s", json_string_value(json_object_get(s, "reason")));
    cr_expect_eq(input_skips(in)->count[SKIP_UNREADABLE], 1);
    input_close(in);
    free(root);
    env_free(&e);
}

/* Unreadable files and folders: as root nothing is unreadable, so the walk
 * runs as nobody (this test's process is its own: Criterion forks). */
Test(input, unreadable_files_and_folders_are_skipped_with_the_reason)
{
    make_tree();
    sub("in/locked");
    put("in/locked/hidden.png", png, sizeof png - 1);
    put("in/secret.png", png, sizeof png - 1);
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Describe.\"}");
    char *root = path_of("in"), *locked = path_of("in/locked"), *secret = path_of("in/secret.png");
    cr_assert_eq(chmod(dir, 0755), 0);
    cr_assert_eq(chmod(locked, 0), 0);
    cr_assert_eq(chmod(secret, 0), 0);
    if (geteuid() == 0) {
        chown_tree(""); /* so nobody can clean it up afterwards */
        cr_assert_eq(setgid(65534), 0);
        cr_assert_eq(setuid(65534), 0, "cannot drop to nobody: %s", strerror(errno));
    }
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(root, &no_opts, &in, &err), 0, "%s", err.msg);
    char ids[1024];
    ids_of(&e, in, ids, sizeof ids);
    cr_expect_str_eq(ids, "a.png,a/b/c.png,a/x.png,b.png");
    cr_expect(strstr(reason_of(in, "locked"), "folder cannot be read: Permission denied"),
              "%s", reason_of(in, "locked"));
    cr_expect(strstr(reason_of(in, "secret.png"), "cannot be read: Permission denied"),
              "%s", reason_of(in, "secret.png"));
    cr_expect_eq(input_skips(in)->count[SKIP_UNREADABLE], 2);
    input_close(in);
    chmod(locked, 0755);
    free(root);
    free(locked);
    free(secret);
    env_free(&e);
}

Test(input, a_media_file_is_one_job_named_by_its_path)
{
    cr_assert_not_null(mkdtemp(dir));
    put("photo.png", png, sizeof png - 1);
    put("doc.pdf", "%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", 33);
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"prompt\":\"Describe.\"}");
    cr_assert_eq(chdir(dir), 0);
    static const char *const given[] = {"./photo.png", "doc.pdf"};
    static const char *const want[] = {"photo.png", "doc.pdf"};
    static const char *const types[] = {"image", "document"};
    for (int i = 0; i < 2; i++) {
        struct input *in = NULL;
        struct gb_err err = {0};
        cr_assert_eq(input_open(given[i], &no_opts, &in, &err), 0, "%s", err.msg);
        cr_expect_eq(in->kind, INPUT_MEDIA);
        struct job *j = input_next(in, &e.ctx);
        cr_assert_not_null(j);
        cr_expect_not(j->failed_build, "%s", j->build_err.msg);
        cr_expect_str_eq(j->id, want[i]);
        cr_expect_str_eq(j->media[0].path, given[i], "read again by the path given");
        cr_expect_str_eq(j->media[0].type, types[i]);
        cr_expect_not(j->media[0].spooled);
        job_free(j);
        cr_expect_null(input_next(in, &e.ctx), "one job per media file");
        cr_expect_eq(json_array_size(input_skipped(in)), 0);
        input_close(in);
        cr_expect_eq(input_count(given[i]), 1);
    }
    env_free(&e);
}

Test(input, a_media_file_outside_accept_is_skipped)
{
    cr_assert_not_null(mkdtemp(dir));
    put("photo.png", png, sizeof png - 1);
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\",\"accept\":[\"application/pdf\"]}");
    char *p = path_of("photo.png");
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(p, &no_opts, &in, &err), 0, "%s", err.msg);
    cr_expect_null(input_next(in, &e.ctx));
    cr_expect_eq(input_skips(in)->count[SKIP_TYPE], 1);
    cr_expect(strstr(reason_of(in, p), "image/png is not in"), "%s", reason_of(in, p));
    input_close(in);
    free(p);
    env_free(&e);
}

/* Lines of a manifest whose first bytes look binary: the errors come line by
 * line, and the good lines still run. */
static void expect_manifest(struct env *e, const char *rel, int bad_lines, const char *good_ids)
{
    char *p = path_of(rel);
    struct input *in = NULL;
    struct gb_err err = {0};
    cr_assert_eq(input_open(p, &no_opts, &in, &err), 0, "%s", err.msg);
    cr_expect_eq(in->kind, INPUT_MANIFEST, "%s was not read as a manifest", rel);
    struct job *j;
    int bad = 0;
    char ids[256] = "";
    while ((j = input_next(in, &e->ctx))) {
        if (j->failed_build) {
            bad++;
            cr_expect_eq(j->line, bad, "%s: the error names its line", rel);
        } else {
            strcat(ids, j->id);
            strcat(ids, ";");
        }
        job_free(j);
    }
    cr_expect_eq(bad, bad_lines, "%s", rel);
    cr_expect_str_eq(ids, good_ids, "%s", rel);
    input_close(in);
    free(p);
}

Test(input, a_manifest_that_starts_like_binary_stays_a_manifest)
{
    cr_assert_not_null(mkdtemp(dir));
    struct env e;
    env_init(&e, "{\"name\":\"t\",\"model\":\"m\"}");
    static const char good[] = "{\"id\":\"a\",\"input\":\"x\"}\n{\"id\":\"b\",\"input\":\"y\"}\n";
    /* an MP3 frame sync (libmagic itself calls this audio/mpeg), then lines */
    char b[256];
    size_t n = (size_t)snprintf(b, sizeof b, "\xff\xfb\x90\x64garbage\n%s", good);
    put("mp3ish.jsonl", b, n);
    expect_manifest(&e, "mp3ish.jsonl", 1, "a;b;");
    /* an ADTS sync and NUL bytes */
    memcpy(b, "\xff\xf1\x50\x80\0\0junk\n", 11);
    memcpy(b + 11, good, sizeof good - 1);
    put("adtsish.jsonl", b, 11 + sizeof good - 1);
    expect_manifest(&e, "adtsish.jsonl", 1, "a;b;");
    /* random binary garbage in front */
    memcpy(b, "\x01\x02\x03\xfe\x80\x81\n", 7);
    memcpy(b + 7, good, sizeof good - 1);
    put("garbage.jsonl", b, 7 + sizeof good - 1);
    expect_manifest(&e, "garbage.jsonl", 1, "a;b;");
    /* and counted as lines, not as one media file */
    char *p = path_of("mp3ish.jsonl");
    cr_expect_eq(input_count(p), 3);
    free(p);
    env_free(&e);
}

Test(input, is_media_needs_a_signature_not_a_hint)
{
    struct sniff_result sr;
    cr_expect(input_is_media(png, sizeof png - 1, &sr));
    cr_expect_str_eq(sr.mime, "image/png");
    cr_expect(input_is_media((const unsigned char *)"%PDF-1.7\n", 9, &sr));
    cr_expect_not(input_is_media((const unsigned char *)"{\"id\":1}\n", 9, &sr));
    cr_expect_not(input_is_media((const unsigned char *)"\xff\xfb\x90\x64{}\n", 7, &sr));
    unsigned char mp3[1000];
    memset(mp3, 0x55, sizeof mp3);
    memcpy(mp3, "\xff\xfb\x90\x64", 4);
    memcpy(mp3 + 417, "\xff\xfb\x90\x64", 4);
    cr_expect(input_is_media(mp3, sizeof mp3, &sr), "two frames in a row are an MP3");
}
