/* cache_store.h - a directory of small entries shared between dane-agent
 *                 processes, one file per 32-byte key (the TLS session
 *                 cache, session_cache.h; the DNS answer cache; the MTA-STS
 *                 policy cache)
 *
 * dane-agent runs once per message, so whatever should outlive a process
 * lives on disk. A kind (struct cache_store_kind) describes one cache: its
 * magic, the name that starts every reason, the longest lifetime and the
 * largest payload. The caller keys entries on a SHA-256 digest of whatever
 * it binds them to; the store neither knows nor cares what that was.
 *
 * Files: the directory must be a directory owned by the effective user and
 * not writable by group or others (it is created 0700 when missing); it is
 * opened once with O_NOFOLLOW and every access is relative to that
 * descriptor, so a path swapped after the check is never followed. An entry
 * is a regular file named by the key in hex, owned by that user, mode 0600,
 * written to a per-process temporary name and renamed into place (readers
 * see the old or the new entry, never half of one):
 *   magic (8) | key (32) | created (8) | expires (8) | length (4) |
 *   SHA-256 of all before it and the payload (32) | payload
 * integers big-endian, times in seconds since the epoch. It is read with a
 * size bound and checked before use; an entry that is expired, damaged, of
 * another kind or filed under another key's name is removed and counts as
 * a miss. Only bytes this module wrote reach the caller.
 *
 * Several kinds may share one directory: their keys differ, a get ignores
 * (and removes) an entry of another kind, and a sweep leaves another kind's
 * unexpired entries to that kind's own sweep.
 *
 * Ownership: cache_store_open() returns an owned handle; cache_store_close
 * (NULL) is a no-op. The kind is borrowed and must outlive the handle (a
 * static description). Failures set *why to a static reason that starts
 * with kind->what; a cache failure should never fail the work it speeds up.
 *
 * Folder agent/store: the cross-process cache directory; may use util.
 */
#ifndef DANE_AGENT_CACHE_STORE_H
#define DANE_AGENT_CACHE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CACHE_STORE_KEY_LEN 32u         /* SHA-256 digest of the user's key */
#define CACHE_STORE_MAGIC_LEN 8u
#define CACHE_STORE_HEADER_LEN 92u      /* bytes before the payload */
#define CACHE_STORE_CLOCK_SKEW 60       /* seconds an entry may seem to come
                                         * from the future */

/* A static description of one cache. */
struct cache_store_kind {
    const char *magic;          /* exactly 8 bytes, e.g. "DANESC02", distinct per kind */
    const char *what;           /* "session cache", "DNS cache": prefix of every *why */
    unsigned max_lifetime;      /* seconds; longer lifetimes are capped; sweeps
                                 * remove files older than this */
    size_t max_size;            /* largest payload in bytes (1 .. 2^32 - 1) */
};

struct cache_store;             /* an open, checked directory */

/* cache_store_open - the cache directory dir (created 0700 when missing);
 * NULL with *why when it is unusable or unsafe. A kind with a magic other
 * than 8 bytes, no name, no lifetime or no size is a programmer error
 * (abort). */
struct cache_store *cache_store_open(const char *dir, const struct cache_store_kind *kind,
                                     const char **why);
/* cache_store_close - release; NULL is a no-op */
void cache_store_close(struct cache_store *s);

/* cache_store_get - the payload of key's entry into buf (cap bytes): 1 hit
 * with *len set; 0 miss (absent, expired, damaged, not ours: all but the
 * absent are removed; a damaged or foreign entry also sets *why, a warning
 * "<what> entry damaged or not ours (removed)", absent and expired leave it
 * alone); -1 with *why when the entry cannot be read or does not fit in
 * cap */
int cache_store_get(struct cache_store *s, const uint8_t key[CACHE_STORE_KEY_LEN], time_t now,
                    uint8_t *buf, size_t cap, size_t *len, const char **why);
/* cache_store_put - store data (1 .. kind->max_size bytes) under key, valid
 * for lifetime seconds from now (capped at kind->max_lifetime; 0 stores
 * nothing); 0, or -1 with *why. About one put in 32 also sweeps. */
int cache_store_put(struct cache_store *s, const uint8_t key[CACHE_STORE_KEY_LEN], time_t now,
                    unsigned lifetime, const uint8_t *data, size_t len, const char **why);
/* cache_store_drop - remove key's entry (e.g. the cached item proved bad);
 * NULL s is a no-op */
void cache_store_drop(struct cache_store *s, const uint8_t key[CACHE_STORE_KEY_LEN]);
/* cache_store_sweep - remove entries (of this kind, or damaged, or of
 * another kind but expired) and temporary files last written more than
 * kind->max_lifetime plus CACHE_STORE_CLOCK_SKEW before now; other names are
 * never touched */
void cache_store_sweep(struct cache_store *s, time_t now);
/* cache_store_name - the hex file name of a key, NUL-terminated, for logs
 * and tests */
void cache_store_name(const uint8_t key[CACHE_STORE_KEY_LEN], char out[2 * CACHE_STORE_KEY_LEN + 1]);

#endif
