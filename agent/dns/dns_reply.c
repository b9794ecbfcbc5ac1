/* dns_reply.c - one getdns response to one struct dns_answer
 *
 * SYNOPSIS
 *   dns_reply_convert(response, qname, qtype, out)
 *   dns_reply_from_wire(msg, len, dnssec_status, qname, qtype, out)
 *   dns_wire_name_text(p, len, out, size)
 *
 * DESCRIPTION
 *   The status of an answer is decided in this order: no reply at all
 *   (timeout or none), an error rcode (servfail), the reply's dnssec_status
 *   (bogus, indeterminate), then NXDOMAIN / NODATA / records, each secure or
 *   insecure. The top-level getdns status is never read as "no such name":
 *   getdns 1.6 reports bogus answers as NO_NAME too.
 *
 *   CNAMEs are followed inside the answer section from qname, at most
 *   DNS_MAX_CNAMES links; records count only at the end of the chain
 *   (RFC 1034 §3.6.2). A validating stub has checked every RRSIG of the
 *   reply, so the reply's status covers the whole chain.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_reply.h"
#include "getdns_lib.h"
#include "tlsa.h"

#define DNS_WIRE_MAX 65535u  /* RFC 1035 §4.2.2: a message fits 16 bits */

/* dns_wire_name_text - wire name to lower-case text, \DDD escapes */
int dns_wire_name_text(const uint8_t *p, size_t len, char *out, size_t size)
{
    size_t i = 0, o = 0;

    if (size == 0)
        return -1;
    while (i < len) {
        size_t label = p[i++];

        if (label == 0) {
            if (i != len)
                return -1;          /* bytes after the root label */
            out[o] = '\0';
            return 0;
        }
        if (label > 63 || label > len - i)
            return -1;              /* compression or overrun */
        if (o > 0) {
            if (o + 1 >= size)
                return -1;
            out[o++] = '.';
        }
        for (size_t k = 0; k < label; k++, i++) {
            unsigned char c = p[i];

            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c - 'A' + 'a');
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
                || c == '_' || (c == '*' && label == 1)) {
                if (o + 1 >= size)
                    return -1;
                out[o++] = (char)c;
            } else {
                if (o + 4 >= size)
                    return -1;
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            }
        }
    }
    return -1;                      /* no root label */
}

/* rr_name - the name field `key` of dict d as text; 0 or -1 */
static int rr_name(const getdns_dict *d, const char *key, char *out, size_t size)
{
    getdns_bindata *b = NULL;

    if (getdns_lib()->dict_get_bindata(d, key, &b) != GETDNS_RETURN_GOOD || b == NULL)
        return -1;
    return dns_wire_name_text(b->data, b->size, out, size);
}

/* rr_type - the RR's type, or 0 */
static uint16_t rr_type(const getdns_dict *rr)
{
    uint32_t t = 0;

    if (getdns_lib()->dict_get_int(rr, "type", &t) != GETDNS_RETURN_GOOD || t > 0xffff)
        return 0;
    return (uint16_t)t;
}

/* follow_cnames - walk the CNAME chain from qname in the answer section */
static void follow_cnames(const getdns_list *answer, size_t n,
                          struct dns_answer *out)
{
    char owner[DNS_NAME_MAX + 1], target[DNS_NAME_MAX + 1];
    int moved = 1;

    while (moved && out->ncnames < DNS_MAX_CNAMES) {
        moved = 0;
        for (size_t i = 0; i < n; i++) {
            getdns_dict *rr = NULL, *rdata = NULL;

            if (getdns_lib()->list_get_dict(answer, i, &rr) != GETDNS_RETURN_GOOD
                || rr_type(rr) != DNS_TYPE_CNAME
                || rr_name(rr, "name", owner, sizeof owner) != 0
                || strcmp(owner, out->owner) != 0
                || getdns_lib()->dict_get_dict(rr, "rdata", &rdata) != GETDNS_RETURN_GOOD
                || rr_name(rdata, "cname", target, sizeof target) != 0)
                continue;
            memcpy(out->cnames[out->ncnames++], target, sizeof target);
            memcpy(out->owner, target, sizeof target);
            moved = 1;
            break;
        }
    }
}

