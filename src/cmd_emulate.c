/* cmd_emulate.c: `gembatch emulate`: parse the option table, start the
 * emulator library (emu.h), print its base URL as the first stdout line once
 * it accepts connections, serve until SIGINT/SIGTERM, stop cleanly (exit 0). */
#include "cli.h"
#include "cmd.h"
#include "emu.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char details[] =
    "Serves the Interactions API, the Files API and the Batch API under /v1beta/\n"
    "(the guide's dialect, SDK 1.x) and /v1/ (SDK 3.x). Every request needs an\n"
    "x-goog-api-key header or ?key= (any value unless --api-key is given): none gives 401\n"
    "UNAUTHENTICATED, a wrong one 400 INVALID_ARGUMENT with reason API_KEY_INVALID,\n"
    "as the real Gemini API answers. The upload URL of a Files API session needs\n"
    "no key.\n"
    "\n"
    "Answers are synthetic and deterministic: the same body and --seed give the\n"
    "same outputs (stream, background and store do not count). A text answer reads\n"
    "  Emulated answer from MODEL.\n"
    "  turns: N                      (history through previous_interaction_id too)\n"
    "  part K: TYPE MIME BYTES bytes sha256:HEX   (K counts media parts from 1)\n"
    "  part K: TYPE MIME remote URI               (uris the emulator cannot read)\n"
    "  function_result NAME: RESULT  (when the input ends with function results)\n"
    "followed by filler text. With response_format the text is a JSON instance of\n"
    "the schema. With generation_config.thinking_summaries \"auto\" a thought (a summary\n"
    "and a signature) comes first. IMAGE modality or an image model adds a PNG; function tools give\n"
    "a function_call (status requires_action), and after function results a text\n"
    "answer, unless tool_choice is \"any\": then every turn calls. With a tool_search\n"
    "tool, functions marked defer_loading are found first: tool_search_call and\n"
    "tool_search_result come before the call (execution \"client\": the call waits,\n"
    "requires_action, for the client's tool_search_result). Agents need\n"
    "background=true; background interactions answer in_progress to the first\n"
    "--background-polls GETs, then completed. --rpm counts interaction creates.\n"
    "\n"
    "Faults (--fault KIND=RATE,...; one seeded draw per request, any route):\n"
    "  429, 503   error with Retry-After: 1 and RetryInfo retryDelay \"1s\"\n"
    "  500        500 INTERNAL; on a streamed create: an `error` event ends the stream\n"
    "  reset      half the response, then the connection drops; on an upload chunk,\n"
    "             half the chunk is kept (ask with X-Goog-Upload-Command: query)\n"
    "  slow       the response waits --slow-ms first (no thread is held)\n"
    "  bad_json   200 with the body cut in half\n"
    "  schema_violation  with a response_format: an instance that breaks the schema\n"
    "  failed     a stored background create ends with status failed and errors[]\n"
    "             (after its polls); an upload's finalize gives a File that ends\n"
    "             in state FAILED with an error instead of ACTIVE\n"
    "  continuation  /v1/ only: a model's text answer (not background, not an\n"
    "             agent; a thought before it comes with the first hop) is cut into\n"
    "             2 or 3 hops, as --hop-tokens cuts long ones\n"
    "  idle       an answer waiting on the client (status requires_action) says\n"
    "             idle, the newer name of that state (SDK 3.6.1)\n"
    "  shed       a service_tier flex create is shed: 503 UNAVAILABLE for half the\n"
    "             draws, 429 RESOURCE_EXHAUSTED for the other half, no Retry-After;\n"
    "             other tiers are never shed (the draw is spent)\n"
    "Batch faults (drawn per batch line or per batch from the seed and the batch's\n"
    "creation number, so the same creates fail the same way and a line sent again\n"
    "in a new batch gets a fresh draw):\n"
    "  batch_line    a request of a batch fails: an error {code 13, message} in its\n"
    "             place (failedRequestCount); the batch still succeeds\n"
    "  batch_drop    a request of a file batch has no line in its results file\n"
    "  batch_expire  a batch ends BATCH_STATE_EXPIRED (error code 4), no results\n"
    "  batch_create_lost  a create makes its batch, but the answer is lost: the\n"
    "             connection drops, a 500 INTERNAL, or a 200 with the body cut (a\n"
    "             third each); the batch is listed and runs as any other\n"
    "  schema_violation  also applies to each batch line that has a schema\n"
    "\n"
    "Batch API (reference batch-api.md): POST models/MODEL:batchGenerateContent\n"
    "with {\"batch\": {...}} (camelCase or snake_case; inline requests or the\n"
    "file_name of an uploaded JSONL), GET batches/ID, GET batches?pageSize&pageToken\n"
    "(nextPageToken only when another page exists), POST batches/ID:cancel, DELETE\n"
    "batches/ID (or POST batches/ID:delete). A batch is BATCH_STATE_PENDING for half\n"
    "of --batch-time, RUNNING for the rest and until its work is done, then\n"
    "SUCCEEDED: done, response, and results in input order, inline in\n"
    "metadata.output.inlinedResponses.inlinedResponses or, for a file input, in\n"
    "the file files/batch-ID of {\"key\", \"response\"|\"error\"} lines, downloaded\n"
    "at /{v}/files/ID:download?alt=media or /download/{v}/files/ID:download?alt=media.\n"
    "Each request is answered like an interaction (text, JSON valid against\n"
    "responseJsonSchema or responseSchema, PNGs for responseModalities IMAGE,\n"
    "usageMetadata at the same rates). Cancel ends a pending or running batch\n"
    "CANCELLED (error code 1, no results) and leaves a finished one as it is;\n"
    "more than 100 pending or running batches get 429 RESOURCE_EXHAUSTED.\n"
    "Uploads with a JSONL MIME type (jsonl, application/jsonl, *ndjson*,\n"
    "application/json, text/plain) keep their bytes in a private temp folder\n"
    "($TMPDIR/gembatch-emu-PID-*, bounded by --max-spool-bytes, removed at exit, or\n"
    "by the next emulator when this one was killed) and are ACTIVE at once; batch\n"
    "inputs and results live there too, never in memory.\n"
    "\n"
    "Continuation (/v1/ only, as the service's per-request output limit): an answer\n"
    "cut by --hop-tokens or the continuation fault ends with status\n"
    "requires_continuation and a continuation_token. A create with that token\n"
    "(and previous_interaction_id naming the hop that issued it, or the same input\n"
    "again with store false) gets the next hop. Every hop bills the input again.\n"
    "\n"
    "Service tiers: service_tier \"standard\", \"flex\" or \"priority\" (lowercase;\n"
    "anything else is 400). Every answered create says the tier that served it in\n"
    "an x-gemini-service-tier header, and in the Interaction's service_tier when the\n"
    "request named one. Flex answers wait --flex-latency more and may be shed;\n"
    "priority beyond --priority-rpm a minute is served as standard, and says so.\n"
    "Answers and usage do not depend on the tier, so pricing can be checked.\n"
    "\n"
    "Content blocks, steps, turns and tools are checked key by key, like the top\n"
    "level, with the keys of the dialect's SDK types (/v1beta/: 1.33.0, /v1/: 3.6.1):\n"
    "an unknown key is 400 INVALID_ARGUMENT naming it and where it is.\n"
    "\n"
    "--log writes one JSON line per request: ts, method, path, status (0: dropped),\n"
    "dialect (g1|g3), model or agent, interaction_id, previous_interaction_id and\n"
    "turns (of a create), continued (a create resumed from a token), signatures\n"
    "(thought signatures its input sent back), fault, tier_asked and tier_served\n"
    "(of a create; null when not given or not served),\n"
    "parts [{type, mime_type, bytes, sha256}],\n"
    "upload {command, offset, bytes, received,\n"
    "file_name}, file (files/ID), and for Batch API calls batch (batches/ID), state\n"
    "(as answered), requests and display_name (of a create).\n"
    "\n"
    "Bodies of creates over --max-request-bytes get 400 INVALID_ARGUMENT \"Request\n"
    "payload size exceeds the limit: N bytes.\" as from the service (20 MiB is the\n"
    "documented inline limit older deployments enforce).\n"
    "\n"
    "example:\n"
    "  gembatch emulate --listen 127.0.0.1:0 --latency 50 --fault 503=0.05 --log emu.jsonl\n"
    "  gembatch emulate --flex-latency 3000:2000 --fault shed=0.2 --priority-rpm 60\n"
    "  gembatch emulate --batch-time 5000 --fault batch_line=0.02,batch_expire=0.1\n";

