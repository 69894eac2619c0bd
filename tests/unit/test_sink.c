/* test_sink.c: the only writer of OUTDIR. Lines whole and redacted; files
 * and folders created under the umask; links planted in OUTDIR refused and
 * their targets untouched; one folder per id, injectively; images queued to
 * the writer thread, their line held until they are on disk; caps on images
 * (issue 14 points 2, 4, 6, 8, 9; issue 12 point 6). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "sink.h"

static char root[64];

static void mkroot(void)
{
    strcpy(root, "/tmp/gb-sink-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
}

static void rmroot(void)
{
    fsx_rm_tree(root);
}

static char *at(const char *rel)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", root, rel);
    return p[k];
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
    return st.st_mode & 0777;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

TestSuite(sink, .init = mkroot, .fini = rmroot);

Test(sink, lines_are_whole_and_the_key_is_blanked)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    cr_assert_eq(sink_set_secret(&s, "AIzaSy-very-secret-key"), 0);
    json_t *o = json_pack("{s:s,s:{s:s}}", "id", "a", "error", "message",
                          "API key not valid: AIzaSy-very-secret-key (AIzaSy-very-secret-key)");
    cr_assert_eq(sink_line(&s, SINK_ERRORS, o), 0);
    cr_assert_eq(sink_line(&s, SINK_RESULTS, o), 0);
    const char *ev = "{\"ev\":\"ans\",\"id\":\"AIzaSy-very-secret-key\"}";
    cr_assert_eq(sink_raw(&s, SINK_JOURNAL, ev, strlen(ev)), 0);
    cr_assert_eq(sink_run_json(&s, o), 0);
    json_decref(o);
    sink_close(&s);
    const char *files[] = {"out/errors.jsonl", "out/results.jsonl", "out/journal.jsonl",
                           "out/run.json"};
    for (int i = 0; i < 4; i++) {
        char *t = slurp(at(files[i]));
        cr_assert_not_null(t, "%s", files[i]);
        cr_assert_null(strstr(t, "very-secret"), "%s holds the key: %s", files[i], t);
        cr_assert(strstr(t, "[redacted]"), "%s: %s", files[i], t);
        cr_assert(t[strlen(t) - 1] == '\n');
        free(t);
    }
    char *t = slurp(at("out/errors.jsonl"));
    cr_assert_str_eq(t, "{\"id\":\"a\",\"error\":{\"message\":\"API key not valid: [redacted] "
                        "([redacted])\"}}\n");
    free(t);
}

Test(sink, the_umask_decides_every_mode)
{
    mode_t old = umask(027);
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    json_t *o = json_pack("{s:s}", "id", "a");
    cr_assert_eq(sink_run_json(&s, o), 0);
    json_decref(o);
    char *rel = NULL;
    cr_assert_eq(sink_image(&s, "a", 0, "PNG", 3, "png", &rel), 0);
    cr_assert_str_eq(rel, "images/a/0.png");
    free(rel);
    struct sink_batch *b = sink_batch_new(&s, "b");
    cr_assert_not_null(b);
    cr_assert_eq(sink_batch_image(&s, b, 0, strdup("PNG"), 3, "png", &rel), 0);
    free(rel);
    cr_assert_eq(sink_batch_close(&s, b, SINK_RESULTS, NULL), 0);
    sink_close(&s);
    umask(old);
    cr_assert_eq(mode_of(at("out/run.json")), 0640);
    cr_assert_eq(mode_of(at("out/results.jsonl")), 0640);
    cr_assert_eq(mode_of(at("out/journal.jsonl")), 0640);
    cr_assert_eq(mode_of(at("out/images/a/0.png")), 0640);
    cr_assert_eq(mode_of(at("out/images/b/0.png")), 0640);
    cr_assert_eq(mode_of(at("out/images/a")), 0750);
}

/* A link planted where an output goes: sink_open refuses it naming it, the
 * target keeps its content, a dangling target is not created. */