/* add_mx - keep one MX record */
static void add_mx(const getdns_dict *rdata, struct dns_answer *out)
{
    uint32_t pref = 0;
    struct dns_rr *rr = &out->rr[out->nrr];

    if (getdns_lib()->dict_get_int(rdata, "preference", &pref) != GETDNS_RETURN_GOOD
        || pref > 0xffff
        || rr_name(rdata, "exchange", rr->text, sizeof rr->text) != 0) {
        out->why = "malformed MX record ignored";
        return;
    }
    rr->preference = (uint16_t)pref;
    out->nrr++;
}

/* add_address - keep one A or AAAA record as text */
static void add_address(const getdns_dict *rdata, uint16_t qtype,
                        struct dns_answer *out)
{
    getdns_bindata *b = NULL;
    int v4 = qtype == DNS_TYPE_A;
    size_t want = v4 ? 4 : 16;
    struct dns_rr *rr = &out->rr[out->nrr];

    if (getdns_lib()->dict_get_bindata(rdata, v4 ? "ipv4_address" : "ipv6_address",
                                &b) != GETDNS_RETURN_GOOD
        || b == NULL || b->size != want
        || inet_ntop(v4 ? AF_INET : AF_INET6, b->data, rr->text,
                     sizeof rr->text) == NULL) {
        out->why = "malformed address record ignored";
        return;
    }
    rr->preference = 0;
    out->nrr++;
}

/* add_tlsa - one TLSA record into the answer's set */
static void add_tlsa(const getdns_dict *rdata, struct dns_answer *out)
{
    getdns_bindata *raw = NULL;
    const char *why = NULL;

    if (out->tlsa == NULL)
        out->tlsa = tlsa_set_new();
    if (out->tlsa == NULL) {
        out->why = "out of memory";
        return;
    }
    if (getdns_lib()->dict_get_bindata(rdata, "rdata_raw", &raw) != GETDNS_RETURN_GOOD
        || raw == NULL
        || tlsa_set_add_rdata(out->tlsa, raw->data, raw->size, &why) != 0)
        out->why = "malformed TLSA record ignored";
}

/* txt_concat - TXT rdata (RFC 1035 §3.3.14: one or more character-strings)
 * into one record, the strings joined without separators (RFC 7208 §3.3);
 * 0, or -1 with *why when malformed or longer than DNS_TXT_MAX_LEN */
static int txt_concat(const uint8_t *p, size_t len, struct dns_txt *out,
                      const char **why)
{
    size_t i = 0;

    out->len = 0;
    if (len == 0) {
        *why = DNS_WHY_TXT_MALFORMED;
        return -1;
    }
    while (i < len) {
        size_t n = p[i++];

        if (n > len - i) {
            *why = DNS_WHY_TXT_MALFORMED;
            return -1;
        }
        if (n > DNS_TXT_MAX_LEN - out->len) {
            *why = DNS_WHY_TXT_OVERSIZED;
            return -1;
        }
        memcpy(out->text + out->len, p + i, n);
        out->len += n;
        i += n;
    }
    out->text[out->len] = '\0';
    return 0;
}

/* drop_txt - keep none of the TXT records (dns_answer.h: whole or none) */
static void drop_txt(struct dns_answer *out, const char *why)
{
    free(out->txt);
    out->txt = NULL;
    out->ntxt = 0;
    out->why = why;
}

