/* journal.h: resume. Reads what an earlier run left in OUTDIR: the set of
 * ids already done (64-bit digests, not lines), torn last lines (dropped),
 * attempts that were sent and never answered (in doubt: maybe billed), and
 * the interaction ids of background jobs already started (polled again, not
 * paid for twice). Also writes the attempt journal's events.
 * Ownership: struct resume owns its sets, map and prev_run reference;
 * jrn_free releases them. */
#ifndef GB_JOURNAL_H
#define GB_JOURNAL_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "hash64.h"

struct sink;

struct iid_map {                 /* id digest -> interaction id */
    struct iid_slot {
        uint64_t d;
        char *iid;
    } *v;
    size_t cap, n;
};

struct resume {
    struct dset done;            /* ids with a line in results.jsonl */
    struct dset failed;          /* ids in errors.jsonl that are not done */
    long long failed_prev;       /* their count */
    long long torn;              /* torn last lines dropped */
    long long in_doubt_prev;     /* sent, never answered, not done: maybe billed */
    long long restarted_prev;    /* answered at least once, no result or error line */
    long long answered_prev;     /* their answered requests: paid, and to be paid again */
    struct iid_map iids;         /* background interactions started, not finished */
    json_t *prev_run;            /* previous run.json, or NULL */
    int had_outputs;             /* results/errors/journal existed and were not empty */
    long long synthetic_lines;   /* result lines the emulator answered (marked so) */
    long long results_lines;     /* whole result lines */
    /* what the journal says the run that wrote it did (for run.json's totals
     * when that run stopped before writing them) */
    char journal_run[24];        /* its run id ("" for journals of older versions) */
    long long journal_sends;     /* requests it sent */
    long long journal_tok[4];    /* tokens billed to it: input, output, total, thought */
    double journal_usd;          /* what they cost (the known part) */
    long long journal_unpriced;  /* answered requests whose cost was unknown */
    /* Damaged lines in the middle of a file (cut short, garbage, a result
     * without its status): reported on stderr with their line numbers by
     * jrn_scan. A damaged result never marks its id done: the job runs again. */
    long long damaged_results;
    long long damaged_errors;    /* not JSON with an id: not counted as failed */
    long long damaged_journal;   /* not a journal event: ignored */
};

/* Scan OUTDIR (files may be missing). Truncates torn tails in place. Damaged
 * lines are counted in r and reported on stderr (the first ten per file with
 * their line numbers). */
int jrn_scan(const char *dir, struct resume *r, struct gb_err *err);
void jrn_free(struct resume *r);

/* 1 when a whole result line carries gembatch's mark of an emulator answer
 * (its own "synthetic":true just before "finished_at", not text inside it). */
int jrn_marked_synthetic(const char *line, size_t len);

/* A results.jsonl line: 1 when it is a whole result (JSON, a non-empty
 * string "id", "status" "completed" or "requires_action"), with *digest
 * set. 0 when it is damaged, *why saying how; *has_id then tells whether an
 * id could still be read from it (into *digest, and id[0..idsz) when idsz). */
int jrn_result_line(const char *line, size_t len, uint64_t *digest, int *has_id, char *id,
                    size_t idsz, const char **why);

/* The digest of the "id" of a results/errors line (fast path for lines we
 * wrote, which start with {"id":"). 0 on success, -1 if the line has no id. */
int jrn_line_id(const char *line, size_t len, uint64_t *digest);

const char *iid_get(const struct iid_map *m, uint64_t d);
int iid_put(struct iid_map *m, uint64_t d, const char *iid);
void iid_del(struct iid_map *m, uint64_t d);

/* Start this run's journal: truncate it and carry over unresolved iids. */
/* Start this run's journal: emptied, then its run id, then the background
 * interactions still running (carried over). */
int jrn_begin(struct sink *s, const struct resume *r, const char *run_id);
/* The tokens one answered request billed. */
int jrn_usage(struct sink *s, const char *id_json, long long in, long long out, long long total,
              long long thought, double usd);

/* Journal events. id_json is the id as a JSON string literal (with quotes). */
int jrn_send(struct sink *s, const char *id_json, int attempt, const char *what);
int jrn_answer(struct sink *s, const char *id_json, long http);
int jrn_iid(struct sink *s, const char *id_json, const char *iid);
int jrn_interrupted(struct sink *s, const char *id_json);
int jrn_iid_done(struct sink *s, const char *id_json);

/* Rewrite errors.jsonl keeping the latest line per id and dropping ids in
 * done (so it holds one line per job that failed for good). */
int jrn_compact_errors(const char *dir, const struct dset *done, long long *kept, long long *kept_dups,
                       struct gb_err *err);

/* 1 when an errors.jsonl line reports a duplicate id (error status
 * DUPLICATE_ID): not a failure of the job, so never retried on resume, and
 * kept by the compaction even once the id completes. */
int jrn_is_duplicate_line(const char *line, size_t len);

#endif
