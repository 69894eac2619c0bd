/* fuzz_imgstream.c: a hostile body (JSON or SSE) fed to imgstream whole and
 * again in pieces of a fuzzed size, each run spooling into its own folder.
 * Properties: splitting never changes the kept body, the items or their
 * decoded bytes; a body with nothing spooled passes through byte for byte;
 * imgs_free leaves no file behind. */
#include <dirent.h>
#include <stdint.h>

#include "buf.h"
#include "fuzz_util.h"
#include "imgstream.h"

struct run {
    struct imgstream s;
    struct buf out;
    int dfd, rc;
};

static void run(struct run *r, const char *dir, int sse, const char *text, size_t n,
                size_t piece)
{
    r->dfd = open(dir, O_RDONLY | O_DIRECTORY);
    FZ_CHECK(r->dfd >= 0, "cannot open %s", dir);
    imgs_init(&r->s, sse ? IMGS_SSE : IMGS_JSON, r->dfd, 16, 8);
    memcpy(r->s.nonce, "fuzzfuzzfuzzfuzz", 16); /* the same placeholders in both runs */
    buf_init(&r->out, 1 << 20);
    r->rc = 0;
    for (size_t i = 0; i < n && !r->rc; i += piece)
        r->rc = imgs_feed(&r->s, text + i, n - i < piece ? n - i : piece, &r->out);
    if (!r->rc)
        r->rc = imgs_finish(&r->s, &r->out);
}

static size_t slurp(int dfd, const char *name, unsigned char *b, size_t cap)
{
    int fd = openat(dfd, name, O_RDONLY);
    FZ_CHECK(fd >= 0, "item file %s missing", name);
    ssize_t n = read(fd, b, cap);
    close(fd);
    return n > 0 ? (size_t)n : 0;
}

static int empty_dir(int dfd)
{
    DIR *d = fdopendir(dup(dfd));
    struct dirent *de;
    int files = 0;
    while (d && (de = readdir(d)))
        files += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return files == 0;
}

static void done(struct run *r)
{
    imgs_free(&r->s);
    FZ_CHECK(empty_dir(r->dfd), "imgs_free left spool files");
    buf_free(&r->out);
    close(r->dfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int sse = data[0] & 1;
    size_t piece = 1 + (data[0] >> 1) % 13;
    const char *base = fz_dir("imgstream");
    char d1[300], d2[300];
    snprintf(d1, sizeof d1, "%s/a", base);
    snprintf(d2, sizeof d2, "%s/b", base);
    mkdir(d1, 0700);
    mkdir(d2, 0700);
    char *text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    struct run w, p;
    run(&w, d1, sse, text, size - 1, size);
    run(&p, d2, sse, text, size - 1, piece);
    FZ_CHECK(w.rc == p.rc, "whole returned %d, pieces of %zu returned %d", w.rc, piece, p.rc);
    if (w.rc == 0) {
        int same = w.out.len == p.out.len &&
                   (!w.out.len || !memcmp(w.out.data, p.out.data, w.out.len));
        FZ_CHECK(same, "the kept bodies differ (pieces of %zu)", piece);
        FZ_CHECK(w.s.n == p.s.n, "%zu items whole, %zu in pieces", w.s.n, p.s.n);
        for (size_t i = 0; i < w.s.n; i++) {
            FZ_CHECK(w.s.items[i].bad == p.s.items[i].bad, "item %zu bad differs", i);
            FZ_CHECK(w.s.items[i].bytes == p.s.items[i].bytes, "item %zu size differs", i);
            if (!w.s.items[i].bad) {
                static unsigned char a[1 << 16], b[1 << 16];
                size_t na = slurp(w.dfd, w.s.items[i].spool, a, sizeof a);
                size_t nb = slurp(p.dfd, p.s.items[i].spool, b, sizeof b);
                FZ_CHECK(na == nb && !memcmp(a, b, na), "item %zu bytes differ", i);
                FZ_CHECK(na == w.s.items[i].bytes || na == sizeof a, "item %zu size", i);
            }
        }
        if (w.s.n == 0)
            FZ_CHECK(w.out.len == size - 1 &&
                         (!w.out.len || !memcmp(w.out.data, text, w.out.len)),
                     "nothing spooled, yet the body changed");
    }
    done(&w);
    done(&p);
    free(text);
    return 0;
}