/* add_txt - one TXT record; once a record was not kept, none is */
static void add_txt(const getdns_dict *rdata, struct dns_answer *out)
{
    getdns_bindata *raw = NULL;
    const char *why = NULL;

    if (out->why != NULL)
        return;                     /* an earlier record was not kept */
    if (out->ntxt >= DNS_MAX_TXT) {
        drop_txt(out, DNS_WHY_TXT_TOO_MANY);
        return;
    }
    if (out->txt == NULL && (out->txt = calloc(DNS_MAX_TXT, sizeof *out->txt)) == NULL) {
        out->why = "out of memory";
        return;
    }
    if (getdns_lib()->dict_get_bindata(rdata, "rdata_raw", &raw) != GETDNS_RETURN_GOOD
        || raw == NULL) {
        drop_txt(out, DNS_WHY_TXT_MALFORMED);
        return;
    }
    if (txt_concat(raw->data, raw->size, &out->txt[out->ntxt], &why) != 0)
        drop_txt(out, why);
    else
        out->ntxt++;
}

/* collect - the records of qtype owned by the end of the CNAME chain */
static void collect(const getdns_list *answer, size_t n, struct dns_answer *out)
{
    char owner[DNS_NAME_MAX + 1];

    for (size_t i = 0; i < n; i++) {
        getdns_dict *rr = NULL, *rdata = NULL;

        if (getdns_lib()->list_get_dict(answer, i, &rr) != GETDNS_RETURN_GOOD
            || rr_type(rr) != out->qtype
            || rr_name(rr, "name", owner, sizeof owner) != 0
            || strcmp(owner, out->owner) != 0
            || getdns_lib()->dict_get_dict(rr, "rdata", &rdata) != GETDNS_RETURN_GOOD)
            continue;
        out->nrr_seen++;
        if (out->qtype == DNS_TYPE_TLSA)
            add_tlsa(rdata, out);
        else if (out->qtype == DNS_TYPE_TXT)
            add_txt(rdata, out);
        else if (out->nrr >= DNS_MAX_RRS)
            continue;               /* counted, not kept */
        else if (out->qtype == DNS_TYPE_MX)
            add_mx(rdata, out);
        else if (out->qtype == DNS_TYPE_A || out->qtype == DNS_TYPE_AAAA)
            add_address(rdata, out->qtype, out);
    }
    if (out->tlsa != NULL) {
        out->tlsa_total = tlsa_set_count(out->tlsa);
        out->tlsa_usable = tlsa_set_usable_count(out->tlsa);
    }
}

/* has_records - 1 when the answer holds records of the asked type */
static int has_records(const struct dns_answer *out)
{
    switch (out->qtype) {
    case DNS_TYPE_TLSA:
        return out->tlsa_total > 0;
    case DNS_TYPE_MX:
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA:
        return out->nrr > 0;
    case DNS_TYPE_TXT:
        return out->nrr_seen > 0;   /* also when none was kept */
    default:
        return out->nrr_seen > 0;   /* e.g. DNSKEY for the capability check */
    }
}

/* classify - the one status of a reply (see the file comment for the order) */
static void classify(uint32_t rcode, int have_status, uint32_t dnssec,
                     struct dns_answer *out)
{
    int secure = dnssec == GETDNS_DNSSEC_SECURE;

    if (rcode != GETDNS_RCODE_NOERROR && rcode != GETDNS_RCODE_NXDOMAIN) {
        out->status = DNS_SERVFAIL;
        out->why = rcode == GETDNS_RCODE_SERVFAIL ? "SERVFAIL"
                 : rcode == GETDNS_RCODE_REFUSED ? "REFUSED"
                 : "error rcode";
    } else if (!have_status || dnssec == GETDNS_DNSSEC_INDETERMINATE) {
        out->status = DNS_INDETERMINATE;
        out->why = "DNSSEC status indeterminate (no trust anchor covers it)";
    } else if (dnssec == GETDNS_DNSSEC_BOGUS) {
        out->status = DNS_BOGUS;
        out->why = "DNSSEC validation failed (bogus)";
    } else if (!secure && dnssec != GETDNS_DNSSEC_INSECURE) {
        out->status = DNS_INDETERMINATE;
        out->why = "unknown DNSSEC status";
    } else if (rcode == GETDNS_RCODE_NXDOMAIN) {
        out->status = secure ? DNS_NXDOMAIN_SECURE : DNS_NXDOMAIN_INSECURE;
    } else if (!has_records(out)) {
        out->status = secure ? DNS_NODATA_SECURE : DNS_NODATA_INSECURE;
    } else {
        out->status = secure ? DNS_SECURE : DNS_INSECURE;
    }
}

