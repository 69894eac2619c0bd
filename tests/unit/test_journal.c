/* test_journal.c: the map of background interactions started but not
 * finished (resume polls them instead of paying for new ones). Open
 * addressing with deletion: every string has exactly one owning slot. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/redirect.h>

#include "journal.h"
#include "fsx.h"
#include "hash64.h"

/* every occupied slot owns its string alone; empty slots own nothing */
static void check_owners(const struct iid_map *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].d) {
            cr_assert_null(m->v[i].iid, "empty slot %zu still holds a string", i);
            continue;
        }
        n++;
        for (size_t k = i + 1; k < m->cap; k++)
            cr_assert(m->v[k].iid != m->v[i].iid, "slots %zu and %zu share a string", i, k);
    }
    cr_assert_eq(n, m->n);
}

static void map_free(struct iid_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->v[i].iid);
    free(m->v);
}

Test(journal, iid_map_deletes_inside_a_cluster)
{
    struct iid_map m = {0};
    char iid[32];
    /* digests with the same low bits: one long probe cluster */
    for (uint64_t k = 1; k <= 20; k++) {
        snprintf(iid, sizeof iid, "ix_%llu", (unsigned long long)k);
        cr_assert_eq(iid_put(&m, (k << 32) | 5, iid), 0);
    }
    check_owners(&m);
    for (uint64_t k = 2; k <= 20; k += 3) /* holes in the middle of the cluster */
        iid_del(&m, (k << 32) | 5);
    check_owners(&m);
    for (uint64_t k = 1; k <= 20; k++) {
        const char *got = iid_get(&m, (k << 32) | 5);
        snprintf(iid, sizeof iid, "ix_%llu", (unsigned long long)k);
        if ((k + 1) % 3 == 0)
            cr_expect_null(got, "deleted %llu still found", (unsigned long long)k);
        else
            cr_expect(got && !strcmp(got, iid), "lost %llu", (unsigned long long)k);
    }
    cr_assert_eq(iid_put(&m, (7ull << 32) | 5, "ix_new"), 0); /* replace: no second slot */
    cr_expect_str_eq(iid_get(&m, (7ull << 32) | 5), "ix_new");
    check_owners(&m);
    map_free(&m);
}

/* ---- planted links (issue 14 point 2) ------------------------------------------- */

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static char *get(const char *path)
{
    static char b[4096];
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = '\0';
    return b;
}

/* resume neither reads nor truncates what a planted link points to: before,
 * a victim without a final newline lost its last line (the "torn tail") */
