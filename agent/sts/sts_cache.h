/* sts_cache.h - MTA-STS policies shared between dane-agent processes
 *               (RFC 8461 §5.1 policy cache): one cache_store.h entry per
 *               policy domain
 *
 * dane-agent runs once per message, so a fetched policy outlives its
 * process only on disk. An entry keeps what was fetched, not what was made
 * of it: the policy text exactly as served (re-parsed with
 * sts_policy_parse() on every read, and shown as is by probe), the TXT id it
 * was fetched under (§3.1) and the fetch time. It expires at fetched +
 * max_age (the parser caps max_age at 31557600, §3.2): from that second on
 * it is EXPIRED and must not be applied (§5.1). An expired entry stays on
 * disk STS_CACHE_KEEP_EXPIRED seconds more, only so that it can be reported.
 * Policies in mode none are cached like the others: that is how a domain
 * withdraws its policy (§5).
 *
 * Key: SHA-256 over a tag naming this cache and the domain in normal form
 * (lower case, no trailing dot; a host name as sts_name.h defines it), so a
 * key never equals a DNS or session cache key in a shared directory, and
 * "Example.COM." and "example.com" share one entry. The entry repeats the
 * domain; one filed under another domain's key is removed.
 *
 * Files (cache_store.h, kind "MTA-STS cache", magic "DANEST01"): the
 * directory must be owned by the effective user and not writable by group
 * or others (created 0700 when missing); entries are checked by SHA-256
 * before the decoder sees them, and the decoder is total anyway:
 *   version (1) = 1 | fetched (8) | expires (8) | domain length (1) |
 *   domain | id length (1) | id | policy length (4) | policy text
 * integers big-endian, times in seconds since the epoch; nothing may follow.
 * An entry decodes only when every field is within its bounds, the domain
 * is in normal form, the id is 1-32 letters or digits (§3.1), the text
 * parses (§3.2) and expires is fetched + the parsed max_age.
 *
 * Refresh (sts_cache_needs_refresh): a TXT id other than the entry's means
 * a new policy (§3.1); under the same id the policy is fetched again once
 * it is STS_CACHE_REFRESH_MAX seconds (a day) or half its max_age old,
 * whichever comes first (sts_cache_refresh_at). §3.3 asks senders to
 * refresh before expiry and suggests daily; refreshed daily, a long-lived
 * policy lapses only if an attacker foils every refresh over its whole
 * lifetime (§10.2). Half the max_age leaves a short-lived policy the other
 * half for retries before it expires. dane-agent has no background job: the
 * first delivery after that time refreshes. So that a policy host that is
 * down does not cost every delivery another attempt, a failed refresh is
 * remembered (sts_cache_refresh_failed) and the next one waits
 * STS_CACHE_RETRY_AFTER seconds (§3.3: five minutes or longer per id). The
 * memory of a failure is an entry of its own (magic "DANESR01", same
 * directory, key over another tag and the domain) whose payload is the TXT
 * id and whose store lifetime is STS_CACHE_RETRY_AFTER: no other field.
 *
 * A failed refresh loses nothing and moves nothing: the entry keeps its
 * fetch time and expiry (max_age counts from the last successful fetch,
 * §3.2); nothing here deletes an entry because a fetch failed or a TXT
 * record is gone (§3.1: the absence of a usable TXT record does not by
 * itself remove a cached policy), sts_cache_put() refuses an invalid policy
 * before touching the directory, and a put replaces the entry by rename(2),
 * so readers see the old entry or the new one. Only a damaged entry, one
 * past STS_CACHE_KEEP_EXPIRED, or one the decoder refuses is removed.
 *
 * Ownership: the caller owns *out (a large value, about 80 KiB: allocate
 * it rather than put it on a small stack); nothing is kept between calls,
 * each of which opens and closes the directory. Reasons (*why) are static
 * strings. A cache failure should never fail a delivery: ERROR and a
 * MISSING with a reason are warnings for the log, not failures.
 *
 * Folder agent/sts: MTA-STS; may use store and util.
 */
#ifndef DANE_AGENT_STS_CACHE_H
#define DANE_AGENT_STS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sts.h"

#define STS_CACHE_KEEP_EXPIRED (7u * 86400u)    /* seconds an expired entry
                                                 * is kept to be reported */
