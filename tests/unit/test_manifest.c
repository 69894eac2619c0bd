/* test_manifest.c: JSONL lines stream out with numbers kept, CRLF stripped,
 * blank lines skipped, overlong lines reported and skipped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"

static char *write_tmp(const char *content, size_t n)
{
    char *path = strdup("/tmp/gb-man-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

/* the next line of r is want (strlen(want) bytes), numbered want_no */
static void next_is(struct man_reader *r, const char *want, long want_no)
{
    const char *line;
    size_t len;
    long no;
    struct gb_err e = {0};
    cr_assert_eq(man_next(r, &line, &len, &no, &e), 1);
    cr_expect_str_eq(line, want);
    cr_expect_eq(len, strlen(want));
    cr_expect_eq(no, want_no);
}

Test(manifest, lines_crlf_blank_and_numbers)
{
    const char text[] = "{\"a\":1}\r\n\n   \r\n{\"b\":2}\n{\"c\":3}";
    char *p = write_tmp(text, sizeof text - 1);
    struct man_reader r;
    struct gb_err e = {0};
    cr_assert_eq(man_open(p, 0, &r, &e), 0);
    next_is(&r, "{\"a\":1}", 1);
    next_is(&r, "{\"b\":2}", 4);
    next_is(&r, "{\"c\":3}", 5);
    const char *line;
    size_t len;
    long no;
    cr_expect_eq(man_next(&r, &line, &len, &no, &e), 0);
    man_close(&r);
    cr_expect_eq(man_count_lines(p), 3);
    unlink(p);
    free(p);
}

Test(manifest, overlong_line_is_an_error_for_that_line_only)
{
    size_t big = 200000;
    char *text = malloc(big + 64);
    strcpy(text, "{\"a\":1}\n");
    size_t n = strlen(text);
    memset(text + n, 'x', big);
    n += big;
    strcpy(text + n, "\n{\"z\":9}\n");
    n += strlen(text + n);
    char *p = write_tmp(text, n);
    struct man_reader r;
    struct gb_err e = {0};
    cr_assert_eq(man_open(p, 100000, &r, &e), 0);
    const char *line;
    size_t len;
    long no;
    cr_assert_eq(man_next(&r, &line, &len, &no, &e), 1);
    cr_expect_eq(man_next(&r, &line, &len, &no, &e), GB_ELIMIT);
    cr_expect_eq(no, 2);
    cr_expect(strstr(e.msg, "longer than") != NULL, "%s", e.msg);
    cr_assert_eq(man_next(&r, &line, &len, &no, &e), 1);
    cr_expect_str_eq(line, "{\"z\":9}");
    cr_expect_eq(no, 3);
    man_close(&r);
    unlink(p);
    free(p);
    free(text);
}

Test(manifest, missing_file)
{
    struct man_reader r;
    struct gb_err e = {0};
    cr_expect_eq(man_open("/nonexistent/x.jsonl", 0, &r, &e), GB_ENOENT);
    cr_expect(strstr(e.msg, "cannot open") != NULL);
}

/* bad-inputs manifest-bom: a byte order mark before the first line is not JSON */
Test(manifest, byte_order_mark_on_the_first_line_only)
{
    const char text[] = "\xef\xbb\xbf{\"a\":1}\r\n\xef\xbb\xbf{\"b\":2}\n";
    char *p = write_tmp(text, sizeof text - 1);
    struct man_reader r;
    struct gb_err e = {0};
    cr_assert_eq(man_open(p, 0, &r, &e), 0);
    next_is(&r, "{\"a\":1}", 1);
    next_is(&r, "\xef\xbb\xbf{\"b\":2}", 2);
    man_close(&r);
    unlink(p);
    free(p);
}
