/* test_journal.c: the map of background interactions started but not
 * finished (resume polls them instead of paying for new ones). Open
 * addressing with deletion: every string has exactly one owning slot. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
