/* What two CLOCK_MONOTONIC reads back to back cost, the bare timer of every recorder
 * hook, after the thread slept in poll() as an app's main loop does between events:
 * the floor under the recorder's per-event figure (docs/benchmarks.md, "Recorder on
 * GTK 3").
 *
 *   cc -O2 -o /tmp/clock-floor recorder/bench/clock-floor.c
 *   /tmp/clock-floor SLEEP_MS CHURN_KIB   (e.g. 2 0: 2 ms sleeps; 0 4096: no sleep,
 *                                          4 MiB of memory written between reads)
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static int ascending(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SLEEP_MS CHURN_KIB\n", argv[0]);
        return 2;
    }
    enum { SAMPLES = 2000 };
    int sleep_ms = atoi(argv[1]);
    size_t churn = (size_t)atol(argv[2]) << 10;
    static unsigned long long spans[SAMPLES];
    char *memory = churn ? malloc(churn) : NULL;
    if (churn && !memory)
        return 1;
    for (int i = 0; i < SAMPLES; i++) {
        if (sleep_ms)
            poll(NULL, 0, sleep_ms);
        if (memory)
            memset(memory, i, churn);
        unsigned long long start = monotonic_ns();
        spans[i] = monotonic_ns() - start;
    }
    qsort(spans, SAMPLES, sizeof spans[0], ascending);
    printf("sleep %d ms, %zu KiB written between: two clock reads back to back: "
           "median %llu ns, p90 %llu ns, min %llu ns\n",
           sleep_ms, churn >> 10, spans[SAMPLES / 2], spans[SAMPLES * 9 / 10], spans[0]);
    free(memory);
    return 0;
}
