/* esc.h: outside text made safe to show or store. A server's message on a
 * terminal must not retitle it, clear it or forge a line (issue 14), and a
 * secret echoed back must not reach a file or stderr.
 * Ownership: callers provide every buffer; nothing here allocates. */
#ifndef GB_ESC_H
#define GB_ESC_H

#include <stddef.h>
#include <stdio.h>

/* Copy n bytes of src into out (cap bytes, NUL included) with every control
 * character escaped: C0 and DEL as \n \r \t or \xHH, C1 (U+0080..U+009F,
 * which some terminals obey too) as \u00HH, and bytes that are not UTF-8 as
 * \xHH. Valid UTF-8 text passes unchanged. Output that does not fit is cut
 * before an escape or a character, never inside one. Returns its length. */
size_t esc_text(const char *src, size_t n, char *out, size_t cap);

/* 1 if esc_text would change anything in src. */
int esc_needed(const char *src, size_t n);

/* Write src to f escaped as esc_text does, except that line feeds and tabs
 * stay (a document keeps its lines; a carriage return is still escaped).
 * 0, or -1 on a write error. */
int esc_fwrite(const char *src, size_t n, FILE *f);

/* The mark that stands for a redacted secret. */
#define ESC_REDACTED "[redacted]"
/* Secrets shorter than this are not looked for: too short to be a key, and
 * they would blank out ordinary words. */
#define ESC_SECRET_MIN 8

/* Replace every occurrence of secret (sl bytes) in s (n bytes, edited in
 * place) by ESC_REDACTED, or by as many '*' when the secret is shorter than
 * the mark. Returns the new length (never more than n). A NULL or short
 * secret changes nothing. */
size_t esc_redact(char *s, size_t n, const char *secret, size_t sl);

/* Keep a copy of key in *slot for esc_redact, wiping and freeing the one
 * kept before; NULL or a key shorter than ESC_SECRET_MIN keeps none. 0, or
 * GB_ENOMEM. */
int esc_secret_keep(char **slot, const char *key);

#endif
