/* fsx.c: file-system and clock helpers used by the sink, the journal and the
 * emulator. Everything that writes retries EINTR and reports errno. */
#include "fsx.h"
#include "err.h"
#include "hash64.h"
#include "sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int fsx_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return GB_EIO;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t fsx_pread_full(int fd, void *p, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)p + got, n - got, off + (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int fsx_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return GB_EIO;
    int rc = fsync(fd) ? GB_EIO : 0;
    close(fd);
    return rc;
}

int fsx_open_at(int dirfd, const char *name, int flags, mode_t mode)
{
    int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL; /* a FIFO, a device, a folder: not a file of ours */
        return -1;
    }
    return fd;
}

int fsx_dir_at(int dirfd, const char *name, int create, mode_t mode)
{
    if (create && mkdirat(dirfd, name, mode) && errno != EEXIST)
        return -1;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOTDIR && fsx_is_link_at(dirfd, name))
        errno = ELOOP; /* Linux says ENOTDIR for a link with O_DIRECTORY: say what it is */
    return fd;
}

int fsx_is_link_at(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

int fsx_tmp_at(int dirfd, const char *name, char *tmp, size_t tmpsz)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t r = now_us() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)tmp;
    for (int tries = 0; tries < 100; tries++) {
        char sfx[7];
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        for (int i = 0; i < 6; i++)
            sfx[i] = digits[(r >> (10 + 5 * i)) % (sizeof digits - 1)];
        sfx[6] = '\0';
        if ((size_t)snprintf(tmp, tmpsz, "%s.tmp-%s", name, sfx) >= tmpsz) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int fsx_write_atomic_at(int dirfd, const char *name, const void *data, size_t n)
{
    size_t tl = strlen(name) + 16;
    char *tmp = malloc(tl);
    if (!tmp)
        return GB_ENOMEM;
    int fd = fsx_tmp_at(dirfd, name, tmp, tl);
    if (fd < 0) {
        free(tmp);
        return GB_EIO;
    }
    int rc = fsx_write_all(fd, data, n);
    if (!rc && fsync(fd))
        rc = GB_EIO;
    if (close(fd) && !rc)
        rc = GB_EIO;
    if (!rc && renameat(dirfd, tmp, dirfd, name))
        rc = GB_EIO;
    if (rc) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        errno = e;
    }
    free(tmp);
    return rc;
}

int fsx_write_atomic(const char *path, const void *data, size_t n)
{
    char *dir = fsx_dirname(path);
    if (!dir)
        return GB_ENOMEM;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (dfd < 0)
        return GB_EIO;
    int rc = fsx_write_atomic_at(dfd, fsx_basename(path), data, n);
    int e = errno;
    close(dfd);
    errno = e;
    return rc;
}

int fsx_mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return GB_ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) && errno != EEXIST) {
                rc = GB_EIO;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    if (!rc) {
        struct stat st;
        if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = GB_EIO;
        }
    }
    free(p);
    return rc;
}

char *fsx_join(const char *dir, const char *name)
{
    if (!dir || !*dir || fsx_is_abs(name))
        return strdup(name);
    size_t a = strlen(dir), b = strlen(name);
    char *r = malloc(a + b + 2);
    if (!r)
        return NULL;
    memcpy(r, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/')
        r[k++] = '/';
    memcpy(r + k, name, b + 1);
    return r;
}

char *fsx_dirname(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return strdup(".");
    if (s == path)
        return strdup("/");
    return strndup(path, (size_t)(s - path));
}

const char *fsx_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int fsx_is_abs(const char *path)
{
    return path && path[0] == '/';
}

char *fsx_safe_name(const char *s, size_t n)
{
    enum { MAXN = 80 };
    char *r = malloc(MAXN + 16);
    if (!r)
        return NULL;
    size_t k = 0;
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && k > 0);
        if (k >= MAXN) {
            changed = 1;
            break;
        }
        if (ok) {
            r[k++] = (char)c;
        } else {
            changed = 1;
            if (k == 0 || r[k - 1] != '_')
                r[k++] = '_';
        }
    }
    if (k == 0)
        changed = 1;
    if (changed) {
        uint64_t h = hash64(s, n, 0x5afe);
        k += (size_t)snprintf(r + k, 16, "%s%08x", k ? "-" : "id-", (unsigned)(h >> 32));
    }
    r[k] = '\0';
    return r;
}

static int safe_char(unsigned char c, size_t k)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || (c == '.' && k > 0);
}

char *fsx_id_name(const char *s, size_t n)
{
    enum { MAXN = 80 };
    size_t k = 0;
    int changed = n == 0 || n > MAXN;
    for (size_t i = 0; i < n && !changed; i++)
        changed = !safe_char((unsigned char)s[i], i);
    char *r = malloc(MAXN + 40);
    if (!r)
        return NULL;
    if (!changed) {
        memcpy(r, s, n);
        r[n] = '\0';
        return r;
    }
    for (size_t i = 0; i < n && k < MAXN; i++) {
        unsigned char c = (unsigned char)s[i];
        if (safe_char(c, k))
            r[k++] = (char)c;
        else if (k == 0 || r[k - 1] != '_')
            r[k++] = '_';
    }
    uint8_t d[32];
    char hex[65];
    if (sha256_buf(s, n, d)) {
        free(r);
        return NULL;
    }
    sha256_hex(d, hex);
    /* '~' is outside the safe set: a changed name never equals an unchanged one */
    snprintf(r + k, 40, "%s~%.32s", k ? "" : "id", hex);
    return r;
}

uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t now_ms(void)
{
    return now_us() / 1000u;
}

double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void iso8601(double t, char out[32])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void iso8601_ms(double t, char out[32])
{
    /* one thread's cache of the last second formatted: a busy run writes
     * many lines a second, and gmtime_r + strftime dominate this otherwise */
    static __thread time_t last = -1;
    static __thread char b[24];
    time_t s = (time_t)t;
    int ms = (int)((t - (double)s) * 1000.0);
    if (ms > 999)
        ms = 999;
    if (s != last) {
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
        last = s;
    }
    snprintf(out, 32, "%s.%03dZ", b, ms < 0 ? 0 : ms);
}

int fsx_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = fsx_join(path, de->d_name);
        rc |= p ? fsx_rm_tree(p) : -1;
        free(p);
    }
    closedir(d);
    return rc | rmdir(path);
}

void fsx_random_hex(char *out, size_t nhex)
{
    uint64_t v[2] = {0, 0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, v, sizeof v) != (ssize_t)sizeof v) {
        v[0] = now_us() ^ ((uint64_t)getpid() << 32);
        v[1] = v[0] * 0x9e3779b97f4a7c15ull;
    }
    if (fd >= 0)
        close(fd);
    char b[40];
    snprintf(b, sizeof b, "%016llx%016llx", (unsigned long long)v[0], (unsigned long long)v[1]);
    if (nhex > 32)
        nhex = 32;
    memcpy(out, b, nhex);
    out[nhex] = '\0';
}
