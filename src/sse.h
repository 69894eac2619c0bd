/* sse.h: an incremental Server-Sent Events parser (the WHATWG framing: data,
 * event, id and comment lines; \n, \r\n or \r line ends; an event ends at a
 * blank line) and the assembler that turns an Interactions stream in either
 * dialect (G1 content.* or G3 step.* events) back into one Interaction.
 * Ownership: struct sse owns its buffers; struct sse_asm owns the JSON it
 * builds. Event data handed to the callback is borrowed for the call. */
#ifndef GB_SSE_H
#define GB_SSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Return 0 to go on, non-zero to stop parsing (sse_feed returns it). */
typedef int (*sse_event_fn)(void *ctx, const char *event, const char *data, size_t len);

struct sse {
    struct buf line;      /* the line being assembled */
    struct buf data;      /* data of the event being assembled */
    char event[64];
    int saw_cr;           /* last chunk ended in \r: a following \n is the same line end */
    int has_data;
    sse_event_fn fn;
    void *ctx;
};

void sse_init(struct sse *p, size_t max_event, sse_event_fn fn, void *ctx);
void sse_free(struct sse *p);
/* Feed bytes; returns 0, the callback's non-zero value, or GB_ELIMIT when an
 * event is larger than max_event. */
int sse_feed(struct sse *p, const char *bytes, size_t n);
/* End of stream: a pending event without its blank line is dispatched. */
int sse_finish(struct sse *p);

/* Assembles an Interaction from stream events. */
struct sse_asm {
    json_t *interaction;  /* latest interaction object seen (start/complete) */
    json_t *items;        /* G1 outputs / G3 steps, by index */
    int g3;
    int done;             /* terminal event seen */
    int error;            /* an error event was seen */
    char error_msg[512];
    char error_code[64];
    uint64_t first_delta_us;
    struct sse_slot *per;  /* per index: arguments and text deltas not yet applied */
    size_t nper;
    uint64_t bytes;       /* event data taken in: past SSE_ASM_MAX, GB_ELIMIT */
};

/* The most event data one stream may bring, as for a plain response body (xfer.c). */
#define SSE_ASM_MAX ((uint64_t)256 << 20)

void sse_asm_init(struct sse_asm *a);
void sse_asm_free(struct sse_asm *a);
/* Feed one event's data (a JSON object with event_type). 0, GB_EINVAL on
 * malformed data, or GB_ELIMIT past SSE_ASM_MAX bytes of events. */
int sse_asm_event(struct sse_asm *a, const char *data, size_t len);
/* The final Interaction (new reference) once done, else NULL. */
json_t *sse_asm_result(struct sse_asm *a);

#endif