/* rr_ttl - how long one record may be kept: its TTL, and for an RRSIG no
 * later than the signature's expiration (RFC 4035 §5.3.3; serial number
 * arithmetic, RFC 4034 §3.1.5); for an SOA in a negative answer also no
 * longer than its MINIMUM field (RFC 2308 §5) */
static uint32_t rr_ttl(const getdns_dict *rr, time_t now)
{
    const struct getdns_lib *g = getdns_lib();
    uint32_t ttl = 0, expiration = 0, minimum = 0;
    uint16_t type = rr_type(rr);

    if (g->dict_get_int(rr, "ttl", &ttl) != GETDNS_RETURN_GOOD)
        return 0;
    if (type == GETDNS_RRTYPE_RRSIG
        && g->dict_get_int(rr, "/rdata/signature_expiration", &expiration)
           == GETDNS_RETURN_GOOD) {
        int32_t left = (int32_t)(expiration - (uint32_t)now);

        if (left <= 0)
            return 0;
        if ((uint32_t)left < ttl)
            ttl = (uint32_t)left;
    }
    if (type == GETDNS_RRTYPE_SOA
        && g->dict_get_int(rr, "/rdata/minimum", &minimum) == GETDNS_RETURN_GOOD
        && minimum < ttl)
        ttl = minimum;
    return ttl;
}

/* section_ttl - the least rr_ttl() of a section (UINT32_MAX when empty);
 * *soa counts its SOA records */
static uint32_t section_ttl(const getdns_dict *reply, const char *section,
                            time_t now, size_t *soa)
{
    const struct getdns_lib *g = getdns_lib();
    getdns_list *list = NULL;
    uint32_t least = UINT32_MAX;
    size_t n = 0;

    if (g->dict_get_list(reply, section, &list) != GETDNS_RETURN_GOOD
        || g->list_get_length(list, &n) != GETDNS_RETURN_GOOD)
        return least;
    for (size_t i = 0; i < n; i++) {
        getdns_dict *rr = NULL;
        uint32_t ttl;

        if (g->list_get_dict(list, i, &rr) != GETDNS_RETURN_GOOD)
            return 0;
        ttl = rr_ttl(rr, now);
        if (ttl < least)
            least = ttl;
        *soa += rr_type(rr) == GETDNS_RRTYPE_SOA;
    }
    return least;
}

/* answer_ttl - how long the answer may be kept (dns.h): records and their
 * signatures; a negative answer needs the SOA of its authority section */
static uint32_t answer_ttl(const getdns_dict *reply, const struct dns_answer *out)
{
    time_t now = time(NULL);
    size_t soa = 0, none = 0;
    uint32_t ttl = section_ttl(reply, "answer", now, &none);
    uint32_t authority;

    if (out->status == DNS_SECURE || out->status == DNS_INSECURE)
        return ttl == UINT32_MAX ? 0 : ttl;
    authority = section_ttl(reply, "authority", now, &soa);
    if (soa == 0)
        return 0;           /* RFC 2308 §5: no SOA, no negative caching */
    return authority < ttl ? authority : ttl;
}

