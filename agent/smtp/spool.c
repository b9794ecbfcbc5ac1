/* spool.c - the message on standard input, in memory or in an unlinked file
 *
 * SYNOPSIS
 *   spool_read(), spool_free(), spool_fd(), spool_data(), spool_size(),
 *   spool_8bit()                                     (contract: spool.h)
 *
 * DESCRIPTION
 *   One buffer of memory_max + 1 bytes is filled from the input. A message
 *   that ends before the buffer is full stays there; otherwise the buffer
 *   is written to a temporary file each time it is full, and freed at the
 *   end. Each read waits in poll() for at most the time left before the
 *   deadline, and the deadline is checked before every read, so neither a
 *   silent writer nor an endless stream holds the process.
 *
 * DIAGNOSTICS
 *   "cannot make a temporary file in DIR: ERRNO", "cannot write the
 *   message to a temporary file in DIR: ERRNO", "cannot read the message
 *   from standard input: ERRNO", "message is larger than N bytes", "no end
 *   of file on standard input before the delivery deadline".
 */
#define _GNU_SOURCE     /* O_TMPFILE, mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "body.h"
#include "clock.h"
#include "header.h"
#include "io.h"
#include "spool.h"

#define SPOOL_DEFAULT_DIR "/var/tmp"    /* on disk: /tmp may be tmpfs (RAM) */

struct spool {
    int fd;                 /* temporary file, or -1 */
    uint8_t *buf;           /* while reading: the chunk; after: the message
                             * when in memory, else NULL */
    size_t fill;            /* bytes in buf not yet written to fd */
    uint64_t size;
    int eightbit;
    struct header_scan tls_required;    /* RFC 8689 §5 TLS-Required */
    const char *dir;
    size_t cap;             /* of buf: memory_max + 1 */
    uint64_t max_size;      /* 0: no limit */
};

/* spool_dir - params->dir, else $TMPDIR when absolute, else /var/tmp */
static const char *spool_dir(const struct spool_params *params)
{
    const char *tmpdir = getenv("TMPDIR");

    if (params->dir != NULL)
        return params->dir;
    return tmpdir != NULL && tmpdir[0] == '/' ? tmpdir : SPOOL_DEFAULT_DIR;
}

/* temp_file - an unlinked file in dir, opened for reading and writing */
static int temp_file(const char *dir, char *err, size_t errsize)
{
    char path[4096];
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    /* the file system (EOPNOTSUPP) or the kernel (EISDIR) lacks O_TMPFILE */
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
        if ((size_t)snprintf(path, sizeof(path), "%s/dane-agent.XXXXXX", dir)
            >= sizeof(path)) {
            errno = ENAMETOOLONG;
        } else if ((fd = mkostemp(path, O_CLOEXEC)) >= 0) {
            unlink(path);
        }
    }
    if (fd < 0)
        snprintf(err, errsize, "cannot make a temporary file in %s: %s", dir,
                 strerror(errno));
    return fd;
}

/* flush - write the buffer to the file (made on first use) */
static int flush(struct spool *s, char *err, size_t errsize)
{
    if (s->fd < 0 && (s->fd = temp_file(s->dir, err, errsize)) < 0)
        return -1;
    if (io_write_all(s->fd, s->buf, s->fill) != 0) {
        /* ENOSPC too when write(2) wrote nothing (io.h) */
        snprintf(err, errsize, "cannot write the message to a temporary "
                 "file in %s: %s", s->dir, strerror(errno));
        return -1;
    }
    s->fill = 0;
    return 0;
}

/* fill_some - read what is there into the free part of the buffer; bytes
 * read, 0 at end of file, -1 on error or at the deadline */
static ssize_t fill_some(struct spool *s, int fd, size_t cap,
                         const struct spool_params *p,
                         enum spool_status *st, char *err, size_t errsize)
{
    ssize_t n;

    do {
        if (clock_wait_fd(fd, POLLIN, p->deadline_ms ? p->deadline_ms : UINT64_MAX)
            == CLOCK_EXPIRED) {
            *st = SPOOL_TIMEOUT;
            snprintf(err, errsize, "no end of file on standard input before "
                     "the delivery deadline (%llu bytes read)",
                     (unsigned long long)s->size);
            return -1;
        }
        n = read(fd, s->buf + s->fill, cap - s->fill);
    } while (n < 0 && (errno == EINTR || errno == EAGAIN));
    if (n < 0) {
        snprintf(err, errsize, "cannot read the message from standard "
                 "input: %s", strerror(errno));
        return -1;
    }
    return n;
}

