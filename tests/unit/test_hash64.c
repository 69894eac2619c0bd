/* test_hash64.c: the digest set and the digest -> value map: members and
 * values survive growth, deletes, the zero digest, and overwrites. */
#include <criterion/criterion.h>

#include "hash64.h"

Test(hash64, dset_survives_growth_and_deletes)
{
    struct dset s;
    dset_init(&s);
    for (uint64_t i = 0; i < 50000; i++)
        cr_assert_eq(dset_add(&s, hash64(&i, sizeof i, 0)), 1);
    uint64_t zero = 0;
    cr_expect_eq(dset_add(&s, zero), 1);
    cr_expect_eq(dset_add(&s, zero), 0, "already there");
    for (uint64_t i = 0; i < 50000; i += 2)
        cr_assert_eq(dset_del(&s, hash64(&i, sizeof i, 0)), 1);
    for (uint64_t i = 0; i < 50000; i++)
        cr_assert_eq(dset_has(&s, hash64(&i, sizeof i, 0)), (int)(i % 2), "%llu",
                     (unsigned long long)i);
    cr_expect(dset_has(&s, zero));
    dset_free(&s);
}

Test(hash64, dmap_keeps_values_across_growth)
{
    struct dmap m = {0};
    cr_expect_eq(dmap_get(&m, 42), 0, "an empty map has nothing");
    for (uint32_t i = 1; i <= 100000; i++) {
        uint64_t d = hash64(&i, sizeof i, 7);
        cr_assert_eq(dmap_put(&m, d, i), 0);
    }
    cr_expect_eq(m.n, 100000);
    for (uint32_t i = 1; i <= 100000; i++)
        cr_assert_eq(dmap_get(&m, hash64(&i, sizeof i, 7)), i);
    /* counting, as the journal does: get + 1, put */
    uint64_t d = hash64("x", 1, 0);
    for (int k = 0; k < 5; k++)
        cr_assert_eq(dmap_put(&m, d, dmap_get(&m, d) + 1), 0);
    cr_expect_eq(dmap_get(&m, d), 5);
    cr_expect_eq(m.n, 100001, "an overwrite adds no entry");
    cr_expect_eq(dmap_get(&m, 0), 0);
    cr_assert_eq(dmap_put(&m, 0, 9), 0);
    cr_expect_eq(dmap_get(&m, 0), 9, "the zero digest is a key like any other");
    dmap_free(&m);
    cr_expect_eq(dmap_get(&m, d), 0, "freed: empty again");
}
