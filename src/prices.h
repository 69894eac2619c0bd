/* prices.h: the price table (prices/gemini.json, built into the binary, or a
 * file given with --prices): load and validate it, find a model's rates on a
 * date, price one answered request, and bound what one about to be sent may
 * cost. A price is never guessed: an unknown model, a tier the model is not
 * offered at, or tokens of a kind the table has no rate for give NAN.
 * Ownership: struct prices owns the table (prices_free releases it); a struct
 * price_row is a plain value whose strings point into the table it came from. */
#ifndef GB_PRICES_H
#define GB_PRICES_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "response.h"
#include "tiers.h"

/* The rates of a row, by their JSON names (price_rate_name). USD per 1M tokens. */
enum price_rate {
    PR_INPUT,        /* "input": text, image, video, PDF pages */
    PR_INPUT_AUDIO,  /* "input_audio" (absent in the JSON: as input) */
    PR_CACHED,       /* "cached_input": implicit-cache hits */
    PR_CACHED_AUDIO, /* "cached_audio" (absent: as cached_input) */
    PR_OUTPUT,       /* "output": text and thinking */
    PR_OUTPUT_IMAGE, /* "output_image" */
    PR_OUTPUT_AUDIO, /* "output_audio" */
    PR_N
};

struct price_row {
    int known;                   /* 0: the model is not in the table (all rates NAN) */
    const char *model;           /* the table's name (an alias resolves to it) */
    double rate[PR_N];           /* NAN: no published price */
    double long_rate[PR_N];      /* for a prompt above long_above tokens */
    long long long_above;        /* 0: no long-prompt rate */
    long long max_output_tokens; /* the model's cap; -1: not stated */
    double mult[TIER_N];         /* of the rates at each tier; NAN: not offered */
    double cached_mult[TIER_N];  /* of the cached rates at each tier; NAN: not offered */
    const char *date, *source, *note; /* the row's (note may be NULL) */
    const char *since;           /* "YYYY-MM-DD" of the dated change in effect, or NULL */
    unsigned confirmed;          /* bit 1u << PR_x: the rate was read on a Google page */
};

struct prices;

/* path NULL: the built-in table. 0, or GB_ENOENT/GB_EIO (unreadable file),
 * GB_EINVAL (not JSON: err has the file, line and column; not a valid table:
 * err names the file and the JSON path, e.g. "/models/gemini-2.5-flash/output"),
 * GB_ENOMEM. */
int prices_load(const char *path, struct prices **out, struct gb_err *err);
/* The same from bytes (tests, fuzzing); origin names them in errors. */
int prices_load_mem(const char *buf, size_t len, const char *origin, struct prices **out,
                    struct gb_err *err);
void prices_free(struct prices *p);

/* "built-in" or the file's path. */
const char *prices_origin(const struct prices *p);
/* The whole validated table (borrowed). */
const json_t *prices_json(const struct prices *p);
/* Rows in the table's order. */
size_t prices_count(const struct prices *p);
const char *prices_model(const struct prices *p, size_t i);

/* The rates of model at time `at` (a "models/" prefix is dropped; an alias
 * listed in the table finds its model; nothing else is matched). 0, or
 * GB_ENOENT with *row set to an unknown row (known 0, every rate NAN), which
 * price_usage and price_worst price as NAN. */
int prices_find(const struct prices *p, const char *model, time_t at, struct price_row *row);
/* Why a name the table lists under "unpriced" (a moving alias such as
 * gemini-flash-latest, an agent) has no price, or NULL. */
const char *prices_unpriced(const struct prices *p, const char *model);

/* The cost in USD of one answered request billed at `tier`, from its usage:
 *   uncached input (input + tool-use tokens - cached) at the input rates,
 *   audio at input_audio; cached tokens at the cached rates;
 *   output and thinking tokens at output, image and audio output at theirs;
 * all at the long-prompt rates when input + tool-use tokens > long_above,
 * times the tier's multipliers. Modalities the breakdowns do not cover are
 * text. Cached tokens are taken as part of total_input_tokens (as
 * generateContent's promptTokenCount; not documented for Interactions).
 * NAN when row is NULL or unknown, the tier is not offered, or tokens of a
 * kind have no rate. */
/* Money as written: US dollars rounded to 12 decimals (a picodollar; every
 * rate times a token count is exact there), so sums print as 0.000211038,
 * not 0.00021103799999999998. usd_json: NaN (unknown) is null. */
double usd_round(double usd);
json_t *usd_json(double usd);

double price_usage(const struct price_row *row, enum tier tier, const struct usage *u);

/* Why price_usage(row, tier, u) is NAN, as words that follow the model's
 * name, into buf: "is not in the price table", "is not offered at flex",
 * "has no input_audio rate" (u's tokens of a kind the row has no rate for).
 * Returns buf, or NULL when it is not NAN for any of these reasons. */
const char *price_unknown_why(const struct price_row *row, enum tier tier, const struct usage *u,
                              char *buf, size_t n);

/* The most one request may cost (a ceiling for --max-cost): its input by
 * modality (input_by and tool_by, each at its own rate: audio at input_audio)
 * plus the rest of input + tool, whose modality is not known, at the highest
 * input rate the row has; nothing cached; plus max_output_tokens (when <= 0:
 * the row's max_output_tokens; thinking counts within it, as Gemini counts
 * it) at the highest output rate the row has (an image model's image rate,
 * say). NAN when row is NULL or unknown, the tier is not offered, the output
 * cap is not known, or tokens of a kind have no rate. */
double price_worst(const struct price_row *row, enum tier tier, const struct usage *input,
                   long long max_output_tokens);

/* "input", "input_audio", "cached_input", ... */
const char *price_rate_name(enum price_rate r);

#endif
