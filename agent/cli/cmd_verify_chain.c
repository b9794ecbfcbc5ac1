/* cmd_verify_chain.c - `dane-agent verify-chain`: offline, what would a
 *                      delivery decide about this certificate chain?
 *
 * SYNOPSIS
 *   dane-agent verify-chain --chain CHAIN.pem [--ca-file FILE]
 *                           [--tlsa "U S M HEX"]... [--name NAME]...
 *                           [--level LEVEL] [--at UNIXTIME] [--json]
 *
 * DESCRIPTION
 *   The chain (PEM, leaf first, then any order) goes through verify_peer()
 *   exactly as a delivery's peer chain does: the TLSA records form one set
 *   (SMTP usability, digest agility), --name gives the reference identifiers
 *   (RFC 7672 §3.2.2 for DANE-TA, the policy's `match` names for
 *   verify/secure), --ca-file the PKIX trust (default: the system store,
 *   PKIX_SYSTEM_CA_FILE, read once with pkix_store_new() as a delivery
 *   should), --at the validation time (default: now). LEVEL is
 *   a Postfix level other than fingerprint; the default is dane with --tlsa,
 *   else secure.
 *
 *   Prints the status (Verified, Trusted, Untrusted) and, when the level is
 *   not satisfied, the reason; then the level, what matched, and the path
 *   validated from the leaf to its trust anchor (depth, subject, issuer), or
 *   the presented certificates when no path was validated. --json prints one
 *   JSON object instead.
 *
 * DIAGNOSTICS
 *   Exit 0 when the level is satisfied, 1 when not. One line on standard
 *   error otherwise: usage errors 64; a bad --tlsa record, malformed PEM or
 *   DER, a chain longer than DANE_MAX_CHAIN or a certificate larger than
 *   DANE_MAX_CERT, an oversized chain file, a CA file without a certificate
 *   65; a chain or CA file that cannot be opened 66; out of memory 70.
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
#include "pkix.h"
#include "policy.h"
#include "tlsa.h"
#include "verify.h"

#define PROG "dane-agent: verify-chain"
#define CMD "verify-chain"
/* A 1 MiB certificate in PEM still reaches the PEM decoder, which names the
 * limit it breaks (DANE_MAX_CERT) rather than the file size. */
#define CHAIN_MAX_BYTES (4u * 1024 * 1024)
#define MAX_NAMES 32u
#define JSON_MAX_BYTES (1u * 1024 * 1024)
#define AT_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

struct options {
    const char *chain;
    const char *ca_file;
    const char *tlsa[TLSA_MAX_RECORDS];
    size_t ntlsa;
    const char *names[MAX_NAMES];
    size_t nnames;
    enum policy_level level;
    int level_set;
    time_t at;
    int at_set;
    int json;
};

static const char synopsis[] =
    "usage: dane-agent verify-chain --chain CHAIN.pem [--ca-file FILE] "
    "[--tlsa \"U S M HEX\"]... [--name NAME]... [--level LEVEL] "
    "[--at UNIXTIME] [--json]\n";

/* parse_at - decimal seconds since the epoch, 0..AT_MAX; 0 or -1 */
static int parse_at(const char *s, time_t *at)
{
    long long v = 0;
    size_t i;

    if (s[0] == '\0' || strlen(s) > 12)
        return -1;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > AT_MAX)
        return -1;
    *at = (time_t)v;
    return 0;
}

/* set_level - --level NAME; 0 or EX_USAGE */
static int set_level(struct options *o, const char *v)
{
    if (policy_level_from_name(v, strlen(v), &o->level) < 0)
        return cli_usage_error(CMD, "unknown level", v);
    if (o->level == POLICY_LEVEL_FINGERPRINT)
        return cli_usage_error(CMD, "level fingerprint is not supported (use tlsa-match with 3 x x records)", NULL);
    o->level_set = 1;
    return 0;
}