#define STS_CACHE_REFRESH_MAX 86400             /* refresh at least daily */
#define STS_CACHE_RETRY_AFTER 300               /* seconds after a failed
                                                 * refresh (§3.3) */
#define STS_CACHE_TIME_MAX ((time_t)253402300799)   /* 9999-12-31T23:59:59Z:
                                                     * later fetch times are
                                                     * refused */
#define STS_CACHE_MAX_ENTRY (1u + 8u + 8u + 1u + STS_NAME_MAX + 1u + STS_ID_MAX + 4u + \
                             STS_POLICY_MAX)    /* encoded entry bytes */

enum sts_cache_status {
    STS_CACHE_FOUND = 0,    /* an unexpired policy: *out filled */
    STS_CACHE_EXPIRED,      /* *out filled, but past its expiry: report it,
                             * never apply it (§5.1) */
    STS_CACHE_MISSING,      /* none; *why set when an unusable entry was
                             * removed (a warning), else NULL */
    STS_CACHE_ERROR,        /* the directory or entry cannot be used: *why */
};

/* A cached policy as read back. */
struct sts_cached {
    char domain[STS_NAME_MAX + 1];  /* normal form */
    char id[STS_ID_MAX + 1];        /* TXT id it was fetched under (§3.1) */
    time_t fetched;                 /* seconds since the epoch */
    time_t expires;                 /* fetched + policy.max_age */
    struct sts_policy policy;       /* text, parsed */
    size_t len;                     /* bytes of text, 1 .. STS_POLICY_MAX */
    uint8_t text[STS_POLICY_MAX];   /* the policy as fetched, not
                                     * NUL-terminated */
};

/* sts_cache_get - the entry of domain in directory dir, as of now, into
 * *out (cleared first, filled for FOUND and EXPIRED); *why is NULL unless
 * the status says otherwise */
enum sts_cache_status sts_cache_get(const char *dir, const char *domain, time_t now,
                                    struct sts_cached *out, const char **why);

/* sts_cache_put - keep policy_text[0..len), fetched at time fetched under
 * the TXT id id (1-32 letters or digits), as domain's entry, replacing any
 * other; 0, or -1 with *why: an invalid domain, id, time or policy (§3.2,
 * the parser's reason) stores nothing and leaves the old entry alone */
int sts_cache_put(const char *dir, const char *domain, const char *id,
                  const uint8_t *policy_text, size_t len, time_t fetched, const char **why);

/* sts_cache_refresh_at - when c's policy is due to be fetched again under
 * the same id: c->fetched plus a day or half its max_age, whichever is
 * less (see above) */
time_t sts_cache_refresh_at(const struct sts_cached *c);

/* sts_cache_needs_refresh - 1 when the policy should be fetched again:
 * txt_id (the id of the TXT record now published; NULL when none was
 * found) differs from c->id, or now is at or past sts_cache_refresh_at(c)
 * (expired included); else 0 */
int sts_cache_needs_refresh(const struct sts_cached *c, const char *txt_id, time_t now);

/* sts_cache_refresh_failed - remember that refreshing domain's policy
 * under the TXT id id failed at now, for STS_CACHE_RETRY_AFTER seconds
 * (replacing what was remembered); 0, or -1 with *why */
int sts_cache_refresh_failed(const char *dir, const char *domain, const char *id, time_t now,
                             const char **why);

/* sts_cache_refresh_held - 1 when a refresh of domain's policy under id
 * failed less than STS_CACHE_RETRY_AFTER seconds before now (§3.3), else 0
 * (a cache that cannot be read holds nothing back) */
int sts_cache_refresh_held(const char *dir, const char *domain, const char *id, time_t now);

/* sts_cache_encode - c's fields as an entry (the layout above) into buf
 * (cap bytes); the length, or 0 when a field is out of bounds or the entry
 * does not fit. The fields are not otherwise checked: sts_cache_decode()
 * is what checks. */
size_t sts_cache_encode(const struct sts_cached *c, uint8_t *buf, size_t cap);

/* sts_cache_decode - an entry's bytes into *out (cleared first); 0, or -1
 * with *why ("MTA-STS cache entry: ...") and *out cleared. Total over any
 * bytes. */
int sts_cache_decode(const uint8_t *buf, size_t len, struct sts_cached *out,
                     const char **why);

#endif
