/* cmd_tlsa_match.c - `dane-agent tlsa-match`: offline, does a PEM chain
 *                    satisfy TLSA records for SMTP (RFC 7672 §3.1)?
 *
 * SYNOPSIS
 *   dane-agent tlsa-match --chain CHAIN.pem --tlsa "U S M HEX" [--tlsa ...]
 *                         [--name NAME ...] [--dane-digests sha512,sha256]
 *                         [--json]
 *
 * DESCRIPTION
 *   Reads the chain (PEM, leaf first, at most CHAIN_MAX_BYTES), adds each
 *   --tlsa record to one set (SMTP usability and digest agility of tlsa.h),
 *   and asks dane_verify() at the current time. DANE-TA names are checked
 *   against the --name reference identifiers; without --name that check is
 *   skipped (the JSON says "names_checked": false).
 *
 *   Prints `match usage=U selector=S mtype=M depth=D` (exit 0) or
 *   `no match: REASON` (exit 1) on standard output; --json prints one JSON
 *   object instead, with the usable records and why the others are unusable.
 *
 * DIAGNOSTICS
 *   One line on standard error: usage errors exit 64, a bad --tlsa record,
 *   malformed PEM or DER or an oversized chain file 65, a missing or
 *   unreadable chain file 66, out of memory 70.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "agent.h"
#include "cli_io.h"
#include "dane.h"
#include "json.h"
#include "tlsa.h"

#define PROG "dane-agent: tlsa-match"
#define CMD "tlsa-match"
/* Room for DANE_MAX_CHAIN certificates of DANE_MAX_CERT bytes in base64 with
 * PEM lines, plus text around them. */
#define CHAIN_MAX_BYTES (2u * 1024 * 1024)
#define MAX_NAMES 32u
#define JSON_MAX_BYTES (8u * 1024 * 1024)

struct options {
    const char *chain;
    const char *tlsa[TLSA_MAX_RECORDS];
    size_t ntlsa;
    const char *names[MAX_NAMES];
    size_t nnames;
    const char *digests;
    int json;
};

struct run {
    struct tlsa_set *set;
    struct dane_chain *chain;
    uint8_t order[2];
    size_t norder;
};

static const char synopsis[] =
    "usage: dane-agent tlsa-match --chain CHAIN.pem --tlsa \"U S M HEX\" "
    "[--tlsa ...] [--name NAME ...] [--dane-digests sha512,sha256] [--json]\n";

/* parse_args - fill opts; 0, or a sysexits status after the message */
static int parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;

        if (strcmp(argv[i], "--json") == 0) {
            o->json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(synopsis, stdout);
            return -1;
        } else if ((v = cli_option_value(argc, argv, &i, "--chain", &missing)) != NULL) {
            if (o->chain != NULL)
                return cli_usage_error(CMD, "--chain given twice", NULL);
            o->chain = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--tlsa", &missing)) != NULL) {
            if (o->ntlsa == TLSA_MAX_RECORDS)
                return cli_usage_error(CMD, "too many --tlsa records", NULL);
            o->tlsa[o->ntlsa++] = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--name", &missing)) != NULL) {
            if (o->nnames == MAX_NAMES)
                return cli_usage_error(CMD, "too many --name reference identifiers", NULL);
            if (*v == '\0')
                return cli_usage_error(CMD, "empty --name", NULL);
            o->names[o->nnames++] = v;
        } else if ((v = cli_option_value(argc, argv, &i, "--dane-digests", &missing)) != NULL) {
            o->digests = v;
        } else if (missing) {
            return cli_usage_error(CMD, "option needs a value", argv[i]);
        } else {
            return cli_usage_error(CMD, "unknown argument", argv[i]);
        }
    }
    if (o->chain == NULL)
        return cli_usage_error(CMD, "--chain is required", NULL);
    if (o->ntlsa == 0)
        return cli_usage_error(CMD, "at least one --tlsa record is required", NULL);
    return 0;
}

/* load_records - every --tlsa into run->set in the configured digest order */
static int load_records(const struct options *o, struct run *r)
{
    const char *why = NULL;

    if (o->digests != NULL) {
        if (tlsa_digest_order_parse(o->digests, strlen(o->digests), r->order,
                                    &r->norder, &why) < 0 ||
            tlsa_set_digest_order(r->set, r->order, r->norder, &why) < 0)
            return cli_usage_error(CMD, why, o->digests);
    }
    return cli_load_records(CMD, o->tlsa, o->ntlsa, r->set);
}

/* in_order - is mtype one of the configured digests? */
static int in_order(const struct run *r, uint8_t mtype)
{
    for (size_t i = 0; i < r->norder; i++)
        if (r->order[i] == mtype)
            return 1;
    return 0;
}

