/* stsplan.h - the MTA-STS policy in force for one destination domain:
 *             discovery (RFC 8461 §3.1), fetch (§3.3) and cache (§5), for
 *             mxplan_host_sts()
 *
 * stsplan_find() asks the TXT RRset of _mta-sts.<domain> through the agent's
 * resolver and reads the cached policy of the domain (sts_cache.h, in the
 * DNS cache directory); stsplan_step() decides. It fetches
 * https://mta-sts.<domain>/.well-known/mta-sts.txt (https.h; the host's
 * addresses looked up through the same resolver, libcurl never resolves)
 * when a TXT record is published and nothing unexpired is cached or the
 * TXT id differs from the cached one, and refreshes the cached policy
 * (same id) once it is a day or half its max_age old (sts_cache.h: §3.3
 * asks senders to refresh before expiry), unless a refresh under that id
 * failed less than five minutes ago (§3.3). A valid fetched policy is
 * cached (a refresh thus moves the fetch time and takes the new max_age)
 * and in force. When the fetch fails or the policy is invalid, an
 * unexpired cached policy stays in force (§3.3, §5.1), the note says so,
 * and unless its mode is none a warning for the log too (§3.3: alert
 * administrators); with none, the domain has no policy in force and the
 * delivery proceeds as without MTA-STS (§3.3: "as though the domain has not
 * implemented MTA-STS"). A TXT record that vanished does not end a cached
 * policy before its expiry (§3.1); nor is the policy refreshed then
 * (§10.2's refresh "regardless of the state of the TXT record" is not
 * done: the id to keep it under would be a guess).
 *
 * Trust for the fetch is the policy entry's ca_file, else the system store:
 * MTA-STS is PKIX (WebPKI) by design.
 *
 * Ownership: struct stsplan is the caller's and owns nothing outside
 * itself; the parameters are borrowed for the call. Not an error path: the
 * outcome is always a struct stsplan whose note says what happened.
 *
 * Folder agent/plan.
 */
#ifndef DANE_AGENT_STSPLAN_H
#define DANE_AGENT_STSPLAN_H

#include <stdint.h>
#include <time.h>

#include "dns_answer.h"
#include "sts.h"
#include "sts_cache.h"

struct dns_resolver;

#define STSPLAN_FETCH_TIMEOUT_MS 20000u /* one fetch, within the deadline */
#define STSPLAN_NOTE_MAX 320

enum stsplan_source {
    STSPLAN_NONE = 0,           /* no policy in force */
    STSPLAN_FETCHED,            /* fetched now (and cached when possible) */
    STSPLAN_CACHED,             /* the unexpired cached policy */
};

struct stsplan {
    enum stsplan_source source;
    struct sts_policy policy;       /* in force unless source is NONE */
    enum dns_status txt_status;     /* of _mta-sts.<domain> TXT */
    char id[STS_ID_MAX + 1];        /* the TXT id published, or "" */
    const char *failure;            /* RFC 8460 §4.3.2.2 type of a discovery
                                     * failure (sts-policy-fetch-error,
                                     * sts-policy-invalid, sts-webpki-invalid),
                                     * also when a cached policy stays in
                                     * force; NULL when none */
    char note[STSPLAN_NOTE_MAX];    /* one line: what was found and done */
    char warning[STSPLAN_NOTE_MAX]; /* "" or one line for the log: why the
                                     * cache failed, or that a fetch failed
                                     * while a cached policy (not mode none)
                                     * stays in force (§3.3) */
};

struct stsplan_params {
    const char *domain;             /* the destination domain, no brackets */
    const char *cache_dir;          /* NULL: no cache */
    const char *ca_file;            /* NULL: the system store */
    uint64_t deadline_ms;           /* clock_now_ms() time; the fetch ends by
                                     * then, and within
                                     * STSPLAN_FETCH_TIMEOUT_MS */
    time_t now;
};

/* What stsplan_find() does after the TXT lookup and the cache. */
enum stsplan_step {
    STSPLAN_STEP_NONE = 0,      /* no TXT record, nothing cached: no policy */
    STSPLAN_STEP_CACHED,        /* the cached policy as it is */
    STSPLAN_STEP_FETCH,         /* nothing cached, or a new TXT id (§3.1) */
    STSPLAN_STEP_REFRESH,       /* same id, due (sts_cache_refresh_at): fetch
                                 * again, the cached policy the fallback */
};

/* stsplan_step - the step for a domain whose TXT record is published
 * (1: exactly one valid STSv1 record, its id txt_id) or not (0), with the
 * unexpired cached entry cached (NULL: none), as of now. Pure. */
enum stsplan_step stsplan_step(int published, const char *txt_id,
                               const struct sts_cached *cached, time_t now);

/* stsplan_find - the policy in force for p->domain into *out (cleared) */
void stsplan_find(struct dns_resolver *resolver, const struct stsplan_params *p,
                  struct stsplan *out);

/* stsplan_source_name - "none", "fetched", "cached" */
const char *stsplan_source_name(enum stsplan_source source);

#endif