/* one_option - argv[*i] and maybe its value; 0, -1 (help) or a status */
static int one_option(int argc, char **argv, int *i, struct options *o)
{
    int missing = 0;
    const char *v;

    if (strcmp(argv[*i], "--json") == 0) {
        o->json = 1;
    } else if (strcmp(argv[*i], "-h") == 0 || strcmp(argv[*i], "--help") == 0) {
        fputs(synopsis, stdout);
        return -1;
    } else if ((v = cli_option_value(argc, argv, i, "--chain", &missing)) != NULL) {
        if (o->chain != NULL)
            return cli_usage_error(CMD, "--chain given twice", NULL);
        o->chain = v;
    } else if ((v = cli_option_value(argc, argv, i, "--ca-file", &missing)) != NULL) {
        if (o->ca_file != NULL || *v == '\0')
            return cli_usage_error(CMD, "--ca-file given twice or empty", NULL);
        o->ca_file = v;
    } else if ((v = cli_option_value(argc, argv, i, "--tlsa", &missing)) != NULL) {
        if (o->ntlsa == TLSA_MAX_RECORDS)
            return cli_usage_error(CMD, "too many --tlsa records", NULL);
        o->tlsa[o->ntlsa++] = v;
    } else if ((v = cli_option_value(argc, argv, i, "--name", &missing)) != NULL) {
        if (o->nnames == MAX_NAMES || *v == '\0')
            return cli_usage_error(CMD, "too many --name reference identifiers, or an empty one", NULL);
        o->names[o->nnames++] = v;
    } else if ((v = cli_option_value(argc, argv, i, "--level", &missing)) != NULL) {
        return set_level(o, v);
    } else if ((v = cli_option_value(argc, argv, i, "--at", &missing)) != NULL) {
        if (parse_at(v, &o->at) < 0)
            return cli_usage_error(CMD, "--at wants seconds since 1970 (0 to 253402300799)", v);
        o->at_set = 1;
    } else {
        return cli_usage_error(CMD, missing ? "option needs a value" : "unknown argument", argv[*i]);
    }
    return 0;
}

/* parse_args - fill opts; 0, -1 after --help, or a sysexits status */
static int parse_args(int argc, char **argv, struct options *o)
{
    int status;

    for (int i = 1; i < argc; i++)
        if ((status = one_option(argc, argv, &i, o)) != 0)
            return status;
    if (o->chain == NULL)
        return cli_usage_error(CMD, "--chain is required", NULL);
    if (!o->level_set)
        o->level = o->ntlsa > 0 ? POLICY_LEVEL_DANE : POLICY_LEVEL_SECURE;
    if ((o->level == POLICY_LEVEL_VERIFY || o->level == POLICY_LEVEL_SECURE) &&
        o->nnames == 0)
        return cli_usage_error(CMD, "levels verify and secure need --name", NULL);
    if ((o->level == POLICY_LEVEL_DANE || o->level == POLICY_LEVEL_DANE_ONLY) &&
        o->ntlsa == 0)
        return cli_usage_error(CMD, "levels dane and dane-only need --tlsa", NULL);
    if (!o->at_set)
        o->at = time(NULL);
    return 0;
}

/* uses_pkix - levels whose verdict may ask PKIX (Trusted, verify, secure) */
static int uses_pkix(enum policy_level level)
{
    return level != POLICY_LEVEL_DANE && level != POLICY_LEVEL_DANE_ONLY;
}

/* load_store - --ca-file (or the system store) read once, as a delivery
 * does; a --ca-file that cannot be used is the caller's mistake, a missing
 * system store is left to the verdict */
static int load_store(const struct options *o, struct pkix_store **store)
{
    const char *why = NULL;
    int missing = 0;

    if (!uses_pkix(o->level) && o->ca_file == NULL)
        return 0;
    *store = pkix_store_new(o->ca_file, &missing, &why);
    if (*store != NULL || o->ca_file == NULL)
        return 0;
    fprintf(stderr, "%s: %s: %s\n", PROG, o->ca_file, why);
    return missing ? EX_NOINPUT : EX_DATAERR;
}

/* The validated path (or the presented chain) as text rows. */
struct row {
    int index;                      /* in the presented chain, -1: not sent */
    char subject[PKIX_TEXT_MAX];
    char issuer[PKIX_TEXT_MAX];
};

struct rows {
    struct row r[PKIX_MAX_PATH];
    size_t n;
    int validated;                  /* 1: a path, 0: the presented chain */
};

