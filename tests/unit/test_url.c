/* test_url.c: URL redaction (an endpoint's password or ?key= never stored or
 * printed), origins (where the key may go), and the upload URL moved onto the
 * endpoint's origin (issue 14 points 1 and 8). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "err.h"
#include "url.h"

static void redacts(const char *in, const char *want)
{
    char *got = url_redact(in);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "url_redact(%s)", in);
    free(got);
}

Test(url, redact_user_info_query_and_fragment)
{
    redacts("https://user:hunter2@proxy.example:8443/gemini",
            "https://REDACTED@proxy.example:8443/gemini");
    redacts("https://proxy.example/?key=AIzaSecret&alt=sse",
            "https://proxy.example/?key=REDACTED&alt=REDACTED");
    redacts("http://a@b@host/x?flag&k=#frag", "http://REDACTED@host/x?flag&k=REDACTED#REDACTED");
    redacts("https://generativelanguage.googleapis.com",
            "https://generativelanguage.googleapis.com");
    /* not a URL curl would take: still redacted */
    redacts("user:pw@host:99?key=x", "REDACTED@host:99?key=REDACTED");
    redacts("", "");
}

Test(url, origins)
{
    char *o = url_origin("HTTPS://Example.COM/v1beta/files?x=1");
    cr_assert_str_eq(o, "https://example.com:443");
    free(o);
    o = url_origin("http://127.0.0.1:8080/upload");
    cr_assert_str_eq(o, "http://127.0.0.1:8080");
    free(o);
    cr_assert_null(url_origin("file:///etc/passwd"));
    cr_assert_null(url_origin("gopher://127.0.0.1:70/_x"));
    cr_assert_null(url_origin("not a url"));
    cr_assert(url_same_origin("http://127.0.0.1:80/a", "http://127.0.0.1/b"));
    cr_assert(!url_same_origin("http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a"));
    cr_assert(!url_same_origin("http://h/a", "https://h/a"));
    /* user info does not change the host it goes to */
    cr_assert(!url_same_origin("http://127.0.0.1:1@evil.example/x", "http://127.0.0.1:1/"));
    cr_assert(url_is_http("https://h"));
    cr_assert(!url_is_http("ftp://h/"));
}

Test(url, rebase_keeps_path_takes_base_origin)
{
    char *u = NULL;
    cr_assert_eq(url_rebase("http://10.9.8.7:9999/upload/v1beta/files?upload_id=abc&x=1",
                            "http://127.0.0.1:4000", &u),
                 0);
    cr_assert_str_eq(u, "http://127.0.0.1:4000/upload/v1beta/files?upload_id=abc&x=1");
    free(u);
    /* https base with its default port; user info of the server's URL dropped */
    cr_assert_eq(url_rebase("http://thief:pw@other:81/u?id=1", "https://api.example/", &u), 0);
    cr_assert_str_eq(u, "https://api.example/u?id=1");
    free(u);
}

Test(url, rebase_refuses_other_schemes)
{
    char *u = (char *)"untouched";
    cr_assert_eq(url_rebase("file:///etc/passwd", "http://127.0.0.1:1", &u), GB_EINVAL);
    cr_assert_null(u);
    cr_assert_eq(url_rebase("gopher://127.0.0.1:70/_RAW", "http://127.0.0.1:1", &u), GB_EINVAL);
    cr_assert_eq(url_rebase("dict://127.0.0.1:11211/stats", "http://127.0.0.1:1", &u), GB_EINVAL);
    cr_assert_eq(url_rebase("/relative/only", "http://127.0.0.1:1", &u), GB_EINVAL);
}
