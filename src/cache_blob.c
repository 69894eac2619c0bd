/* cache_blob.c: the answer cache's blob folder, <db>.blobs/ab/<sha256>.<ext>:
 * a blob's path, a blob read back whole and checked against its name, a file
 * stored under its content hash (written to a temporary, then renamed), and
 * a walk over every blob. Knows the folder's layout, nothing of SQLite;
 * calls only fsx and sha256. */
#include "cache_int.h"
#include "fsx.h"
#include "sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { BLOB_CHUNK = 64 * 1024 };
/* a stored image larger than this is treated as damaged (nothing the run
 * accepts comes near it) so a broken size cannot make a huge allocation */
#define BLOB_MAX ((uint64_t)1 << 30)

char *cache_blob_path(const char *root, const char *sha, const char *ext)
{
    size_t n = strlen(root) + 100;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%.2s/%s.%s", root, sha, sha, ext);
    return p;
}

/* Read a blob whole and check it is what its row says. 0, or -1: gone or
 * not those bytes (a miss, never an error: prune may have taken it). */
int cache_blob_load(struct cache_image *im)
{
    if (im->size > BLOB_MAX)
        return -1;
    int fd = open(im->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == im->size;
    im->data = ok ? malloc(im->size ? im->size : 1) : NULL;
    ok = im->data && fsx_pread_full(fd, im->data, im->size, 0) == (ssize_t)im->size;
    close(fd);
    uint8_t d[32];
    char hex[65];
    if (!ok || sha256_buf(im->data, im->size, d))
        return -1;
    sha256_hex(d, hex);
    return strcmp(hex, im->sha256) ? -1 : 0;
}

/* The extension of an image path ("png"), or "bin" when it has none usable:
 * it only names the blob file. */
static void path_ext(const char *path, char ext[16])
{
    const char *dot = strrchr(fsx_basename(path), '.');
    size_t n = dot ? strlen(dot + 1) : 0;
    int ok = n > 0 && n < 16;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = dot[1 + i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    }
    snprintf(ext, 16, "%s", ok ? dot + 1 : "bin");
}

static int make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Copy src into the blob folder under its content hash, written whole to a
 * temporary name and renamed, so a reader sees it complete or not at all.
 * The fresh mtime keeps prune's grace period from taking a blob that a row
 * is about to name. */
int cache_blob_store(const char *root, int *root_made, const char *src, char sha_hex[65],
                     char ext[16], uint64_t *size, struct gb_err *err)
{
    char *tmp = NULL, *final = NULL;
    unsigned char *buf = NULL;
    int in = -1, out = -1, rc = GB_EIO, renamed = 0;
    struct sha256 h = {0};
    path_ext(src, ext);
    *size = 0;
    if (!*root_made && make_dir(root)) {
        GB_FAIL(err, GB_EIO, "cannot create '%s': %s", root, strerror(errno));
        goto out;
    }
    *root_made = 1;
    size_t tn = strlen(root) + 32;
    tmp = malloc(tn);
    buf = malloc(BLOB_CHUNK);
    if (!tmp || !buf || sha256_init(&h)) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, tn, "%s/.tmp-XXXXXX", root);
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        GB_FAIL(err, GB_EIO, "cannot read image '%s' for the cache: %s", src, strerror(errno));
        goto out;
    }
    out = mkstemp(tmp);
    if (out < 0) {
        GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", root, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = read(in, buf, BLOB_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            GB_FAIL(err, GB_EIO, "cannot read image '%s': %s", src, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        sha256_update(&h, buf, (size_t)n);
        *size += (uint64_t)n;
        if (fsx_write_all(out, buf, (size_t)n)) {
            GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", root, strerror(errno));
            goto out;
        }
    }
    uint8_t d[32];
    if (sha256_final(&h, d) || fsync(out)) {
        GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", root, strerror(errno));
        goto out;
    }
    sha256_hex(d, sha_hex);
    final = cache_blob_path(root, sha_hex, ext);
    char *dir = final ? fsx_dirname(final) : NULL;
    int dir_ok = dir && make_dir(dir) == 0;
    free(dir);
    if (!final || !dir_ok) {
        GB_FAIL(err, GB_EIO, "cannot create a folder in '%s': %s", root, strerror(errno));
        goto out;
    }
    /* same bytes, same name: renaming over a copy already there keeps one
     * file per content, mends a damaged one, and gives it a fresh mtime */
    if (rename(tmp, final)) {
        GB_FAIL(err, GB_EIO, "cannot write '%s': %s", final, strerror(errno));
        goto out;
    }
    renamed = 1;
    rc = 0;
out:
    sha256_free(&h);
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    if (tmp && out >= 0 && !renamed)
        unlink(tmp);
    free(tmp);
    free(final);
    free(buf);
    return rc;
}

/* Visit each blob file (<blobs>/xx/<name>), and the temporaries at the top. */
void cache_blob_walk(const char *root,
                     void (*fn)(void *ctx, const char *path, const char *name,
                                const struct stat *st),
                     void *ctx)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && strncmp(e->d_name, ".tmp-", 5))
            continue;
        char *p = fsx_join(root, e->d_name);
        struct stat st;
        if (p && lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && strlen(e->d_name) == 2) {
                DIR *sd = opendir(p);
                struct dirent *f;
                while (sd && (f = readdir(sd))) {
                    char *q = f->d_name[0] == '.' ? NULL : fsx_join(p, f->d_name);
                    struct stat fst;
                    if (q && lstat(q, &fst) == 0 && S_ISREG(fst.st_mode))
                        fn(ctx, q, f->d_name, &fst);
                    free(q);
                }
                if (sd)
                    closedir(sd);
            } else if (S_ISREG(st.st_mode)) {
                fn(ctx, p, e->d_name, &st);
            }
        }
        free(p);
    }
    closedir(d);
}
