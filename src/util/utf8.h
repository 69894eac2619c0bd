/* utf8.h: the one check of a UTF-8 sequence, for every place that takes
 * text from outside (archive entry names, JSON strings, the report, the
 * terminal escapes). */
#ifndef GB_UTF8_H
#define GB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1 to 4) of the valid UTF-8 sequence at s, n bytes left (n >= 1),
 * or 0 when it is not one: a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, or a sequence cut short. *cp (when
 * not NULL) gets the code point. */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

#endif
