/* dns_cache.c - DNS answers shared between processes (dns_cache.h)
 *
 * SYNOPSIS
 *   dns_cache_open(config, &why) ... dns_cache_close(c)
 *   dns_cache_get(c, qname, qtype, now, &answer), dns_cache_put(c, a, now)
 *   dns_cache_get_check(c, now), dns_cache_put_check(c, ttl, now)
 *   dns_cache_encode(a, buf, cap), dns_cache_decode(buf, len, &a, &why)
 *
 * DESCRIPTION
 *   An entry's key is SHA-256 over: a version string, the configuration
 *   digest (trust anchor file contents, upstreams), a kind (answer or
 *   capability check), the query type and the lower-case query name, each
 *   field length-prefixed. Its payload is the answer encoded as
 *     version (1) | status (1) | rcode (1) | note (1) | qtype (2) | ttl (4) |
 *     qname | owner | ncnames (1) | cnames... | nrr_seen (4) | nrr (1) |
 *     { preference (2) | text }... | ntxt (1) | { length (2) | octets }... |
 *     ntlsa (2) | { usage | selector | mtype | length (2) | data }...
 *   names and texts as length (1) and bytes, integers big-endian; TXT
 *   records (dns_answer.h: the whole RRset or none) as their octets. The
 *   store checks each entry's SHA-256 before the decoder sees it; the
 *   decoder still checks every bound (fuzz_dns_cache drives it).
 */
#include "dns_cache.h"

#include <stdlib.h>
#include <string.h>

#include "cache_store.h"
#include "digest.h"
#include "io.h"
#include "tlsa.h"
#include "wire.h"

#define ENCODING_VERSION 2u          /* 2: TXT records */
#define ANCHORS_MAX (64u * 1024u)   /* trust anchor file bytes hashed */

static const struct cache_store_kind dns_kind = {
    .magic = "DANEDC01",
    .what = "DNS cache",
    .max_lifetime = 24u * 3600u,    /* the policy's cache_max_ttl bound */
    .max_size = DNS_CACHE_MAX_ENTRY,
};

/* The static notes an answer that may be kept can carry (dns_reply.c). */
static const char *const notes[] = {
    NULL,
    "malformed MX record ignored",
    "malformed address record ignored",
    "malformed TLSA record ignored",
    DNS_WHY_TXT_MALFORMED,
    DNS_WHY_TXT_OVERSIZED,
    DNS_WHY_TXT_TOO_MANY,
};

enum key_kind { KEY_ANSWER = 1, KEY_CHECK = 2 };

struct dns_cache {
    struct cache_store *store;
    uint8_t config[DIGEST_SHA256_LEN];
    unsigned max_ttl;
};

/* ---- keys ---- */

/* lower_ascii - RFC 4343 §2: DNS names ignore the case of ASCII letters */
static char lower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* hash_field - a 32-bit big-endian length, then the bytes */
static void hash_field(struct digest_sha256 *sha, const void *p, size_t len)
{
    uint8_t n[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16),
                     (uint8_t)(len >> 8), (uint8_t)len };

    digest_sha256_update(sha, n, sizeof n);
    digest_sha256_update(sha, p, len);
}

/* config_digest - what every key of this configuration shares */
static int config_digest(const struct dns_config *config,
                         uint8_t out[DIGEST_SHA256_LEN], const char **why)
{
    uint8_t *anchors = NULL;
    size_t len = 0;
    enum io_status status;
    struct digest_sha256 sha;

    if (config->trust_anchors != NULL) {
        /* all of the file, or none when unreadable or larger */
        anchors = io_read_file(config->trust_anchors, ANCHORS_MAX, &len, &status);
        if (anchors == NULL) {
            *why = "DNS cache: cannot read the trust anchor file (or it is over 64 KiB)";
            return -1;
        }
    }
    digest_sha256_begin(&sha);
    hash_field(&sha, "dane-agent dns cache 1", 22);
    hash_field(&sha, anchors, anchors != NULL ? len : 0);
    for (size_t i = 0; i < config->nupstreams; i++) {
        const struct dns_upstream *u = &config->upstreams[i];
        uint8_t port[2] = { (uint8_t)(u->port >> 8), (uint8_t)u->port };

        hash_field(&sha, u->address, strnlen(u->address, sizeof u->address));
        hash_field(&sha, port, sizeof port);
    }
    digest_sha256_end(&sha, out);
    free(anchors);
    return 0;
}

