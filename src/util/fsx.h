/* fsx.h: small file-system and time helpers: whole writes, atomic replace,
 * mkdir -p, path joining, safe names from untrusted ids, clocks.
 * Ownership: functions returning char * return new strings the caller frees. */
#ifndef GB_FSX_H
#define GB_FSX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* write(2) until done or error (EINTR retried). 0 or GB_EIO (errno kept). */
int fsx_write_all(int fd, const void *p, size_t n);
/* pread(2) until n bytes or EOF; returns bytes read or -1. */
ssize_t fsx_pread_full(int fd, void *p, size_t n, off_t off);
/* Write data to path through path.tmp-XXXX + fsync + rename. */
int fsx_write_atomic(const char *path, const void *data, size_t n);
/* mkdir -p with mode 0755. */
int fsx_mkdir_p(const char *path);
/* rm -r path (a file or a folder tree; links are removed, never followed).
 * 0 when it is gone, also when it never was. */
int fsx_rm_tree(const char *path);
/* fsync the directory holding path (so a rename is durable). */
int fsx_fsync_dir(const char *dir);

char *fsx_join(const char *dir, const char *name);
char *fsx_dirname(const char *path);   /* "a/b/c" -> "a/b"; "c" -> "." */
const char *fsx_basename(const char *path);
int fsx_is_abs(const char *path);

/* A file or folder name made from an untrusted string (job id, archive entry):
 * only [A-Za-z0-9._-], no leading '.', at most 80 characters; when anything
 * had to change, a '-' and 8 hex digits of the original's hash are appended so
 * distinct ids never share a name. Never empty, never "." or "..". */
char *fsx_safe_name(const char *s, size_t n);

uint64_t now_ms(void);          /* monotonic milliseconds */
uint64_t now_us(void);          /* monotonic microseconds */
double wall_s(void);            /* seconds since the epoch, with fraction */
/* "2026-11-25T13:17:56Z" for t (seconds since the epoch) into out[32]. */
void iso8601(double t, char out[32]);
/* nhex (at most 32) random hex digits and a NUL into out (nhex + 1 bytes):
 * run ids and markers, never secrets. */
void fsx_random_hex(char *out, size_t nhex);
/* The same with milliseconds: 2026-11-25T13:17:56.250Z. */
void iso8601_ms(double t, char out[32]);

#endif
