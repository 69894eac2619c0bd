/* test_buf.c: the growable buffer honours its ceiling and keeps NUL endings. */
#include <criterion/criterion.h>

#include "buf.h"
#include "err.h"

Test(buf, append_and_printf)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    cr_assert_eq(buf_puts(&b, "ab"), 0);
    cr_assert_eq(buf_printf(&b, "-%d-%s", 42, "x"), 0);
    cr_assert_str_eq(b.data, "ab-42-x");
    cr_assert_eq(b.len, 7);
    buf_consume(&b, 3);
    cr_assert_str_eq(b.data, "42-x");
    buf_free(&b);
}

Test(buf, long_printf)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[999] = 0;
    cr_assert_eq(buf_printf(&b, "[%s]", big), 0);
    cr_assert_eq(b.len, 1001);
    cr_assert_eq(b.data[1000], ']');
    buf_free(&b);
}

Test(buf, ceiling_is_enforced)
{
    struct buf b;
    buf_init(&b, 8);
    cr_assert_eq(buf_append(&b, "12345678", 8), 0);
    cr_assert_eq(buf_putc(&b, '9'), GB_ELIMIT);
    cr_assert_eq(b.len, 8);
    size_t n;
    char *p = buf_detach(&b, &n);
    cr_assert_eq(n, 8);
    cr_assert_str_eq(p, "12345678");
    free(p);
    cr_assert_null(b.data);
}
