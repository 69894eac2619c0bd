/* merge_index.c: merge's id index: for every id kept, which folder and file
 * it came from, in a digest map (src/util/hash64.c), so memory grows with the
 * number of ids, not with the files. Also the id of a results or errors line,
 * the id a manifest line gets, and the --manifest files read through
 * manifest.c and checked against the index. Writes nothing; calls no merge.c. */
#include "merge_index.h"
#include "archive.h"
#include "fsx.h"
#include "jsonx.h"
#include "log.h"
#include "manifest.h"
#include "merge.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HEAD = 512 };

/* ---- ids ------------------------------------------------------------------------ */

int merge_line_id(const char *line, size_t len, char **id)
{
    static const char pre[] = "{\"id\":\"";
    const size_t np = sizeof pre - 1;
    *id = NULL;
    if (len > np && !memcmp(line, pre, np)) {
        size_t i = np;
        int esc = 0;
        while (i < len && line[i] != '"') {
            if (line[i] == '\\') {
                esc = 1;
                i++;
            }
            i++;
        }
        if (i < len && !esc && !memchr(line + np, '\0', i - np)) {
            *id = strndup(line + np, i - np);
            return *id ? 0 : -1;
        }
        if (i < len) {
            json_t *s = json_loadb(line + np - 1, i - np + 2, JSON_DECODE_ANY, NULL);
            if (json_is_string(s))
                *id = strdup(json_string_value(s));
            json_decref(s);
            if (*id)
                return 0;
        }
    }
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *s = o ? jx_str(o, "id") : NULL;
    if (s)
        *id = strdup(s);
    json_decref(o);
    return *id ? 0 : -1;
}

char *merge_manifest_id(const char *line, size_t len, long lineno)
{
    char def[32], num[32];
    snprintf(def, sizeof def, "line-%ld", lineno);
    const char *id = def;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    json_t *v = json_is_object(o) ? json_object_get(o, "id") : NULL;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (n && n <= 1024 && n == json_string_length(v))
            id = s;
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        id = num;
    }
    char *r = strdup(id);
    json_decref(o);
    return r;
}
/* ---- the index ------------------------------------------------------------------ */

uint64_t midx_digest(const char *id)
{
    return hash64(id, strlen(id), 0);
}

int midx_find(const struct merge_index *x, uint64_t d, int *folder, enum midx_file *file)
{
    uint32_t v = dmap_get(&x->map, d);
    if (!v)
        return 0;
    *folder = (int)((v - 1) >> 1);
    *file = (v - 1) & 1 ? MIDX_ERRORS : MIDX_RESULTS;
    return 1;
}

int midx_keep(struct merge_index *x, uint64_t d, int folder, enum midx_file file)
{
    return dmap_put(&x->map, d, 1 + 2 * (uint32_t)folder + (uint32_t)file);
}

void midx_free(struct merge_index *x)
{
    dmap_free(&x->map);
}

/* ---- manifests ------------------------------------------------------------------ */

static size_t read_head(int fd, unsigned char *head, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t got = read(fd, head + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    return n;
}

/* Before anything is written: each --manifest is a readable JSONL file. */
int midx_precheck_manifests(const char *const *paths, int n, struct gb_err *err)
{
    for (int i = 0; i < n; i++) {
        const char *p = paths[i];
        struct stat st;
        if (!strcmp(p, "-"))
            continue;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return GB_FAIL(err, GB_EINVAL, "cannot read --manifest '%s': %s", p, strerror(errno));
        unsigned char head[HEAD];
        int dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
        int arc = !dir && arc_detect(head, read_head(fd, head, sizeof head));
        close(fd);
        if (dir)
            return GB_FAIL(err, GB_EINVAL, "--manifest '%s' is a folder; give the JSONL manifests "
                                           "the shards ran", p);
        if (arc)
            return GB_FAIL(err, GB_EUNSUPPORTED, "--manifest '%s' is an archive; give the JSONL "
                                                 "manifests of the run (archives are not checked "
                                                 "yet)", p);
    }
    return 0;
}

/* Every manifest id that is in no folder's results or errors is missing. */
static int check_manifest(const struct merge_index *x, const char *path, struct dset *mids,
                          struct midx_check *c, struct gb_err *err)
{
    struct man_reader r;
    unsigned char head[HEAD];
    int is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return GB_FAIL(err, GB_EINVAL, "cannot read --manifest '%s': %s", path, strerror(errno));
    size_t n = read_head(fd, head, sizeof head);
    if (arc_detect(head, n)) {
        if (!is_stdin)
            close(fd);
        return GB_FAIL(err, GB_EUNSUPPORTED, "--manifest '%s' is an archive; give the JSONL "
                                             "manifests of the run (archives are not checked "
                                             "yet)", path);
    }
    char *dir = is_stdin ? strdup(".") : fsx_dirname(path);
    if (!dir) {
        if (!is_stdin)
            close(fd);
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    /* the reader owns fd from here on, failed or not */
    int rc = man_open_fd(fd, !is_stdin, is_stdin ? "<stdin>" : path, dir, head, n, 0, &r, err);
    free(dir);
    if (rc)
        return rc;
    for (;;) {
        const char *line;
        size_t len;
        long no;
        rc = man_next(&r, &line, &len, &no, err);
        if (rc == 0 || (rc < 0 && rc != GB_ELIMIT))
            break;
        char lbuf[32];
        snprintf(lbuf, sizeof lbuf, "line-%ld", no);
        char *id = rc == 1 ? merge_manifest_id(line, len, no) : strdup(lbuf);
        if (!id) {
            rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
            break;
        }
        uint64_t d = midx_digest(id);
        rc = dset_add(mids, d);
        if (rc == 1 && !dmap_get(&x->map, d)) {
            if (++c->missing <= c->list_max)
                log_error("%s:%ld: id '%.200s' is in no folder (neither in results.jsonl nor "
                          "in errors.jsonl)", r.name, no, id);
            if (json_array_size(c->list) < MERGE_LIST_JSON_MAX)
                json_array_append_new(c->list, json_string(id));
        }
        free(id);
        if (rc < 0) {
            rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
            break;
        }
    }
    man_close(&r);
    return rc < 0 ? rc : 0;
}

int midx_check_manifests(const struct merge_index *x, const char *const *paths, int n,
                         struct midx_check *c, struct gb_err *err)
{
    struct dset mids;
    dset_init(&mids);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = check_manifest(x, paths[i], &mids, c, err);
    for (size_t i = 0; !rc && i < x->map.cap; i++)
        if (x->map.v[i] && !dset_has(&mids, x->map.d[i]))
            c->outside++;
    dset_free(&mids);
    return rc;
}