/* convert_reply - one entry of replies_tree */
static void convert_reply(const getdns_dict *reply, struct dns_answer *out)
{
    uint32_t rcode = 0, dnssec = 0;
    getdns_list *answer = NULL;
    size_t n = 0;
    int have_status;

    if (getdns_lib()->dict_get_int(reply, "/header/rcode", &rcode) != GETDNS_RETURN_GOOD) {
        out->status = DNS_SERVFAIL;
        out->why = "reply without header";
        return;
    }
    out->rcode = (uint8_t)(rcode & 0xff);
    have_status = getdns_lib()->dict_get_int(reply, "dnssec_status", &dnssec)
                  == GETDNS_RETURN_GOOD;
    if (getdns_lib()->dict_get_list(reply, "answer", &answer) == GETDNS_RETURN_GOOD
        && getdns_lib()->list_get_length(answer, &n) == GETDNS_RETURN_GOOD) {
        follow_cnames(answer, n, out);
        collect(answer, n, out);
    }
    classify(rcode, have_status, dnssec, out);
    if (!dns_status_is_error(out->status))
        out->ttl = answer_ttl(reply, out);
}

int dns_reply_rr_owner(const struct getdns_dict *rr, char *out, size_t size)
{
    return rr_name(rr, "name", out, size);
}

size_t dns_reply_count_type(const struct getdns_dict *response, uint16_t type)
{
    getdns_list *answer = NULL;
    size_t n = 0, count = 0;

    if (getdns_lib()->dict_get_list(response, "/replies_tree/0/answer", &answer)
            != GETDNS_RETURN_GOOD
        || getdns_lib()->list_get_length(answer, &n) != GETDNS_RETURN_GOOD)
        return 0;
    for (size_t i = 0; i < n; i++) {
        getdns_dict *rr = NULL;

        if (getdns_lib()->list_get_dict(answer, i, &rr) == GETDNS_RETURN_GOOD
            && rr_type(rr) == type)
            count++;
    }
    return count;
}

void dns_reply_convert(const struct getdns_dict *response, const char *qname,
                       uint16_t qtype, struct dns_answer *out)
{
    uint32_t status = 0;
    getdns_list *replies = NULL;
    getdns_dict *reply = NULL;
    size_t n = 0;

    out->asked = 1;
    out->qtype = qtype;
    if (strnlen(qname, DNS_NAME_MAX + 1) > DNS_NAME_MAX) {
        out->status = DNS_SERVFAIL;
        out->why = "query name too long";
        return;
    }
    memcpy(out->qname, qname, strlen(qname) + 1);
    memcpy(out->owner, qname, strlen(qname) + 1);
    if (response == NULL
        || getdns_lib()->dict_get_int(response, "status", &status) != GETDNS_RETURN_GOOD) {
        out->status = DNS_SERVFAIL;
        out->why = "no response from the resolver library";
        return;
    }
    if (status == GETDNS_RESPSTATUS_ALL_TIMEOUT) {
        out->status = DNS_TIMEOUT;
        out->why = "no upstream answered in time";
        return;
    }
    if (getdns_lib()->dict_get_list(response, "replies_tree", &replies) != GETDNS_RETURN_GOOD
        || getdns_lib()->list_get_length(replies, &n) != GETDNS_RETURN_GOOD || n == 0
        || getdns_lib()->list_get_dict(replies, 0, &reply) != GETDNS_RETURN_GOOD) {
        /* NO_NAME without a reply: never "no such name" (getdns-1.6 notes) */
        out->status = DNS_SERVFAIL;
        out->why = "no usable reply";
        return;
    }
    convert_reply(reply, out);
}

/* skip_name - past one wire name at *off (RFC 1035 §4.1.4: labels, ending
 * in the root label or a pointer to an earlier offset); 0 or -1 */
static int skip_name(const uint8_t *msg, size_t len, size_t *off)
{
    size_t start = *off, total = 1;

    while (*off < len) {
        uint8_t b = msg[*off];

        if ((b & 0xc0) == 0xc0) {
            if (len - *off < 2 || (((size_t)(b & 0x3f) << 8) | msg[*off + 1]) >= start)
                return -1;
            *off += 2;
            return 0;
        }
        if ((b & 0xc0) != 0 || (total += (size_t)b + 1) > 255 || len - *off < (size_t)b + 1)
            return -1;      /* RFC 1035 §2.3.4: 63-octet labels, 255-octet names */
        *off += (size_t)b + 1;
        if (b == 0)
            return 0;
    }
    return -1;
}

