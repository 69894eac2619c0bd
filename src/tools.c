/* tools.c: run function-tool programs as child processes without blocking
 * the transfer loop: posix_spawn with pipes, non-blocking I/O driven by the
 * same poll that drives curl (their descriptors go into curl_multi_poll),
 * a process group per call so a timeout kills everything it started. */
#include "tools.h"
#include "err.h"
#include "fsx.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct tool_call {
    struct tool_call *next;
    char **argv;
    char *input;
    size_t ninput, in_off;
    long timeout_ms;
    void *user;
    pid_t pid;
    int fd_in, fd_out, fd_err;
    struct buf out;
    char err[512];
    size_t nerr;
    struct tool_done res; /* how it ended, once finished */
    uint64_t deadline_ms;
    int timed_out, too_much, exited, status, cancelled;
    char spawn_error[256];
};

static char **child_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **e = calloc(n + 1, sizeof *e);
    if (!e)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        /* the key is ours: tool programs never see it */
        if (!strncmp(environ[i], "GEMINI_API_KEY", 14) || !strncmp(environ[i], "GOOGLE_API_KEY", 14))
            continue;
        e[k++] = environ[i];
    }
    return e;
}

int toolbox_init(struct toolbox *tb, int max_running)
{
    memset(tb, 0, sizeof *tb);
    tb->max_running = max_running > 0 ? max_running : 4;
    tb->max_output = 1u << 20;
    tb->envp = child_env();
    return tb->envp ? 0 : GB_ENOMEM;
}

static void call_free(struct tool_call *c)
{
    if (!c)
        return;
    for (char **a = c->argv; a && *a; a++)
        free(*a);
    free(c->argv);
    free(c->input);
    buf_free(&c->out);
    if (c->fd_in >= 0)
        close(c->fd_in);
    if (c->fd_out >= 0)
        close(c->fd_out);
    if (c->fd_err >= 0)
        close(c->fd_err);
    free(c);
}

static void kill_call(struct tool_call *c)
{
    if (c->pid > 0 && !c->exited) {
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
        int st;
        if (waitpid(c->pid, &st, 0) == c->pid) {
            c->exited = 1;
            c->status = st;
        }
    }
}

void toolbox_free(struct toolbox *tb)
{
    struct tool_call *c, *n;
    for (c = tb->running; c; c = n) {
        n = c->next;
        kill_call(c);
        call_free(c);
    }
    for (c = tb->queued; c; c = n) {
        n = c->next;
        call_free(c);
    }
    for (c = tb->done; c; c = n) {
        n = c->next;
        call_free(c);
    }
    call_free(tb->handed);
    free(tb->envp);
    memset(tb, 0, sizeof *tb);
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void start(struct toolbox *tb, struct tool_call *c)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    c->deadline_ms = now_ms() + (uint64_t)c->timeout_ms;
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
        snprintf(c->spawn_error, sizeof c->spawn_error, "cannot make pipes: %s", strerror(errno));
        goto fail;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, er[1], 2);
    posix_spawnattr_init(&at);
    posix_spawnattr_setpgroup(&at, 0);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&c->pid, c->argv[0], &fa, &at, c->argv, tb->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc) {
        snprintf(c->spawn_error, sizeof c->spawn_error, "cannot run '%.200s': %s", c->argv[0],
                 strerror(rc));
        c->pid = -1;
        goto fail;
    }
    close(in[0]);
    close(out[1]);
    close(er[1]);
    c->fd_in = in[1];
    c->fd_out = out[0];
    c->fd_err = er[0];
    nonblock(c->fd_in);
    nonblock(c->fd_out);
    nonblock(c->fd_err);
    if (c->ninput == 0) {
        close(c->fd_in);
        c->fd_in = -1;
    }
    c->next = tb->running;
    tb->running = c;
    tb->nrunning++;
    return;
fail:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
        if (er[i] >= 0)
            close(er[i]);
    }
    /* reported from the next toolbox_step, never from inside toolbox_call,
     * so callers are not re-entered while they queue calls */
    c->exited = 1;
    c->pid = -1;
    c->next = tb->running;
    tb->running = c;
    tb->nrunning++;
}