/* entry_key - the store key of (kind, qname, qtype) */
static void entry_key(const struct dns_cache *c, enum key_kind kind,
                      const char *qname, uint16_t qtype,
                      uint8_t out[CACHE_STORE_KEY_LEN])
{
    char lower[DNS_NAME_MAX + 1];
    size_t n = strnlen(qname, DNS_NAME_MAX);
    uint8_t head[3] = { (uint8_t)kind, (uint8_t)(qtype >> 8), (uint8_t)qtype };
    struct digest_sha256 sha;

    for (size_t i = 0; i < n; i++)
        lower[i] = lower_ascii(qname[i]);
    digest_sha256_begin(&sha);
    hash_field(&sha, c->config, sizeof c->config);
    hash_field(&sha, head, sizeof head);
    hash_field(&sha, lower, n);
    digest_sha256_end(&sha, out);
}

/* ---- encoding ---- */


static void put_text(struct wire_writer *w, const char *s)
{
    size_t n = strnlen(s, DNS_NAME_MAX + 1);

    if (n > DNS_NAME_MAX) {
        w->overflow = 1;
        return;
    }
    wire_put_uint(w, (uint32_t)n, 1);
    wire_put_bytes(w, s, n);
}

/* note_code - index of a->why in notes[], or -1 */
static int note_code(const char *why)
{
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (why == notes[i] || (why != NULL && notes[i] != NULL && strcmp(why, notes[i]) == 0))
            return (int)i;
    return -1;
}

int dns_cache_keepable(const struct dns_answer *a)
{
    return a->asked && (unsigned)a->status <= DNS_TIMEOUT
           && !dns_status_is_error(a->status) && a->ttl > 0 && note_code(a->why) >= 0;
}

static void put_tlsa(struct wire_writer *w, const struct tlsa_set *set)
{
    size_t n = set != NULL ? tlsa_set_count(set) : 0;

    wire_put_uint(w, (uint32_t)n, 2);
    for (size_t i = 0; i < n; i++) {
        const struct tlsa_rr *rr = tlsa_set_record(set, i);

        wire_put_uint(w, rr->usage, 1);
        wire_put_uint(w, rr->selector, 1);
        wire_put_uint(w, rr->mtype, 1);
        if (rr->len > 0xffff)
            w->overflow = 1;
        wire_put_uint(w, (uint32_t)rr->len, 2);
        wire_put_bytes(w, rr->data, rr->len);
    }
}

/* put_txt - the TXT records: count, then each one's length and octets */
static void put_txt(struct wire_writer *w, const struct dns_answer *a)
{
    wire_put_uint(w, (uint32_t)a->ntxt, 1);
    for (size_t i = 0; i < a->ntxt; i++) {
        if (a->txt[i].len > DNS_TXT_MAX_LEN)
            w->overflow = 1;
        wire_put_uint(w, (uint32_t)a->txt[i].len, 2);
        wire_put_bytes(w, a->txt[i].text, a->txt[i].len);
    }
}

size_t dns_cache_encode(const struct dns_answer *a, uint8_t *buf, size_t cap)
{
    struct wire_writer w = { buf, cap, 0, 0 };

    if (!dns_cache_keepable(a) || a->ncnames > DNS_MAX_CNAMES || a->nrr > DNS_MAX_RRS
        || a->nrr_seen > UINT32_MAX || a->ntxt > DNS_MAX_TXT
        || (a->ntxt > 0 && a->txt == NULL))
        return 0;
    wire_put_uint(&w, ENCODING_VERSION, 1);
    wire_put_uint(&w, (uint32_t)a->status, 1);
    wire_put_uint(&w, a->rcode, 1);
    wire_put_uint(&w, (uint32_t)note_code(a->why), 1);
    wire_put_uint(&w, a->qtype, 2);
    wire_put_uint(&w, a->ttl, 4);
    put_text(&w, a->qname);
    put_text(&w, a->owner);
    wire_put_uint(&w, (uint32_t)a->ncnames, 1);
    for (size_t i = 0; i < a->ncnames; i++)
        put_text(&w, a->cnames[i]);
    wire_put_uint(&w, (uint32_t)a->nrr_seen, 4);
    wire_put_uint(&w, (uint32_t)a->nrr, 1);
    for (size_t i = 0; i < a->nrr; i++) {
        wire_put_uint(&w, a->rr[i].preference, 2);
        put_text(&w, a->rr[i].text);
    }
    put_txt(&w, a);
    put_tlsa(&w, a->tlsa);
    return w.overflow ? 0 : w.len;
}

