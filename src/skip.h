/* skip.h: entries of an archive or a folder that were passed over, and why:
 * a bounded list for run.json and a count per reason for the summary.
 * Ownership: struct skips owns its list; skips_free releases it. The list
 * and counts handed out by the getters are borrowed. */
#ifndef GB_SKIP_H
#define GB_SKIP_H

#include <jansson.h>
#include <stddef.h>

/* Why an entry did not become a job. The names (skip_code_name) are the keys
 * of run.json's counts.skipped.by_reason. */
enum skip_code {
    SKIP_TYPE,        /* not media and not in the pipeline's "accept" list */
    SKIP_EMPTY,       /* no bytes */
    SKIP_UNREADABLE,  /* cannot be opened or read (permissions, I/O error) */
    SKIP_LINK,        /* a symbolic or hard link: never followed */
    SKIP_SPECIAL,     /* device, FIFO, socket */
    SKIP_ENCRYPTED,   /* an encrypted archive entry */
    SKIP_DIRECTORY,   /* an archive's folder entry: listed, never counted */
    SKIP_N
};

/* Entries listed per input; past it they are only counted. */
#define SKIPS_LIST_MAX 1000

struct skips {
    long long count[SKIP_N];
    long long unlisted;   /* passed SKIPS_LIST_MAX */
    json_t *list;         /* [{"input","entry","reason","code"}...] */
};

void skips_init(struct skips *s);
void skips_free(struct skips *s);
/* Record entry of input as skipped: reason is the human text ("symbolic link
 * (links are never followed)", "not a media type (text/plain)"). 0 or
 * GB_ENOMEM. */
int skips_add(struct skips *s, const char *input, const char *entry, enum skip_code code,
              const char *reason);
/* Close the list: a last {"entry":"...","reason":"N more ..."} when entries
 * were left out. Call once, at the end of the input. */
void skips_finish(struct skips *s);

const char *skip_code_name(enum skip_code c);
/* Entries counted (directories excluded). */
long long skips_total(const struct skips *s);
/* Add from's counts into into (the run's totals over its inputs). */
void skips_add_counts(struct skips *into, const struct skips *from);
/* {"total":N,"by_reason":{"media_type":3,"empty":1,...}} with only the
 * reasons that occurred. New reference (NULL: out of memory). */
json_t *skips_counts_json(const struct skips *s);
/* "7 entries skipped: 3 not an accepted type, 1 empty, 1 unreadable, 2 links"
 * into out (empty when nothing was skipped). Returns out. */
const char *skips_line(const struct skips *s, char *out, size_t outsz);

#endif