int toolbox_call(struct toolbox *tb, char *const argv[], const char *input, size_t n,
                 long timeout_ms, void *user)
{
    struct tool_call *c = calloc(1, sizeof *c);
    if (!c)
        return GB_ENOMEM;
    c->fd_in = c->fd_out = c->fd_err = -1;
    size_t argc = 0;
    while (argv[argc])
        argc++;
    c->argv = calloc(argc + 1, sizeof *c->argv);
    c->input = malloc(n + 1);
    if (!c->argv || !c->input) {
        call_free(c);
        return GB_ENOMEM;
    }
    for (size_t i = 0; i < argc; i++)
        if (!(c->argv[i] = strdup(argv[i]))) {
            call_free(c);
            return GB_ENOMEM;
        }
    memcpy(c->input, input, n);
    c->ninput = n;
    c->timeout_ms = timeout_ms;
    c->user = user;
    buf_init(&c->out, tb->max_output);
    if (tb->nrunning < tb->max_running) {
        start(tb, c);
    } else {
        if (tb->queued_tail)
            tb->queued_tail->next = c;
        else
            tb->queued = c;
        tb->queued_tail = c;
    }
    return 0;
}

unsigned toolbox_fds(struct toolbox *tb, struct curl_waitfd *fds, unsigned max)
{
    unsigned k = 0;
    for (struct tool_call *c = tb->running; c && k + 3 <= max; c = c->next) {
        if (c->fd_in >= 0)
            fds[k++] = (struct curl_waitfd){c->fd_in, CURL_WAIT_POLLOUT, 0};
        if (c->fd_out >= 0)
            fds[k++] = (struct curl_waitfd){c->fd_out, CURL_WAIT_POLLIN, 0};
        if (c->fd_err >= 0)
            fds[k++] = (struct curl_waitfd){c->fd_err, CURL_WAIT_POLLIN, 0};
    }
    return k;
}