/* take - account for n new bytes; -1 when the message is now too big */
static int take(struct spool *s, size_t n, char *err, size_t errsize)
{
    s->eightbit |= body_has_8bit(s->buf + s->fill, n);
    header_scan_feed(&s->tls_required, s->buf + s->fill, n);
    s->fill += n;
    s->size += n;
    if (s->max_size != 0 && s->size > s->max_size) {
        snprintf(err, errsize, "message is larger than %llu bytes",
                 (unsigned long long)s->max_size);
        return -1;
    }
    return 0;
}

/* read_all - the input into buf and, past memory_max, the file */
static enum spool_status read_all(struct spool *s, int fd,
                                  const struct spool_params *p,
                                  char *err, size_t errsize)
{
    enum spool_status st = SPOOL_FAILED;
    ssize_t n;

    for (;;) {
        if (s->fill == s->cap && flush(s, err, errsize) != 0)
            return SPOOL_FAILED;
        n = fill_some(s, fd, s->cap, p, &st, err, errsize);
        if (n < 0)
            return st;
        if (n == 0)
            break;
        if (take(s, (size_t)n, err, errsize) != 0)
            return SPOOL_TOO_BIG;
    }
    return spool_end(s, err, errsize);
}

/* spool_new - see spool.h */
struct spool *spool_new(const struct spool_params *params, char *err,
                        size_t errsize)
{
    struct spool *s = calloc(1, sizeof(*s));

    if (s != NULL)
        s->cap = (params->memory_max ? params->memory_max : SPOOL_MEMORY_MAX) + 1;
    if (s == NULL || (s->buf = malloc(s->cap)) == NULL) {
        snprintf(err, errsize, "out of memory reading the message");
        free(s);
        return NULL;
    }
    s->fd = -1;
    s->dir = spool_dir(params);
    s->max_size = params->max_size;
    header_scan_init(&s->tls_required, "TLS-Required");
    return s;
}

/* spool_append - see spool.h */
enum spool_status spool_append(struct spool *s, const void *p, size_t n,
                               char *err, size_t errsize)
{
    const uint8_t *in = p;

    while (n > 0) {
        size_t room = s->cap - s->fill, k = n < room ? n : room;

        if (room == 0) {
            if (flush(s, err, errsize) != 0)
                return SPOOL_FAILED;
            continue;
        }
        memcpy(s->buf + s->fill, in, k);
        if (take(s, k, err, errsize) != 0)
            return SPOOL_TOO_BIG;
        in += k;
        n -= k;
    }
    return SPOOL_OK;
}

/* spool_end - see spool.h */
enum spool_status spool_end(struct spool *s, char *err, size_t errsize)
{
    if (s->fd >= 0 || s->fill == s->cap) {
        if (flush(s, err, errsize) != 0)
            return SPOOL_FAILED;
        free(s->buf);
        s->buf = NULL;
    }
    return SPOOL_OK;
}

/* spool_read - see spool.h */
enum spool_status spool_read(int fd, const struct spool_params *params,
                             struct spool **out, char *err, size_t errsize)
{
    struct spool *s = spool_new(params, err, errsize);
    enum spool_status st;

    *out = NULL;
    if (s == NULL)
        return SPOOL_FAILED;
    st = read_all(s, fd, params, err, errsize);
    if (st != SPOOL_OK) {
        spool_free(s);
        return st;
    }
    *out = s;
    return SPOOL_OK;
}

/* spool_free - see spool.h */
void spool_free(struct spool *spool)
{
    if (spool == NULL)
        return;
    if (spool->fd >= 0)
        close(spool->fd);
    free(spool->buf);
    free(spool);
}

int spool_fd(const struct spool *spool)
{
    return spool->fd;
}

const uint8_t *spool_data(const struct spool *spool)
{
    return spool->buf;
}

uint64_t spool_size(const struct spool *spool)
{
    return spool->size;
}

int spool_8bit(const struct spool *spool)
{
    return spool->eightbit;
}

int spool_tls_required_no(const struct spool *spool)
{
    return header_scan_is(&spool->tls_required, "No");
}
