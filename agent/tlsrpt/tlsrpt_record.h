/* tlsrpt_record.h - one JSON Lines record of dane-agent, read with json-c
 *                   (inside agent/tlsrpt)
 *
 * What a line must hold to be a record is tlsrpt.h's ("Records"); this
 * checks its form only. Which session it is and where it is counted is
 * tlsrpt_agg.c's.
 *
 * Ownership: a parsed record owns the json-c value its strings point into;
 * tlsrpt_rec_free() releases it (and is a no-op on a record that failed).
 */
#ifndef DANE_AGENT_TLSRPT_RECORD_H
#define DANE_AGENT_TLSRPT_RECORD_H

#include <stddef.h>
#include <time.h>

#include "tlsrpt.h"

#define TLSRPT_REC_NAME_MAX    255u   /* a host name or pattern, with a dot */
#define TLSRPT_REC_ADDRESS_MAX 45u    /* a numeric address (INET6_ADDRSTRLEN - 1) */

struct json_object;

struct tlsrpt_rec {
    struct json_object *root;       /* owned: the parsed line */
    time_t when;                    /* "time" */
    const char *policy_type;        /* static "tlsa", "sts", "no-policy-found";
                                     * NULL: null */
    const char *domain;             /* "policy_domain" as written; NULL: null */
    const char *strings[TLSRPT_STRINGS_MAX];    /* "policy_string" */
    size_t nstrings;
    const char *mx_pattern;         /* "mx_host_pattern"; NULL: null */
    const char *result_type;        /* static, an RFC 8460 §4.3 type; NULL: null */
    int tls;                        /* "tls" is an object */
    unsigned conn_use;              /* "conn_use"; 1 when absent (records
                                     * written before it existed) */
    const char *mx;                 /* "mx"; NULL: null */
    const char *address;            /* "address", numeric; NULL: null */
    const char *sending_ip;         /* "sending_ip", numeric; NULL: absent or null */
    const char *destination;        /* "destination", the next-hop as given;
                                     * NULL: absent or null */
};

/* tlsrpt_rec_parse - line[0..len) as one record: 0 with out filled, or -1
 * with *why (static) and nothing to free */
int tlsrpt_rec_parse(const char *line, size_t len, struct tlsrpt_rec *out,
                     const char **why);

/* tlsrpt_rec_free - release what out owns */
void tlsrpt_rec_free(struct tlsrpt_rec *r);

#endif
