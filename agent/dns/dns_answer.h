/* dns_answer.h - the DNS facts SMTP delivery needs, as plain values: one
 *                answer per RRset (or its proven absence) with exactly one
 *                DNSSEC status (RFC 4033 §5 statuses, RFC 7672 §2.1.1), the
 *                facts about one MX host, and the resolver's configuration
 *
 * These values are what the resolver (dns.h), its getdns backend
 * (dns_getdns.h), the wire-reply converter (dns_reply.h) and the answer
 * cache (dns_cache.h) exchange; they depend on nothing but tlsa.h, so the
 * RFC 7672 §2 decision (mxplan.h) stays a pure function over them. Each
 * TLSA answer owns a tlsa_set and each TXT answer its array of records,
 * freed by dns_answer_clear() / dns_host_clear().
 *
 * TXT answers (MTA-STS, RFC 8461 §3.1; TLSRPT, RFC 8460 §3) hold the whole
 * RRset or no record at all: each record is its character-strings
 * concatenated without separators (RFC 7208 §3.3), its octets as sent (NUL
 * included, hence a length). When the RRset has more than DNS_MAX_TXT
 * records, a record longer than DNS_TXT_MAX_LEN octets or a malformed one,
 * no record is kept (ntxt 0, nrr_seen the records present, `why` says
 * which): a record that was left out could be the one that makes a policy
 * invalid (two STSv1 records, RFC 8461 §3.1), so a part is never offered
 * as the whole. The status stays that of the RRset (records, not NODATA).
 */
#ifndef DANE_AGENT_DNS_ANSWER_H
#define DANE_AGENT_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

struct tlsa_set;

#define DNS_NAME_MAX 253        /* presentation form, no trailing dot */
#define DNS_MAX_RRS 32          /* MX / address records kept per answer */
#define DNS_MAX_CNAMES 8        /* CNAME links kept per answer */
#define DNS_ADDR_MAX 46         /* INET6_ADDRSTRLEN */
#define DNS_MAX_TXT 16          /* TXT records kept per answer */
#define DNS_TXT_MAX_LEN 2048    /* octets of one TXT record, concatenated */

/* Why a TXT answer holds no record although the RRset has some. */
#define DNS_WHY_TXT_MALFORMED "malformed TXT record: no TXT record kept"
#define DNS_WHY_TXT_OVERSIZED "TXT record over 2048 octets: no TXT record kept"
#define DNS_WHY_TXT_TOO_MANY "more than 16 TXT records: no TXT record kept"
#define DNS_DEFAULT_TIMEOUT_MS 5000u
#define DNS_DEFAULT_CACHE_MAX_TTL 3600u

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_TLSA 52

/* One status per answer (an RRset, or its proven absence). */
enum dns_status {
    DNS_SECURE = 0,             /* records, validated */
    DNS_INSECURE,               /* records, provably unsigned */
    DNS_NODATA_SECURE,          /* name exists, no such type: validated */
    DNS_NODATA_INSECURE,
    DNS_NXDOMAIN_SECURE,        /* no such name: validated */
    DNS_NXDOMAIN_INSECURE,
    DNS_BOGUS,                  /* validation failed (RFC 4033 §5) */
    DNS_INDETERMINATE,          /* no trust anchor covers the name */
    DNS_SERVFAIL,               /* SERVFAIL or another error rcode */
    DNS_TIMEOUT,                /* no upstream answered in time */
};

struct dns_upstream {
    char address[64];           /* numeric IPv4 or IPv6, no brackets */
    uint16_t port;              /* 0: 53 */
};

/* The resolver's configuration; borrowed by dns_resolver_new() only. */
struct dns_config {
    const struct dns_upstream *upstreams;   /* none: /etc/resolv.conf */
    size_t nupstreams;
    const char *trust_anchors;  /* DS/DNSKEY zone-file text; NULL: getdns's
                                 * root key */
    unsigned timeout_ms;        /* per query; 0: DNS_DEFAULT_TIMEOUT_MS */
    uint64_t deadline_ms;       /* CLOCK_MONOTONIC ms after which nothing
                                 * is asked any more, and no query waits
                                 * beyond it; 0: none */
    const char *cache_dir;      /* NULL: no DNS cache */
    unsigned cache_max_ttl;     /* seconds; 0: DNS_DEFAULT_CACHE_MAX_TTL */
};

