/* outdir.h: dated output folders for scheduled runs: -o with strftime
 * patterns (-o out/%Y-%m-%d), expanded once when the run starts, and the
 * `latest` symlink (--link-latest) replaced atomically when it ends.
 * Ownership: outdir_expand returns a new string; nothing else is kept. */
#ifndef GB_OUTDIR_H
#define GB_OUTDIR_H

#include <time.h>

#include "err.h"

/* pattern with its strftime conversions (%Y, %m, %d, %H, %M, %F, %%, ...)
 * filled from t in the local time zone (TZ); a pattern without '%' comes
 * back unchanged. *out is new. GB_EINVAL for a pattern that expands to
 * nothing or to more than 4096 bytes. */
int outdir_expand(const char *pattern, time_t t, char **out, struct gb_err *err);

/* Where the `latest` link of a run into dir (expanded from pattern) goes,
 * and what it points at: the link sits in the folder that holds the first
 * dated path component (out/%Y/%m-%d -> out/latest -> 2026/11-25), or
 * beside dir when the pattern has no '%' (out/x -> out/latest -> x). Both
 * new strings. GB_EINVAL when dir does not start with the pattern's fixed
 * part or the link would point at itself. */
int outdir_latest_place(const char *pattern, const char *dir, char **link_dir, char **target,
                        struct gb_err *err);

/* Point link_dir/latest at target (relative): a symlink made under a
 * temporary name and renamed over the old one, so a reader sees the old
 * folder or the new one, never none. Refuses to replace anything but a
 * symlink. */
int outdir_link_latest(const char *pattern, const char *dir, struct gb_err *err);

#endif