/* chain_row - subject and issuer of presented certificate i */
static void chain_row(const struct dane_chain *chain, int i, struct row *row)
{
    size_t len = 0;
    const uint8_t *der = dane_chain_der(chain, (size_t)i, &len);

    row->index = i;
    if (der == NULL || pkix_cert_text(der, len, row->subject, sizeof(row->subject),
                                      row->issuer, sizeof(row->issuer)) < 0) {
        snprintf(row->subject, sizeof(row->subject), "?");
        snprintf(row->issuer, sizeof(row->issuer), "?");
    }
}

/* result_path - the path verify_peer validated, if any */
static const struct pkix_path *result_path(const struct verify_result *vr)
{
    if (vr->matched && vr->match.path.len > 0)
        return &vr->match.path;
    if (vr->path.len > 0)
        return &vr->path;
    return NULL;
}

/* make_rows - the validated path (the leaf alone for DANE-EE), else the
 * presented certificates */
static void make_rows(const struct dane_chain *chain,
                      const struct verify_result *vr, struct rows *rows)
{
    const struct pkix_path *p = result_path(vr);
    int ee = vr->matched && vr->match.usage == TLSA_USAGE_DANE_EE;
    size_t d;

    memset(rows, 0, sizeof(*rows));
    rows->validated = p != NULL || ee;
    rows->n = p != NULL ? p->len : ee ? 1 : dane_chain_length(chain);
    for (d = 0; d < rows->n && d < PKIX_MAX_PATH; d++) {
        if (p == NULL || p->index[d] >= 0) {
            chain_row(chain, p != NULL ? p->index[d] : (int)d, &rows->r[d]);
            continue;
        }
        rows->r[d].index = -1;
        snprintf(rows->r[d].subject, sizeof(rows->r[d].subject), "%s", p->anchor_subject);
        snprintf(rows->r[d].issuer, sizeof(rows->r[d].issuer), "%s", p->anchor_issuer);
    }
}

/* matched_text - what authenticated the chain, in words */
static void matched_text(const struct options *o, const struct verify_result *vr,
                         char *buf, size_t cap)
{
    if (vr->matched)
        snprintf(buf, cap, "TLSA %u %u %u at depth %zu", vr->match.usage,
                 vr->match.selector, vr->match.mtype, vr->match.depth);
    else if (vr->path.len > 0)
        snprintf(buf, cap, "a CA of %s", o->ca_file != NULL ? o->ca_file
                                                          : PKIX_SYSTEM_CA_FILE);
    else
        snprintf(buf, cap, "nothing");
}

/* row_note - what matched at row d: the top of a validated path */
static void row_note(const struct options *o, const struct verify_result *vr,
                     const struct rows *rows, size_t d, char *buf, size_t cap)
{
    char what[128];

    buf[0] = '\0';
    if (!rows->validated || d + 1 != rows->n)
        return;
    matched_text(o, vr, what, sizeof(what));
    snprintf(buf, cap, " <- %s%s", what,
             rows->r[d].index < 0 ? " (not sent by the server)" : "");
}

/* print_text - the human-readable verdict */
static void print_text(const struct options *o, const struct dane_chain *chain,
                       const struct verify_result *vr)
{
    struct rows rows;
    char what[128], note[192];

    make_rows(chain, vr, &rows);
    matched_text(o, vr, what, sizeof(what));
    printf("%s", verify_status_name(vr->status));
    if (!vr->ok)
        printf(": %s", vr->reason != NULL ? vr->reason : "not authenticated");
    printf("\nlevel %s: %s\nmatched: %s\n%s:\n", policy_level_name(o->level),
           vr->ok ? "satisfied" : "not satisfied", what,
           rows.validated ? "path" : "presented chain (no path validated)");
    for (size_t d = 0; d < rows.n; d++) {
        row_note(o, vr, &rows, d, note, sizeof(note));
        printf("  %zu subject=%s issuer=%s%s\n", d, rows.r[d].subject,
               rows.r[d].issuer, note);
    }
}

