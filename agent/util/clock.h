/* clock.h - the monotonic clock every deadline is measured on, and waiting
 *           for one descriptor until such a deadline
 *
 * A deadline is an absolute time in milliseconds on this clock
 * (clock_now_ms() + timeout), so that a peer or a pipe that drips bytes
 * cannot stretch a stage past it. UINT64_MAX is no deadline.
 */
#ifndef DANE_AGENT_CLOCK_H
#define DANE_AGENT_CLOCK_H

#include <stdint.h>

/* clock_now_ms - monotonic milliseconds */
uint64_t clock_now_ms(void);

enum clock_wait {
    CLOCK_READY = 0,        /* an event, an error or a hang-up: the next
                             * read or write tells which */
    CLOCK_EXPIRED,          /* the deadline passed first */
    CLOCK_POLL_FAILED,      /* poll(2) itself failed */
};

/* clock_wait_fd - poll fd for events (POLLIN, POLLOUT) until deadline_ms */
enum clock_wait clock_wait_fd(int fd, short events, uint64_t deadline_ms);

#endif
