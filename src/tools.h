/* tools.h: local programs that answer function tools. A function tool in a
 * pipeline may name a program ("run": ["scripts/lookup.sh", "--flag"]); for
 * each function_call the program gets the call's arguments as JSON on stdin
 * and prints the result on stdout. No shell, a bounded number at once, a
 * timeout, bounded output, and the API key removed from its environment.
 * Finished calls wait in a queue the caller drains (toolbox_next_done): the
 * toolbox never calls back into the loop that drives it. The process must
 * ignore SIGPIPE (run does): a program may exit before reading its stdin.
 * Ownership: struct toolbox owns its child processes and their buffers; a
 * finished call handed out is borrowed until the next toolbox_next_done. */
#ifndef GB_TOOLS_H
#define GB_TOOLS_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct tool_call;

/* A finished call. ok: the program exited 0 within its time; otherwise why
 * says what happened ("exited with status 3", "timed out after 30 s", ...).
 * out is its stdout (n bytes, NUL-terminated). */
struct tool_done {
    void *user;
    int ok;
    const char *out;
    size_t n;
    char why[768];
};

struct toolbox {
    struct tool_call *running, *queued, *queued_tail;
    struct tool_call *done, *done_tail; /* finished, not yet handed out */
    struct tool_call *handed;           /* the one toolbox_next_done lent */
    int nrunning, max_running;
    size_t max_output;
    char **envp;          /* environment for children: ours minus API keys */
};

int toolbox_init(struct toolbox *tb, int max_running);
void toolbox_free(struct toolbox *tb);  /* kills what still runs */

/* Queue a call: argv[0] is resolved by the caller (absolute or relative to the
 * cwd); input is written to the program's stdin. timeout_ms > 0. */
int toolbox_call(struct toolbox *tb, char *const argv[], const char *input, size_t n,
                 long timeout_ms, void *user);

/* The descriptors to wait on (for curl_multi_poll's extra_fds); returns the
 * count written (at most max). */
unsigned toolbox_fds(struct toolbox *tb, struct curl_waitfd *fds, unsigned max);
/* Move pipes along, reap children, enforce timeouts, queue finished calls. */
void toolbox_step(struct toolbox *tb);
/* The next finished call, or NULL. Each call comes out once, unless its
 * user was cancelled first. Borrowed until the next call here. */
struct tool_done *toolbox_next_done(struct toolbox *tb);
/* Milliseconds until the next timeout (-1 when nothing runs). */
long toolbox_next_timeout_ms(const struct toolbox *tb);
int toolbox_busy(const struct toolbox *tb);
/* Cancel every call of user (a job that is going away). */
void toolbox_cancel(struct toolbox *tb, void *user);

#endif
