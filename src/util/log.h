/* log.h: messages to stderr, shaped "gembatch: what is wrong; what to do".
 * Control characters in a message are escaped (esc.h), whatever their source.
 * Ownership: nothing allocated but the copy log_set_secret keeps. Never pass
 * the API key to any of these. */
#ifndef GB_LOG_H
#define GB_LOG_H

#include "err.h"

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only when GEMBATCH_DEBUG is set in the environment. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_debug_enabled(void);
/* Print an error with its input location (and code location when debugging). */
void log_err(const struct gb_err *err);
/* The API key (copied; NULL forgets and wipes it): from then on it is
 * blanked out of every message, in case a server echoes it back. */
void log_set_secret(const char *key);
/* Silence info messages (-q). */
void log_set_quiet(int quiet);

#endif
