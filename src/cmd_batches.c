/* cmd_batches.c: `gembatch batches list|get|cancel|delete`: the key's Batch
 * Mode jobs through the Batch API (list pages through every page; get prints
 * one Operation as JSON; cancel and delete say so on stderr). */
#include "apicall.h"
#include "cmd.h"
#include "esc.h"
#include "jsonx.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char details[] =
    "Commands:\n"
    "  list             every batch of the key, newest first as the API gives them: name,\n"
    "                   state, requests, display name (gembatch's own are gembatch-<pipeline>-\n"
    "                   <folder>-<part>); --json prints each Operation as a JSON line\n"
    "  get NAME         one batch as JSON (NAME: batches/ID or ID)\n"
    "  cancel NAME      ask a pending or running batch to stop\n"
    "  delete NAME      forget a batch (its results file too); cancel a running one first\n"
    "A run of --mode batch whose batches were cancelled or deleted reports their jobs on the\n"
    "next run (BATCH_CANCELLED), or asks them again once if the batch expired or failed.\n"
    "Exit status: 0 done, 1 not found, 2 usage, 3 refused or unreachable.\n"
    "\n"
    "Examples:\n"
    "  gembatch batches list\n"
    "  gembatch batches cancel batches/4m855v7q30kc7gtzcigdg9m72o87s08w33vp\n";

static int list(struct api *a, long page_size, int as_json)
{
    struct buf body;
    buf_init(&body, 64u << 20);
    char *token = NULL;
    int outcome = GB_DONE, pages = 0;
    if (!as_json)
        printf("%-48s %-24s %9s  %s\n", "NAME", "STATE", "REQUESTS", "DISPLAY NAME");
    do {
        char path[1200];
        if (token)
            snprintf(path, sizeof path, "batches?pageSize=%ld&pageToken=%.1000s", page_size, token);
        else
            snprintf(path, sizeof path, "batches?pageSize=%ld", page_size);
        free(token);
        token = NULL;
        long http = api_call(a, "GET", path, NULL, &body);
        if (!http) {
            outcome = GB_ABORTED;
            break;
        }
        if (http < 200 || http >= 300) {
            outcome = api_error(a, "batches", http, &body);
            break;
        }
        json_t *doc = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
        size_t i;
        json_t *op;
        json_array_foreach (jx_arr(doc, "operations"), i, op) {
            if (as_json) {
                char *t = json_dumps(op, JSON_COMPACT);
                if (t) {
                    struct buf one = {0};
                    buf_init(&one, BUF_UNLIMITED);
                    buf_puts(&one, t);
                    api_print(a, &one);
                    buf_free(&one);
                }
                free(t);
                continue;
            }
            json_t *md = jx_obj(op, "metadata");
            const char *n = jx_str(jx_obj(md, "batchStats"), "requestCount");
            char line[1024];
            snprintf(line, sizeof line, "%-48s %-24s %9s  %s", jx_str(op, "name") ? jx_str(op, "name") : "?",
                     jx_str(md, "state") ? jx_str(md, "state") : "?", n ? n : "-",
                     jx_str(md, "displayName") ? jx_str(md, "displayName") : "");
            esc_fwrite(line, strlen(line), stdout);
            fputc('\n', stdout);
        }
        const char *next = jx_str(doc, "nextPageToken");
        /* an empty token is the last page too (an endless list otherwise) */
        token = next && *next && ++pages < 100000 ? strdup(next) : NULL;
        json_decref(doc);
    } while (token);
    free(token);
    buf_free(&body);
    return outcome;
}

static int one(struct api *a, const char *verb, const char *name)
{
    char path[1200];
    const char *id = strncmp(name, "batches/", 8) ? name : name + 8;
    if (!*id || strchr(id, '/') || strchr(id, '?') || strstr(id, "..")) {
        log_error("'%s' is not a batch name (batches/ID or ID)", name);
        return GB_USAGE;
    }
    struct buf body;
    buf_init(&body, 64u << 20);
    int outcome = GB_DONE;
    long http;
    if (!strcmp(verb, "get")) {
        snprintf(path, sizeof path, "batches/%s", id);
        http = api_call(a, "GET", path, NULL, &body);
    } else if (!strcmp(verb, "cancel")) {
        snprintf(path, sizeof path, "batches/%s:cancel", id);
        http = api_call(a, "POST", path, "{}", &body);
    } else {
        snprintf(path, sizeof path, "batches/%s", id);
        http = api_call(a, "DELETE", path, NULL, &body);
    }
    if (!http)
        outcome = GB_ABORTED;
    else if (http < 200 || http >= 300)
        outcome = api_error(a, name, http, &body);
    else if (!strcmp(verb, "get"))
        api_print(a, &body);
    else if (!strcmp(verb, "cancel"))
        log_info("asked to cancel batches/%s", id);
    else /* the API reference and the guide disagree on whether delete stops it */
        log_info("deleted batches/%s (a delete may not stop a batch that is still running: "
                 "cancel it first)", id);
    buf_free(&body);
    return outcome;
}

int cmd_batches(int argc, char **argv)
{
    struct api a;
    api_init(&a);
    long page_size = 100;
    int as_json = 0;
    const struct cli_opt opts[] = {
        API_OPTS(&a),
        {0, "page-size", CLI_INT, &page_size, "N", "batches asked for per page of list (100)", 1,
         1000, NULL},
        {0, "json", CLI_FLAG, &as_json, NULL, "list: one JSON line per batch", 0, 0, NULL},
        CLI_END};
    const struct cli_cmd cmd = {argv[0], "list|get|cancel|delete [NAME] [options]",
                                "The key's Batch Mode jobs (the Batch API).", details, opts};
    int npos = 0, outcome = GB_USAGE;
    char **posv = cli_args(&cmd, argc, argv, &npos, &outcome);
    if (!posv)
        return outcome;
    const char *verb = npos ? posv[0] : NULL;
    int is_list = verb && !strcmp(verb, "list");
    int is_one = verb && (!strcmp(verb, "get") || !strcmp(verb, "cancel") || !strcmp(verb, "delete"));
    if (!is_list && !is_one) {
        cli_usage_error(&cmd, verb ? "unknown command '%s'; list, get, cancel or delete"
                                   : "no command given%s; list, get, cancel or delete",
                        verb ? verb : "");
        goto out;
    }
    if ((is_list && npos != 1) || (is_one && npos != 2)) {
        cli_usage_error(&cmd, is_list ? "list takes no NAME" : "%s takes one NAME", verb);
        goto out;
    }
    if ((outcome = api_open(&a, &cmd)))
        goto out;
    outcome = is_list ? list(&a, page_size, as_json) : one(&a, verb, posv[1]);
out:
    api_close(&a);
    free(posv);
    return outcome;
}
