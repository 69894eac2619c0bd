/* merge_images.c: a kept result's images, brought from its shard into the
 * merge's staging folder: hard links when the folders share a file system
 * (images are never rewritten in place), copies otherwise. Never follows a
 * link and never writes outside the staging folder. Calls only util (fsx, log,
 * jsonx). */
#include "merge_images.h"
#include "fsx.h"
#include "jsonx.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CHUNK = 65536 };

int mimg_init(struct merge_images *mi, int copy)
{
    memset(mi, 0, sizeof *mi);
    mi->copy = copy;
    mi->buf = malloc(CHUNK);
    return mi->buf ? 0 : GB_ENOMEM;
}

void mimg_free(struct merge_images *mi)
{
    free(mi->buf);
    mi->buf = NULL;
}

/* Copy sdir/name to ddir/name: the source opened without following a link,
 * the copy created new (O_EXCL) with the source's mode bits, so never wider
 * than the source's (and the umask may narrow it). */
static int copy_file(struct merge_images *mi, int sdir, int ddir, const char *name, mode_t mode)
{
    int in = fsx_open_at(sdir, name, O_RDONLY, 0), out = -1, rc = GB_EIO;
    if (in < 0)
        goto out;
    out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0666);
    if (out < 0)
        goto out;
    for (;;) {
        ssize_t n = read(in, mi->buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        if (fsx_write_all(out, mi->buf, (size_t)n))
            goto out;
    }
    rc = fsync(out) ? GB_EIO : 0;
out:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) && !rc)
        rc = GB_EIO;
    return rc;
}

/* A hard link of sdir/name as ddir/name, only when it still is the regular
 * file st describes (linkat never follows a link, but a file swapped for one
 * after fstatat would be linked as a link: checked, and undone). 0 linked,
 * 1 not possible here (copy instead), <0 an error (errno). */
static int link_file(struct merge_images *mi, int sdir, int ddir, const char *name,
                     const struct stat *st)
{
    if (mi->no_link || mi->copy)
        return 1;
    if (linkat(sdir, name, ddir, name, 0)) {
        if (errno == EXDEV) {
            mi->no_link = 1; /* another file system: every link would fail */
            return 1;
        }
        return errno == EPERM || errno == EMLINK || errno == ENOTSUP || errno == EACCES ? 1 : -1;
    }
    struct stat got;
    if (fstatat(ddir, name, &got, AT_SYMLINK_NOFOLLOW) || !S_ISREG(got.st_mode) ||
        got.st_ino != st->st_ino || got.st_dev != st->st_dev) {
        unlinkat(ddir, name, 0);
        errno = ELOOP;
        return -1;
    }
    return 0;
}

/* The images folder names a result line points to ("files":
 * ["images/<name>/0.png", ...]): one name, as written by whichever version
 * of gembatch made the shard, or NULL. New string. */
static char *folder_of(const char *line, size_t len)
{
    if (!memmem(line, len, "\"files\"", 7))
        return NULL;
    json_t *o = json_loadb(line, len, 0, NULL), *f;
    size_t i;
    char *name = NULL;
    json_array_foreach (jx_arr(o, "files"), i, f) {
        const char *p = json_string_value(f), *slash;
        if (!p || strncmp(p, "images/", 7) || !(slash = strchr(p + 7, '/')) || slash == p + 7)
            continue;
        size_t n = (size_t)(slash - (p + 7));
        if (p[7] == '.' || memchr(p + 7, '\\', n))
            continue; /* never "..", never hidden: not a folder a run makes */
        name = strndup(p + 7, n);
        break;
    }
    json_decref(o);
    return name;
}

/* Bring images/<name>/ of the shard that holds the kept result: the
 * result's "files" paths name that folder (so shards written before the
 * folder naming changed still work), and they stay valid. Hard links when
 * the folders share a file system (images are never rewritten in place),
 * copies otherwise. Links are never followed: images/, the folder and each
 * entry must be the real thing, or they are left out with a warning. */
int mimg_bring(struct merge_images *mi, const char *shard_dir, const char *line, size_t len,
               struct gb_err *err)
{
    char *name = folder_of(line, len), *rel = NULL;
    int sroot = -1, simg = -1, sdir = -1, dimg = -1, ddir = -1, rc = 0;
    DIR *d = NULL;
    if (!name)
        return 0; /* no images for this id */
    if (!(rel = malloc(strlen(shard_dir) + strlen(name) + 16))) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    sprintf(rel, "%s/images/%s", shard_dir, name);
    sroot = open(shard_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    simg = sroot >= 0 ? fsx_dir_at(sroot, "images", 0, 0) : -1;
    sdir = simg >= 0 ? fsx_dir_at(simg, name, 0, 0) : -1;
    if (sdir < 0) {
        if (errno == ELOOP || errno == ENOTDIR) {
            mi->problems++; /* its result names files the merged folder lacks */
            log_warn("'%s' (or its images folder) is a symbolic link or not a folder; not "
                     "followed, its images were left out", rel);
        }
        goto out;
    }
    int dup_fd = dup(sdir);
    d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        /* dot files and "x.png.tmp-XXXXXX" are a writer's temporaries */
        if (de->d_name[0] == '.' || strstr(de->d_name, ".tmp-"))
            continue;
        if (fstatat(sdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
            continue;
        if (!S_ISREG(st.st_mode)) {
            if (S_ISLNK(st.st_mode)) {
                mi->problems++;
                log_warn("'%s/%s' is a symbolic link; not followed, left out", rel, de->d_name);
            }
            continue;
        }
        if (ddir < 0) {
            dimg = dimg >= 0 ? dimg : open(mi->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            ddir = dimg >= 0 ? fsx_dir_at(dimg, name, 1, 0777) : -1;
            if (ddir < 0) {
                rc = GB_FAIL(err, GB_EIO, "cannot create '%s/%s': %s", mi->stage, name,
                             strerror(errno));
                break;
            }
        }
        int lr = link_file(mi, sdir, ddir, de->d_name, &st);
        if (lr == 0) {
            mi->linked++;
            continue;
        }
        if (lr < 0) {
            rc = GB_FAIL(err, GB_EIO, "cannot link '%s/%s': %s", rel, de->d_name,
                         strerror(errno));
            break;
        }
        if (copy_file(mi, sdir, ddir, de->d_name, st.st_mode)) {
            rc = GB_FAIL(err, GB_EIO, "cannot copy '%s/%s': %s", rel, de->d_name,
                         strerror(errno));
            break;
        }
        mi->copied++;
    }
out:
    if (d)
        closedir(d);
    for (int *fd = (int[]){sroot, simg, sdir, dimg, ddir}, k = 0; k < 5; k++)
        if (fd[k] >= 0)
            close(fd[k]);
    free(rel);
    free(name);
    return rc;
}
