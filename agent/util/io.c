/* io.c - whole reads and writes with EINTR retry; contract in io.h */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* read_once - one read(2), repeated while a signal interrupts it */
static ssize_t read_once(int fd, void *buf, size_t len)
{
    ssize_t n;

    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

/* io_write_all - write(2) until every byte is out */
int io_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;     /* write(2) made no progress */
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* io_read_all - read(2) until len bytes are in */
int io_read_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = read_once(fd, p, len);

        if (n <= 0) {
            if (n == 0)
                errno = ENODATA;    /* the file ended first */
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* io_read_to_end - read(2) until end of file; with buf full, one more byte
 * tells a file of exactly cap bytes from a larger one */
enum io_status io_read_to_end(int fd, void *buf, size_t cap, size_t *len)
{
    uint8_t *p = buf, more;
    ssize_t n;

    *len = 0;
    for (;;) {
        n = *len < cap ? read_once(fd, p + *len, cap - *len) : read_once(fd, &more, 1);
        if (n < 0)
            return IO_READ_FAILED;
        if (n == 0)
            return IO_OK;
        if (*len == cap)
            return IO_TOO_BIG;
        *len += (size_t)n;
    }
}

/* io_read_file - open, read to the end within cap, close */
void *io_read_file(const char *path, size_t cap, size_t *len, enum io_status *status)
{
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC), saved;
    uint8_t *buf;

    *len = 0;
    if (fd < 0) {
        *status = IO_OPEN_FAILED;
        return NULL;
    }
    buf = cap < SIZE_MAX ? malloc(cap + 1) : NULL;
    if (buf == NULL) {
        errno = ENOMEM;
        *status = IO_NO_MEMORY;
    } else {
        *status = io_read_to_end(fd, buf, cap, len);
    }
    saved = errno;
    close(fd);
    errno = saved;
    if (*status != IO_OK) {
        free(buf);
        *len = 0;
        return NULL;
    }
    return buf;
}