static void refused(const char *name, int dangling)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(mkdir(at("out"), 0755), 0);
    cr_assert_eq(mkdir(at("elsewhere"), 0755), 0);
    write_text(at("victim"), "precious\n");
    const char *target = dangling ? at("elsewhere/new") : at("victim");
    cr_assert_eq(symlink(target, at(name)), 0);
    int rc = sink_open(&s, at("out"), 0, &err);
    sink_close(&s);
    cr_assert_eq(rc, GB_ESTATE, "%s: %d %s", name, rc, err.msg);
    cr_assert(strstr(err.msg, name + 4) && strstr(err.msg, "symbolic link"), "%s", err.msg);
    char *t = slurp(at("victim"));
    cr_assert_str_eq(t, "precious\n");
    free(t);
    cr_assert_neq(access(at("elsewhere/new"), F_OK), 0, "a dangling link's target was made");
}

Test(sink, link_as_results_is_refused) { refused("out/results.jsonl", 0); }
Test(sink, link_as_errors_is_refused) { refused("out/errors.jsonl", 0); }
Test(sink, dangling_link_as_journal_makes_nothing) { refused("out/journal.jsonl", 1); }
Test(sink, dangling_link_as_lock_makes_nothing) { refused("out/.gembatch.lock", 1); }
Test(sink, link_as_lock_is_refused) { refused("out/.gembatch.lock", 0); }
Test(sink, link_as_run_json_is_refused) { refused("out/run.json", 0); }
Test(sink, link_as_images_is_refused) { refused("out/images", 0); }
Test(sink, link_as_spool_is_refused) { refused("out/.spool", 0); }

Test(sink, link_as_an_image_folder_stops_the_run)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(mkdir(at("elsewhere"), 0755), 0);
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    cr_assert_eq(mkdir(at("out/images"), 0755), 0);
    cr_assert_eq(symlink(at("elsewhere"), at("out/images/x")), 0);
    char *rel = NULL;
    cr_assert_eq(sink_image(&s, "x", 0, "PNG", 3, "png", &rel), GB_EIO);
    cr_assert(s.write_failed);
    cr_assert(strstr(s.write_error, "images/x") && strstr(s.write_error, "symbolic link"), "%s",
              s.write_error);
    cr_assert_null(sink_batch_new(&s, "x"));
    sink_close(&s);
    cr_assert_neq(access(at("elsewhere/0.png"), F_OK), 0, "the image went through the link");
}

Test(sink, a_planted_image_file_link_is_replaced_not_followed)
{
    struct sink s;
    struct gb_err err = {0};
    write_text(at("victim"), "precious\n");
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    cr_assert_eq(mkdir(at("out/images"), 0755), 0);
    cr_assert_eq(mkdir(at("out/images/x"), 0755), 0);
    cr_assert_eq(symlink(at("victim"), at("out/images/x/0.png")), 0);
    char *rel = NULL;
    cr_assert_eq(sink_image(&s, "x", 0, "PNG", 3, "png", &rel), 0);
    free(rel);
    sink_close(&s);
    char *t = slurp(at("victim"));
    cr_assert_str_eq(t, "precious\n");
    free(t);
    cr_assert_eq(mode_of(at("out/images/x/0.png")) & S_IFMT, 0);
    struct stat st;
    cr_assert_eq(lstat(at("out/images/x/0.png"), &st), 0);
    cr_assert(S_ISREG(st.st_mode));
}

Test(sink, spool_is_private_when_new_and_never_chmoded)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    cr_assert(sink_spool_fd(&s) >= 0);
    sink_close(&s);
    cr_assert_eq(mode_of(at("out/.spool")), 0700);
    /* a folder that was there already keeps its mode */
    cr_assert_eq(mkdir(at("o2"), 0755), 0);
    cr_assert_eq(mkdir(at("o2/.spool"), 0755), 0);
    chmod(at("o2/.spool"), 0755);
    cr_assert_eq(sink_open(&s, at("o2"), 0, &err), 0, "%s", err.msg);
    cr_assert(sink_spool_fd(&s) >= 0);
    sink_close(&s);
    cr_assert_eq(mode_of(at("o2/.spool")), 0755);
}

