/* clock.c - monotonic milliseconds and a deadline-bounded poll */

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "clock.h"

/* the longest single poll(2): its timeout is an int of milliseconds */
#define POLL_SLICE_MS 60000u

uint64_t clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum clock_wait clock_wait_fd(int fd, short events, uint64_t deadline_ms)
{
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = events };
        uint64_t now = clock_now_ms();
        int r;

        if (now >= deadline_ms)
            return CLOCK_EXPIRED;
        r = poll(&pfd, 1, deadline_ms - now < POLL_SLICE_MS ?
                          (int)(deadline_ms - now) : (int)POLL_SLICE_MS);
        if (r > 0)
            return CLOCK_READY;
        if (r < 0 && errno != EINTR)
            return CLOCK_POLL_FAILED;
    }
}
