/* emu.h: the local Interactions API emulator, as a library: `gembatch emulate`
 * and `gembatch run --emulator` both start it through emu_start.
 * Ownership: emu_start returns a new struct emu; emu_stop stops its threads,
 * closes its listener and log, and frees it. */
#ifndef GB_EMU_H
#define GB_EMU_H

/* Every answer of the emulator carries this header (value "1"), so a client
 * knows answers that are synthetic wherever they come from (the driver marks
 * them, and never mixes them with real ones in one output folder). */
#define EMU_MARK_HEADER "x-gembatch-emulator"

#include <stdint.h>

#include "err.h"

struct emu_opts {
    const char *listen;          /* "127.0.0.1:0" by default */
    long latency_ms;             /* added to every answer, without blocking others */
    long jitter_ms;              /* uniform extra 0..jitter */
    long rpm;                    /* requests per minute over all clients; 0 = unlimited */
    const char *faults;          /* "429=0.1,503=0.05,reset=0.02,..." or NULL */
    const char *api_key;         /* reject other keys when set; never logged */
    uint64_t seed;               /* model determinism */
    const char *log_path;        /* JSONL request log, or NULL */
    uint64_t max_request_bytes;  /* inline request body limit */
    uint64_t max_file_bytes;     /* Files API per-file limit */
    long max_stored;             /* stored interactions kept (oldest evicted) */
    long background_polls;       /* GETs before a background interaction completes */
    long file_processing_ms;     /* PROCESSING before ACTIVE (video: longer) */
    int quiet;                   /* no notices on stderr */
    long slow_ms;                /* how long the `slow` fault stalls a response */
    long threads;                /* HTTP worker threads; 0 = one per CPU */
    long hop_tokens;             /* G3: output tokens per request before requires_continuation; 0 = none */
    long flex_latency_ms;        /* service_tier flex: added to every flex answer */
    long flex_jitter_ms;         /* plus a uniform 0..jitter more */
    long priority_rpm;           /* service_tier priority served as priority up to N a minute; 0 = no limit */
    long batch_time_ms;          /* Batch API: PENDING for half of it, then RUNNING, then done */
    uint64_t max_spool_bytes;    /* the temp folder's quota (kept JSONL uploads, batch results) */
};

struct emu;

void emu_opts_default(struct emu_opts *o);
/* Start serving. On success the listener already accepts connections. */
int emu_start(const struct emu_opts *o, struct emu **out, struct gb_err *err);
/* "http://127.0.0.1:40123" (no trailing slash), owned by emu. */
const char *emu_base_url(const struct emu *e);
void emu_stop(struct emu *e);
/* Requests received so far (any route, any outcome). */
unsigned long long emu_request_count(const struct emu *e);

#endif
