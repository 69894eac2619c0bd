/* fuzz_journal.c: what resume reads from an output folder (jrn_scan over
 * results.jsonl, errors.jsonl and journal.jsonl; torn tails, foreign lines,
 * send/ans/iid/iid-done events in any order), then errors.jsonl's compaction.
 * The input is the three files separated by 0xff bytes. Properties: a scan
 * leaves each file empty or ending in a newline; the map of interactions to
 * poll again gives every string one owner; after compaction errors.jsonl has
 * each id at most once and none that is done. */
#include <stdint.h>

#include "fuzz_util.h"
#include "hash64.h"
#include "journal.h"

static const char *dir_;

static void ends_whole(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir_, name);
    int fd = open(path, O_RDONLY);
    FZ_CHECK(fd >= 0, "%s vanished", name);
    off_t n = lseek(fd, 0, SEEK_END);
    char last = '\n';
    if (n > 0)
        FZ_CHECK(pread(fd, &last, 1, n - 1) == 1, "cannot read %s", name);
    close(fd);
    FZ_CHECK(last == '\n', "%s keeps a torn last line", name);
}

static int check_errors(const struct dset *done)
{
    char path[512];
    snprintf(path, sizeof path, "%s/errors.jsonl", dir_);
    FILE *f = fopen(path, "r");
    FZ_CHECK(f != NULL, "errors.jsonl vanished");
    struct dset seen;
    dset_init(&seen);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        uint64_t d;
        FZ_CHECK(jrn_line_id(line, (size_t)(n - 1), &d) == 0, "kept a line without an id");
        FZ_CHECK(!dset_has(done, d), "kept the error line of a done id");
        FZ_CHECK(dset_add(&seen, d) == 1, "kept two error lines of one id");
    }
    free(line);
    fclose(f);
    dset_free(&seen);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    dir_ = fz_dir("journal");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[3] = {"results.jsonl", "errors.jsonl", "journal.jsonl"};
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= size && k < 3; i++) {
        if (i == size || (data[i] == 0xff && k < 2)) {
            fz_write(dir_, names[k++], data + start, i - start);
            start = i + 1;
        }
    }
    while (k < 3)
        fz_write(dir_, names[k++], "", 0);
    char run[512];
    snprintf(run, sizeof run, "%s/run.json", dir_);
    unlink(run);
    struct resume r;
    struct gb_err err = {0};
    if (jrn_scan(dir_, &r, &err) == 0) {
        for (int i = 0; i < 3; i++)
            ends_whole(names[i]);
        for (size_t i = 0; i < r.iids.cap; i++) {
            if (!r.iids.v[i].d) {
                FZ_CHECK(r.iids.v[i].iid == NULL, "an empty slot holds a string");
                continue;
            }
            FZ_CHECK(r.iids.v[i].iid != NULL, "a slot without its string");
            for (size_t j = i + 1; j < r.iids.cap; j++)
                FZ_CHECK(r.iids.v[j].iid != r.iids.v[i].iid, "two slots own one string");
        }
        long long kept = 0;
        struct gb_err e2 = {0};
        if (jrn_compact_errors(dir_, &r.done, &kept, &e2) == 0)
            check_errors(&r.done);
    } else {
        FZ_CHECK(err.msg[0] != '\0', "a failed scan without a message");
    }
    jrn_free(&r);
    return 0;
}