Test(sink, id_folders_are_injective)
{
    /* the found pair: the old name of 'a/b' is 'a_b-10515cc6', itself a safe id */
    char *old_ab = fsx_safe_name("a/b", 3), *old_b = fsx_safe_name("a_b-10515cc6", 12);
    cr_assert_str_eq(old_ab, "a_b-10515cc6");
    cr_assert_str_eq(old_ab, old_b, "the pair collided under the old naming");
    char *ab = fsx_id_name("a/b", 3), *b = fsx_id_name("a_b-10515cc6", 12);
    cr_assert_str_eq(b, "a_b-10515cc6", "a safe id is its own folder name");
    cr_assert_str_neq(ab, b);
    cr_assert(strchr(ab, '~') && strlen(ab) == 3 + 1 + 32, "%s", ab);
    free(old_ab);
    free(old_b);
    free(ab);
    free(b);
    /* long ids that share their first 80 characters, and ids that clean alike */
    char l1[200], l2[200];
    memset(l1, 'x', 150);
    memset(l2, 'x', 150);
    l1[150] = '1';
    l2[150] = '2';
    char *n1 = fsx_id_name(l1, 151), *n2 = fsx_id_name(l2, 151);
    cr_assert_str_neq(n1, n2);
    free(n1);
    free(n2);
    /* two long ids whose 32-bit hashes collided under the old naming */
    const char *c1 = "pages/2026/12/catalogue-export-batch-0001/section-a/items/with/a/long/"
                     "common/prefix/000034391",
               *c2 = "pages/2026/12/catalogue-export-batch-0001/section-a/items/with/a/long/"
                     "common/prefix/000084321";
    char *o1 = fsx_safe_name(c1, strlen(c1)), *o2 = fsx_safe_name(c2, strlen(c2));
    cr_assert_str_eq(o1, o2, "the pair collided under the old naming");
    n1 = fsx_id_name(c1, strlen(c1));
    n2 = fsx_id_name(c2, strlen(c2));
    cr_assert_str_neq(n1, n2);
    free(o1);
    free(o2);
    free(n1);
    free(n2);
    const char *alike[] = {"a b", "a/b", "a?b", "a_b", ".ab", "", ".", "..", NULL};
    char *seen[16];
    int n = 0;
    for (int i = 0; alike[i]; i++, n++) {
        seen[n] = fsx_id_name(alike[i], strlen(alike[i]));
        cr_assert(strcmp(seen[n], ".") && strcmp(seen[n], "..") && seen[n][0] != '.' &&
                      !strchr(seen[n], '/') && seen[n][0],
                  "'%s' -> '%s'", alike[i], seen[n]);
        for (int k = 0; k < n; k++)
            cr_assert_str_neq(seen[k], seen[n], "'%s' and '%s'", alike[k], alike[i]);
    }
    for (int k = 0; k < n; k++)
        free(seen[k]);
}

Test(sink, batch_line_is_held_until_its_images_are_on_disk)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    struct sink_batch *b = sink_batch_new(&s, "job/1");
    cr_assert_not_null(b);
    json_t *files = json_array();
    for (int k = 0; k < 20; k++) {
        char *rel = NULL, *data = malloc(1000);
        memset(data, 'A' + k, 1000);
        cr_assert_eq(sink_batch_image(&s, b, k, data, 1000, "png", &rel), 0);
        json_array_append_new(files, json_string(rel));
        free(rel);
    }
    json_t *line = json_pack("{s:s,s:o}", "id", "job/1", "files", files);
    cr_assert_eq(sink_batch_close(&s, b, SINK_RESULTS, line), 0);
    json_decref(line);
    /* whenever the line is there, every file it names is there */
    for (int i = 0; i < 200; i++) {
        sink_flush(&s);
        char *t = slurp(at("out/results.jsonl"));
        int written = t && *t;
        free(t);
        if (written) {
            for (int k = 0; k < 20; k++) {
                char p[300];
                char *name = fsx_id_name("job/1", 5);
                snprintf(p, sizeof p, "out/images/%s/%d.png", name, k);
                free(name);
                cr_assert_eq(access(at(p), F_OK), 0, "the line came before %s", p);
            }
            break;
        }
        usleep(1000);
    }
    cr_assert_eq(sink_sync(&s, 0, 1), 0);
    cr_assert_eq(sink_images_pending(&s), 0);
    char *t = slurp(at("out/results.jsonl"));
    cr_assert(strstr(t, "\"id\":\"job/1\""), "%s", t);
    free(t);
    cr_assert_eq(s.write_failed, 0, "%s", s.write_error);
    sink_close(&s);
    char *name = fsx_id_name("job/1", 5), p[300];
    snprintf(p, sizeof p, "out/images/%s/7.png", name);
    free(name);
    t = slurp(at(p));
    cr_assert_eq(strlen(t), 1000);
    cr_assert_eq(t[0], 'A' + 7);
    free(t);
}

