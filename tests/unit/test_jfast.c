/* test_jfast.c: the fast serialiser writes exactly what jansson's
 * json_dumps(JSON_COMPACT [| JSON_SORT_KEYS]) writes: escapes, UTF-8, reals,
 * integers, nesting, empty containers, long runs through the sink. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "jfast.h"

static void same(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    cr_assert_not_null(v, "%s: %s", text, je.text);
    for (int sort = 0; sort < 2; sort++) {
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | (sort ? JSON_SORT_KEYS : 0));
        struct buf b;
        buf_init(&b, BUF_UNLIMITED);
        if (sort) {
            cr_assert_eq(jf_write(v, 1, (int (*)(void *, const char *, size_t))buf_append, &b), 0);
        } else {
            cr_assert_eq(jf_append(&b, v), 0);
        }
        cr_expect_str_eq(b.data ? b.data : "", want, "sort=%d", sort);
        free(want);
        buf_free(&b);
    }
    json_decref(v);
}

Test(jfast, matches_jansson)
{
    same("{\"b\":1,\"a\":[true,false,null,-7,0,9223372036854775807,-9223372036854775808],\"c\":{}}");
    same("[\"quote \\\" backslash \\\\ slash / nl \\n tab \\t cr \\r bs \\b ff \\f ctl \\u0001\\u001f\"]");
    same("\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"");
    same("[0.5,1e300,-2.25,0.1,3.0,1e-7,123456789.125]");
    same("{\"z\":{\"y\":{\"x\":[[],{},[{}]]}},\"a\":\"\"}");
    same("[]");
    same("42");
}

Test(jfast, long_strings_pass_through_the_sink)
{
    size_t n = 100000;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('A' + i % 26);
    s[n] = '\0';
    json_t *v = json_pack("{s:s, s:[s, i]}", "data", s, "more", s, 5);
    char *want = json_dumps(v, JSON_COMPACT);
    size_t len = 0;
    char *got = jf_dump(v, &len);
    cr_assert_str_eq(got, want);
    cr_assert_eq(len, strlen(want));
    free(got);
    free(want);
    free(s);
    json_decref(v);
}

/* ---- the parser, against jansson ---------------------------------------------- */

static void parse_same(const char *text, size_t n)
{
    json_t *want = json_loadb(text, n, 0, NULL);
    json_t *got = jf_parse(text, n);
    if (!want)
        cr_assert_null(got, "accepted what jansson refuses: %.*s", (int)n, text);
    else if (got)
        cr_assert(json_equal(want, got), "different value: %.*s", (int)n, text);
    json_decref(want);
    json_decref(got);
}

Test(jfast, parser_refuses_what_jansson_refuses)
{
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "[\"\\x\"]",
        "[\"\\u12\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"a\nb\"]", "[tru]", "[1] x",
        "{\"a\" 1}", "[\"\\u0000\"]", "[\"\xff\"]", "[1e400]", "[99999999999999999999]", "{1:2}",
        "nul", "\"top\"", "42", "[\"\xc3\"]", "{\"\xff\":1}", "[1 2]", "[,]", "{\"a\":}",
        "[\"\\ud83d\\u0041\"]", "[-01]", "[+1]", "[Infinity]", "[NaN]", "[\"\t\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        parse_same(bad[i], strlen(bad[i]));
    /* a NUL byte in the text */
    parse_same("[\"a\0b\"]", 7);
    parse_same("[1]\0", 4);
}

Test(jfast, parser_values_equal_jansson)
{
    static const char *const good[] = {
        "{}", "[]", " { \"a\" : [ 1 , -2 , 3.5 , -0.0 , 1e-400 , 1E+2 , true , false , null ] } ",
        "{\"a\":1,\"a\":2}", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00\"]",
        "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", "[9223372036854775807,-9223372036854775808]",
        "[[[[[[[[[[]]]]]]]]]]", "{\"\":\"\"}", "[0,0.5e3,123456789012345678e-5]"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *got = jf_parse(good[i], strlen(good[i]));
        cr_assert_not_null(got, "refused: %s", good[i]);
        json_decref(got);
        parse_same(good[i], strlen(good[i]));
    }
}