/* wire_well_formed - every question and record the header counts lies
 * inside the message, and nothing follows them */
static int wire_well_formed(const uint8_t *msg, size_t len)
{
    size_t off = 12;
    unsigned qd = (unsigned)msg[4] << 8 | msg[5];
    unsigned rr = ((unsigned)msg[6] << 8 | msg[7]) + ((unsigned)msg[8] << 8 | msg[9])
                  + ((unsigned)msg[10] << 8 | msg[11]);

    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(msg, len, &off) != 0 || len - off < 4)
            return 0;
        off += 4;                           /* type, class */
    }
    for (unsigned i = 0; i < rr; i++) {
        size_t rdlen;

        if (skip_name(msg, len, &off) != 0 || len - off < 10)
            return 0;
        rdlen = (size_t)msg[off + 8] << 8 | msg[off + 9];
        off += 10;                          /* type, class, TTL, RDLENGTH */
        if (len - off < rdlen)
            return 0;
        off += rdlen;
    }
    return off == len;
}

/* wire_dict - getdns_wire2msg_dict() of a message that is well formed at
 * the record level, over a zero-padded copy. getdns 1.6's parser trusts
 * the header's counts and the RDLENGTHs: it reads past the end of a message
 * whose last rdata overruns it, and walks on through whatever follows a
 * message whose counts exceed it (both found by fuzz_dns_reply). This entry
 * point exists for tests and fuzzing, which are about the conversion, not
 * about getdns's parser; getdns parses what it receives itself. */
static getdns_dict *wire_dict(const uint8_t *msg, size_t len)
{
    uint8_t *copy;
    getdns_dict *dict = NULL;

    if (len < 12 || len > DNS_WIRE_MAX     /* RFC 1035 §4.1.1: 12-octet header */
        || !wire_well_formed(msg, len))
        return NULL;
    copy = calloc(1, len + DNS_WIRE_MAX + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, msg, len);
    if (getdns_lib()->wire2msg_dict(copy, len, &dict) != GETDNS_RETURN_GOOD)
        dict = NULL;
    free(copy);
    return dict;
}

int dns_reply_from_wire(const uint8_t *msg, size_t len, uint32_t dnssec_status,
                        const char *qname, uint16_t qtype,
                        struct dns_answer *out)
{
    getdns_dict *reply, *response = NULL;
    getdns_list *replies = NULL;
    int rc = -1;

    dns_answer_clear(out);
    if (getdns_lib_load(&out->why) == NULL) {
        out->asked = 1;
        out->status = DNS_SERVFAIL;
        return -1;
    }
    reply = wire_dict(msg, len);
    if (reply == NULL) {
        out->asked = 1;
        out->status = DNS_SERVFAIL;
        out->why = "malformed DNS message";
        return -1;
    }
    response = getdns_lib()->dict_create();
    replies = getdns_lib()->list_create();
    if (response != NULL && replies != NULL
        && getdns_lib()->dict_set_int(reply, "dnssec_status", dnssec_status) == GETDNS_RETURN_GOOD
        && getdns_lib()->list_set_dict(replies, 0, reply) == GETDNS_RETURN_GOOD
        && getdns_lib()->dict_set_list(response, "replies_tree", replies) == GETDNS_RETURN_GOOD
        && getdns_lib()->dict_set_int(response, "status", GETDNS_RESPSTATUS_GOOD)
           == GETDNS_RETURN_GOOD) {
        dns_reply_convert(response, qname, qtype, out);
        rc = 0;
    } else {
        out->asked = 1;
        out->status = DNS_SERVFAIL;
        out->why = "out of memory";
    }
    getdns_lib()->list_destroy(replies);
    getdns_lib()->dict_destroy(response);
    getdns_lib()->dict_destroy(reply);
    return rc;
}