Test(sink, a_failed_image_drops_its_line_and_stops_the_run)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    struct sink_batch *b = sink_batch_new(&s, "j");
    cr_assert_not_null(b);
    char *rel = NULL;
    /* a spooled file that is not there: the writer cannot move it in */
    cr_assert_eq(sink_batch_image_file(&s, b, 0, "missing-spool-file", "png", &rel), 0);
    cr_assert_str_eq(rel, "images/j/0.png");
    free(rel);
    json_t *line = json_pack("{s:s}", "id", "j");
    sink_batch_close(&s, b, SINK_RESULTS, line);
    json_decref(line);
    sink_sync(&s, 0, 1);
    cr_assert(s.write_failed);
    cr_assert(strstr(s.write_error, "images/j/0.png"), "%s", s.write_error);
    sink_close(&s);
    char *t = slurp(at("out/results.jsonl"));
    cr_assert_str_eq(t, "", "a line naming a missing image was written");
    free(t);
}

Test(sink, spooled_file_is_moved_into_place)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    int sp = sink_spool_fd(&s);
    cr_assert(sp >= 0);
    int fd = openat(sp, "img-1", O_WRONLY | O_CREAT | O_EXCL, 0666);
    cr_assert_eq(write(fd, "\x89PNG-bytes", 10), 10);
    close(fd);
    struct sink_batch *b = sink_batch_new(&s, "j");
    char *rel = NULL;
    cr_assert_eq(sink_batch_image_file(&s, b, 3, "img-1", "png", &rel), 0);
    cr_assert_str_eq(rel, "images/j/3.png");
    free(rel);
    sink_batch_close(&s, b, SINK_RESULTS, NULL);
    sink_close(&s);
    char *t = slurp(at("out/images/j/3.png"));
    cr_assert_str_eq(t, "\x89PNG-bytes");
    free(t);
    cr_assert_neq(access(at("out/.spool/img-1"), F_OK), 0);
}

Test(sink, image_caps_per_answer_and_per_run)
{
    struct sink s;
    struct gb_err err = {0};
    const char *status = NULL;
    char msg[300];
    cr_assert_eq(sink_open(&s, at("out"), 0, &err), 0, "%s", err.msg);
    cr_assert_eq(s.max_per_answer, SINK_MAX_IMAGES_PER_ANSWER);
    cr_assert_eq(s.max_per_run, SINK_MAX_IMAGES_PER_RUN);
    cr_assert_eq(sink_images_admit(&s, 20000, &status, msg, sizeof msg), GB_ELIMIT);
    cr_assert_str_eq(status, "TOO_MANY_IMAGES");
    cr_assert(strstr(msg, "20000") && strstr(msg, "--max-images-per-answer"), "%s", msg);
    sink_set_image_limits(&s, 4, 10);
    cr_assert_eq(sink_images_admit(&s, 4, &status, msg, sizeof msg), 0);
    cr_assert_eq(sink_images_admit(&s, 5, &status, msg, sizeof msg), GB_ELIMIT);
    cr_assert_str_eq(status, "TOO_MANY_IMAGES");
    cr_assert_eq(sink_images_admit(&s, 4, &status, msg, sizeof msg), 0);
    cr_assert_eq(sink_images_admit(&s, 3, &status, msg, sizeof msg), GB_ELIMIT);
    cr_assert_str_eq(status, "IMAGE_LIMIT_REACHED");
    cr_assert(strstr(msg, "--max-images"), "%s", msg);
    cr_assert_eq(sink_images_admit(&s, 2, &status, msg, sizeof msg), 0);
    cr_assert_eq(s.images_run, 10);
    sink_close(&s);
}

Test(sink, restart_removes_links_not_their_targets)
{
    struct sink s;
    struct gb_err err = {0};
    cr_assert_eq(mkdir(at("out"), 0755), 0);
    cr_assert_eq(mkdir(at("elsewhere"), 0755), 0);
    write_text(at("elsewhere/keep.png"), "keep\n");
    cr_assert_eq(symlink(at("elsewhere"), at("out/images")), 0);
    cr_assert_eq(sink_open(&s, at("out"), 1, &err), 0, "%s", err.msg);
    sink_close(&s);
    cr_assert_eq(access(at("elsewhere/keep.png"), F_OK), 0);
    cr_assert_neq(access(at("out/images"), F_OK), 0);
}
