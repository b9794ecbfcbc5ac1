/* session_cache.c - TLS sessions shared between processes (session_cache.h)
 *
 * SYNOPSIS
 *   session_cache_key_digest(k, out)
 *   session_cache_open(dir, k, why) ... session_cache_close(c)
 *   session_cache_get(c, now, buf, cap, len, why)
 *   session_cache_put(c, now, lifetime, session, len, why)
 *   session_cache_drop(c), session_cache_name(c)
 *
 * DESCRIPTION
 *   The key digest lives here; files are cache_store.c's, kind "session
 *   cache" with magic "DANESC02": a fixed header (magic, key, created,
 *   expires, length, SHA-256) followed by the serialized session. Only
 *   bytes the store wrote reach the caller: wolfSSL 5.5.4's d2i_SSL_SESSION
 *   crashes on some malformed input (found by fuzz_session_cache), so a
 *   truncated or damaged entry must never get that far.
 */
#include "session_cache.h"

#include "cache_store.h"
#include "digest.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(SESSION_CACHE_KEY_LEN == CACHE_STORE_KEY_LEN, "a session key is a store key");

/* Entries keep the magic of the format before cache_store.c existed, so
 * files written by an older dane-agent still read. */
static const struct cache_store_kind session_kind = {
    .magic = "DANESC02",
    .what = "session cache",
    .max_lifetime = SESSION_CACHE_MAX_LIFETIME,
    .max_size = SESSION_CACHE_MAX_SESSION,
};

struct session_cache {
    struct cache_store *store;
    uint8_t key[SESSION_CACHE_KEY_LEN];
    char name[2 * SESSION_CACHE_KEY_LEN + 1];
};

/* ---- key ---- */

/* Field tags of the key encoding: each field is tag, length, bytes. */
enum key_tag {
    TAG_VERSION = 1, TAG_NEXTHOP, TAG_MX, TAG_ADDRESS, TAG_PORT, TAG_SNI,
    TAG_TLSA, TAG_LEVEL, TAG_TRUSTED_ONLY, TAG_ENTRY_KEY, TAG_ENTRY_LEVEL,
    TAG_MATCH, TAG_SERVERNAME, TAG_CA_FILE, TAG_PROTOCOLS, TAG_CURVES,
    TAG_FFDHE, TAG_DANE_DIGESTS, TAG_INSECURE_MX, TAG_LEGACY_CBC,
};

#define ABSENT 0xffffffffu      /* length of a NULL field: never "" */

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* field - tag, 32-bit length (ABSENT for NULL), bytes */
static void field(struct digest_sha256 *sha, enum key_tag tag, const void *p, size_t len)
{
    uint8_t head[5];

    head[0] = (uint8_t)tag;
    put_be(head + 1, p != NULL ? (uint64_t)len : ABSENT, 4);
    digest_sha256_update(sha, head, sizeof(head));
    if (p != NULL)
        digest_sha256_update(sha, p, len);
}

/* field_str - a string field; NULL is absent, not "" */
static void field_str(struct digest_sha256 *sha, enum key_tag tag, const char *s)
{
    field(sha, tag, s, s != NULL ? strlen(s) : 0);
}

/* field_uint - an integer field as 8 bytes big-endian */
static void field_uint(struct digest_sha256 *sha, enum key_tag tag, uint64_t v)
{
    uint8_t b[8];

    put_be(b, v, sizeof(b));
    field(sha, tag, b, sizeof(b));
}

/* field_ids - a list of 16-bit ids, order kept (preference matters) */
static void field_ids(struct digest_sha256 *sha, enum key_tag tag, const uint16_t *ids, size_t n)
{
    field_uint(sha, tag, n);
    for (size_t i = 0; i < n; i++)
        field_uint(sha, tag, ids[i]);
}

/* field_entry - the policy entry's identity and every field that shapes the
 * TLS handshake or the verification */
