/* fuzz_util.h: small helpers shared by the libFuzzer harnesses: a private
 * scratch folder made once per process, files written into it, and a loud stop
 * when a harness's own property check fails (libFuzzer records the input). */
#ifndef GB_FUZZ_UTIL_H
#define GB_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A folder under /tmp that lives as long as the process (libFuzzer never runs
 * destructors on a crash; the folder is tiny and named after the harness). */
static inline const char *fz_dir(const char *name)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/gb-fuzz-%s-XXXXXX", name);
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return dir;
}

/* Write n bytes to dir/rel (parents must exist); returns the full path (static). */
static inline const char *fz_write(const char *dir, const char *rel, const void *p, size_t n)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n)) {
        perror(path);
        abort();
    }
    close(fd);
    return path;
}

static inline void fz_mkdir(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    mkdir(path, 0755);
}

/* A broken property: say which and stop, so libFuzzer saves the input. */
#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property failed: %s: ", #cond);                                  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
