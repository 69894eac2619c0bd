/* test_emu_sse.c: SSE framing and the two event families (reference 5): the
 * G1 content.* sequence, the G3 step.* sequence, unique event ids, text that
 * reassembles exactly (never split inside UTF-8), replay after last_event_id,
 * and the error event of a cancelled interaction. */
#include <criterion/criterion.h>
#include <string.h>

#include "emu_int.h"

static json_t *sample(const char *status)
{
    json_t *outputs = json_pack(
        "[{s:s, s:s, s:{s:[s]}}, {s:s, s:s, s:[{s:s}]}, {s:s, s:s}, {s:s, s:s, s:s}]", "type",
        "google_search_call", "id", "c1", "arguments", "queries", "q", "type",
        "google_search_result", "call_id", "c1", "result", "url", "https://example.com/", "type",
        "text", "text",
        "Emulated answer from m.\nturns: 1\nA long enough line of filler text with UTF-8: "
        "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac and more words after it.",
        "type", "image", "data", "iVBORw0KGgo=", "mime_type", "image/png");
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:i}}", "id", "ix_1", "object",
                           "interaction", "status", status, "model", "m", "created",
                           "2025-01-01T00:00:00Z", "updated", "2025-01-01T00:00:00Z", "outputs",
                           outputs, "usage", "total_tokens", 42);
    json_object_set_new(in, "steps", emu_steps_from_outputs(outputs));
    return in;
}

static const char *etype(const json_t *ev)
{
    return json_string_value(json_object_get(ev, "event_type"));
}

static void unique_ids(const json_t *events)
{
    size_t n = json_array_size(events);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            cr_assert_str_neq(
                json_string_value(json_object_get(json_array_get(events, i), "event_id")),
                json_string_value(json_object_get(json_array_get(events, k), "event_id")));
}

Test(emu_sse, frame_format)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    json_t *ev = json_pack("{s:s, s:s, s:i}", "event_type", "content.stop", "event_id", "x_e3",
                           "index", 0);
    cr_assert_eq(emu_sse_frame(&b, ev), 0);
    cr_assert_str_eq(b.data,
                     "event: content.stop\n"
                     "data: {\"event_type\":\"content.stop\",\"event_id\":\"x_e3\",\"index\":0}\n\n");
    json_decref(ev);
    buf_free(&b);
}

Test(emu_sse, g1_family)
{
    json_t *in = sample("completed");
    json_t *ev = emu_sse_events(in, EMU_G1);
    cr_assert_not_null(ev);
    size_t n = json_array_size(ev);
    cr_assert_str_eq(etype(json_array_get(ev, 0)), "interaction.start");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(ev, 0), "interaction"), "status")),
                     "in_progress");
    cr_assert_str_eq(etype(json_array_get(ev, n - 1)), "interaction.complete");
    cr_assert(json_equal(json_object_get(json_array_get(ev, n - 1), "interaction"), in));
    /* every output: start, deltas, stop, with its index */
    char text[1024] = "";
    int starts = 0, stops = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        const json_t *e = json_array_get(ev, i);
        const char *t = etype(e);
        cr_assert(!strncmp(t, "content.", 8), "G1 only: %s", t);
        if (!strcmp(t, "content.start"))
            cr_assert_eq(json_integer_value(json_object_get(e, "index")), starts++);
        if (!strcmp(t, "content.stop"))
            cr_assert_eq(json_integer_value(json_object_get(e, "index")), stops++);
        const json_t *d = json_object_get(e, "delta");
        if (d && !strcmp(json_string_value(json_object_get(d, "type")), "text")) {
            const char *piece = json_string_value(json_object_get(d, "text"));
            cr_assert_not_null(piece, "a text delta is valid UTF-8 JSON");
            strcat(text, piece);
        }
    }
    cr_assert_eq(starts, 4);
    cr_assert_eq(stops, 4);
    cr_assert_str_eq(text, json_string_value(json_object_get(
                               json_array_get(json_object_get(in, "outputs"), 2), "text")));
    unique_ids(ev);
    json_decref(ev);
    json_decref(in);
}

