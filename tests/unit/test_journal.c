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

#include "journal.h"

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
