/* skip.c: the record of entries (archive or folder) that were passed over:
 * one reason code each, a bounded list with the human reason for run.json,
 * and counts per code for the summary. Knows nothing of how entries are
 * read. */
#include "skip.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;  /* key in run.json */
    const char *one;   /* summary wording, one entry */
    const char *many;  /* several */
} codes[SKIP_N] = {
    [SKIP_TYPE] = {"media_type", "not an accepted type", "not an accepted type"},
    [SKIP_EMPTY] = {"empty", "empty", "empty"},
    [SKIP_UNREADABLE] = {"unreadable", "unreadable", "unreadable"},
    [SKIP_LINK] = {"link", "link", "links"},
    [SKIP_SPECIAL] = {"special", "device or FIFO", "devices or FIFOs"},
    [SKIP_ENCRYPTED] = {"encrypted", "encrypted", "encrypted"},
    [SKIP_DIRECTORY] = {"directory", "directory", "directories"},
};

void skips_init(struct skips *s)
{
    memset(s, 0, sizeof *s);
    s->list = json_array();
}

void skips_free(struct skips *s)
{
    if (!s)
        return;
    json_decref(s->list);
    memset(s, 0, sizeof *s);
}

const char *skip_code_name(enum skip_code c)
{
    return c < SKIP_N ? codes[c].name : "unknown";
}

int skips_add(struct skips *s, const char *input, const char *entry, enum skip_code code,
              const char *reason)
{
    if (code >= SKIP_N)
        code = SKIP_TYPE;
    s->count[code]++;
    if (!s->list)
        return GB_ENOMEM;
    if (json_array_size(s->list) >= SKIPS_LIST_MAX) {
        s->unlisted++;
        return 0;
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "input", input ? input : "", "entry",
                          entry ? entry : "", "reason", reason ? reason : codes[code].one,
                          "code", codes[code].name);
    return o && !json_array_append_new(s->list, o) ? 0 : GB_ENOMEM;
}

void skips_finish(struct skips *s)
{
    if (!s->unlisted || !s->list)
        return;
    char m[96];
    snprintf(m, sizeof m, "%lld more skipped entries are not listed", s->unlisted);
    json_array_append_new(s->list, json_pack("{s:s,s:s}", "entry", "...", "reason", m));
    s->unlisted = 0;
}

long long skips_total(const struct skips *s)
{
    long long n = 0;
    for (int i = 0; i < SKIP_N; i++)
        if (i != SKIP_DIRECTORY)
            n += s->count[i];
    return n;
}

void skips_add_counts(struct skips *into, const struct skips *from)
{
    for (int i = 0; from && i < SKIP_N; i++)
        into->count[i] += from->count[i];
}

json_t *skips_counts_json(const struct skips *s)
{
    json_t *by = json_object();
    for (int i = 0; by && i < SKIP_N; i++)
        if (i != SKIP_DIRECTORY && s->count[i])
            json_object_set_new(by, codes[i].name, json_integer(s->count[i]));
    return by ? json_pack("{s:I,s:o}", "total", (json_int_t)skips_total(s), "by_reason", by)
              : NULL;
}

const char *skips_line(const struct skips *s, char *out, size_t outsz)
{
    long long total = skips_total(s);
    size_t k = 0;
    out[0] = '\0';
    if (!total || !outsz)
        return out;
    k += (size_t)snprintf(out, outsz, "%lld entr%s skipped:", total, total == 1 ? "y" : "ies");
    const char *sep = " ";
    for (int i = 0; i < SKIP_N && k < outsz; i++) {
        if (i == SKIP_DIRECTORY || !s->count[i])
            continue;
        k += (size_t)snprintf(out + k, outsz - k, "%s%lld %s", sep, s->count[i],
                              s->count[i] == 1 ? codes[i].one : codes[i].many);
        sep = ", ";
    }
    return out;
}
