/* fuzz_session_cache.c - Target function: session_cache_get (the entry
 * file parser), with session_cache_put for the round trip
 *
 * Input: one mode byte, then data.
 *   even mode: data is a whole entry file, read back with a clock just
 *              after the entry's own creation time (bytes 40..47 when
 *              present), so that well-formed headers get past the clock;
 *   odd mode:  data is a serialized session, stored with session_cache_put
 *              and read back: the bytes must come back unchanged.
 * Rejection is fine; a crash, a leak or a sanitizer report is a bug. The
 * key matches the seeds in fuzz/corpus/session_cache/ (entries captured
 * from peer.py sessions).
 *
 * Not driven: tls_session_offer. wolfSSL 5.5.4's d2i_SSL_SESSION crashes
 * (wolfSSL_X509_free of a bad pointer) on some malformed sessions; an
 * earlier version of this target found it, and with comparison tracing it
 * even forges the entry's SHA-256. The defence is that only the
 * agent's own user can write the 0700 directory and that the digest keeps
 * damaged entries from d2i; a forging writer already runs as that user.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "session_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char entry[160];
static struct session_cache *cache;

static void cleanup(void)
{
    session_cache_close(cache);
    unlink(entry);
    rmdir(dir);
}

static void init(void)
{
    static const struct policy_entry e = { .key = "defaults",
                                           .level = POLICY_LEVEL_ENCRYPT };
    const struct session_cache_key k = { .nexthop = "x", .entry = &e };
    const char *why = NULL;

    snprintf(dir, sizeof(dir), "/tmp/fuzz_session_cache.XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    cache = session_cache_open(dir, &k, &why);
    if (cache == NULL)
        abort();
    snprintf(entry, sizeof(entry), "%s/%s", dir, session_cache_name(cache));
    atexit(cleanup);
}

static void write_entry(const uint8_t *p, size_t n)
{
    int fd = open(entry, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n))
        abort();
    close(fd);
}

/* created - the entry's creation time, or 0 */
static time_t created(const uint8_t *p, size_t n)
{
    uint64_t t = 0;

    if (n < 48)
        return 0;
    for (size_t i = 40; i < 48; i++)
        t = (t << 8) | p[i];
    return (time_t)(t & 0x7fffffffffffull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    size_t len = 0;
    time_t now;

    if (cache == NULL)
        init();
    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0) {
        write_entry(data + 1, size - 1);
        now = created(data + 1, size - 1) + 1;
    } else {
        now = 1700000000;
        if (session_cache_put(cache, now, 600, data + 1, size - 1, &why) != 0)
            return 0;
        now += 1;
    }
    if (session_cache_get(cache, now, buf, sizeof(buf), &len, &why) != 1)
        return 0;
    if ((data[0] & 1) == 1 && (len != size - 1 || memcmp(buf, data + 1, len) != 0))
        abort();    /* stored and read back differ */
    return 0;
}