static void pump(struct toolbox *tb, struct tool_call *c)
{
    while (c->fd_in >= 0 && c->in_off < c->ninput) {
        ssize_t w = write(c->fd_in, c->input + c->in_off, c->ninput - c->in_off);
        if (w > 0) {
            c->in_off += (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        c->in_off = c->ninput; /* EPIPE: it stopped reading */
    }
    if (c->fd_in >= 0 && c->in_off >= c->ninput) {
        close(c->fd_in);
        c->fd_in = -1;
    }
    char b[16384];
    while (c->fd_out >= 0) {
        ssize_t r = read(c->fd_out, b, sizeof b);
        if (r > 0) {
            if (buf_append(&c->out, b, (size_t)r)) {
                c->too_much = 1;
                kill_call(c);
                close(c->fd_out);
                c->fd_out = -1;
            }
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        close(c->fd_out);
        c->fd_out = -1;
    }
    while (c->fd_err >= 0) {
        ssize_t r = read(c->fd_err, b, sizeof b);
        if (r > 0) {
            size_t room = sizeof c->err - 1 - c->nerr;
            size_t take = (size_t)r < room ? (size_t)r : room;
            memcpy(c->err + c->nerr, b, take);
            c->nerr += take;
            c->err[c->nerr] = '\0';
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        close(c->fd_err);
        c->fd_err = -1;
    }
    (void)tb;
}

/* Say how the call ended and queue it for toolbox_next_done. */
static void finish(struct toolbox *tb, struct tool_call *c)
{
    char *why = c->res.why;
    size_t whysz = sizeof c->res.why;
    int ok = 0;
    /* the last line of stderr says most about a failure */
    char *tail = c->err;
    while (c->nerr && (c->err[c->nerr - 1] == '\n' || c->err[c->nerr - 1] == '\r'))
        c->err[--c->nerr] = '\0';
    char *nl = strrchr(c->err, '\n');
    if (nl)
        tail = nl + 1;
    if (c->spawn_error[0])
        snprintf(why, whysz, "%s", c->spawn_error);
    else if (c->timed_out)
        snprintf(why, whysz, "'%.200s' timed out after %.1f s and was killed", c->argv[0],
                 (double)c->timeout_ms / 1000.0);
    else if (c->too_much)
        snprintf(why, whysz, "'%.200s' printed more than %zu bytes and was killed",
                 c->argv[0], tb->max_output);
    else if (WIFSIGNALED(c->status))
        snprintf(why, whysz, "'%.200s' was killed by signal %d%s%.300s", c->argv[0],
                 WTERMSIG(c->status), *tail ? ": " : "", tail);
    else if (WEXITSTATUS(c->status))
        snprintf(why, whysz, "'%.200s' exited with status %d%s%.300s", c->argv[0],
                 WEXITSTATUS(c->status), *tail ? ": " : "", tail);
    else
        ok = 1;
    if (c->cancelled) {
        call_free(c);
        return;
    }
    if (ok)
        why[0] = '\0';
    c->res.user = c->user;
    c->res.ok = ok;
    c->res.out = c->out.data ? c->out.data : "";
    c->res.n = c->out.len;
    c->next = NULL;
    if (tb->done_tail)
        tb->done_tail->next = c;
    else
        tb->done = c;
    tb->done_tail = c;
}

void toolbox_step(struct toolbox *tb)
{
    uint64_t now = now_ms();
    struct tool_call **pp = &tb->running;
    while (*pp) {
        struct tool_call *c = *pp;
        pump(tb, c);
        if (!c->exited && now >= c->deadline_ms) {
            c->timed_out = 1;
            kill_call(c);
        }
        if (!c->exited) {
            int st;
            pid_t r = waitpid(c->pid, &st, WNOHANG);
            if (r == c->pid) {
                c->exited = 1;
                c->status = st;
                pump(tb, c); /* what it wrote just before exiting */
            }
        }
        /* done once it exited and its pipes are drained (or it was killed:
         * grandchildren may keep the pipes open, so do not wait for them) */
        if (c->exited && ((c->fd_out < 0 && c->fd_err < 0) || c->timed_out || c->too_much)) {
            *pp = c->next;
            tb->nrunning--;
            finish(tb, c);
            continue;
        }
        pp = &c->next;
    }
    while (tb->queued && tb->nrunning < tb->max_running) {
        struct tool_call *c = tb->queued;
        tb->queued = c->next;
        if (!tb->queued)
            tb->queued_tail = NULL;
        c->next = NULL;
        start(tb, c);
    }
}

long toolbox_next_timeout_ms(const struct toolbox *tb)
{
    if (!tb->running)
        return -1;
    uint64_t now = now_ms(), next = UINT64_MAX;
    for (struct tool_call *c = tb->running; c; c = c->next)
        if (c->deadline_ms < next)
            next = c->deadline_ms;
    return next > now ? (long)(next - now) : 0;
}

struct tool_done *toolbox_next_done(struct toolbox *tb)
{
    call_free(tb->handed);
    tb->handed = tb->done;
    if (!tb->handed)
        return NULL;
    tb->done = tb->handed->next;
    if (!tb->done)
        tb->done_tail = NULL;
    tb->handed->next = NULL;
    return &tb->handed->res;
}

int toolbox_busy(const struct toolbox *tb)
{
    return tb->running || tb->queued || tb->done;
}

void toolbox_cancel(struct toolbox *tb, void *user)
{
    for (struct tool_call *c = tb->running; c; c = c->next)
        if (c->user == user) {
            c->cancelled = 1;
            kill_call(c);
        }
    struct tool_call **pp = &tb->queued;
    tb->queued_tail = NULL;
    while (*pp) {
        struct tool_call *c = *pp;
        if (c->user == user) {
            *pp = c->next;
            call_free(c);
            continue;
        }
        tb->queued_tail = c;
        pp = &c->next;
    }
    tb->done_tail = NULL;
    for (pp = &tb->done; *pp;) {
        struct tool_call *c = *pp;
        if (c->user == user) {
            *pp = c->next;
            call_free(c);
            continue;
        }
        tb->done_tail = c;
        pp = &c->next;
    }
}