/* "MS" or "MS:JITTER", each 0..3600000 ms. */
static int parse_flex(const char *s, long *ms, long *jitter)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10), b = 0;
    if (end == s || *s == '-' || errno || a > 3600000)
        return -1;
    if (*end == ':') {
        const char *j = end + 1;
        b = strtol(j, &end, 10);
        if (end == j || *j == '-' || errno || b > 3600000)
            return -1;
    }
    if (*end)
        return -1;
    *ms = a;
    *jitter = b;
    return 0;
}

int cmd_emulate(int argc, char **argv)
{
    struct emu_opts o;
    emu_opts_default(&o);
    const char *seed_s = NULL, *flex_s = NULL;
    uint64_t max_req = o.max_request_bytes, max_file = o.max_file_bytes;
    uint64_t max_spool = o.max_spool_bytes;
    int quiet = 0;
    const struct cli_opt opts[] = {
        {0, "listen", CLI_STR, &o.listen, "HOST:PORT", "address to serve on (127.0.0.1:0; port 0 picks a free one)", 0, 0, NULL},
        {0, "latency", CLI_INT, &o.latency_ms, "MS", "delay every answer by MS milliseconds (0)", 0, 3600000, NULL},
        {0, "jitter", CLI_INT, &o.jitter_ms, "MS", "plus a uniform 0..MS ms more per answer (0)", 0, 3600000, NULL},
        {0, "rpm", CLI_INT, &o.rpm, "N", "creates per minute before 429 RESOURCE_EXHAUSTED (0: no limit)", 0, 1e9, NULL},
        {0, "fault", CLI_STR, &o.faults, "KIND=RATE,...", "inject faults: 429 500 503 reset slow bad_json schema_violation failed continuation idle shed batch_line batch_drop batch_expire batch_create_lost", 0, 0, NULL},
        {0, "api-key", CLI_STR, &o.api_key, "KEY", "accept only this x-goog-api-key (default: any key)", 0, 0, NULL},
        {0, "seed", CLI_STR, &seed_s, "N", "seed of the synthetic model and the fault draws (0)", 0, 0, NULL},
        {0, "log", CLI_STR, &o.log_path, "FILE", "append one JSON line per request to FILE", 0, 0, NULL},
        {0, "max-request-bytes", CLI_SIZE, &max_req, "SIZE", "largest create body (20M)", 0, 0, NULL},
        {0, "max-file-bytes", CLI_SIZE, &max_file, "SIZE", "largest Files API upload (2G)", 0, 0, NULL},
        {0, "max-stored", CLI_INT, &o.max_stored, "N", "stored interactions kept, and batches; oldest evicted (10000)", 1, 1e9, NULL},
        {0, "background-polls", CLI_INT, &o.background_polls, "N", "GETs a background interaction stays in_progress (2)", 0, 1e6, NULL},
        {0, "file-processing-ms", CLI_INT, &o.file_processing_ms, "MS", "uploaded files stay PROCESSING this long; video 5x (200)", 0, 3600000, NULL},
        {0, "slow-ms", CLI_INT, &o.slow_ms, "MS", "how long the slow fault stalls an answer (60000)", 1, 3600000, NULL},
        {0, "hop-tokens", CLI_INT, &o.hop_tokens, "N", "G3 output tokens per request; a longer text answer ends requires_continuation (0: no limit)", 0, 1e9, NULL},
        {0, "flex-latency", CLI_STR, &flex_s, "MS[:JITTER]", "service_tier flex answers wait MS more, plus 0..JITTER (0)", 0, 0, NULL},
        {0, "priority-rpm", CLI_INT, &o.priority_rpm, "N", "priority creates served as priority per minute; more are served as standard (0: no limit)", 0, 1e9, NULL},
        {0, "batch-time", CLI_INT, &o.batch_time_ms, "MS", "a batch is PENDING for MS/2, then RUNNING, then done (200)", 0, 172800000, NULL},
        {0, "max-spool-bytes", CLI_SIZE, &max_spool, "SIZE", "temp folder quota: kept JSONL uploads and batch results (20G)", 0, 0, NULL},
        {0, "threads", CLI_INT, &o.threads, "N", "HTTP worker threads (0: one per CPU)", 0, 64, NULL},
        {'q', "quiet", CLI_FLAG, &quiet, NULL, "no notices on stderr", 0, 0, NULL},
        CLI_END,
    };
    const struct cli_cmd cmd = {"emulate", "[--listen HOST:PORT] [options]",
                                "Serve the local Gemini API emulator: interactions, files, batches (no key, no network).",
                                details, opts};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0, rc;
    if (!pos)
        return GB_ABORTED;
    rc = cli_parse(&cmd, argc, argv, pos, &npos);
    free(pos);
    if (rc == CLI_HELP_SHOWN)
        return GB_DONE;
    if (rc)
        return GB_USAGE;
    if (npos) {
        cli_usage_error(&cmd, "emulate takes no arguments");
        return GB_USAGE;
    }
    if (seed_s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seed_s, &end, 0);
        if (end == seed_s || *end || errno || seed_s[0] == '-') {
            cli_usage_error(&cmd, "'--seed' takes a whole number, not '%s'", seed_s);
            return GB_USAGE;
        }
        o.seed = v;
    }
    if (flex_s && parse_flex(flex_s, &o.flex_latency_ms, &o.flex_jitter_ms)) {
        cli_usage_error(&cmd, "'--flex-latency' takes MS or MS:JITTER (milliseconds), not '%s'",
                        flex_s);
        return GB_USAGE;
    }
    o.max_request_bytes = max_req;
    o.max_file_bytes = max_file;
    o.max_spool_bytes = max_spool;
    o.quiet = quiet;
    log_set_quiet(quiet);

    /* block the stop signals in every thread (MHD's inherit the mask), then
     * wait for them here */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct emu *e = NULL;
    struct gb_err err;
    gb_err_clear(&err);
    if (emu_start(&o, &e, &err)) {
        if (err.code == GB_EINVAL)
            cli_usage_error(&cmd, "%s", err.msg);
        else
            log_err(&err);
        return err.code == GB_EINVAL ? GB_USAGE : GB_ABORTED;
    }
    printf("%s\n", emu_base_url(e));
    fflush(stdout);
    log_info("emulator serving at %s (synthetic answers; stop with Ctrl-C)", emu_base_url(e));
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_info("emulator stopping (signal %d) after %llu requests", sig, emu_request_count(e));
    emu_stop(e);
    return GB_DONE;
}