/* json_match - the TLSA record that matched, or null */
static void json_match(struct json *j, const struct verify_result *vr)
{
    if (!vr->matched) {
        json_null(j);
        return;
    }
    json_object_begin(j);
    json_key(j, "usage");
    json_uint(j, vr->match.usage);
    json_key(j, "selector");
    json_uint(j, vr->match.selector);
    json_key(j, "mtype");
    json_uint(j, vr->match.mtype);
    json_key(j, "depth");
    json_uint(j, vr->match.depth);
    json_object_end(j);
}

/* json_rows - the path or the presented chain */
static void json_rows(struct json *j, const struct rows *rows)
{
    json_array_begin(j);
    for (size_t d = 0; d < rows->n; d++) {
        json_object_begin(j);
        json_key(j, "depth");
        json_uint(j, d);
        json_key(j, "subject");
        json_string(j, rows->r[d].subject);
        json_key(j, "issuer");
        json_string(j, rows->r[d].issuer);
        json_key(j, "sent");
        json_bool(j, rows->r[d].index >= 0);
        json_object_end(j);
    }
    json_array_end(j);
}

/* json_body - every field of the verdict */
static void json_body(struct json *j, const struct options *o,
                      const struct dane_chain *chain, const struct verify_result *vr)
{
    struct rows rows;

    make_rows(chain, vr, &rows);
    json_object_begin(j);
    json_key(j, "verification");
    json_string(j, verify_status_name(vr->status));
    json_key(j, "level");
    json_string(j, policy_level_name(o->level));
    json_key(j, "satisfied");
    json_bool(j, vr->ok);
    json_key(j, "reason");
    json_string(j, vr->ok ? NULL : vr->reason);
    json_key(j, "rfc8460");
    json_string(j, vr->ok ? NULL : vr->rfc8460);
    json_key(j, "tlsa_match");
    json_match(j, vr);
    json_key(j, "ca_file");     /* null: the system store, if PKIX was asked */
    json_string(j, o->ca_file);
    json_key(j, "at");
    json_int(j, (int64_t)o->at);
    json_key(j, "names");
    json_array_begin(j);
    for (size_t i = 0; i < o->nnames; i++)
        json_string(j, o->names[i]);
    json_array_end(j);
    json_key(j, "chain_length");
    json_uint(j, dane_chain_length(chain));
    json_key(j, rows.validated ? "path" : "presented");
    json_rows(j, &rows);
    json_object_end(j);
}

/* print_json - one JSON object; 0 or EX_SOFTWARE */
static int print_json(const struct options *o, const struct dane_chain *chain,
                      const struct verify_result *vr)
{
    struct json *j = json_new(JSON_MAX_BYTES);

    if (j != NULL)
        json_body(j, o, chain, vr);
    return cli_print_json(CMD, j);
}

/* verdict - verify_peer() as a delivery calls it; print; the exit status */
static int verdict(const struct options *o, const struct dane_chain *chain,
                   const struct tlsa_set *set, const struct pkix_store *store)
{
    struct verify_input in = {
        .level = o->level, .chain = chain, .tlsa = set,
        .names = o->names, .nnames = o->nnames,
        .ca_file = o->ca_file, .store = store, .now = o->at,
    };
    struct verify_result vr;
    int status = 0;

    verify_peer(&in, &vr);
    if (o->json)
        status = print_json(o, chain, &vr);
    else
        print_text(o, chain, &vr);
    if (status != 0)
        return status;
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the result: %s\n", PROG, strerror(errno));
        return EX_IOERR;
    }
    return vr.ok ? 0 : 1;
}

int cmd_verify_chain(int argc, char **argv)
{
    struct options o = {0};
    struct tlsa_set *set = NULL;
    struct dane_chain *chain = NULL;
    struct pkix_store *store = NULL;
    int status = parse_args(argc, argv, &o);

    if (status != 0)
        return status < 0 ? 0 : status;
    status = cli_certs_begin(CMD, &set, &chain);
    if (status == 0)
        status = load_store(&o, &store);
    if (status == 0)
        status = cli_load_records(CMD, o.tlsa, o.ntlsa, set);
    if (status == 0)
        status = cli_load_chain(CMD, o.chain, CHAIN_MAX_BYTES, chain);
    if (status == 0)
        status = verdict(&o, chain, set, store);
    pkix_store_free(store);
    cli_certs_end(set, chain);
    return status;
}