Test(journal, scan_refuses_a_link_as_results)
{
    char root[] = "/tmp/gb-jrn-XXXXXX", p[256], v[256];
    cr_assert_not_null(mkdtemp(root));
    snprintf(v, sizeof v, "%s/victim", root);
    put(v, "line one\nno newline at the end");
    snprintf(p, sizeof p, "%s/out", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/out/results.jsonl", root);
    cr_assert_eq(symlink(v, p), 0);
    struct resume r;
    struct gb_err err = {0};
    snprintf(p, sizeof p, "%s/out", root);
    cr_assert_eq(jrn_scan(p, &r, &err), GB_ESTATE);
    cr_assert(strstr(err.msg, "results.jsonl") && strstr(err.msg, "symbolic link"), "%s",
              err.msg);
    jrn_free(&r);
    cr_assert_str_eq(get(v), "line one\nno newline at the end");
    snprintf(p, sizeof p, "rm -rf '%s'", root);
    cr_assert_eq(system(p), 0);
}

Test(journal, compaction_never_writes_through_a_link)
{
    char root[] = "/tmp/gb-jrn-XXXXXX", p[256], v[256];
    cr_assert_not_null(mkdtemp(root));
    snprintf(v, sizeof v, "%s/victim", root);
    put(v, "precious\n");
    snprintf(p, sizeof p, "%s/errors.jsonl", root);
    put(p, "{\"id\":\"a\",\"n\":1}\n{\"id\":\"a\",\"n\":2}\n");
    /* the name the old code truncated, and the name a guess of the new one */
    snprintf(p, sizeof p, "%s/errors.jsonl.compact", root);
    cr_assert_eq(symlink(v, p), 0);
    struct dset done;
    dset_init(&done);
    long long kept = 0;
    struct gb_err err = {0};
    cr_assert_eq(jrn_compact_errors(root, &done, &kept, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(kept, 1);
    cr_assert_str_eq(get(v), "precious\n");
    snprintf(p, sizeof p, "%s/errors.jsonl", root);
    cr_assert_str_eq(get(p), "{\"id\":\"a\",\"n\":2}\n");
    dset_free(&done);
    snprintf(p, sizeof p, "rm -rf '%s'", root);
    cr_assert_eq(system(p), 0);
}

static void expect_line(const char *line, int whole, int has_id, const char *id, const char *why)
{
    uint64_t d = 0;
    int hid = -1;
    char got[81];
    const char *w = NULL;
    int rc = jrn_result_line(line, strlen(line), &d, &hid, got, sizeof got, &w);
    cr_expect_eq(rc, whole, "%s: %s", line, w ? w : "whole");
    cr_expect_eq(hid, has_id, "%s: has_id", line);
    if (has_id) {
        cr_expect_str_eq(got, id, "%s", line);
        cr_expect_eq(d, hash64(id, strlen(id), 0), "%s: the digest of its id", line);
    }
    if (why)
        cr_expect(w && strstr(w, why), "%s: why is '%s', expected '%s'", line, w ? w : "", why);
}

Test(journal, only_whole_result_lines_mark_an_id_done)
{
    expect_line("{\"id\":\"j1\",\"status\":\"completed\",\"text\":\"hi\"}", 1, 1, "j1", NULL);
    expect_line("{\"id\":\"j2\",\"status\":\"requires_action\",\"outputs\":[]}", 1, 1, "j2", NULL);
    expect_line("{\"status\":\"completed\",\"id\":\"j3\"}", 1, 1, "j3", NULL); /* any key order */
    expect_line("{\"id\":\"a\\\"b\",\"status\":\"completed\"}", 1, 1, "a\"b", NULL);
    /* cut short: the id is still readable from what is left */
    expect_line("{\"id\":\"j4\",\"status\":\"compl", 0, 1, "j4", "cut short");
    expect_line("{\"id\":\"j5\",\"status\":\"completed\",\"text\":\"an answer cut", 0, 1, "j5",
                "cut short");
    expect_line("\x01\x02garbage\xff", 0, 0, NULL, "cut short or garbled");
    expect_line("{\"id\":\"j8\"}", 0, 1, "j8", "no \"status\"");
    expect_line("{\"id\":\"j9\",\"status\":\"failed\"}", 0, 1, "j9", "is not \"completed\"");
    expect_line("{\"id\":\"\",\"status\":\"completed\"}", 0, 0, NULL, "no \"id\"");
    expect_line("{\"id\":7,\"status\":\"completed\"}", 0, 0, NULL, "no \"id\"");
    expect_line("[\"j10\"]", 0, 0, NULL, "not a JSON object");
    /* two lines glued by a lost newline */
    expect_line("{\"id\":\"j11\",\"status\":\"completed\"}{\"id\":\"j12\",\"status\":\"completed\"}",
                0, 1, "j11", "cut short or garbled");
}

static char jdir[] = "/tmp/gb-journal-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", jdir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static int done(const struct resume *r, const char *id)
{
    return dset_has(&r->done, hash64(id, strlen(id), 0));
}

static char *slurp(FILE *f)
{
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

Test(journal, damaged_lines_are_counted_reported_and_run_again, .init = cr_redirect_stderr)
{
    cr_assert_not_null(mkdtemp(jdir));
    write_file("results.jsonl",
               "{\"id\":\"j1\",\"status\":\"completed\"}\n"
               "{\"id\":\"j2\",\"status\":\"completed\"}\n"
               "{\"id\":\"j3\",\"status\":\"comp\n"          /* line 3: cut short */
               "\n"
               "%$#garbage!!\n"                               /* line 5 */
               "{\"id\":\"j6\",\"status\":\"completed\"}\n"
               "{\"id\":\"j8\"}\n"                             /* line 7: no status */
               "{\"id\":\"j2\",\"statu\n"                     /* line 8: j2 is whole above */
               "{\"id\":\"j9\",\"status\":\"completed\"}\n");
    write_file("errors.jsonl", "{\"id\":\"e1\",\"status\":\"failed\",\"error\":{}}\nnot json\n");
    write_file("journal.jsonl", "{\"ev\":\"send\",\"id\":\"j3\",\"op\":\"create\",\"n\":1}\n"
                                "{\"ev\":\"ans\",\"id\":\"j3\",\"http\":200}\n"
                                "{\"ev\":\"bogus\",\"id\":\"j3\"}\n"
                                "{\"ev\":\"se\n");
    struct resume r;
    struct gb_err err = {0};
    cr_assert_eq(jrn_scan(jdir, &r, &err), 0, "%s", err.msg);
    cr_expect(done(&r, "j1") && done(&r, "j2") && done(&r, "j6") && done(&r, "j9"));
    cr_expect_not(done(&r, "j3"), "a line cut short marked its id done");
    cr_expect_not(done(&r, "j8"), "a result without a status marked its id done");
    cr_expect_eq(r.damaged_results, 4);
    cr_expect_eq(r.damaged_errors, 1);
    cr_expect_eq(r.damaged_journal, 2);
    cr_expect_eq(r.failed_prev, 1);
    cr_expect_eq(r.torn, 0);
    cr_expect_eq(r.restarted_prev, 1, "j3 was answered and has no whole line: it starts over");
    jrn_free(&r);
    fflush(stderr);
    char *e = slurp(cr_get_redirected_stderr());
    char want[512];
    snprintf(want, sizeof want, "%s/results.jsonl:3: damaged result line (not whole JSON: cut "
             "short or garbled); 'j3' runs again", jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    snprintf(want, sizeof want, "%s/results.jsonl:5: damaged result line (not whole JSON: cut "
             "short or garbled); the job it was for runs again", jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    snprintf(want, sizeof want, "%s/results.jsonl:7: damaged result line (no \"status\"); 'j8' "
             "runs again", jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    snprintf(want, sizeof want, "%s/results.jsonl:8: damaged result line (not whole JSON: cut "
             "short or garbled); 'j2' has a whole line too", jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    snprintf(want, sizeof want, "%s/errors.jsonl:2: damaged error line", jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    snprintf(want, sizeof want, "%s/journal.jsonl:3: damaged journal line (not a journal event)",
             jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    snprintf(want, sizeof want, "%s/journal.jsonl:4: damaged journal line (not JSON)", jdir);
    cr_expect(strstr(e, want), "no '%s' in:\n%s", want, e);
    fsx_rm_tree(jdir);
}

Test(journal, many_damaged_lines_are_counted_past_the_ten_shown, .init = cr_redirect_stderr)
{
    cr_assert_not_null(mkdtemp(jdir));
    char *text = malloc(64 * 1000 + 1);
    text[0] = '\0';
    for (int i = 0; i < 1000; i++)
        strcat(text, i % 2 ? "{\"id\":\"x\",\"status\":\"completed\"}\n" : "garbage\n");
    write_file("results.jsonl", text);
    free(text);
    struct resume r;
    struct gb_err err = {0};
    cr_assert_eq(jrn_scan(jdir, &r, &err), 0, "%s", err.msg);
    cr_expect_eq(r.damaged_results, 500);
    jrn_free(&r);
    fflush(stderr);
    char *e = slurp(cr_get_redirected_stderr());
    int lines = 0;
    for (char *p = e; (p = strstr(p, "damaged result line")); p++)
        lines++;
    cr_expect_eq(lines, 10, "%s", e);
    cr_expect(strstr(e, "results.jsonl: 490 more damaged lines"), "%s", e);
    fsx_rm_tree(jdir);
}

/* Only gembatch's own mark, just before the last key, says a line is the
 * emulator's: an answer whose output holds the same text does not. */
Test(journal, synthetic_mark_is_the_lines_own)
{
    static const char *yes[] = {
        "{\"id\":\"a\",\"status\":\"completed\",\"latency_ms\":3,\"synthetic\":true,"
        "\"finished_at\":\"2026-12-06T13:23:18.003Z\"}",
        "{\"id\":\"a\",\"status\":\"completed\",\"synthetic\":true,"
        "\"finished_at\":\"2026-12-06T13:23:18.003Z\"}\n",
        /* the answer holds the text too, before the line's own mark */
        "{\"id\":\"a\",\"output\":{\"synthetic\":true,\"finished_at\":\"x\"},"
        "\"synthetic\":true,\"finished_at\":\"2026-12-06T13:23:18.003Z\"}",
    };
    static const char *no[] = {
        "{\"id\":\"a\",\"status\":\"completed\",\"latency_ms\":3,"
        "\"finished_at\":\"2026-12-06T13:23:18.003Z\"}",
        /* the answer's own object carries the text, the line has no mark */
        "{\"id\":\"a\",\"output\":{\"synthetic\":true,\"finished_at\":\"x\"},"
        "\"finished_at\":\"2026-12-06T13:23:18.003Z\"}",
        /* inside a string of the answer, near the end */
        "{\"id\":\"a\",\"text\":\"\\\"synthetic\\\":true,\\\"finished_at\\\":\\\"\"}",
        "{\"id\":\"a\",\"output\":{\"k\":\"\\\"synthetic\\\":true,\\\"finished_at\\\":\\\"1\"},"
        "\"n\":1}",
        "",
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        cr_expect(jrn_marked_synthetic(yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        cr_expect_not(jrn_marked_synthetic(no[i], strlen(no[i])), "%s", no[i]);
}
