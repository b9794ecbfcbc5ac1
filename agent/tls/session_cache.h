/* session_cache.h - TLS sessions shared between dane-agent processes: one
 *                   file per destination key in the policy's session_cache
 *                   directory (RFC 8446 §2.2 resumption, RFC 5077 tickets)
 *
 * dane-agent runs once per message, so a session outlives its process only
 * on disk. A key binds everything a session may be reused for: next-hop,
 * MX host, address and port, SNI, the TLSA RRset in force
 * (tlsa_set_fingerprint(), or none), the policy entry (its key, level and
 * every field that shapes TLS or verification) and the level enforced on
 * the host. A change of any of them yields another key, so a session made
 * under other demands is never offered. Resumption never replaces
 * verification: the caller re-checks the peer chain a resumed session
 * restores (smtp.c), and conn.c stores only sessions whose verification
 * passed (conn_remember()).
 *
 * Files (cache_store.h, kind "session cache", magic "DANESC02"): the
 * directory must be a directory owned by the effective user and not
 * writable by group or others (it is created 0700 when missing); an entry
 * is a regular file owned by that user, mode 0600, written to a temporary
 * name and renamed into place (readers never see half a file), read with a
 * size bound and checked (magic, key, times, length, SHA-256 of the
 * contents) before use. An entry that is expired, unparsable or bound to
 * another key is removed and counts as a miss. An entry lives for the
 * session's own lifetime (ticket lifetime hint or timeout), at most
 * SESSION_CACHE_MAX_LIFETIME; files of any key older than that are swept
 * now and then.
 *
 * Ownership: session_cache_open() returns an owned handle (one key in one
 * directory); session_cache_close(NULL) is a no-op. Failures set *why to a
 * static reason; a cache failure never fails a delivery (the caller logs
 * it and goes on with a full handshake).
 */
#ifndef DANE_AGENT_SESSION_CACHE_H
#define DANE_AGENT_SESSION_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "policy.h"

#define SESSION_CACHE_MAX_LIFETIME 3600u    /* seconds */
#define SESSION_CACHE_MAX_SESSION (32u * 1024u) /* serialized session bytes */
#define SESSION_CACHE_KEY_LEN 32u           /* SHA-256 */

/* What a cached session is bound to. Strings may be NULL (absent). */
struct session_cache_key {
    const char *nexthop;            /* as given: "example.com", "[h]:587" */
    const char *mx;                 /* MX host name */
    const char *address;            /* numeric address */
    uint16_t port;
    const char *sni;                /* server name sent, NULL: none */
    const uint8_t *tlsa;            /* tlsa_set_fingerprint(), NULL: none */
    const struct policy_entry *entry;   /* the policy entry in force */
    enum policy_level level;        /* level enforced on this host */
    int trusted_only;               /* DANE via an insecure MX */
};

struct session_cache;

/* session_cache_key_digest - SHA-256 over an unambiguous encoding of every
 * field of k (and of the policy entry's TLS and verification fields) */
void session_cache_key_digest(const struct session_cache_key *k,
                              uint8_t out[SESSION_CACHE_KEY_LEN]);

/* session_cache_open - the entry for key k in directory dir (created 0700
 * when missing); NULL with *why when the directory is unusable or unsafe */
struct session_cache *session_cache_open(const char *dir,
                                         const struct session_cache_key *k,
                                         const char **why);
/* session_cache_close - release; NULL is a no-op */
void session_cache_close(struct session_cache *c);

/* session_cache_get - the stored session into buf (cap bytes): 1 with *len
 * set on a hit; 0 on a miss (none, expired, unparsable: the latter two are
 * removed); -1 with *why when the entry cannot be read */
int session_cache_get(struct session_cache *c, time_t now, uint8_t *buf,
                      size_t cap, size_t *len, const char **why);
/* session_cache_put - store a serialized session valid for lifetime
 * seconds from now (capped at SESSION_CACHE_MAX_LIFETIME; 0 stores
 * nothing); 0, or -1 with *why */
int session_cache_put(struct session_cache *c, time_t now, unsigned lifetime,
                      const uint8_t *session, size_t len, const char **why);
/* session_cache_drop - remove the entry (a resumed session failed); NULL is
 * a no-op */
void session_cache_drop(struct session_cache *c);
/* session_cache_sweep - remove entries and temporary files of any key
 * (but not another cache kind's unexpired entries, cache_store.h) last written more than SESSION_CACHE_MAX_LIFETIME (plus a minute of clock
 * skew) before now; session_cache_put() does so about once in 32 calls, so
 * destinations never seen again do not pile up */
void session_cache_sweep(struct session_cache *c, time_t now);
/* session_cache_name - the entry's file name (hex key), for logs and tests */
const char *session_cache_name(const struct session_cache *c);

#endif