/* One record of an MX or address answer. */
struct dns_rr {
    uint16_t preference;        /* MX only */
    char text[DNS_NAME_MAX + 1];    /* MX host (lower case, no trailing
                                     * dot; "" is the null MX) or address */
};

/* One TXT record: its character-strings concatenated (RFC 7208 §3.3). */
struct dns_txt {
    size_t len;                         /* octets in text, NULs included */
    char text[DNS_TXT_MAX_LEN + 1];     /* len octets, then a NUL not counted */
};

struct dns_answer {
    int asked;                  /* 0: never asked (other fields empty) */
    enum dns_status status;
    const char *why;            /* static detail for errors, else NULL */
    uint16_t qtype;
    uint8_t rcode;
    char qname[DNS_NAME_MAX + 1];
    char owner[DNS_NAME_MAX + 1];   /* after CNAME expansion (else qname) */
    size_t ncnames;             /* CNAME links followed, qname first */
    char cnames[DNS_MAX_CNAMES][DNS_NAME_MAX + 1];  /* targets, in order */
    size_t nrr;                 /* kept in rr[] (MX, A, AAAA) */
    size_t nrr_seen;            /* present in the answer (> nrr: cut; TXT:
                                 * > ntxt: none kept, see above) */
    struct dns_rr rr[DNS_MAX_RRS];
    struct tlsa_set *tlsa;      /* TLSA: owned; NULL when none */
    size_t tlsa_total;          /* TLSA records kept */
    size_t tlsa_usable;         /* of which usable (RFC 7672 §3.1.3) */
    struct dns_txt *txt;        /* TXT: owned array of ntxt; NULL when none */
    size_t ntxt;                /* 0, or nrr_seen: the whole RRset */
    uint32_t ttl;               /* seconds it may be kept: least TTL of the
                                 * answer's records and signatures, or of
                                 * the SOA for a negative one (RFC 2308 §5);
                                 * 0: not to be kept */
    int cached;                 /* 1: served from the DNS cache */
    unsigned elapsed_ms;
};

/* Facts about one MX host (RFC 7672 §2.2.2, §2.2.3). */
struct dns_host {
    char name[DNS_NAME_MAX + 1];
    uint16_t port;
    struct dns_answer a;
    struct dns_answer aaaa;
    struct dns_answer tlsa_expanded;    /* _port._tcp.<CNAME target> */
    struct dns_answer tlsa_original;    /* _port._tcp.<name> */
};

/* dns_status_name - "secure", "nodata-secure", ..., "timeout" */
const char *dns_status_name(enum dns_status status);
/* dns_status_is_error - 1 for bogus, indeterminate, servfail, timeout */
int dns_status_is_error(enum dns_status status);
/* dns_status_is_secure - 1 for secure, nodata-secure, nxdomain-secure */
int dns_status_is_secure(enum dns_status status);

/* dns_answer_clear - free what an answer owns and zero it */
void dns_answer_clear(struct dns_answer *answer);
/* dns_host_clear - dns_answer_clear() on each of the host's answers */
void dns_host_clear(struct dns_host *host);

/* dns_tlsa_qname - "_<port>._tcp.<base>" into out (size >= DNS_NAME_MAX+1);
 * 0, or -1 when too long */
int dns_tlsa_qname(uint16_t port, const char *base, char *out, size_t size);

/* dns_host_address_status - one status for a host's A and AAAA answers:
 * bogus if either is bogus; else secure/insecure when either has records
 * (insecure if any record-bearing answer is; an error on the other family
 * is then ignored); else the error, else the negative answer of A. *via is
 * the answer that decided (its CNAME chain is the host's). */
enum dns_status dns_host_address_status(const struct dns_host *host,
                                        const struct dns_answer **via);

#endif
