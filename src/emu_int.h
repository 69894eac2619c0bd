/* emu_int.h: internals shared by the emulator's files (emu_*.c) and their unit
 * tests. The driver never includes this: it talks to the emulator over HTTP,
 * or starts it through emu.h.
 * Ownership: every struct says what it owns; each *_free releases exactly
 * that and accepts NULL or a zeroed struct. Functions returning json_t * say
 * "new" (caller decrefs) or "borrowed". */
#ifndef GB_EMU_INT_H
#define GB_EMU_INT_H

#include <jansson.h>

#include "jfast.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"
#include "sha256.h"

struct schema;
struct emu_spool;

/* compact JSON text and the fast parser: util/jfast.h */


/* ---- dialects (reference 2.2) ------------------------------------------- */

enum emu_dialect { EMU_G1 = 1, EMU_G3 = 3 };

/* The request headers that tell the SDK generations apart. */
struct emu_hdrs {
    const char *user_agent; /* NULL if absent */
    const char *accept;
    int stainless;          /* any X-Stainless-* header present */
};

/* G3 if the path is under /v1/, or no X-Stainless-* and a google-genai-sdk/3+
 * User-Agent, or the body (may be NULL) uses a G3-only feature; else G1. */
int emu_dialect(const char *path, const struct emu_hdrs *h, const json_t *body);
const char *emu_dialect_name(int dialect); /* "g1" | "g3" */

/* ---- errors: the google.rpc envelope ------------------------------------ */

struct emu_err {
    int http;               /* 400, 404, ...; 0 while no error */
    const char *status;     /* "INVALID_ARGUMENT", static */
    char msg[600];
    long retry_after_s;     /* > 0: Retry-After header and RetryInfo detail */
    const char *reason;     /* ErrorInfo reason ("API_KEY_INVALID") or NULL */
};