static void field_entry(struct digest_sha256 *sha, const struct policy_entry *e)
{
    field_str(sha, TAG_ENTRY_KEY, e->key);
    field_uint(sha, TAG_ENTRY_LEVEL, (uint64_t)e->level);
    field_uint(sha, TAG_MATCH, e->nmatch);
    for (size_t i = 0; i < e->nmatch; i++) {
        const struct policy_match *m = &e->match[i];
        field_uint(sha, TAG_MATCH, (uint64_t)m->kind);
        field_str(sha, TAG_MATCH, m->text);
        field_uint(sha, TAG_MATCH, m->digest_mtype);
        field(sha, TAG_MATCH, m->digest, m->digest_len);
    }
    field_str(sha, TAG_SERVERNAME, e->servername);
    field_str(sha, TAG_CA_FILE, e->ca_file);
    field_uint(sha, TAG_PROTOCOLS, e->protocols);
    field_ids(sha, TAG_CURVES, e->curves, e->ncurves);
    field_ids(sha, TAG_FFDHE, e->ffdhe_groups, e->nffdhe_groups);
    field(sha, TAG_DANE_DIGESTS, e->dane_digests, e->ndane_digests);
    field_uint(sha, TAG_INSECURE_MX, (uint64_t)e->insecure_mx_policy);
    field_uint(sha, TAG_LEGACY_CBC, (uint64_t)e->legacy_cbc_suites);
}

void session_cache_key_digest(const struct session_cache_key *k,
                              uint8_t out[SESSION_CACHE_KEY_LEN])
{
    struct digest_sha256 sha;

    digest_sha256_begin(&sha);
    field_str(&sha, TAG_VERSION, "dane-agent session cache 1");
    field_str(&sha, TAG_NEXTHOP, k->nexthop);
    field_str(&sha, TAG_MX, k->mx);
    field_str(&sha, TAG_ADDRESS, k->address);
    field_uint(&sha, TAG_PORT, k->port);
    field_str(&sha, TAG_SNI, k->sni);
    field(&sha, TAG_TLSA, k->tlsa, k->tlsa != NULL ? SESSION_CACHE_KEY_LEN : 0);
    field_uint(&sha, TAG_LEVEL, (uint64_t)k->level);
    field_uint(&sha, TAG_TRUSTED_ONLY, (uint64_t)(k->trusted_only != 0));
    if (k->entry != NULL)
        field_entry(&sha, k->entry);
    digest_sha256_end(&sha, out);
}

/* ---- entries: a thin layer over cache_store.h ---- */

struct session_cache *session_cache_open(const char *dir,
                                         const struct session_cache_key *k,
                                         const char **why)
{
    struct cache_store *store = cache_store_open(dir, &session_kind, why);
    struct session_cache *c;

    if (store == NULL)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        cache_store_close(store);
        *why = "out of memory";
        return NULL;
    }
    c->store = store;
    session_cache_key_digest(k, c->key);
    cache_store_name(c->key, c->name);
    return c;
}

void session_cache_close(struct session_cache *c)
{
    if (c == NULL)
        return;
    cache_store_close(c->store);
    free(c);
}

const char *session_cache_name(const struct session_cache *c)
{
    return c->name;
}

void session_cache_drop(struct session_cache *c)
{
    if (c != NULL)
        cache_store_drop(c->store, c->key);
}

int session_cache_get(struct session_cache *c, time_t now, uint8_t *buf,
                      size_t cap, size_t *len, const char **why)
{
    return cache_store_get(c->store, c->key, now, buf, cap, len, why);
}

int session_cache_put(struct session_cache *c, time_t now, unsigned lifetime,
                      const uint8_t *session, size_t len, const char **why)
{
    if (lifetime == 0)
        return 0;
    if (len == 0 || len > SESSION_CACHE_MAX_SESSION) {
        *why = "TLS session too large for the session cache";
        return -1;
    }
    return cache_store_put(c->store, c->key, now, lifetime, session, len, why);
}

void session_cache_sweep(struct session_cache *c, time_t now)
{
    cache_store_sweep(c->store, now);
}