/* ---- decoding ---- */


/* get_text - a name or address text: no NUL, at most DNS_NAME_MAX */
static void get_text(struct wire_reader *r, char out[DNS_NAME_MAX + 1])
{
    size_t n = wire_get_uint(r, 1);
    const uint8_t *p = wire_get_bytes(r, n);

    out[0] = '\0';
    if (p == NULL)
        return;
    if (n > DNS_NAME_MAX || memchr(p, '\0', n) != NULL) {
        r->why = "bad name";
        return;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

static void get_tlsa(struct wire_reader *r, struct dns_answer *out)
{
    size_t n = wire_get_uint(r, 2);
    const char *why = NULL;

    if (n == 0 || r->why != NULL)
        return;
    if (n > TLSA_MAX_RECORDS || (out->tlsa = tlsa_set_new()) == NULL) {
        r->why = n > TLSA_MAX_RECORDS ? "too many TLSA records" : "out of memory";
        return;
    }
    for (size_t i = 0; i < n && r->why == NULL; i++) {
        uint8_t usage = (uint8_t)wire_get_uint(r, 1), selector = (uint8_t)wire_get_uint(r, 1);
        uint8_t mtype = (uint8_t)wire_get_uint(r, 1);
        size_t len = wire_get_uint(r, 2);
        const uint8_t *data = wire_get_bytes(r, len);

        if (data != NULL
            && tlsa_set_add_rr(out->tlsa, usage, selector, mtype, data, len, &why) != 0)
            r->why = "bad TLSA record";
    }
    out->tlsa_total = tlsa_set_count(out->tlsa);
    out->tlsa_usable = tlsa_set_usable_count(out->tlsa);
}

/* get_txt - the TXT records: none, or as many as the RRset has (dns_answer.h),
 * only in a TXT answer, each at most DNS_TXT_MAX_LEN octets */
static void get_txt(struct wire_reader *r, struct dns_answer *out)
{
    size_t n = wire_get_uint(r, 1);

    if (n == 0 || r->why != NULL)
        return;
    if (n > DNS_MAX_TXT || n != out->nrr_seen || out->qtype != DNS_TYPE_TXT) {
        r->why = "bad TXT record count";
        return;
    }
    if ((out->txt = calloc(DNS_MAX_TXT, sizeof *out->txt)) == NULL) {
        r->why = "out of memory";
        return;
    }
    for (size_t i = 0; i < n && r->why == NULL; i++) {
        size_t len = wire_get_uint(r, 2);
        const uint8_t *p = len <= DNS_TXT_MAX_LEN ? wire_get_bytes(r, len) : NULL;

        if (len > DNS_TXT_MAX_LEN && r->why == NULL)
            r->why = "TXT record too long";
        if (p == NULL)
            return;
        memcpy(out->txt[i].text, p, len);
        out->txt[i].text[len] = '\0';
        out->txt[i].len = len;
        out->ntxt++;
    }
}

/* get_header - version, status, rcode, note, qtype, ttl */
static void get_header(struct wire_reader *r, struct dns_answer *out)
{
    uint32_t status, note;

    if (wire_get_uint(r, 1) != ENCODING_VERSION && r->why == NULL)
        r->why = "unknown encoding version";
    status = wire_get_uint(r, 1);
    out->rcode = (uint8_t)wire_get_uint(r, 1);
    note = wire_get_uint(r, 1);
    out->qtype = (uint16_t)wire_get_uint(r, 2);
    out->ttl = wire_get_uint(r, 4);
    if (r->why != NULL)
        return;
    out->status = (enum dns_status)status;
    if (status > DNS_TIMEOUT || dns_status_is_error(out->status))
        r->why = "status that is never kept";
    else if (note >= sizeof notes / sizeof notes[0])
        r->why = "unknown note";
    else
        out->why = notes[note];
}

int dns_cache_decode(const uint8_t *buf, size_t len, struct dns_answer *out,
                     const char **why)
{
    struct wire_reader r = { buf, len, 0, NULL, "truncated" };

    dns_answer_clear(out);
    out->asked = 1;
    get_header(&r, out);
    get_text(&r, out->qname);
    get_text(&r, out->owner);
    out->ncnames = wire_get_uint(&r, 1);
    if (out->ncnames > DNS_MAX_CNAMES && r.why == NULL)
        r.why = "too many CNAMEs";
    for (size_t i = 0; i < out->ncnames && r.why == NULL; i++)
        get_text(&r, out->cnames[i]);
    out->nrr_seen = wire_get_uint(&r, 4);
    out->nrr = wire_get_uint(&r, 1);
    if ((out->nrr > DNS_MAX_RRS || out->nrr > out->nrr_seen) && r.why == NULL)
        r.why = "bad record count";
    for (size_t i = 0; i < out->nrr && r.why == NULL; i++) {
        out->rr[i].preference = (uint16_t)wire_get_uint(&r, 2);
        get_text(&r, out->rr[i].text);
    }
    get_txt(&r, out);
    get_tlsa(&r, out);
    if (r.why == NULL && r.off != r.len)
        r.why = "trailing bytes";
    if (r.why == NULL && out->ttl == 0)
        r.why = "zero TTL";
    if (r.why != NULL) {
        dns_answer_clear(out);
        *why = r.why;
        return -1;
    }
    out->cached = 1;
    return 0;
}

/* ---- the cache ---- */

struct dns_cache *dns_cache_open(const struct dns_config *config, const char **why)
{
    struct dns_cache *c = calloc(1, sizeof *c);

    if (c == NULL) {
        *why = "out of memory";
        return NULL;
    }
    c->max_ttl = config->cache_max_ttl ? config->cache_max_ttl : DNS_DEFAULT_CACHE_MAX_TTL;
    if (config_digest(config, c->config, why) != 0
        || (c->store = cache_store_open(config->cache_dir, &dns_kind, why)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void dns_cache_close(struct dns_cache *c)
{
    if (c == NULL)
        return;
    cache_store_close(c->store);
    free(c);
}

/* same_name - names compare without regard to ASCII case (RFC 4343 §2) */
static int same_name(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (lower_ascii(*a) != lower_ascii(*b))
            return 0;
    return *a == *b;
}

int dns_cache_get(struct dns_cache *c, const char *qname, uint16_t qtype,
                  time_t now, struct dns_answer *out)
{
    uint8_t key[CACHE_STORE_KEY_LEN], *buf = malloc(DNS_CACHE_MAX_ENTRY);
    const char *why = NULL;
    size_t len = 0;
    int hit = 0;

    if (buf == NULL)
        return 0;
    entry_key(c, KEY_ANSWER, qname, qtype, key);
    if (cache_store_get(c->store, key, now, buf, DNS_CACHE_MAX_ENTRY, &len, &why) == 1) {
        hit = dns_cache_decode(buf, len, out, &why) == 0 && out->qtype == qtype
              && same_name(out->qname, qname);
        if (!hit) {
            dns_answer_clear(out);
            cache_store_drop(c->store, key);
        }
    }
    free(buf);
    return hit;
}

void dns_cache_put(struct dns_cache *c, const struct dns_answer *a, time_t now)
{
    uint8_t key[CACHE_STORE_KEY_LEN], *buf;
    const char *why = NULL;
    size_t len;

    if (!dns_cache_keepable(a) || (buf = malloc(DNS_CACHE_MAX_ENTRY)) == NULL)
        return;
    len = dns_cache_encode(a, buf, DNS_CACHE_MAX_ENTRY);
    entry_key(c, KEY_ANSWER, a->qname, a->qtype, key);
    if (len > 0)
        (void)cache_store_put(c->store, key, now, a->ttl < c->max_ttl ? a->ttl : c->max_ttl,
                              buf, len, &why);
    free(buf);
}

int dns_cache_get_check(struct dns_cache *c, time_t now)
{
    uint8_t key[CACHE_STORE_KEY_LEN], mark[1];
    const char *why = NULL;
    size_t len = 0;

    entry_key(c, KEY_CHECK, "", 0, key);
    return cache_store_get(c->store, key, now, mark, sizeof mark, &len, &why) == 1
           && len == 1 && mark[0] == 1;
}

void dns_cache_put_check(struct dns_cache *c, uint32_t ttl, time_t now)
{
    uint8_t key[CACHE_STORE_KEY_LEN], mark[1] = { 1 };
    const char *why = NULL;

    entry_key(c, KEY_CHECK, "", 0, key);
    (void)cache_store_put(c->store, key, now, ttl < c->max_ttl ? ttl : c->max_ttl,
                          mark, sizeof mark, &why);
}
