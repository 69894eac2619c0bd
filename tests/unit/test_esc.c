/* test_esc.c: control characters from a server never reach the terminal raw
 * (issue 14 point 7), and an echoed key is blanked out (point 8): esc.c's
 * escaping and redaction, and log.c, which applies both to every message. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "esc.h"
#include "utf8.h"
#include "log.h"

static const char *esc(const char *s)
{
    static char out[512];
    esc_text(s, strlen(s), out, sizeof out);
    return out;
}

Test(esc, terminal_title_and_clear_are_escaped)
{
    /* the message: OSC 0 (set title) ended by BEL, then CSI 2J (clear) */
    const char *msg = "quota \x1b]0;pwned\x07 and \x1b[2J gone";
    cr_assert_str_eq(esc(msg), "quota \\x1b]0;pwned\\x07 and \\x1b[2J gone");
    cr_assert_eq(esc_needed(msg, strlen(msg)), 1);
}

Test(esc, line_breaks_and_del_are_escaped_text_stays)
{
    cr_assert_str_eq(esc("a\nfake: ok\r\tb\x7f"), "a\\nfake: ok\\r\\tb\\x7f");
    /* UTF-8 text passes unchanged */
    cr_assert_str_eq(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    cr_assert_eq(esc_needed("caf\xc3\xa9", 5), 0);
}

Test(esc, c1_controls_and_bad_utf8_are_escaped)
{
    /* U+009B is CSI for terminals that take 8-bit controls */
    cr_assert_str_eq(esc("x\xc2\x9b" "2Jy"), "x\\u009b2Jy");
    /* a raw 0x9b byte, an overlong '/', a surrogate, a cut sequence */
    cr_assert_str_eq(esc("\x9b" "a"), "\\x9ba");
    cr_assert_str_eq(esc("\xc0\xaf"), "\\xc0\\xaf");
    cr_assert_str_eq(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    cr_assert_str_eq(esc("ab\xe2\x82"), "ab\\xe2\\x82");
}

Test(esc, output_is_cut_at_a_boundary)
{
    char out[8];
    /* "ab" then an escape of 4 that does not fit in the 7 usable bytes */
    size_t n = esc_text("ab\x1b" "cd", 5, out, sizeof out);
    cr_assert_str_eq(out, "ab\\x1bc");
    cr_assert_eq(n, 7);
    n = esc_text("a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 9, out, 5);
    cr_assert_str_eq(out, "a\xc3\xa9", "a character is never split");
    cr_assert_eq(n, 3);
}

Test(esc, fwrite_keeps_lines_escapes_the_rest)
{
    char buf[256] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    const char *doc = "{\"m\":\"\x1b[2J\"}\n\t{\"r\":\"a\rb\"}\n";
    cr_assert_eq(esc_fwrite(doc, strlen(doc), f), 0);
    fclose(f);
    cr_assert_str_eq(buf, "{\"m\":\"\\x1b[2J\"}\n\t{\"r\":\"a\\rb\"}\n");
}

Test(esc, fwrite_long_input_crosses_its_buffer)
{
    /* 3000 'e'-acute (6000 bytes) plus controls: no character split at the
     * internal buffer's edge */
    static char in[7000], out[20000];
    size_t n = 0;
    for (int i = 0; i < 3000; i++) {
        in[n++] = (char)0xc3;
        in[n++] = (char)0xa9;
    }
    in[n++] = 0x1b;
    FILE *f = fmemopen(out, sizeof out - 1, "w");
    cr_assert_eq(esc_fwrite(in, n, f), 0);
    fclose(f);
    cr_assert_eq(strlen(out), 6000 + 4);
    cr_assert_eq(memcmp(out, in, 6000), 0);
    cr_assert_str_eq(out + 6000, "\\x1b");
}

Test(esc, redact_blanks_every_occurrence)
{
    char s[128];
    strcpy(s, "key AIzaSyA-secret-123 echoed: AIzaSyA-secret-123!");
    size_t n = esc_redact(s, strlen(s), "AIzaSyA-secret-123", 18);
    s[n] = '\0';
    cr_assert_str_eq(s, "key " ESC_REDACTED " echoed: " ESC_REDACTED "!");
    /* shorter than the mark: as many stars */
    strcpy(s, "k=abcdefgh.");
    n = esc_redact(s, strlen(s), "abcdefgh", 8);
    s[n] = '\0';
    cr_assert_str_eq(s, "k=********.");
    /* too short to be a key: untouched */
    strcpy(s, "the cat");
    cr_assert_eq(esc_redact(s, 7, "cat", 3), 7);
    cr_assert_str_eq(s, "the cat");
}

Test(esc, log_escapes_and_redacts, .init = cr_redirect_stderr)
{
    log_set_secret("AIzaSy-test-key-0123456789");
    log_error("'%s': HTTP 400 INVALID_ARGUMENT: %s", "job-1",
              "bad key AIzaSy-test-key-0123456789 \x1b]0;owned\x07\x1b[2J\nfake line");
    log_set_secret(NULL);
    fflush(stderr);
    cr_assert_stderr_eq_str("gembatch: 'job-1': HTTP 400 INVALID_ARGUMENT: bad key " ESC_REDACTED
                            " \\x1b]0;owned\\x07\\x1b[2J\\nfake line\n");
}

/* The one UTF-8 check (util/utf8.c) every reader of outside text uses. */
Test(esc, utf8_seq_takes_valid_sequences_only)
{
    static const struct { const char *s; size_t n, want; uint32_t cp; } cases[] = {
        {"A", 1, 1, 'A'},
        {"\xc3\xa9", 2, 2, 0xe9},           /* é */
        {"\xe2\x82\xac", 3, 3, 0x20ac},     /* € */
        {"\xf0\x9f\x98\x80", 4, 4, 0x1f600}, /* an emoji */
        {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
        {"\xc0\xaf", 2, 0, 0},              /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0, 0},          /* overlong */
        {"\xed\xa0\x80", 3, 0, 0},          /* a surrogate */
        {"\xf4\x90\x80\x80", 4, 0, 0},      /* past U+10FFFF */
        {"\x80", 1, 0, 0},                  /* a stray continuation */
        {"\xe2\x82", 2, 0, 0},              /* cut short */
        {"\xe2\x28\xac", 3, 0, 0},          /* not a continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint32_t cp = 0;
        size_t got = utf8_seq((const unsigned char *)cases[i].s, cases[i].n, &cp);
        cr_expect_eq(got, cases[i].want, "case %zu: %zu, want %zu", i, got, cases[i].want);
        if (got)
            cr_expect_eq(cp, cases[i].cp, "case %zu: U+%04X", i, cp);
    }
    cr_expect_eq(utf8_seq((const unsigned char *)"\xc3\xa9", 2, NULL), 2, "cp may be NULL");
}
