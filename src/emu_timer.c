/* emu_timer.c: the one timer of the emulator: a min-heap of suspended
 * connections ordered by when their answer is due, and the thread that
 * resumes them (at once while stopping). Latency, jitter and the slow fault
 * wait here without holding an HTTP worker thread. */
#include "emu_srv.h"

#include <stdlib.h>
#include <time.h>

static void heap_swap(struct emu *e, size_t a, size_t b)
{
    struct timer_ent t = e->heap[a];
    e->heap[a] = e->heap[b];
    e->heap[b] = t;
    e->heap[a].r->heap_idx = a;
    e->heap[b].r->heap_idx = b;
}

static void heap_up(struct emu *e, size_t i)
{
    while (i && e->heap[(i - 1) / 2].due_ms > e->heap[i].due_ms) {
        heap_swap(e, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct emu *e, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < e->nheap && e->heap[l].due_ms < e->heap[m].due_ms)
            m = l;
        if (l + 1 < e->nheap && e->heap[l + 1].due_ms < e->heap[m].due_ms)
            m = l + 1;
        if (m == i)
            return;
        heap_swap(e, i, m);
        i = m;
    }
}

void emu_heap_remove(struct emu *e, size_t i)
{
    e->heap[i].r->in_heap = 0;
    e->nheap--;
    if (i != e->nheap) {
        e->heap[i] = e->heap[e->nheap];
        e->heap[i].r->heap_idx = i;
        heap_down(e, i);
        heap_up(e, i);
    }
}

int emu_timer_add(struct emu *e, struct req *r, int64_t due_ms)
{
    pthread_mutex_lock(&e->tmu);
    if (e->nheap == e->capheap) {
        size_t ncap = e->capheap ? e->capheap * 2 : 256;
        struct timer_ent *nh = realloc(e->heap, ncap * sizeof *nh);
        if (!nh) {
            pthread_mutex_unlock(&e->tmu);
            return GB_ENOMEM;
        }
        e->heap = nh;
        e->capheap = ncap;
    }
    e->heap[e->nheap].due_ms = due_ms;
    e->heap[e->nheap].r = r;
    r->heap_idx = e->nheap;
    r->in_heap = 1;
    heap_up(e, e->nheap++);
    pthread_cond_signal(&e->tcv);
    pthread_mutex_unlock(&e->tmu);
    return 0;
}

void *emu_timer_main(void *arg)
{
    struct emu *e = arg;
    pthread_mutex_lock(&e->tmu);
    while (!e->quit) {
        if (!e->nheap) {
            pthread_cond_wait(&e->tcv, &e->tmu);
            continue;
        }
        int64_t now = emu_mono_ms();
        if (__atomic_load_n(&e->stopping, __ATOMIC_SEQ_CST) || e->heap[0].due_ms <= now) {
            struct MHD_Connection *c = e->heap[0].r->conn;
            emu_heap_remove(e, 0);
            /* resume outside our lock: MHD takes its own */
            pthread_mutex_unlock(&e->tmu);
            MHD_resume_connection(c);
            pthread_mutex_lock(&e->tmu);
            continue;
        }
        int64_t due = e->heap[0].due_ms;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t wait = due - now;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&e->tcv, &e->tmu, &ts);
    }
    pthread_mutex_unlock(&e->tmu);
    return NULL;
}

