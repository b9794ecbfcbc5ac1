/* sts_cache.c - MTA-STS policies shared between processes (sts_cache.h)
 *
 * SYNOPSIS
 *   sts_cache_get(dir, domain, now, &cached, &why)
 *   sts_cache_put(dir, domain, id, text, len, fetched, &why)
 *   sts_cache_refresh_at(&cached), sts_cache_needs_refresh(&cached, txt_id, now)
 *   sts_cache_refresh_failed(dir, domain, id, now, &why)
 *   sts_cache_refresh_held(dir, domain, id, now)
 *   sts_cache_encode(&cached, buf, cap), sts_cache_decode(buf, len, &cached, &why)
 *
 * DESCRIPTION
 *   The entry layout, the key and the refresh rule are in sts_cache.h.
 *   Files are cache_store.c's; the store's own lifetime of an entry is the
 *   policy's plus STS_CACHE_KEEP_EXPIRED, so that an expired policy is
 *   still read back (EXPIRED) for a while. The decoder checks every bound
 *   even though the store checked the entry's digest (fuzz_sts_cache
 *   drives it).
 */
#include "sts_cache.h"

#include <stdlib.h>
#include <string.h>

#include "cache_store.h"
#include "digest.h"
#include "sts.h"
#include "sts_name.h"
#include "wire.h"

#define ENCODING_VERSION 1u
#define KEY_TAG "dane-agent mta-sts cache 1"
#define RETRY_TAG "dane-agent mta-sts failed refresh 1"

_Static_assert(sizeof(time_t) >= 8, "fetch times need 64 bits");

static const struct cache_store_kind sts_kind = {
    .magic = "DANEST01",
    .what = "MTA-STS cache",
    .max_lifetime = STS_MAX_AGE_MAX + STS_CACHE_KEEP_EXPIRED,
    .max_size = STS_CACHE_MAX_ENTRY,
};

/* A failed refresh: the TXT id, kept STS_CACHE_RETRY_AFTER seconds. */
static const struct cache_store_kind retry_kind = {
    .magic = "DANESR01",
    .what = "MTA-STS cache",
    .max_lifetime = STS_CACHE_RETRY_AFTER,
    .max_size = STS_ID_MAX,
};

/* The fields of an entry, borrowed: what put writes and encode reads. */
struct fields {
    const char *domain, *id;
    time_t fetched, expires;
    const uint8_t *text;
    size_t len;
};

/* ---- keys ---- */

/* hash_field - a 32-bit big-endian length, then the bytes */
static void hash_field(struct digest_sha256 *sha, const void *p, size_t len)
{
    uint8_t n[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
                     (uint8_t)(len >> 8), (uint8_t)len };

    digest_sha256_update(sha, n, sizeof n);
    digest_sha256_update(sha, p, len);
}

/* entry_key - the store key of a domain in normal form, under tag */
static void entry_key(const char *tag, const char *domain, uint8_t out[CACHE_STORE_KEY_LEN])
{
    struct digest_sha256 sha;

    digest_sha256_begin(&sha);
    hash_field(&sha, tag, strlen(tag));
    hash_field(&sha, domain, strlen(domain));
    digest_sha256_end(&sha, out);
}

/* normal_domain - domain (a host name, any case, one trailing dot allowed)
 * in normal form; 0, or -1 with *why */
static int normal_domain(const char *domain, char out[STS_NAME_MAX + 1], const char **why)
{
    const char *ignored = NULL;

    if (domain == NULL ||
        sts_name_normal(domain, strnlen(domain, STS_NAME_MAX + 2), 0, out, &ignored) != 0) {
        *why = "MTA-STS cache: not a valid domain name";
        return -1;
    }
    return 0;
}

/* ---- encoding ---- */


/* encode_fields - f as an entry into buf; the length, or 0 */
static size_t encode_fields(const struct fields *f, uint8_t *buf, size_t cap)
{
    struct wire_writer w = { buf, cap, 0, 0 };
    size_t dlen = strnlen(f->domain, STS_NAME_MAX + 1), ilen = strnlen(f->id, STS_ID_MAX + 1);

    if (dlen == 0 || dlen > STS_NAME_MAX || ilen == 0 || ilen > STS_ID_MAX ||
        f->len == 0 || f->len > STS_POLICY_MAX || f->fetched < 0 || f->expires < 0)
        return 0;
    wire_put_uint(&w, ENCODING_VERSION, 1);
    wire_put_uint(&w, (uint64_t)f->fetched, 8);
    wire_put_uint(&w, (uint64_t)f->expires, 8);
    wire_put_uint(&w, dlen, 1);
    wire_put_bytes(&w, f->domain, dlen);
    wire_put_uint(&w, ilen, 1);
    wire_put_bytes(&w, f->id, ilen);
    wire_put_uint(&w, f->len, 4);
    wire_put_bytes(&w, f->text, f->len);
    return w.overflow ? 0 : w.len;
}

