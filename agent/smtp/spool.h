/* spool.h - the message on standard input, read once and kept for every
 *           delivery attempt in bounded memory
 *
 * spool_read() reads a descriptor to end of file: a message of at most
 * params->memory_max bytes stays in memory, a larger one goes to an
 * unlinked temporary file in params->dir (O_TMPFILE where the file system
 * supports it, else mkstemp() and unlink()), so nothing is left on disk
 * even when the process is killed. Only one chunk of memory_max + 1 bytes
 * is ever held while reading, whatever the size. On the way it counts the
 * bytes and notes whether any is >= 0x80 (RFC 6152 BODY=8BITMIME).
 *
 * Each wait for input is a poll() bounded by the absolute deadline
 * params->deadline_ms (clock_now_ms() clock): input that never reaches end
 * of file ends in SPOOL_TIMEOUT instead of a hang.
 *
 * Ownership: spool_read() stores an owned spool in *out on SPOOL_OK only;
 * spool_free() releases it (NULL: no-op). spool_fd() and spool_data() are
 * valid until then. The file is a regular file read with pread() from
 * offset 0 (smtp.h struct smtp_message), so every attempt reads it anew.
 *
 * Errors: the status, and one sentence in err naming the directory or the
 * descriptor and the errno text.
 */
#ifndef DANE_AGENT_SPOOL_H
#define DANE_AGENT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MEMORY_MAX (64u * 1024u)  /* default threshold for a file */

struct spool;

struct spool_params {
    const char *dir;        /* for the temporary file; NULL: $TMPDIR when
                             * it is an absolute path, else /var/tmp */
    uint64_t max_size;      /* larger is SPOOL_TOO_BIG; 0: no limit */
    size_t memory_max;      /* larger goes to a file; 0: SPOOL_MEMORY_MAX */
    uint64_t deadline_ms;   /* absolute (clock_now_ms()); 0: none */
};

enum spool_status {
    SPOOL_OK = 0,
    SPOOL_TOO_BIG,          /* more than max_size bytes: bounce (5.3.4) */
    SPOOL_TIMEOUT,          /* no end of file by the deadline (4.4.7) */
    SPOOL_FAILED,           /* read error, no memory, the temporary file
                             * cannot be made or written (disk full):
                             * defer (4.3.0) */
};

/* spool_read - read fd to end of file; SPOOL_OK with *out set, else the
 * failure with err filled (NUL-terminated, truncated to errsize) */
enum spool_status spool_read(int fd, const struct spool_params *params,
                             struct spool **out, char *err, size_t errsize);
/* spool_new - an empty spool to fill with spool_append() (the LMTP body
 * as it streams in, serve) and end with spool_end(); NULL with err on
 * ENOMEM. The same memory bound, file and accounting as spool_read(); the
 * deadline is not used. After a failed append the spool is only for
 * spool_free(). */
struct spool *spool_new(const struct spool_params *params, char *err,
                        size_t errsize);
/* spool_append - n more bytes of the message */
enum spool_status spool_append(struct spool *s, const void *p, size_t n,
                               char *err, size_t errsize);
/* spool_end - the message is complete: spool_fd() or spool_data() hold it */
enum spool_status spool_end(struct spool *s, char *err, size_t errsize);
/* spool_free - close and release; NULL is a no-op */
void spool_free(struct spool *spool);
/* spool_fd - the temporary file, or -1 when the message is in memory */
int spool_fd(const struct spool *spool);
/* spool_data - the message when in memory, else NULL */
const uint8_t *spool_data(const struct spool *spool);
/* spool_size - the message's length in bytes */
uint64_t spool_size(const struct spool *spool);
/* spool_8bit - 1 when some byte is >= 0x80 */
int spool_8bit(const struct spool *spool);
/* spool_tls_required_no - 1 when the message's header has "TLS-Required:
 * No" (RFC 8689 §5; header.h) */
int spool_tls_required_no(const struct spool *spool);

#endif