/* Fill e and return -1 (so handlers can `return emu_fail(...)`). */
int emu_fail(struct emu_err *e, int http, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* {"error":{"code","message","status"[,"details"]}}: new malloc'd text. */
char *emu_err_body(const struct emu_err *e, size_t *len);

/* ---- media facts: what the model may know of bytes it never keeps -------- */

enum emu_media { EMU_MEDIA_NONE = 0, EMU_IMAGE, EMU_AUDIO, EMU_VIDEO, EMU_DOCUMENT };
const char *emu_media_name(int kind);     /* "image", ...; "" for none */
int emu_media_kind(const char *type);     /* content "type" -> enum, NONE if not media */
int emu_media_kind_of_mime(const char *mime);

struct emu_facts {
    uint64_t bytes;
    uint8_t sha256[32];
    double seconds;         /* audio/video duration from a WAV header, < 0 if unknown */
    long pages;             /* PDF /Type /Page objects (0 if none counted) */
    char sniffed[48];       /* MIME type from the magic bytes, "" if unknown */
};

/* A running digest of a byte stream: size, SHA-256, a short head (for WAV
 * headers and sniffing) and a PDF page counter. Holds at most 8 KiB. */
struct emu_scan {
    uint64_t bytes;
    struct sha256 h;
    uint8_t head[8192];     /* WAV, MP3 (its first frame and a Xing/VBRI header), FLAC */
    size_t nhead;
    int pdf;                /* -1 undecided, 0 no, 1 count pages */
    int pst;                /* PDF matcher state */
    long pages;
    int mp4;                /* -1 undecided, 0 no, 1 look for the movie header */
    int mvst;               /* "mvhd" matcher: chars matched, 4 = collecting */
    uint8_t mv[32];         /* the mvhd box's first bytes after its type */
    size_t nmv;
    double mp4_seconds;     /* from mvhd: duration / timescale; -1 unknown */
};
int emu_scan_init(struct emu_scan *s);
int emu_scan_update(struct emu_scan *s, const void *p, size_t n);
int emu_scan_final(struct emu_scan *s, struct emu_facts *out); /* also frees */
void emu_scan_free(struct emu_scan *s);

/* Decode base64 text (standard or URL-safe alphabet, padding optional) in
 * small pieces straight into a scan, never holding the decoded bytes.
 * Returns 0, or -1 if the text is not base64. */
int emu_b64_facts(const char *b64, size_t n, struct emu_facts *out);

/* MIME type from magic bytes, or NULL. */
const char *emu_sniff(const uint8_t *p, size_t n);

/* ---- compiled-schema cache ----------------------------------------------- */

/* Compiled schemas keyed by the SHA-256 of their canonical text, so identical
 * schemas are compiled once. Bounded; thread-safe. */
struct emu_schemas;
struct emu_schema_ref; /* a held reference to one compiled schema */

int emu_schemas_new(size_t max_entries, struct emu_schemas **out);
void emu_schemas_free(struct emu_schemas *c);
/* Compile doc (borrowed) or find it. c may be NULL: compile uncached. On error
 * fills err (GB_EINVAL / GB_EUNSUPPORTED). */
int emu_schema_get(struct emu_schemas *c, const json_t *doc, struct emu_schema_ref **out,
                   struct gb_err *err);
const struct schema *emu_schema_of(const struct emu_schema_ref *r);
void emu_schema_put(struct emu_schema_ref *r); /* NULL is fine */

/* ---- one create request, parsed and validated ---------------------------- */

struct emu_part {
    int kind;               /* enum emu_media */
    char mime[96];
    struct emu_facts f;
    int remote;             /* uri not resolved to bytes */
    char *uri;              /* owned; remote uri or Files API uri */
    char file[64];          /* "files/ID" when the bytes came through the Files API */
};

/* What a stored interaction hands to a request continuing it. */
struct emu_prev {
    int turns_total;        /* turns of its conversation, its own answer included */
    uint64_t tokens;        /* its total tokens: the next turn's history */
    json_t *tools;          /* new reference, or NULL */
    uint8_t hash[32];       /* its answer hash: the conversation, not its random id */
};

enum emu_file_state { EMU_FILE_ACTIVE = 0, EMU_FILE_PROCESSING = 1, EMU_FILE_FAILED = 2,
                      EMU_FILE_UNKNOWN = -1,
                      EMU_FILE_NOT_OURS = -2 };

/* What parsing needs from the rest of the emulator; tests supply fakes. */
struct emu_env {
    uint64_t seed;
    void *ctx;
    /* 0 found (fills out), -1 unknown or not stored */
    int (*prev)(void *ctx, const char *id, struct emu_prev *out);
    /* enum emu_file_state; on ACTIVE fills facts, mime and name ("files/ID") */
    int (*file)(void *ctx, const char *uri, struct emu_facts *facts, char *mime, size_t mimesz,
                char *name, size_t namesz);
    struct emu_schemas *schemas; /* may be NULL */
};

/* service_tier (reference tiers-and-pricing 1.1): lowercase names only */
enum emu_tier { EMU_TIER_NONE = 0, EMU_TIER_STANDARD, EMU_TIER_FLEX, EMU_TIER_PRIORITY };
const char *emu_tier_name(int tier); /* "standard", ...; NULL for none */

struct emu_call {
    json_t *body;           /* owned reference to the whole request object */
    int dialect;
    const char *model;      /* borrowed from body; exactly one of model/agent */
    const char *agent;
    int stream, background, store;
    const char *prev_id;    /* borrowed */
    int turns;              /* input turns, history through prev_id included */
    struct emu_part *parts; /* this request's media parts, in order */
    size_t nparts;
    uint64_t text_chars;    /* input text (instruction, turns, results) for usage */
    const char *last_text;  /* borrowed: the last text of the input (tool queries) */
    uint64_t history_tokens;
    json_t *tools;          /* new ref: the request's tools, else the previous turn's */
    json_t *fn_results;     /* new ref: [{name, call_id, result(text)}] ending the input */
    json_t *loaded;         /* new ref: function names a tool_search_result in the input
                             * loaded, or NULL when the input has none */
    struct emu_schema_ref *schema; /* structured output schema, or NULL */
    struct emu_schema_ref **tool_schemas; /* per tools[] entry (NULL if none) */
    size_t ntools;
    int want_image, want_audio;
    long max_output_tokens; /* 0: not given */
    const char *thinking_level;
    int thinking_summaries; /* generation_config.thinking_summaries "auto" */
    int signatures_in;      /* thought signatures sent back in the input */
    int tool_choice_none;
    int tool_choice_any;    /* "any" (or allowed_tools mode any): a call every turn */
    int tier;               /* enum emu_tier the request asked for (NONE: not given) */
    uint8_t hash[32];       /* the answer seed: SHA-256(seed, body minus transport fields) */
};

/* Parse and validate a create body for a request on path (for the dialect).
 * On failure fills e (400/404) and returns -1; c is then already freed. */
int emu_call_parse(const struct emu_env *env, const char *path, const struct emu_hdrs *h,
                   const char *body, size_t len, struct emu_call *c, struct emu_err *e);
void emu_call_free(struct emu_call *c);

/* The input of a create (emu_input.c): fills c's parts, text_chars,
 * last_text, fn_results, loaded, signatures_in and turns (of the input
 * alone). On failure fills e; c is left for the caller to free. */
int emu_input_walk(const struct emu_env *env, const json_t *in, struct emu_call *c,
                   struct emu_err *e);

/* Key sets (emu_fields.c), from each dialect's SDK types: 0, or a 400 in e
 * naming the first unknown key (or bad value) and where it is. */
int emu_check_request_fields(const json_t *body, struct emu_err *e);
/* A content block, step or (type NULL) role/content turn; 0 for a type it
 * does not know (the caller refuses the type). */
int emu_check_item(const json_t *it, const char *type, int dialect, const char *where,
                   struct emu_err *e);
int emu_tool_type_known(const char *type);
int emu_check_tool(const json_t *tool, const char *type, int dialect, const char *where,
                   struct emu_err *e);

/* Models and agents the emulator knows. */
int emu_known_model(const char *name);
int emu_known_agent(const char *name);

/* ---- the synthetic model -------------------------------------------------- */

struct emu_answer {
    json_t *outputs;        /* new: G1 content items */
    const char *status;     /* "completed" | "requires_action", static */
    json_t *usage;          /* new */
    uint64_t total_tokens;
    int truncated;          /* max_output_tokens cut the text */
};

enum emu_fault_mode { EMU_ANSWER_NORMAL = 0, EMU_ANSWER_SCHEMA_VIOLATION = 1 };

int emu_model_run(const struct emu_call *c, int mode, struct emu_answer *a, struct emu_err *e);
void emu_answer_free(struct emu_answer *a);

/* Continuation (emu_cont.c). split: cut a G3 model call's text answer into
 * hops of hop_tokens (0: 2 or 3 hops, the fault); a becomes the first (status requires_continuation) and
 * *state (new) holds the others. 0, 1 when the answer cannot be cut (a is
 * unchanged), -1 out of memory. next: a becomes the next hop of state; *rest
 * (new, or NULL after the last hop) holds the ones after it. 0 or -1. */
int emu_cont_split(const struct emu_call *c, struct emu_answer *a, long hop_tokens,
                   json_t **state);
int emu_cont_next(const json_t *state, struct emu_answer *a, json_t **rest);

/* G1 outputs -> G3 steps: runs of text/media become one model_output step,
 * every other item is a step of its own type. New. */
json_t *emu_steps_from_outputs(const json_t *outputs);

/* Tokens of n characters of text at ~4 characters a token. */
uint64_t emu_text_tokens(uint64_t chars);
/* Input tokens of one media part at Gemini's published rates. */
uint64_t emu_part_tokens(const struct emu_part *p);

/* A 64x64 RGB PNG whose pattern comes from the 32-byte seed, appended to out. */
int emu_png_for(const uint8_t seed[32], struct buf *out);

/* ISO-8601 UTC "YYYY-MM-DDThh:mm:ssZ" of a Unix time in ms. */
void emu_iso8601(int64_t unix_ms, char out[32]);
int64_t emu_now_ms(void);      /* wall clock */
int64_t emu_mono_ms(void);     /* monotonic */
uint64_t emu_mix64(uint64_t x); /* splitmix64 finaliser */
/* The answer hash of a request: SHA-256 of the seed, the salt (salt_len
 * bytes: a route or model name, may be 0), the previous answer's hash when
 * the request continues a conversation (prev, or NULL), and body (keys
 * sorted) with each string naming one of c's uploaded files replaced by that
 * file's content digest. Ids, of files and of interactions, are random; what
 * they hold is not, so the same request gets the same answer in every run. */
int emu_answer_hash(uint64_t seed, const void *salt, size_t salt_len, const uint8_t *prev,
                    const json_t *body, const struct emu_call *c, uint8_t out[32]);

/* ---- SSE ------------------------------------------------------------------ */

/* The events of a finished interaction (new array of objects, each with
 * event_type and event_id "<id>_e<k>") in the dialect's family: G1
 * interaction.start, content.start/delta/stop, interaction.complete; G3
 * interaction.created, step.start/delta/stop, interaction.completed. A failed
 * or cancelled interaction ends with an `error` event instead. */
json_t *emu_sse_events(const json_t *interaction, int dialect);
/* One SSE frame: "event: T\ndata: {json}\n\n". */
int emu_sse_frame(struct buf *out, const json_t *event);
/* Frame every event after the one whose event_id is after_id (all when NULL).
 * Returns 0, or -1 if after_id names no event of the list. */
int emu_sse_render(const json_t *events, const char *after_id, struct buf *out);

/* ---- stored interactions -------------------------------------------------- */

/* idle (SDK 3.6.1): the service's newer name for "waiting on the client" */
enum emu_status { EMU_ST_IN_PROGRESS, EMU_ST_REQUIRES_ACTION, EMU_ST_COMPLETED, EMU_ST_FAILED,
                  EMU_ST_CANCELLED, EMU_ST_IDLE, EMU_ST_NSTATUS };
const char *emu_status_name(int st);

struct emu_store;

/* What a create leaves behind. The store takes ownership of the strings. */
struct emu_rec_in {
    char id[48];
    char *final_json;       /* the finished Interaction (compact JSON) */
    char *pending_json;     /* background: the in_progress rendering, else NULL */
    char *input_json;       /* the request's input (for include_input), or NULL */
    char *tools_json;       /* the effective tools, or NULL */
    int final_status;       /* enum emu_status of final_json */
    int polls;              /* background: GETs before it completes */
    int turns_total;
    uint64_t tokens;
    uint8_t hash[32];       /* the answer hash (emu_call.hash) */
    int cont;               /* a continuation state (emu_store_cont_put) */
};

int emu_store_new(long max_stored, struct emu_store **out);
void emu_store_free(struct emu_store *s);
/* Store (evicting the oldest past the bound). Frees in's strings on failure. */
int emu_store_put(struct emu_store *s, struct emu_rec_in *in);
/* Current JSON of id (new malloc'd text). poll: this GET counts as a poll of a
 * background interaction; finish: complete it now (a streaming GET waits for
 * the end). include_input splices the stored input in. 0, or -1 unknown. */
int emu_store_get(struct emu_store *s, const char *id, int poll, int finish, int include_input,
                  char **json, size_t *len, int *status);
int emu_store_prev(struct emu_store *s, const char *id, struct emu_prev *out);
/* Cancel a running background interaction: 0 (json is the cancelled
 * rendering), -1 unknown, -2 not running (already finished). */
int emu_store_cancel(struct emu_store *s, const char *id, char **json, size_t *len);
int emu_store_delete(struct emu_store *s, const char *id); /* 0, or -1 unknown */
long emu_store_count(struct emu_store *s);
/* Continuation states (emu_cont.c) under their tokens: bounded and evicted
 * with the interactions, invisible to get, prev, cancel and delete. put
 * takes state_json; get returns a new copy, or -1 for an unknown token. */
int emu_store_cont_put(struct emu_store *s, const char *token, char *state_json);
int emu_store_cont_get(struct emu_store *s, const char *token, char **state_json);

/* ---- Files API (reference 7) ------------------------------------------------ */

struct emu_files;
struct emu_upload; /* one resumable upload session: a running digest, no bytes */

struct emu_files_opts {
    uint64_t max_file_bytes;
    long processing_ms;     /* PROCESSING before ACTIVE; video takes 5 times longer */
    long max_files;         /* oldest evicted past this */
    int port;               /* our port: file uris on it are ours */
    struct emu_spool *spool; /* borrowed: where kept bytes live; NULL keeps none */
};

int emu_files_new(const struct emu_files_opts *o, struct emu_files **out);
void emu_files_free(struct emu_files *f);

/* The X-Goog-Upload-* request headers (NULL when absent). */
struct emu_upload_hdrs {
    const char *protocol, *command, *total_len, *mime, *file_name, *offset;
};

/* POST /upload/{v}/files: open a session. base is "http://host:port" as the
 * client reached us; *upload_url gets a new absolute URL; name "files/ID". */
int emu_files_start(struct emu_files *f, const char *version, const char *base,
                    const struct emu_upload_hdrs *h, const char *body, size_t len,
                    char **upload_url, char name[64], struct emu_err *e);

enum emu_up_cmd { EMU_UP_UPLOAD = 1, EMU_UP_FINALIZE = 2, EMU_UP_QUERY = 4, EMU_UP_CANCEL = 8,
                  EMU_UP_FAIL = 16 /* the failed fault: the File ends FAILED, not ACTIVE */ };
/* "upload, finalize" -> EMU_UP_UPLOAD | EMU_UP_FINALIZE; -1 if unknown. */
int emu_upload_command(const char *s);

struct emu_upload_reply {
    const char *status;     /* x-goog-upload-status: "active" | "final" | "cancelled" */
    uint64_t received;      /* x-goog-upload-size-received */
    char *body;             /* new: {"file":{...}} after finalize, else NULL */
    char name[64];          /* "files/ID" */
};

/* A command on an upload session. content_length < 0: unknown. For upload
 * commands the session is held (*out) until emu_upload_end/abort. */
int emu_upload_begin(struct emu_files *f, const char *upload_id, int cmd,
                     const struct emu_upload_hdrs *h, int64_t content_length,
                     struct emu_upload **out, char name[64], struct emu_err *e);
/* Bytes of the chunk as they arrive (kept in the spool too for a JSONL
 * upload). -1 past the declared size, the limit or the spool's quota. */
int emu_upload_data(struct emu_files *f, struct emu_upload *u, const void *p, size_t n);
uint64_t emu_upload_received(const struct emu_upload *u);
/* The chunk arrived whole: release the session, finalize if asked. */
int emu_upload_end(struct emu_files *f, struct emu_upload *u, int cmd,
                   struct emu_upload_reply *out, struct emu_err *e);
/* The chunk was cut (dropped connection): keep what arrived, release. */
void emu_upload_abort(struct emu_files *f, struct emu_upload *u);
/* Query or finalize-only commands: answered without a body. */
int emu_upload_status(struct emu_files *f, const char *upload_id, int cmd,
                      struct emu_upload_reply *out, struct emu_err *e);

int emu_files_get(struct emu_files *f, const char *id, char **json, size_t *len);
int emu_files_list(struct emu_files *f, long page_size, const char *page_token, char **json,
                   size_t *len, struct emu_err *e);
int emu_files_delete(struct emu_files *f, const char *id);
/* emu_env.file: ctx is the struct emu_files. */
int emu_files_lookup(void *ctx, const char *uri, struct emu_facts *facts, char *mime,
                     size_t mimesz, char *name, size_t namesz);
/* 1 for the MIME types whose uploads keep their bytes (what a batch reads):
 * jsonl, application/jsonl, *ndjson*, *json-lines*, application/json, text/plain. */
int emu_jsonl_mime(const char *mime);
/* A File the service made (source GENERATED, ACTIVE at once) as files/ID,
 * its uri on base; takes path (a spool file of facts->bytes reserved bytes),
 * even on failure. A File of the same id is replaced. */
int emu_files_add_generated(struct emu_files *f, const char *id, const char *mime,
                            const char *base, char *path, const struct emu_facts *facts);
/* The kept bytes of name ("files/ID") for reading: a new descriptor, the
 * size and the count of non-blank lines. 404 unknown, 400 not ACTIVE or
 * not kept (not a JSONL upload). */
int emu_files_content(struct emu_files *f, const char *name, int *fd, uint64_t *bytes,
                      uint64_t *lines, struct emu_err *e);
/* files/ID's bytes for a download (GENERATED files only): a new descriptor,
 * the size and the MIME type. */
int emu_files_download(struct emu_files *f, const char *id, int *fd, uint64_t *bytes,
                       char *mime, size_t mimesz, struct emu_err *e);

/* ---- the spool: the emulator's temp folder (emu_spool.c) -------------------- */

/* max_bytes: the quota over every file in it (0: none). */
int emu_spool_new(uint64_t max_bytes, struct emu_spool **out);
void emu_spool_free(struct emu_spool *s); /* removes the folder and all in it */
/* The folder's path into out: 0, or -1 before the first file. */
int emu_spool_dir(struct emu_spool *s, char *out, size_t n);
/* A new empty file PREFIX-N (0600): *path (new) and an O_RDWR descriptor. */
int emu_spool_create(struct emu_spool *s, const char *prefix, char **path, int *fd);
/* Count n more bytes against the quota: 0, or -1 (nothing counted) past it. */
int emu_spool_reserve(struct emu_spool *s, uint64_t n);
void emu_spool_release(struct emu_spool *s, uint64_t n);
uint64_t emu_spool_used(struct emu_spool *s);
/* Unlink path (taken; NULL is fine) and release bytes (s may be NULL). */
void emu_spool_remove(struct emu_spool *s, char *path, uint64_t bytes);

/* A response body of pieces read in order as it is sent: memory it owns,
 * or ranges of files it holds open, so a large body is never in memory. */
struct emu_body;
int emu_body_new(struct emu_body **out);
int emu_body_mem(struct emu_body *b, char *p, size_t n);   /* takes p, even on failure */
int emu_body_text(struct emu_body *b, const char *s);      /* copies s */
int emu_body_file(struct emu_body *b, int fd, uint64_t off, uint64_t len); /* takes fd */
uint64_t emu_body_size(const struct emu_body *b);
/* Up to max bytes from pos: the count, or -1 if a file could not be read. */
ssize_t emu_body_read(struct emu_body *b, uint64_t pos, char *buf, size_t max);
void emu_body_free(struct emu_body *b);

/* ---- generateContent (emu_gencontent.c) -------------------------------------- */

/* key is camel or camel's snake_case form ("fileUri", "file_uri"). */
int emu_name_is(const char *key, const char *camel);
/* o's member camel in either form (borrowed; NULL when absent or null). */
const json_t *emu_field(const json_t *o, const char *camel);
/* Every key of o is one of known (camelCase, NULL-ended) in either form;
 * else 400 "Unknown name ... at 'where'" as the service's JSON parser says. */
int emu_keys_known(const json_t *o, const char *const *known, const char *where,
                   struct emu_err *e);
/* google.rpc.Code of a status name ("INVALID_ARGUMENT" -> 3); 2 if unknown. */
int emu_rpc_code(const char *status);
/* An OpenAPI-style responseSchema ("OBJECT", nullable, ...) as a JSON
 * Schema: new, or NULL with e filled. */
json_t *emu_gc_openapi_schema(const json_t *s, struct emu_err *e);
/* Answer one GenerateContentRequest (borrowed) for model ("models/x" or
 * "x") with the synthetic model: *out is a new GenerateContentResponse.
 * mode: enum emu_fault_mode. A request the service refuses fills e. */
int emu_gc_answer(const struct emu_env *env, const char *model, const json_t *req, int mode,
                  json_t **out, struct emu_err *e);

/* ---- a batch's work (emu_batch_run.c) ------------------------------------------ */

struct emu_batch_job {
    int in_fd, out_fd;      /* JSONL input read from where it stands; results appended */
    int inline_out;         /* inline: items {response|error, metadata}, comma-joined;
                             * else lines {key, response|error} */
    const char *model;
    uint64_t seq, seed;     /* the batch's creation number and --seed: the fault draws */
    double line_error_rate, violation_rate;
    double drop_rate;       /* --fault batch_drop: the result line is left out */
    uint64_t max_line_bytes; /* a longer line is an error result (0: no limit) */
    const struct emu_env *env;
    struct emu_spool *spool; /* quota for the results, or NULL */
    const int *stop;        /* atomic: stop between lines when set */
    uint64_t *ok, *failed;  /* atomic: bumped as each result is written */
    uint64_t reserved;      /* out: spool bytes reserved for the results */
};
struct emu_batch_out {
    uint64_t bytes;
    uint8_t sha256[32];
    int quota;              /* failed on the spool's quota */
};
/* A uniform [0, 1) draw for line idx of batch seq (salt tells the faults apart). */
double emu_batch_draw(uint64_t seed, uint64_t salt, uint64_t seq, uint64_t idx);
/* 0 done, 1 stopped (*stop), -1 a read, write or memory failure. */
int emu_batch_run(struct emu_batch_job *j, struct emu_batch_out *out);

/* ---- the Batch API (emu_batch.c) --------------------------------------------------- */

struct emu_batches;

struct emu_batch_opts {
    long batch_time_ms;     /* PENDING for half, RUNNING for the rest (and until done) */
    double line_error_rate; /* --fault batch_line */
    double drop_rate;       /* --fault batch_drop */
    double expire_rate;     /* --fault batch_expire */
    double create_lost_rate; /* --fault batch_create_lost */
    double violation_rate;  /* --fault schema_violation, per line */
    uint64_t seed;
    long max_batches;       /* kept; the oldest finished is evicted */
    long max_active;        /* pending or running; past it a create is 429 */
    uint64_t max_line_bytes;
    const char *base_url;   /* copied: the uri of generated files */
    struct emu_spool *spool; /* borrowed, as the three below */
    struct emu_files *files;
    struct emu_schemas *schemas;
};

/* What the request log says of a batch call. */
struct emu_batch_info {
    char name[64];          /* "batches/ID" */
    char state[32];         /* BATCH_STATE_* as answered */
    long requests;          /* a create's request count */
    char display[128];      /* a create's displayName (cut), or "" */
    int lost;               /* a create made the batch but its answer is lost (the
                             * batch_create_lost fault): enum emu_lost */
};
enum emu_lost { EMU_LOST_NONE, EMU_LOST_DROPPED, EMU_LOST_500, EMU_LOST_CUT };

/* Starts the worker thread; free stops it (mid-line work is dropped). */
int emu_batches_new(const struct emu_batch_opts *o, struct emu_batches **out);
void emu_batches_free(struct emu_batches *b);
/* POST models/{model}:batchGenerateContent: *json (new) is the Operation. */
int emu_batch_create(struct emu_batches *b, const char *model, const char *body, size_t len,
                     char **json, size_t *jlen, struct emu_batch_info *info, struct emu_err *e);
/* GET batches/{id}: *out (new) is the Operation's body. */
int emu_batch_get(struct emu_batches *b, const char *id, struct emu_body **out,
                  struct emu_batch_info *info, struct emu_err *e);
/* GET batches: *json (new) {"operations": [...], "nextPageToken" only when more}. */
int emu_batch_list(struct emu_batches *b, long page_size, const char *token, char **json,
                   size_t *len, struct emu_err *e);
/* A pending or running batch ends CANCELLED; a finished one stays as it is. */
int emu_batch_cancel(struct emu_batches *b, const char *id, struct emu_batch_info *info,
                     struct emu_err *e);
int emu_batch_delete(struct emu_batches *b, const char *id, struct emu_batch_info *info,
                     struct emu_err *e);

#endif
