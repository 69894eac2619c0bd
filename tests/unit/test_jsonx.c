/* test_jsonx.c: jansson helpers; jx_string_lossy keeps text that is not UTF-8
 * (error pages, messages cut to fit) instead of losing the value. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"

static void lossy(const char *in, const char *want)
{
    json_t *v = jx_string_lossy(in);
    cr_assert_not_null(v, "%s", in);
    cr_expect_str_eq(json_string_value(v), want);
    json_decref(v);
}

Test(jsonx, string_lossy_keeps_utf8_and_replaces_the_rest)
{
    lossy("plain", "plain");
    lossy("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    lossy("r\xe9" "essayez", "r\xef\xbf\xbd" "essayez");           /* Latin-1 */
    lossy("cut \xc3", "cut \xef\xbf\xbd");                            /* cut at the end */
    lossy("cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd");
    lossy("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");                    /* overlong */
    lossy("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");    /* surrogate */
    lossy("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
    lossy("", "");
}
