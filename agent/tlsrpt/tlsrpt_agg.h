/* tlsrpt_agg.h - the aggregation's inside, shared by tlsrpt_agg.c (which
 *                builds it) and tlsrpt_report.c (which writes it out); rules
 *                in tlsrpt.h
 *
 * Ownership: the aggregation owns every domain, and each policy owns its
 * strings, mx-host patterns and failure-details rows; each allocation is
 * counted in bytes against TLSRPT_MEMORY_MAX. Static strings (policy and
 * result types) are never freed.
 */
#ifndef DANE_AGENT_TLSRPT_AGG_H
#define DANE_AGENT_TLSRPT_AGG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tlsrpt.h"
#include "tlsrpt_record.h"

/* One failure-details row (§4.4): its key and its count. */
struct tlsrpt_detail {
    const char *result_type;        /* static */
    char sending_ip[TLSRPT_REC_ADDRESS_MAX + 1];    /* "": omitted */
    char mx[TLSRPT_REC_NAME_MAX + 1];   /* receiving-mx-hostname; "": omitted */
    char address[TLSRPT_REC_ADDRESS_MAX + 1];       /* receiving-ip; "": omitted */
    uint64_t count;
};

/* One policy of a domain: type and strings are its identity. */
struct tlsrpt_policy {
    const char *type;               /* static */
    char **strings;                 /* one block with the strings */
    size_t nstrings;
    char *mx_hosts[TLSRPT_MX_HOSTS_MAX];
    size_t nmx_hosts;
    uint64_t successful;
    uint64_t failed;
    struct tlsrpt_detail *details;  /* grown by doubling up to
                                     * TLSRPT_DETAILS_MAX rows */
    size_t ndetails, details_room;
};

struct tlsrpt_domain {
    char name[TLSRPT_HOST_MAX + 1];
    struct tlsrpt_policy policies[TLSRPT_POLICIES_MAX];
    size_t npolicies;               /* at least 1 once listed */
};

struct tlsrpt_agg {
    time_t start, end;              /* the window [start, end) */
    struct tlsrpt_domain *domains[TLSRPT_DOMAINS_MAX];
    size_t ndomains;
    size_t bytes;                   /* allocated, <= TLSRPT_MEMORY_MAX */
    struct tlsrpt_stats stats;
};

#endif