Test(emu_sse, g3_family)
{
    json_t *in = sample("completed");
    json_t *ev = emu_sse_events(in, EMU_G3);
    cr_assert_not_null(ev);
    size_t n = json_array_size(ev);
    cr_assert_str_eq(etype(json_array_get(ev, 0)), "interaction.created");
    cr_assert_str_eq(etype(json_array_get(ev, n - 1)), "interaction.completed");
    int starts = 0;
    int saw_image = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        const json_t *e = json_array_get(ev, i);
        cr_assert(!strncmp(etype(e), "step.", 5), "G3 only: %s", etype(e));
        if (!strcmp(etype(e), "step.start")) {
            const char *st = json_string_value(json_object_get(json_object_get(e, "step"), "type"));
            static const char *const want[] = {"google_search_call", "google_search_result",
                                               "model_output"};
            cr_assert_lt(starts, 3);
            cr_assert_str_eq(st, want[starts]);
            starts++;
        }
        const json_t *d = json_object_get(e, "delta");
        if (d && !strcmp(json_string_value(json_object_get(d, "type")), "image")) {
            saw_image = 1;
            cr_assert_eq(json_integer_value(json_object_get(e, "index")), 2);
        }
    }
    cr_assert_eq(starts, 3, "text and image share one model_output step");
    cr_assert(saw_image);
    unique_ids(ev);
    json_decref(ev);
    json_decref(in);
}

Test(emu_sse, g3_function_call_arguments_delta)
{
    json_t *outputs = json_pack("[{s:s, s:s, s:s, s:{s:s}}]", "type", "function_call", "id", "fc1",
                                "name", "get_weather", "arguments", "location", "Paris");
    json_t *in = json_pack("{s:s, s:s, s:o}", "id", "ix_2", "status", "requires_action",
                           "outputs", outputs);
    json_object_set_new(in, "steps", emu_steps_from_outputs(outputs));
    json_t *ev = emu_sse_events(in, EMU_G3);
    const json_t *start = json_array_get(ev, 1), *delta = json_array_get(ev, 2);
    cr_assert_str_eq(etype(start), "step.start");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(start, "step"), "name")),
                     "get_weather");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(delta, "delta"), "type")),
                     "arguments_delta");
    json_t *args = json_loads(
        json_string_value(json_object_get(json_object_get(delta, "delta"), "arguments")), 0, NULL);
    cr_assert(json_equal(args, json_object_get(json_array_get(outputs, 0), "arguments")));
    json_decref(args);
    json_decref(ev);
    json_decref(in);
}

Test(emu_sse, replay_after_last_event_id)
{
    json_t *in = sample("completed");
    json_t *ev = emu_sse_events(in, EMU_G1);
    struct buf all, tail;
    buf_init(&all, BUF_UNLIMITED);
    buf_init(&tail, BUF_UNLIMITED);
    cr_assert_eq(emu_sse_render(ev, NULL, &all), 0);
    const char *third = json_string_value(json_object_get(json_array_get(ev, 2), "event_id"));
    cr_assert_eq(emu_sse_render(ev, third, &tail), 0);
    /* the replay is exactly the suffix of the full stream */
    cr_assert_lt(tail.len, all.len);
    cr_assert(!memcmp(all.data + all.len - tail.len, tail.data, tail.len));
    cr_assert(!strncmp(tail.data, "event: ", 7));
    cr_assert_not_null(strstr(tail.data, "\"event_id\":\"ix_1_e3\""));
    cr_assert_null(strstr(tail.data, "\"event_id\":\"ix_1_e2\""));
    buf_reset(&tail);
    cr_assert_eq(emu_sse_render(ev, "nope", &tail), -1);
    /* a second rendering gives identical ids: replay is stable */
    json_t *again = emu_sse_events(in, EMU_G1);
    cr_assert(json_equal(ev, again));
    json_decref(again);
    buf_free(&all);
    buf_free(&tail);
    json_decref(ev);
    json_decref(in);
}

Test(emu_sse, cancelled_ends_with_error_event)
{
    json_t *in = sample("cancelled");
    for (int d = 0; d < 2; d++) {
        json_t *ev = emu_sse_events(in, d ? EMU_G3 : EMU_G1);
        size_t n = json_array_size(ev);
        cr_assert_eq(n, 2);
        cr_assert_str_eq(etype(json_array_get(ev, 1)), "error");
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(json_array_get(ev, 1), "error"), "code")),
                         "CANCELLED");
        json_decref(ev);
    }
    json_decref(in);
}