/* is_usable - is rr one of the set's usable records? */
static int is_usable(const struct tlsa_set *set, const struct tlsa_rr *rr)
{
    for (size_t i = 0; i < tlsa_set_usable_count(set); i++)
        if (tlsa_set_usable(set, i) == rr)
            return 1;
    return 0;
}

/* unusable_reason - why a kept record is not usable */
static const char *unusable_reason(const struct run *r, const struct tlsa_rr *rr)
{
    const char *why = NULL;

    if (!tlsa_rr_usable(rr, &why))
        return why;
    if (!in_order(r, rr->mtype))
        return "digest algorithm not enabled by --dane-digests";
    return "a stronger digest is present for this usage and selector (RFC 7671 §9)";
}

/* json_record - one record in presentation form as a JSON string */
static void json_record(struct json *j, const struct tlsa_rr *rr)
{
    size_t need = tlsa_rr_format(rr, NULL, 0);
    char *buf = malloc(need + 1);

    if (buf == NULL) {
        json_null(j);
        return;
    }
    tlsa_rr_format(rr, buf, need + 1);
    json_string_n(j, buf, need);
    free(buf);
}

/* json_records - the usable records, then the others with their reason */
static void json_records(struct json *j, const struct run *r)
{
    json_key(j, "usable");
    json_array_begin(j);
    for (size_t i = 0; i < tlsa_set_usable_count(r->set); i++)
        json_record(j, tlsa_set_usable(r->set, i));
    json_array_end(j);
    json_key(j, "unusable");
    json_array_begin(j);
    for (size_t i = 0; i < tlsa_set_count(r->set); i++) {
        const struct tlsa_rr *rr = tlsa_set_record(r->set, i);

        if (is_usable(r->set, rr))
            continue;
        json_object_begin(j);
        json_key(j, "record");
        json_record(j, rr);
        json_key(j, "reason");
        json_string(j, unusable_reason(r, rr));
        json_object_end(j);
    }
    json_array_end(j);
}

/* print_json - the verdict as one JSON object; 0 or EX_SOFTWARE */
static int print_json(const struct options *o, const struct run *r,
                      enum dane_status st, const struct dane_result *res,
                      const char *why)
{
    struct json *j = json_new(JSON_MAX_BYTES);
    int match = st == DANE_MATCH;

    if (j == NULL)
        return cli_print_json(CMD, NULL);
    json_object_begin(j);
    json_key(j, "match");
    json_bool(j, match);
    json_key(j, "usage");
    match ? json_uint(j, res->usage) : json_null(j);
    json_key(j, "selector");
    match ? json_uint(j, res->selector) : json_null(j);
    json_key(j, "mtype");
    match ? json_uint(j, res->mtype) : json_null(j);
    json_key(j, "depth");
    match ? json_uint(j, res->depth) : json_null(j);
    json_key(j, "reason");
    json_string(j, match ? NULL : why);
    json_key(j, "chain_length");
    json_uint(j, dane_chain_length(r->chain));
    json_key(j, "names");
    json_array_begin(j);
    for (size_t i = 0; i < o->nnames; i++)
        json_string(j, o->names[i]);
    json_array_end(j);
    json_key(j, "names_checked");
    json_bool(j, o->nnames > 0);
    json_records(j, r);
    json_object_end(j);
    return cli_print_json(CMD, j);
}

/* verdict - verify and print; the exit status */
static int verdict(const struct options *o, const struct run *r)
{
    struct dane_result res = {0};
    const char *why = NULL;
    enum dane_status st = dane_verify(r->chain, r->set, o->names, o->nnames,
                                      time(NULL), &res, &why);

    if (o->json) {
        int status = print_json(o, r, st, &res, why);

        if (status != 0)
            return status;
    } else if (st == DANE_MATCH) {
        printf("match usage=%u selector=%u mtype=%u depth=%zu\n", res.usage,
               res.selector, res.mtype, res.depth);
    } else {
        printf("no match: %s\n", why != NULL ? why : "no TLSA record matches");
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the result: %s\n", PROG, strerror(errno));
        return EX_IOERR;
    }
    return st == DANE_MATCH ? 0 : 1;
}

int cmd_tlsa_match(int argc, char **argv)
{
    struct options o = {0};
    struct run r = {.order = {TLSA_MTYPE_SHA512, TLSA_MTYPE_SHA256}, .norder = 2};
    int status = parse_args(argc, argv, &o);

    if (status != 0)
        return status < 0 ? 0 : status;
    status = cli_certs_begin(CMD, &r.set, &r.chain);
    if (status == 0)
        status = load_records(&o, &r);
    if (status == 0)
        status = cli_load_chain(CMD, o.chain, CHAIN_MAX_BYTES, r.chain);
    if (status == 0)
        status = verdict(&o, &r);
    cli_certs_end(r.set, r.chain);
    return status;
}
