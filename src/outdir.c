/* outdir.c: the output folder's name for scheduled runs: strftime patterns
 * in -o (local time, once per run) and the `latest` symlink beside the dated
 * folders. Touches only the link; the folder itself is the sink's. */
#include "outdir.h"
#include "fsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OUTDIR_MAX = 4096 };

int outdir_expand(const char *pattern, time_t t, char **out, struct gb_err *err)
{
    *out = NULL;
    if (!strchr(pattern, '%')) {
        *out = strdup(pattern);
        return *out ? 0 : GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return GB_FAIL(err, GB_EINVAL, "cannot read the local time for -o '%s'", pattern);
    char *buf = malloc(OUTDIR_MAX + 1);
    if (!buf)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    /* strftime returns 0 both for an empty result and for one that does not
     * fit: either way the pattern cannot name a folder */
    size_t n = strftime(buf, OUTDIR_MAX + 1, pattern, &tm);
    if (n == 0) {
        free(buf);
        return GB_FAIL(err, GB_EINVAL,
                       "-o '%s' expands to nothing or to more than %d bytes; give a folder "
                       "pattern such as out/%%Y-%%m-%%d",
                       pattern, OUTDIR_MAX);
    }
    *out = buf;
    return 0;
}

int outdir_latest_place(const char *pattern, const char *dir, char **link_dir, char **target,
                        struct gb_err *err)
{
    *link_dir = *target = NULL;
    const char *pct = strchr(pattern, '%');
    size_t fixed = 0; /* bytes of the pattern before its first dated component */
    if (pct) {
        while (pct > pattern && pct[-1] != '/')
            pct--;
        fixed = (size_t)(pct - pattern);
        if (strncmp(dir, pattern, fixed))
            return GB_FAIL(err, GB_EINVAL, "'%s' does not start with '%.*s'", dir, (int)fixed,
                           pattern);
        *link_dir = fixed ? strndup(pattern, fixed) : strdup(".");
        *target = strdup(dir + fixed);
    } else {
        *link_dir = fsx_dirname(dir);
        *target = strdup(fsx_basename(dir));
    }
    if (!*link_dir || !*target) {
        free(*link_dir);
        free(*target);
        *link_dir = *target = NULL;
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    /* trailing slashes name the same folder */
    size_t tl = strlen(*target);
    while (tl > 1 && (*target)[tl - 1] == '/')
        (*target)[--tl] = '\0';
    if (!**target || !strcmp(*target, "latest") || !strcmp(*target, ".") ||
        !strcmp(*target, "..") || !strcmp(*target, "/")) {
        GB_FAIL(err, GB_EINVAL,
                "--link-latest: the output folder '%s' cannot have a 'latest' link beside it; "
                "give -o a dated folder such as out/%%Y-%%m-%%d",
                dir);
        free(*link_dir);
        free(*target);
        *link_dir = *target = NULL;
        return GB_EINVAL;
    }
    return 0;
}

int outdir_link_latest(const char *pattern, const char *dir, struct gb_err *err)
{
    char *ldir = NULL, *target = NULL, *link = NULL, *tmp = NULL;
    int rc = outdir_latest_place(pattern, dir, &ldir, &target, err);
    if (rc)
        return rc;
    link = fsx_join(ldir, "latest");
    char name[48], rnd[17];
    fsx_random_hex(rnd, 16);
    snprintf(name, sizeof name, ".latest.tmp-%s", rnd);
    tmp = fsx_join(ldir, name);
    rc = GB_ENOMEM;
    if (!link || !tmp) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    struct stat st;
    if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
        rc = GB_FAIL(err, GB_EINVAL,
                     "--link-latest: '%s' exists and is not a symlink; move it away", link);
        goto out;
    }
    if (symlink(target, tmp)) {
        rc = GB_FAIL(err, GB_EIO, "--link-latest: cannot make a link in '%s': %s", ldir,
                     strerror(errno));
        goto out;
    }
    if (rename(tmp, link)) {
        rc = GB_FAIL(err, GB_EIO, "--link-latest: cannot replace '%s': %s", link,
                     strerror(errno));
        unlink(tmp);
        goto out;
    }
    fsx_fsync_dir(ldir);
    rc = 0;
out:
    free(tmp);
    free(link);
    free(target);
    free(ldir);
    return rc;
}
