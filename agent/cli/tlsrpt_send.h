/* tlsrpt_send.h - the network half of `dane-agent tlsrpt` (RFC 8460):
 *                 the _smtp._tls TXT lookup of a policy domain and the
 *                 delivery of one report to each of its rua targets
 *                 (inside agent/cli)
 *
 * Lookup (§3): the TXT RRset of "_smtp._tls.DOMAIN" through the agent's
 * own resolver (the policy's dns section, as deliveries use). An answer
 * with records (DNSSEC-secure or insecure: §3 does not require DNSSEC)
 * goes to tlsrpt_txt_select(); no record, no TLSRPTv1 record or an invalid
 * one means no report (the invalid case with a warning); a bogus,
 * indeterminate, failed or timed-out answer is a lookup failure, to be
 * tried again on the next run.
 *
 * Delivery (§3, §5): each rua independently. A mailto: target gets the
 * §5.3 message through the sendmail command (tlsrpt_mail(),
 * tlsrpt_sendmail()); an https: target gets the gzip report by POST as
 * application/tlsrpt+gzip (§5.2, §6.4) with https_post(): the URL's host
 * is resolved by the same resolver and pinned, its certificate checked
 * (PKIX) against the ca_file of the policy entry for that host, else the
 * system store, as MTA-STS policy fetches are. A target that fails is a
 * warning and counts as failed; the others go on.
 *
 * State: in the policy's tlsrpt.state_dir (store/, cache_store.h: atomic
 * files, one per key), one entry per (report-id, rua URI) that was
 * delivered, kept TLSRPT_STATE_DAYS days; a target whose entry exists is
 * not sent again, so a rerun for the same day sends only what failed.
 *
 * Every warning is one line on standard error, "dane-agent: tlsrpt:
 * warning: ...".
 */
#ifndef DANE_AGENT_TLSRPT_SEND_H
#define DANE_AGENT_TLSRPT_SEND_H

#include <stddef.h>
#include <time.h>

#include "dns.h"
#include "policy.h"
#include "tlsrpt.h"

#define TLSRPT_STATE_DAYS 60u

struct cache_store;

/* What every delivery of one run shares. */
struct tlsrpt_sender {
    const struct policy *policy;        /* ca_file of https hosts */
    const struct policy_tlsrpt *conf;   /* submitter, sender, sendmail */
    struct dns_resolver *resolver;
    struct cache_store *state;          /* tlsrpt.state_dir, open */
};

/* One report of one policy domain. */
struct tlsrpt_job {
    const char *domain;
    const char *report_id;
    const char *json;                   /* the §4.4 report */
    size_t len;
    time_t begin, end;                  /* its window [begin, end) */
};

enum tlsrpt_lookup_status {
    TLSRPT_LOOKUP_FOUND = 0,            /* out filled */
    TLSRPT_LOOKUP_NONE,                 /* no usable record: no report */
    TLSRPT_LOOKUP_FAILED,               /* try again later (warned) */
};

/* tlsrpt_state_open - the state directory of conf; NULL with *why */
struct cache_store *tlsrpt_state_open(const struct policy_tlsrpt *conf,
                                      const char **why);

/* tlsrpt_lookup - the domain's _smtp._tls record into *out */
enum tlsrpt_lookup_status tlsrpt_lookup(struct dns_resolver *r, const char *domain,
                                        struct tlsrpt_txt *out);

/* tlsrpt_deliver - job to every rua of txt not delivered before; the
 * number of targets that failed (each warned) */
size_t tlsrpt_deliver(const struct tlsrpt_sender *s, const struct tlsrpt_job *job,
                      const struct tlsrpt_txt *txt);

#endif