/* random documents, written by jansson in several styles, read back by both */
static json_t *rnd_value(unsigned *seed, int depth)
{
    static const char *const pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\"",
                                         "\\", "\n", "\x01", "/", " ", "AAAA+/==", "\t"};
    int k = rand_r(seed) % (depth > 4 ? 5 : 7);
    switch (k) {
    case 0: return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
    case 1: return json_real((double)rand_r(seed) / 7.0 - 1000);
    case 2: return rand_r(seed) % 2 ? json_true() : (rand_r(seed) % 2 ? json_false() : json_null());
    case 3:
    case 4: {
        char s[256] = "";
        int n = rand_r(seed) % 12;
        for (int i = 0; i < n; i++)
            strcat(s, pieces[rand_r(seed) % (sizeof pieces / sizeof pieces[0])]);
        return json_string(s);
    }
    case 5: {
        json_t *a = json_array();
        int n = rand_r(seed) % 5;
        for (int i = 0; i < n; i++)
            json_array_append_new(a, rnd_value(seed, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        int n = rand_r(seed) % 5;
        for (int i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%d\xc3\xa9", rand_r(seed) % 10);
            json_object_set_new(o, key, rnd_value(seed, depth + 1));
        }
        return o;
    }
    }
}

Test(jfast, parser_random_documents)
{
    unsigned seed = 12345;
    static const size_t styles[] = {JSON_COMPACT, JSON_INDENT(2), JSON_ENSURE_ASCII,
                                    JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH};
    for (int i = 0; i < 400; i++) {
        json_t *doc = json_pack("{s:o}", "d", rnd_value(&seed, 0));
        char *text = json_dumps(doc, styles[i % 4]);
        json_t *got = jf_parse(text, strlen(text));
        cr_assert_not_null(got, "refused: %s", text);
        cr_assert(json_equal(got, doc), "differs: %s", text);
        json_decref(got);
        /* and every prefix is refused (or equal, never a different value) */
        if (i % 40 == 0)
            for (size_t n = 0; n < strlen(text); n += 3)
                parse_same(text, n);
        free(text);
        json_decref(doc);
    }
}

Test(jfast, real_precision_like_jansson)
{
    json_t *v = json_pack("[f,f,f,f]", 0.1, 1.0 / 3.0, 1e300, 0.55);
    for (int prec = 1; prec <= 17; prec += 4) {
        struct buf b;
        buf_init(&b, BUF_UNLIMITED);
        cr_assert_eq(jf_append_prec(&b, v, prec), 0);
        char *want = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(prec));
        cr_expect_str_eq(b.data, want, "precision %d", prec);
        free(want);
        buf_free(&b);
    }
    json_decref(v);
}

Test(jfast, check_takes_whole_values_only)
{
    static const char *const good[] = {
        "{}", "[]", " {\"a\":1} ", "{\"id\":\"j1\",\"status\":\"completed\",\"n\":[1,-2.5e3,true,"
        "false,null,{}]}", "\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"", "0", "-0.0", "[[[[]]]]",
        "{\"a\":\"\xf0\x9f\x98\x80\"}", NULL};
    static const char *const bad[] = {
        "", " ", "{", "{\"id\":\"j8\"", "{\"id\":\"j8\",}", "[1,]", "{\"a\" 1}", "{a:1}",
        "{\"a\":1}}", "{\"a\":1} x", "\"tab\there\"", "\"bad \\x escape\"", "\"\\u12g4\"",
        "01", "1.", "-", "1e", "+1", "tru", "nul", "{\"a\":\"\xc3\"}", "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"", "{\"a\":1}\n{\"b\":2}", NULL};
    for (int i = 0; good[i]; i++)
        cr_expect(jf_check(good[i], strlen(good[i])), "refused: %s", good[i]);
    for (int i = 0; bad[i]; i++)
        cr_expect_not(jf_check(bad[i], strlen(bad[i])), "taken: %s", bad[i]);
}

Test(jfast, check_refuses_every_cut_of_a_result_line)
{
    const char *line = "{\"id\":\"img-001\",\"status\":\"completed\",\"interaction_id\":\"ix_1\","
                       "\"output\":{\"label\":\"cat\",\"score\":0.93},\"text\":\"a \\\"cat\\\"\","
                       "\"usage\":{\"total_tokens\":313},\"attempts\":1}";
    size_t n = strlen(line);
    cr_assert(jf_check(line, n));
    for (size_t k = 0; k < n; k++)
        cr_expect_not(jf_check(line, k), "a line cut at %zu bytes was taken", k);
}

Test(jfast, check_agrees_with_jansson_on_random_damage)
{
    const char *line = "{\"id\":\"a\",\"status\":\"completed\",\"x\":[1,2.5,\"s\\n\",{\"k\":null}]}";
    size_t n = strlen(line);
    unsigned seed = 7;
    char buf[128];
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, line, n);
        for (int f = 0; f < 1 + round % 3; f++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            static const char damage[] = "{}[]\",:0123456789.e-tfnul \\\x01\xc3\xa9";
            buf[at] = damage[(seed >> 8) % (sizeof damage - 1)]; /* never a NUL */
        }
        json_error_t e;
        json_t *v = json_loadb(buf, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        int want = v != NULL;
        json_decref(v);
        cr_assert_eq(jf_check(buf, n), want, "%.*s: jansson says %d", (int)n, buf, want);
    }
}

static void expect_short(double d, const char *want)
{
    json_t *v = json_pack("[f]", d);
    char *s = jf_dump_short(v, NULL);
    char w[64];
    snprintf(w, sizeof w, "[%s]", want);
    cr_expect_str_eq(s, w, "%.17g", d);
    free(s);
    json_decref(v);
}

Test(jfast, shortest_reals_read_back_the_same)
{
    expect_short(0.1, "0.1");
    expect_short(0.2, "0.2");
    expect_short(0.1 + 0.2, "0.30000000000000004");
    expect_short(1.0 / 3.0, "0.3333333333333333");
    expect_short(100.0, "100.0");
    expect_short(-2.5, "-2.5");
    expect_short(1e300, "1e300");
    expect_short(1e-8, "1e-8");
    expect_short(123456789.125, "123456789.125");
    /* every value comes back exactly, in at most 17 digits */
    unsigned long long x = 88172645463325252ull;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (d != d || d - d != 0)
            continue; /* NaN and infinities are no JSON */
        json_t *v = json_pack("[f]", d);
        char *s = jf_dump_short(v, NULL);
        cr_assert_not_null(s);
        cr_assert_eq(strtod(s + 1, NULL), d, "%s is not %.17g", s, d);
        free(s);
        json_decref(v);
    }
}
