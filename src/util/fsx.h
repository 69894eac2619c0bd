/* fsx.h: small file-system and time helpers: whole writes, atomic replace,
 * mkdir -p, path joining, safe names from untrusted ids, clocks; and the *_at
 * family that works inside an output folder opened once (a dirfd) and never
 * follows a symbolic link planted there (issue 14): a link where a file or
 * folder of ours should be fails with errno ELOOP.
 * Files are created 0666 and folders 0777, so the umask decides.
 * Ownership: functions returning char * return new strings the caller frees;
 * descriptors returned are the caller's to close. */
#ifndef GB_FSX_H
#define GB_FSX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* write(2) until done or error (EINTR retried). 0 or GB_EIO (errno kept). */
int fsx_write_all(int fd, const void *p, size_t n);
/* pread(2) until n bytes or EOF; returns bytes read or -1. */
ssize_t fsx_pread_full(int fd, void *p, size_t n, off_t off);
/* Write data to path through path.tmp-XXXX + fsync + rename (the last
 * component is never followed: a link there is replaced, not written through). */
int fsx_write_atomic(const char *path, const void *data, size_t n);

/* Open name in dirfd (O_NOFOLLOW and O_CLOEXEC added). It must be a regular
 * file: a link fails with ELOOP, anything else that is not a file with
 * EINVAL. mode applies when O_CREAT creates it. */
int fsx_open_at(int dirfd, const char *name, int flags, mode_t mode);
/* The folder name in dirfd, made first when create is set (0777, so the umask
 * decides, or 0700 for a private one). An open descriptor, or -1: ELOOP for a
 * link, ENOTDIR for something that is not a folder. */
int fsx_dir_at(int dirfd, const char *name, int create, mode_t mode);
/* Atomic replace of name in dirfd: a fresh name.tmp-XXXXXX (O_EXCL, 0666 so
 * the umask decides), written, fsynced, renamed over name (a link there is
 * replaced, never followed). 0 or GB_EIO (errno kept), GB_ENOMEM. */
int fsx_write_atomic_at(int dirfd, const char *name, const void *data, size_t n);
/* A fresh file name.tmp-XXXXXX in dirfd (O_EXCL|O_NOFOLLOW, 0666): its
 * descriptor, the name in tmp (tmpsz bytes), or -1. */
int fsx_tmp_at(int dirfd, const char *name, char *tmp, size_t tmpsz);
/* 1 if name in dirfd is a symbolic link (dangling or not). */
int fsx_is_link_at(int dirfd, const char *name);
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

/* A file or folder name made from an untrusted string (archive entry, a
 * pipeline's name): only [A-Za-z0-9._-], no leading '.', at most 80
 * characters; when anything had to change, a '-' and 8 hex digits of the
 * original's hash are appended. Not injective: 'a/b' and 'a_b-10515cc6'
 * share a name. Never empty, never "." or "..". */
char *fsx_safe_name(const char *s, size_t n);

/* The folder name of a job id (images/<name>/), injective: an id that is
 * already a safe name (as above, unchanged) is its own name; any other id is
 * its cleaned first 80 characters, a '~' (which no unchanged name holds) and
 * 32 hex digits of its SHA-256, so two ids share a folder only if SHA-256
 * collides. Never empty, never "." or "..". */
char *fsx_id_name(const char *s, size_t n);

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
