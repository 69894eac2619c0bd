/* response.h: what comes back: an Interaction in either dialect (G1 outputs[]
 * or G3 steps[], either thinking-token name) read into one shape, or the
 * service's error envelope with its RetryInfo.
 * Ownership: struct interaction owns doc and outputs; interaction_free
 * releases them. Strings in it point into doc. */
#ifndef GB_RESPONSE_H
#define GB_RESPONSE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Token counts of one answer (or a sum of answers: usage_add). The totals are
 * the service's; the *_by arrays are its per-modality breakdowns
 * (input_tokens_by_modality, ...), zero where it sent none, so a breakdown
 * may sum to less than its total: the rest is text (prices.c relies on it). */
enum usage_modality {
    USAGE_TEXT, USAGE_IMAGE, USAGE_AUDIO, USAGE_VIDEO, USAGE_DOCUMENT, USAGE_NMOD
};

struct usage {
    long long input, output, total, thought, cached, tool;
    long long initial_input; /* G3: input of the first turn; 0 when absent */
    long long input_by[USAGE_NMOD], output_by[USAGE_NMOD], cached_by[USAGE_NMOD],
        tool_by[USAGE_NMOD];
};

/* An Interactions usage object (either dialect: total_thought_tokens or
 * total_reasoning_tokens; the *_by_modality arrays) into out; what is absent
 * or not a count is 0. Also reads a results line's "usage". */
void resp_usage_from_json(const json_t *u, struct usage *out);
/* acc += u, field by field (continuation hops, tool turns: each is billed). */
void usage_add(struct usage *acc, const struct usage *u);
/* "text", "image", ... for a modality; usage_modality_of is its inverse
 * (case-insensitive, -1 for a name it does not know). */
const char *usage_modality_name(enum usage_modality m);
int usage_modality_of(const char *name);

struct interaction {
    json_t *doc;
    const char *id;
    const char *status;     /* completed, in_progress, requires_action, failed, cancelled, ... */
    const char *model;      /* model or agent */
    json_t *outputs;        /* new array of content items (G3 steps flattened) */
    const char *service_tier; /* the Interaction's service_tier as sent, or NULL */
    struct usage usage;
    int has_usage;
};

/* 0, or GB_EINVAL when the body is not an Interaction (truncated JSON, wrong
 * shape): the caller retries such a 200. */
int resp_parse_interaction(const char *body, size_t len, struct interaction *out,
                           struct gb_err *err);
/* Same, from an already-parsed object (takes a reference). */
int resp_from_json(json_t *doc, struct interaction *out, struct gb_err *err);
void interaction_free(struct interaction *it);

/* 1 for completed/failed/cancelled/incomplete/budget_exceeded; 0 otherwise. */
int resp_status_terminal(const char *status);

/* All text items of outputs joined, new string ("" when none). */
char *resp_text(const json_t *outputs);

struct api_error {
    long code;              /* from the envelope, else the HTTP status */
    char status[64];        /* "RESOURCE_EXHAUSTED" ... or "" */
    char message[1024];
    long retry_delay_ms;    /* google.rpc.RetryInfo retryDelay, -1 if absent */
    char reason[64];        /* google.rpc.ErrorInfo reason ("API_KEY_INVALID"), or "" */
};

/* The key was refused, whatever the HTTP status (Gemini answers a bad key
 * with 400 INVALID_ARGUMENT and reason API_KEY_INVALID). */
int resp_auth_refused(const struct api_error *e, long http);

/* Read the error envelope; never fails (falls back to the HTTP status and the
 * start of the body). */
void resp_parse_error(const char *body, size_t len, long http, struct api_error *out);

/* "1.5s" / "30s" / "100ms" style durations -> ms, -1 if malformed. */
long resp_duration_ms(const char *s);

/* Canonical google.rpc status name for an HTTP status. */
const char *resp_status_name(long http);

#endif