size_t sts_cache_encode(const struct sts_cached *c, uint8_t *buf, size_t cap)
{
    struct fields f = { c->domain, c->id, c->fetched, c->expires, c->text, c->len };

    return encode_fields(&f, buf, cap);
}

/* ---- decoding ---- */

static const char truncated[] = "MTA-STS cache entry: truncated";


/* get_times - version, fetched and expires (checked against the policy
 * later) */
static void get_times(struct wire_reader *r, struct sts_cached *out)
{
    uint64_t version = wire_get_uint(r, 1);
    uint64_t fetched = wire_get_uint(r, 8), expires = wire_get_uint(r, 8);

    if (r->why != NULL)
        return;
    if (version != ENCODING_VERSION)
        r->why = "MTA-STS cache entry: unknown encoding version";
    else if (fetched > (uint64_t)STS_CACHE_TIME_MAX || expires < fetched ||
             expires - fetched > STS_MAX_AGE_MAX)
        r->why = "MTA-STS cache entry: times out of range";
    out->fetched = (time_t)fetched;
    out->expires = (time_t)expires;
}

/* get_domain - a domain in normal form */
static void get_domain(struct wire_reader *r, struct sts_cached *out)
{
    size_t n = (size_t)wire_get_uint(r, 1);
    const uint8_t *p = wire_get_bytes(r, n);
    const char *ignored = NULL;

    if (p == NULL)
        return;
    if (sts_name_normal((const char *)p, n, 0, out->domain, &ignored) != 0 ||
        strlen(out->domain) != n || memcmp(out->domain, p, n) != 0)
        r->why = "MTA-STS cache entry: domain not a host name in normal form";
}

/* get_id - a §3.1 id */
static void get_id(struct wire_reader *r, struct sts_cached *out)
{
    size_t n = (size_t)wire_get_uint(r, 1);
    const uint8_t *p = wire_get_bytes(r, n);

    if (p == NULL)
        return;
    if (!sts_id_valid((const char *)p, n)) {
        r->why = "MTA-STS cache entry: id is not 1 to 32 letters or digits";
        return;
    }
    memcpy(out->id, p, n);
    out->id[n] = '\0';
}

/* get_policy - the text, which must parse and agree with the expiry */
static void get_policy(struct wire_reader *r, struct sts_cached *out)
{
    size_t n = (size_t)wire_get_uint(r, 4);
    const uint8_t *p;
    const char *ignored = NULL;

    if (r->why == NULL && (n == 0 || n > STS_POLICY_MAX)) {
        r->why = "MTA-STS cache entry: policy empty or too large";
        return;
    }
    if ((p = wire_get_bytes(r, n)) == NULL)
        return;
    memcpy(out->text, p, n);
    out->len = n;
    if (sts_policy_parse(out->text, n, &out->policy, &ignored) != 0)
        r->why = "MTA-STS cache entry: policy does not parse";
    else if (out->expires - out->fetched != (time_t)out->policy.max_age)
        r->why = "MTA-STS cache entry: expiry is not fetch time plus max_age";
}

int sts_cache_decode(const uint8_t *buf, size_t len, struct sts_cached *out,
                     const char **why)
{
    struct wire_reader r = { buf, len, 0, NULL, truncated };

    memset(out, 0, sizeof *out);
    get_times(&r, out);
    get_domain(&r, out);
    get_id(&r, out);
    get_policy(&r, out);
    if (r.why == NULL && r.off != r.len)
        r.why = "MTA-STS cache entry: trailing bytes";
    if (r.why != NULL) {
        memset(out, 0, sizeof *out);
        *why = r.why;
        return -1;
    }
    return 0;
}

/* ---- the cache ---- */

/* read_entry - the store's entry of key into *out; the status. An entry
 * the store kept but this decoder refuses is removed. */
static enum sts_cache_status read_entry(struct cache_store *s, const uint8_t *key,
                                        const char *domain, time_t now,
                                        struct sts_cached *out, const char **why)
{
    uint8_t *buf = malloc(STS_CACHE_MAX_ENTRY);
    size_t len = 0;
    int rc;

    if (buf == NULL) {
        *why = "MTA-STS cache: out of memory";
        return STS_CACHE_ERROR;
    }
    rc = cache_store_get(s, key, now, buf, STS_CACHE_MAX_ENTRY, &len, why);
    if (rc == 1 && sts_cache_decode(buf, len, out, why) != 0)
        rc = -2;
    else if (rc == 1 && strcmp(out->domain, domain) != 0) {
        *why = "MTA-STS cache entry for another domain (removed)";
        rc = -2;
    }
    free(buf);
    if (rc == 1)
        return now < out->expires ? STS_CACHE_FOUND : STS_CACHE_EXPIRED;
    memset(out, 0, sizeof *out);
    if (rc == -2)
        cache_store_drop(s, key);
    return rc == -1 ? STS_CACHE_ERROR : STS_CACHE_MISSING;
}

enum sts_cache_status sts_cache_get(const char *dir, const char *domain, time_t now,
                                    struct sts_cached *out, const char **why)
{
    char name[STS_NAME_MAX + 1];
    uint8_t key[CACHE_STORE_KEY_LEN];
    struct cache_store *s;
    enum sts_cache_status status;

