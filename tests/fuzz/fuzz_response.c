/* fuzz_response.c: a response body read as an Interaction
 * (resp_parse_interaction) and as an error envelope (resp_parse_error) under
 * a fuzzed HTTP status, plus the duration parser on its first bytes.
 * Properties: parsing never fails without a message, an error envelope always
 * yields a code and NUL-terminated strings. */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "response.h"

static const long statuses[] = {200, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 0, 999};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    long http = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    size_t n = size - 1;
    char *body = malloc(n ? n : 1); /* not NUL-terminated: reads past it are caught */
    memcpy(body, data + 1, n);

    struct interaction it;
    struct gb_err err = {0};
    int rc = resp_parse_interaction(body, n, &it, &err);
    if (rc == 0) {
        FZ_CHECK(it.doc && it.outputs, "parsed Interaction without doc or outputs");
        FZ_CHECK(json_is_array(it.outputs), "outputs is not an array");
        char *t = resp_text(it.outputs);
        FZ_CHECK(t != NULL, "resp_text returned NULL");
        free(t);
        (void)resp_status_terminal(it.status);
        interaction_free(&it);
    } else {
        FZ_CHECK(rc < 0 && err.msg[0], "resp_parse_interaction failed (%d) without a message",
                 rc);
    }

    struct api_error e;
    memset(&e, 0x5a, sizeof e); /* garbage in: every field must be set */
    resp_parse_error(body, n, http, &e);
    FZ_CHECK(memchr(e.status, 0, sizeof e.status) && memchr(e.message, 0, sizeof e.message) &&
                 memchr(e.reason, 0, sizeof e.reason),
             "unterminated string in api_error");
    FZ_CHECK(e.retry_delay_ms >= -1, "retry delay %ld", e.retry_delay_ms);
    (void)resp_auth_refused(&e, http);
    (void)resp_status_name(e.code);

    char dur[32];
    size_t dn = n < sizeof dur - 1 ? n : sizeof dur - 1;
    memcpy(dur, body, dn);
    dur[dn] = '\0';
    long ms = resp_duration_ms(dur);
    FZ_CHECK(ms >= -1, "duration '%s' gave %ld", dur, ms);
    free(body);
    return 0;
}
