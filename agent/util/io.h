/* io.h - reading and writing a descriptor in full, and reading a whole file
 *        of bounded size
 *
 * read(2) and write(2) may move fewer bytes than asked, and fail with EINTR
 * when a signal arrives; these loop until the job is done, so no caller
 * repeats that loop. On failure errno says why: read(2)'s or write(2)'s own,
 * ENOSPC when write(2) wrote nothing, ENODATA when io_read_all() met the end
 * of the file first. A file larger than its bound is refused, never cut
 * short in silence.
 *
 * Ownership: io_read_file() returns a buffer the caller frees; nothing else
 * allocates, and no function closes a descriptor it was given.
 */
#ifndef DANE_AGENT_IO_H
#define DANE_AGENT_IO_H

#include <stddef.h>

enum io_status {
    IO_OK = 0,
    IO_OPEN_FAILED,         /* open(2) failed: errno */
    IO_READ_FAILED,         /* read(2) failed: errno */
    IO_TOO_BIG,             /* more bytes than the bound */
    IO_NO_MEMORY,
};

/* io_write_all - all len bytes of buf to fd; 0, or -1 with errno */
int io_write_all(int fd, const void *buf, size_t len);

/* io_read_all - exactly len bytes from fd into buf; 0, or -1 with errno */
int io_read_all(int fd, void *buf, size_t len);

/* io_read_to_end - fd until its end into buf, at most cap bytes, the count
 * in *len: IO_OK; IO_TOO_BIG when there are more (buf holds the first cap);
 * IO_READ_FAILED with errno */
enum io_status io_read_to_end(int fd, void *buf, size_t cap, size_t *len);

/* io_read_file - the whole file at path, at most cap bytes, in a new buffer
 * of cap + 1 bytes (room for a NUL the caller may add) and its length in
 * *len; NULL with *status IO_OPEN_FAILED, IO_READ_FAILED, IO_TOO_BIG or
 * IO_NO_MEMORY (errno kept from the failing call) */
void *io_read_file(const char *path, size_t cap, size_t *len, enum io_status *status);

#endif