    *why = NULL;
    memset(out, 0, sizeof *out);
    if (normal_domain(domain, name, why) != 0 ||
        (s = cache_store_open(dir, &sts_kind, why)) == NULL)
        return STS_CACHE_ERROR;
    entry_key(KEY_TAG, name, key);
    status = read_entry(s, key, name, now, out, why);
    cache_store_close(s);
    return status;
}

/* store_fields - f encoded as the entry of its domain, kept by the store
 * for the policy's lifetime plus STS_CACHE_KEEP_EXPIRED */
static int store_fields(const char *dir, const struct fields *f, const char **why)
{
    uint8_t key[CACHE_STORE_KEY_LEN], *buf = malloc(STS_CACHE_MAX_ENTRY);
    unsigned lifetime = (unsigned)(f->expires - f->fetched) + STS_CACHE_KEEP_EXPIRED;
    struct cache_store *s;
    size_t len;
    int rc = -1;

    if (buf == NULL) {
        *why = "MTA-STS cache: out of memory";
        return -1;
    }
    len = encode_fields(f, buf, STS_CACHE_MAX_ENTRY);
    entry_key(KEY_TAG, f->domain, key);
    if (len == 0)
        *why = "MTA-STS cache: entry out of bounds";
    else if ((s = cache_store_open(dir, &sts_kind, why)) != NULL) {
        rc = cache_store_put(s, key, f->fetched, lifetime, buf, len, why);
        cache_store_close(s);
    }
    free(buf);
    return rc;
}

int sts_cache_put(const char *dir, const char *domain, const char *id,
                  const uint8_t *policy_text, size_t len, time_t fetched, const char **why)
{
    char name[STS_NAME_MAX + 1];
    struct sts_policy policy;
    struct fields f = { name, id, fetched, 0, policy_text, len };

    if (normal_domain(domain, name, why) != 0)
        return -1;
    if (id == NULL || !sts_id_valid(id, strnlen(id, STS_ID_MAX + 1))) {
        *why = "MTA-STS cache: the policy id is not 1 to 32 letters or digits";
        return -1;
    }
    if (fetched < 0 || fetched > STS_CACHE_TIME_MAX) {
        *why = "MTA-STS cache: fetch time out of range";
        return -1;
    }
    if (sts_policy_parse(policy_text, len, &policy, why) != 0)
        return -1;
    f.expires = fetched + (time_t)policy.max_age;
    return store_fields(dir, &f, why);
}

/* ---- refresh ---- */

time_t sts_cache_refresh_at(const struct sts_cached *c)
{
    time_t half = (c->expires - c->fetched) / 2;

    /* §3.3 suggests daily; half the max_age leaves time for retries */
    return c->fetched + (half < STS_CACHE_REFRESH_MAX ? half : STS_CACHE_REFRESH_MAX);
}

int sts_cache_needs_refresh(const struct sts_cached *c, const char *txt_id, time_t now)
{
    if (txt_id != NULL && strcmp(txt_id, c->id) != 0)
        return 1;   /* §3.1: another id is another policy */
    return now >= sts_cache_refresh_at(c);
}

/* retry_key - the key of domain's failed refresh, with a valid id; 0, or
 * -1 with *why */
static int retry_key(const char *domain, const char *id, uint8_t key[CACHE_STORE_KEY_LEN],
                     const char **why)
{
    char name[STS_NAME_MAX + 1];

    if (normal_domain(domain, name, why) != 0)
        return -1;
    if (id == NULL || !sts_id_valid(id, strnlen(id, STS_ID_MAX + 1))) {
        *why = "MTA-STS cache: the policy id is not 1 to 32 letters or digits";
        return -1;
    }
    entry_key(RETRY_TAG, name, key);
    return 0;
}

int sts_cache_refresh_failed(const char *dir, const char *domain, const char *id, time_t now,
                             const char **why)
{
    uint8_t key[CACHE_STORE_KEY_LEN];
    struct cache_store *s;
    int rc;

    if (retry_key(domain, id, key, why) != 0 ||
        (s = cache_store_open(dir, &retry_kind, why)) == NULL)
        return -1;
    rc = cache_store_put(s, key, now, STS_CACHE_RETRY_AFTER, (const uint8_t *)id,
                         strlen(id), why);
    cache_store_close(s);
    return rc;
}

int sts_cache_refresh_held(const char *dir, const char *domain, const char *id, time_t now)
{
    uint8_t key[CACHE_STORE_KEY_LEN], held[STS_ID_MAX];
    const char *why = NULL;
    struct cache_store *s;
    size_t len = 0;
    int rc;

    if (retry_key(domain, id, key, &why) != 0 ||
        (s = cache_store_open(dir, &retry_kind, &why)) == NULL)
        return 0;
    rc = cache_store_get(s, key, now, held, sizeof held, &len, &why);
    cache_store_close(s);
    return rc == 1 && len == strlen(id) && memcmp(held, id, len) == 0;
}
