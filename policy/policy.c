/* policy.c - the policy table: schema, validation, inheritance, lookup
 *
 * SYNOPSIS
 *   policy_load(), policy_load_status(), policy_parse(), policy_free(),
 *   policy_dns(), policy_tlsrpt(), policy_spool_dir(), policy_defaults(), policy_lookup(),
 *   policy_level_name(),
 *   policy_level_from_name()                        (contract: policy.h)
 *
 * DESCRIPTION
 *   The file is read whole (at most POLICY_MAX_FILE_SIZE bytes), turned into
 *   a tree by ptree_parse() (policy_yaml.c) and checked against the schema
 *   here. `defaults` is resolved over the built-in defaults, then every
 *   destination over `defaults`, so each entry of the table is complete.
 *   Destinations are kept sorted by normalised key (policy_key.c): a lookup
 *   is a few binary searches over stack buffers and allocates nothing.
 *
 *   Forward secrecy is not negotiable: protocols below TLS 1.2 and cipher
 *   settings that would admit a suite without forward secrecy are errors
 *   that say why; cipher suites are not configurable at all.
 *
 * DIAGNOSTICS
 *   The first error, as "FILE:LINE:COL: message", in the caller's buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "io.h"
#include "nexthop.h"
#include "policy.h"
#include "policy_int.h"

struct dest {
    const char *norm;           /* normalised key (pkey) */
    unsigned col;               /* column of the key, for errors */
    struct policy_entry entry;
};

struct policy {
    struct arena arena;
    struct policy_dns dns;
    struct policy_entry defaults;
    struct dest *dests;         /* sorted by norm */
    size_t ndests;
    const char *spool_dir;      /* NULL: the agent's default */
    struct policy_tlsrpt tlsrpt;
    int has_tlsrpt;
};

/* State of one load. */
struct ctx {
    const char *name;
    char *err;
    size_t errsize;
    struct arena *arena;
    const char *hostname;       /* gethostname() in the table, or NULL */
};

#define MS_PER_S 1000u

/* fail - "FILE:LINE:COL: message" at a node; returns -1 */
static int fail(struct ctx *c, const struct pnode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const struct pnode *n, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->errsize > 0)
        snprintf(c->err, c->errsize, "%s:%u:%u: %s", c->name,
                 n ? n->line : 1, n ? n->col : 1, msg);
    return -1;
}

/* show - a scalar as printable text for messages (at most 60 bytes) */
static const char *show(const struct pnode *n, char *buf, size_t size)
{
    size_t o = 0;

    for (size_t i = 0; i < n->len && o + 5 < size && o < 60; i++) {
        unsigned char ch = (unsigned char)n->text[i];
        if (ch >= 0x20 && ch < 0x7F) {
            buf[o++] = (char)ch;
        } else {
            snprintf(buf + o, size - o, "\\x%02X", ch);
            o += 4;
        }
    }
    if (o < n->len && o + 4 < size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

#define SHOW(n) show((n), (char[80]){0}, 80)

/* ieq - ASCII case-insensitive comparison of a scalar with a name */
static int ieq(const struct pnode *n, const char *name)
{
    size_t len = strlen(name);

    if (n->len != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int a = (unsigned char)n->text[i], b = (unsigned char)name[i];
        if (a >= 'A' && a <= 'Z')
            a += 'a' - 'A';
        if (b >= 'A' && b <= 'Z')
            b += 'a' - 'A';
        if (a != b)
            return 0;
    }
    return 1;
}

/* eq - exact comparison of a scalar with a name */
static int eq(const struct pnode *n, const char *name)
{
    return n->len == strlen(name) && memcmp(n->text, name, n->len) == 0;
}

/* is_null - an empty or null plain scalar (YAML 1.1 null) */
static int is_null(const struct pnode *n)
{
    return n->type == PNODE_SCALAR && n->plain &&
           (n->len == 0 || eq(n, "~") || eq(n, "null") || eq(n, "Null") ||
            eq(n, "NULL"));
}

/* want_scalar - a non-null scalar value of key */
static int want_scalar(struct ctx *c, const char *key, const struct pnode *v,
                       const char *what)
{
    if (v->type != PNODE_SCALAR)
        return fail(c, v, "%s: expected %s, found %s", key, what,
                    ptree_type_name(v));
    if (is_null(v))
        return fail(c, v, "%s: missing value (expected %s)", key, what);
    if (memchr(v->text, '\0', v->len) != NULL)
        return fail(c, v, "%s: NUL character in value", key);
    return 0;
}

/* want_list - a non-empty sequence value of key */
static int want_list(struct ctx *c, const char *key, const struct pnode *v)
{
    if (v->type != PNODE_SEQUENCE)
        return fail(c, v, "%s: expected a list, found %s", key,
                    is_null(v) ? "nothing" : ptree_type_name(v));
    if (v->nchildren == 0)
        return fail(c, v, "%s: empty list", key);
    return 0;
}

/* want_mapping - a mapping value of key */
static int want_mapping(struct ctx *c, const char *key, const struct pnode *v)
{
    if (v->type != PNODE_MAPPING)
        return fail(c, v, "%s: expected a mapping, found %s", key,
                    is_null(v) ? "nothing" : ptree_type_name(v));
    return 0;
}

/* get_uint - a plain decimal number in [min, max] */
static int get_uint(struct ctx *c, const char *key, const struct pnode *v,
                    unsigned min, unsigned max, unsigned *out)
{
    unsigned long long n = 0;

    if (want_scalar(c, key, v, "a number") < 0)
        return -1;
    if (!v->plain)
        return fail(c, v, "%s: expected a number, found a quoted string", key);
    for (size_t i = 0; i < v->len; i++) {
        if (v->text[i] < '0' || v->text[i] > '9' || i >= 10)
            return fail(c, v, "%s: \"%s\" is not a number from %u to %u",
                        key, SHOW(v), min, max);
        n = n * 10 + (unsigned)(v->text[i] - '0');
    }
    if (n < min || n > max)
        return fail(c, v, "%s: %llu is out of range (%u to %u)", key, n,
                    min, max);
    *out = (unsigned)n;
    return 0;
}

/* get_bool - true or false, plain (YAML 1.1's yes/no are not booleans in
 * YAML 1.2: refused rather than guessed) */
static int get_bool(struct ctx *c, const char *key, const struct pnode *v,
                    int *out)
{
    if (want_scalar(c, key, v, "true or false") < 0)
        return -1;
    if (v->plain && eq(v, "true")) {
        *out = 1;
        return 0;
    }
    if (v->plain && eq(v, "false")) {
        *out = 0;
        return 0;
    }
    return fail(c, v, "%s: expected true or false, found \"%s\"", key,
                SHOW(v));
}

/* get_duration - digits and a unit (ms, s, m, h), in [min_ms, max_ms] */
static int get_duration(struct ctx *c, const char *key, const struct pnode *v,
                        unsigned min_ms, unsigned max_ms, unsigned *out)
{
    unsigned long long n = 0, mult;
    size_t i = 0;

    if (want_scalar(c, key, v, "a duration such as 30s") < 0)
        return -1;
    for (; i < v->len && v->text[i] >= '0' && v->text[i] <= '9'; i++) {
        if (i >= 9)
            return fail(c, v, "%s: duration \"%s\" is too long", key, SHOW(v));
        n = n * 10 + (unsigned)(v->text[i] - '0');
    }
    if (i == 0)
        return fail(c, v, "%s: bad duration \"%s\" (expected a number and a "
                    "unit: ms, s, m or h, e.g. 30s)", key, SHOW(v));
    if (i == v->len)
        return fail(c, v, "%s: duration \"%s\" needs a unit (ms, s, m or h)",
                    key, SHOW(v));
    if (v->len - i == 2 && memcmp(v->text + i, "ms", 2) == 0)
        mult = 1;
    else if (v->len - i == 1 && v->text[i] == 's')
        mult = 1000;
    else if (v->len - i == 1 && v->text[i] == 'm')
        mult = 60000;
    else if (v->len - i == 1 && v->text[i] == 'h')
        mult = 3600000;
    else
        return fail(c, v, "%s: bad duration unit in \"%s\" (ms, s, m or h)",
                    key, SHOW(v));
    n *= mult;
    if (n < min_ms || n > max_ms)
        return fail(c, v, "%s: %s is out of range (%ums to %ums)", key,
                    SHOW(v), min_ms, max_ms);
    *out = (unsigned)n;
    return 0;
}

/* get_size - bytes, optionally with a K, M or G suffix (powers of 1024) */
static int get_size(struct ctx *c, const char *key, const struct pnode *v,
                    uint64_t max, uint64_t *out)
{
    uint64_t n = 0, mult = 1;
    size_t len = v->len;

    if (want_scalar(c, key, v, "a size in bytes") < 0)
        return -1;
    if (len > 1 && (v->text[len - 1] == 'K' || v->text[len - 1] == 'M' ||
                    v->text[len - 1] == 'G')) {
        mult = v->text[len - 1] == 'K' ? 1024u
             : v->text[len - 1] == 'M' ? 1024u * 1024u
             : 1024u * 1024u * 1024u;
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        if (v->text[i] < '0' || v->text[i] > '9' || i >= 15)
            return fail(c, v, "%s: bad size \"%s\" (bytes, or a number with "
                        "K, M or G)", key, SHOW(v));
        n = n * 10 + (uint64_t)(v->text[i] - '0');
    }
    if (n > max / mult)
        return fail(c, v, "%s: %s is larger than %llu bytes", key, SHOW(v),
                    (unsigned long long)max);
    *out = n * mult;
    return 0;
}

/* get_string - a non-empty string copied into the table */
static int get_string(struct ctx *c, const char *key, const struct pnode *v,
                      const char **out)
{
    char *s;

    if (want_scalar(c, key, v, "a string") < 0)
        return -1;
    s = arena_strndup(c->arena, v->text, v->len);
    if (s == NULL)
        return fail(c, v, "out of memory");
    *out = s;
    return 0;
}

/* get_path - an absolute path: deliveries run from an unknown directory */
static int get_path(struct ctx *c, const char *key, const struct pnode *v,
                    const char **out)
{
    if (want_scalar(c, key, v, "an absolute path") < 0)
        return -1;
    if (v->text[0] != '/')
        return fail(c, v, "%s: \"%s\" is not an absolute path", key, SHOW(v));
    return get_string(c, key, v, out);
}

/* get_cache_dir - a cache directory: an absolute path, or "none" (no cache,
 * also instead of the default directory) */
static int get_cache_dir(struct ctx *c, const char *key, const struct pnode *v,
                         const char **out)
{
    if (v->type == PNODE_SCALAR && strcmp(v->text, "none") == 0) {
        *out = NULL;
        return 0;
    }
    return get_path(c, key, v, out);
}

/* policy_default_dir - path when it is a directory, else NULL: a default
 * cache directory is one the package created; the agent never creates it */
const char *policy_default_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

/* copy_name - a checked host name, lower case, without its trailing dot,
 * after an optional leading "." */
static int copy_name(struct ctx *c, const char *key, const struct pnode *v,
                     int leading_dot, const char **out)
{
    const char *why, *name = v->text + leading_dot;
    size_t len = v->len - (size_t)leading_dot;
    char *s;

    if (nexthop_check_name(name, len, &why) < 0)
        return fail(c, v, "%s: \"%s\": %s", key, SHOW(v), why);
    if (name[len - 1] == '.')
        len--;
    s = arena_strndup(c->arena, v->text, len + (size_t)leading_dot);
    if (s == NULL)
        return fail(c, v, "out of memory");
    for (char *p = s; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + ('a' - 'A'));
    *out = s;
    return 0;
}

/* get_name - a host name, lower case, without its trailing dot */
static int get_name(struct ctx *c, const char *key, const struct pnode *v,
                    const char **out)
{
    if (want_scalar(c, key, v, "a host name") < 0)
        return -1;
    return copy_name(c, key, v, 0, out);
}

#define USER_NAME_MAX 32u           /* useradd's limit */

/* get_user - a login name to drop root privileges to: portable characters
 * (POSIX.1 §3.437), no leading hyphen, never root */
static int get_user(struct ctx *c, const char *key, const struct pnode *v,
                    const char **out)
{
    if (want_scalar(c, key, v, "a user name") < 0)
        return -1;
    if (v->len == 0 || v->len > USER_NAME_MAX || v->text[0] == '-')
        return fail(c, v, "%s: \"%s\" is not a user name (1 to %u characters, "
                    "no leading hyphen)", key, SHOW(v), USER_NAME_MAX);
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->text[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return fail(c, v, "%s: \"%s\" is not a user name (letters, "
                        "digits, \".\", \"_\" and \"-\" only)", key, SHOW(v));
    }
    if (eq(v, "root"))
        return fail(c, v, "%s: root is not an unprivileged user", key);
    return get_string(c, key, v, out);
}

/* Named values of list keys: name (case-insensitive) to id. */
struct name_id {
    const char *name;
    uint16_t id;
};

static const struct name_id protocol_names[] = {
    {"TLSv1.2", POLICY_PROTO_TLS12}, {"TLSv1.3", POLICY_PROTO_TLS13},
};
static const struct name_id curve_names[] = {      /* RFC 8422, RFC 7748 */
    {"X25519", 29}, {"X448", 30}, {"P-256", 23}, {"P-384", 24}, {"P-521", 25},
};
static const struct name_id ffdhe_names[] = {      /* RFC 7919 */
    {"ffdhe2048", 256}, {"ffdhe3072", 257},
};
static const struct name_id digest_names[] = {     /* RFC 6698 §2.1.3 */
    {"sha512", 2}, {"sha256", 1},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* protocol_refusal - why a protocol name is not allowed, or NULL */
static const char *protocol_refusal(const struct pnode *n)
{
    static const char *const old[] = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.0",
                                      "TLSv1.1"};

    for (size_t i = 0; i < NELEM(old); i++)
        if (ieq(n, old[i]))
            return "is below TLS 1.2 and not allowed: it lacks forward-secret "
                   "AEAD suites (RFC 8996 deprecates TLS 1.0 and 1.1)";
    if (n->len > 0 && (n->text[0] == '!' || n->text[0] == '>' ||
                       n->text[0] == '<'))
        return "uses Postfix's exclusion syntax: list the protocols to allow "
               "(TLSv1.2, TLSv1.3)";
    return NULL;
}

/* curve_refusal - why a curve name is not allowed, or NULL */
static const char *curve_refusal(const struct pnode *n)
{
    if (ieq(n, "ffdhe2048") || ieq(n, "ffdhe3072") || ieq(n, "ffdhe4096") ||
        ieq(n, "ffdhe6144") || ieq(n, "ffdhe8192"))
        return "is a finite-field group: list it under ffdhe_groups";
    if (ieq(n, "secp256r1") || ieq(n, "prime256v1"))
        return "is spelled P-256 here";
    if (ieq(n, "secp384r1"))
        return "is spelled P-384 here";
    if (ieq(n, "secp521r1"))
        return "is spelled P-521 here";
    return NULL;
}

/* ffdhe_refusal - why an ffdhe group name is not allowed, or NULL */
static const char *ffdhe_refusal(const struct pnode *n)
{
    if (ieq(n, "ffdhe4096") || ieq(n, "ffdhe6144") || ieq(n, "ffdhe8192"))
        return "is not supported by the TLS library (Debian's wolfSSL 5.5.4 "
               "has ffdhe2048 and ffdhe3072 only)";
    for (size_t i = 0; i < NELEM(curve_names); i++)
        if (ieq(n, curve_names[i].name))
            return "is an elliptic curve: list it under curves";
    return NULL;
}

struct list_kind {
    const struct name_id *names;
    size_t nnames;
    const char *expected;
    const char *(*refusal)(const struct pnode *);
};

static const struct list_kind protocols_kind = {
    protocol_names, NELEM(protocol_names), "TLSv1.2 or TLSv1.3",
    protocol_refusal};
static const struct list_kind curves_kind = {
    curve_names, NELEM(curve_names), "X25519, X448, P-256, P-384 or P-521",
    curve_refusal};
static const struct list_kind ffdhe_kind = {
    ffdhe_names, NELEM(ffdhe_names), "ffdhe2048 or ffdhe3072", ffdhe_refusal};
static const struct list_kind digests_kind = {
    digest_names, NELEM(digest_names), "sha512 or sha256", NULL};

/* get_id_list - a non-empty list of known names without repetition */
static int get_id_list(struct ctx *c, const char *key, const struct pnode *v,
                       const struct list_kind *kind, const uint16_t **out,
                       size_t *nout)
{
    uint16_t *ids;
    size_t n = 0;

    if (want_list(c, key, v) < 0)
        return -1;
    ids = arena_alloc(c->arena, v->nchildren * sizeof(*ids));
    if (ids == NULL)
        return fail(c, v, "out of memory");
    for (const struct pnode *it = v->child; it != NULL; it = it->next) {
        const char *why;
        size_t k;

        if (want_scalar(c, key, it, "a name") < 0)
            return -1;
        for (k = 0; k < kind->nnames; k++)
            if (ieq(it, kind->names[k].name))
                break;
        if (k == kind->nnames) {
            why = kind->refusal ? kind->refusal(it) : NULL;
            if (why != NULL)
                return fail(c, it, "%s: %s %s", key, SHOW(it), why);
            return fail(c, it, "%s: unknown value \"%s\" (expected %s)", key,
                        SHOW(it), kind->expected);
        }
        for (size_t j = 0; j < n; j++)
            if (ids[j] == kind->names[k].id)
                return fail(c, it, "%s: %s is listed twice", key, SHOW(it));
        ids[n++] = kind->names[k].id;
    }
    *out = ids;
    *nout = n;
    return 0;
}

/* The keys of an entry (defaults or a destination). */
enum ekey {
    EK_LEVEL, EK_MATCH, EK_SERVERNAME, EK_CA_FILE, EK_PROTOCOLS, EK_CURVES,
    EK_FFDHE_GROUPS, EK_DANE_DIGESTS, EK_INSECURE_MX_POLICY,
    EK_CONNECT_TIMEOUT, EK_HELO_TIMEOUT, EK_STARTTLS_TIMEOUT, EK_DATA_TIMEOUT,
    EK_DELIVERY_TIMEOUT, EK_MAX_MESSAGE_SIZE, EK_SESSION_CACHE, EK_HELO_NAME,
    EK_LEGACY_CBC_SUITES, EK_MAX_MX_HOSTS, EK_MAX_ADDRESSES,
    EK_MAX_REPLY_LINES, EK_MAX_REPLY_LINE_LENGTH, EK_USER, EK_MTA_STS, EK_HONOR_TLS_REQUIRED_NO,
    EK_COUNT
};

static const char *const ekey_names[EK_COUNT] = {
    "level", "match", "servername", "ca_file", "protocols", "curves",
    "ffdhe_groups", "dane_digests", "insecure_mx_policy", "connect_timeout",
    "helo_timeout", "starttls_timeout", "data_timeout", "delivery_timeout",
    "max_message_size", "session_cache", "helo_name", "legacy_cbc_suites",
    "max_mx_hosts", "max_addresses", "max_reply_lines",
    "max_reply_line_length", "user", "mta_sts", "honor_tls_required_no",
};

/* Numeric keys: where they go and their bounds. */
struct num_key {
    enum ekey key;
    size_t offset;              /* an unsigned in struct policy_entry */
    unsigned min, max;
    int duration;               /* 1: milliseconds from a duration */
};

static const struct num_key num_keys[] = {
    {EK_CONNECT_TIMEOUT, offsetof(struct policy_entry, connect_timeout_ms),
     MS_PER_S, 999 * MS_PER_S, 1},
    {EK_HELO_TIMEOUT, offsetof(struct policy_entry, helo_timeout_ms),
     MS_PER_S, 999 * MS_PER_S, 1},
    {EK_STARTTLS_TIMEOUT, offsetof(struct policy_entry, starttls_timeout_ms),
     MS_PER_S, 999 * MS_PER_S, 1},
    {EK_DATA_TIMEOUT, offsetof(struct policy_entry, data_timeout_ms),
     MS_PER_S, 999 * MS_PER_S, 1},
    /* below pipe(8)'s default time_limit of 1000 s, which bounces */
    {EK_DELIVERY_TIMEOUT, offsetof(struct policy_entry, delivery_timeout_ms),
     MS_PER_S, 999 * MS_PER_S, 1},
    {EK_MAX_MX_HOSTS, offsetof(struct policy_entry, max_mx_hosts), 1, 100, 0},
    {EK_MAX_ADDRESSES, offsetof(struct policy_entry, max_addresses), 1, 100, 0},
    {EK_MAX_REPLY_LINES, offsetof(struct policy_entry, max_reply_lines),
     1, 1000, 0},
    /* RFC 5321 §4.5.3.1.5: reply lines of 512 octets must be accepted */
    {EK_MAX_REPLY_LINE_LENGTH,
     offsetof(struct policy_entry, max_reply_line_length), 512, 4096, 0},
};

/* Cipher settings never exist: they could only weaken forward secrecy. */
static const char *const cipher_keys[] = {
    "ciphers", "cipherlist", "cipher_list", "cipher_suites", "ciphersuites",
    "mandatory_ciphers", "exclude_ciphers", "mandatory_exclude_ciphers",
    "tls_ciphers",
};

/* contains - does t (len bytes) contain the string sub? */
static int contains(const char *t, size_t len, const char *sub)
{
    size_t n = strlen(sub);

    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(t + i, sub, n) == 0)
            return 1;
    return 0;
}

/* cipher_token_fs - does one OpenSSL-style cipher token keep FS? */
static int cipher_token_fs(const char *t, size_t len)
{
    static const char *const fs[] = {"TLS13", "TLS_AES", "TLS_CHACHA20",
                                     "ECDHE", "DHE", "EECDH", "EDH"};

    if (len == 0 || t[0] == '!' || t[0] == '-')
        return 1;               /* an exclusion admits nothing */
    if (contains(t, len, "PSK") || contains(t, len, "ADH") ||
        contains(t, len, "NULL"))
        return 0;               /* no key exchange of its own, or no cipher */
    for (size_t k = 0; k < NELEM(fs); k++) {
        size_t flen = strlen(fs[k]);
        if (len >= flen && memcmp(t, fs[k], flen) == 0)
            return 1;
    }
    return 0;
}

/* cipher_value_admits_non_fs - the first item naming a non-FS suite, and
 * that suite's token in *tok, *toklen */
static const struct pnode *cipher_value_admits_non_fs(const struct pnode *v,
                                                      const char **tok,
                                                      size_t *toklen)
{
    const struct pnode *it = v->type == PNODE_SEQUENCE ? v->child : v;

    for (; it != NULL; it = v->type == PNODE_SEQUENCE ? it->next : NULL) {
        size_t start = 0;

        if (it->type != PNODE_SCALAR)
            continue;
        for (size_t i = 0; i <= it->len; i++) {
            if (i < it->len && it->text[i] != ':' && it->text[i] != ',' &&
                it->text[i] != ' ')
                continue;
            if (!cipher_token_fs(it->text + start, i - start)) {
                *tok = it->text + start;
                *toklen = i - start;
                return it;
            }
            start = i + 1;
        }
    }
    return NULL;
}

/* refuse_cipher_key - a cipher key is an error at the key or the value */
static int refuse_cipher_key(struct ctx *c, const struct pnode *k,
                             const struct pnode *v)
{
    const char *tok = NULL;
    size_t toklen = 0;
    const struct pnode *bad = cipher_value_admits_non_fs(v, &tok, &toklen);

    if (bad != NULL) {
        struct pnode t = {.type = PNODE_SCALAR, .text = tok, .len = toklen};
        return fail(c, bad, "%s: \"%s\" would admit cipher suites without "
                    "forward secrecy (e.g. static RSA key exchange); "
                    "dane-agent offers forward-secret suites only",
                    SHOW(k), SHOW(&t));
    }
    return fail(c, k, "%s: cipher suites are not configurable: dane-agent "
                "offers forward-secret suites only (TLS 1.3, ECDHE/DHE with "
                "AEAD; legacy_cbc_suites adds ECDHE/DHE CBC)", SHOW(k));
}

/* collect - a mapping's keys into slots by name; unknown/duplicate: error */
static int collect(struct ctx *c, const char *where, const struct pnode *map,
                   const char *const *names, size_t nnames,
                   const struct pnode **keys, const struct pnode **vals,
                   int cipher_check)
{
    for (const struct pnode *k = map->child; k != NULL; k = k->next->next) {
        const struct pnode *v = k->next;
        size_t i;

        if (k->type != PNODE_SCALAR)
            return fail(c, k, "%s: a key must be a plain name, found %s",
                        where, ptree_type_name(k));
        for (i = 0; i < nnames; i++)
            if (eq(k, names[i]))
                break;
        if (i == nnames) {
            for (size_t j = 0; cipher_check && j < NELEM(cipher_keys); j++)
                if (ieq(k, cipher_keys[j]))
                    return refuse_cipher_key(c, k, v);
            return fail(c, k, "unknown key \"%s\" in %s", SHOW(k), where);
        }
        if (keys[i] != NULL)
            return fail(c, k, "duplicate key \"%s\" in %s (first at line %u)",
                        names[i], where, keys[i]->line);
        keys[i] = k;
        vals[i] = v;
    }
    return 0;
}

/* parse_level - Postfix's level names */
static int parse_level(struct ctx *c, const struct pnode *v,
                       enum policy_level *out)
{
    if (want_scalar(c, "level", v, "a level name") < 0)
        return -1;
    if (policy_level_from_name(v->text, v->len, out) < 0)
        return fail(c, v, "level: unknown level \"%s\" (expected none, may, "
                    "encrypt, dane, dane-only, fingerprint, verify or secure)",
                    SHOW(v));
    return 0;
}

/* parse_insecure_mx - smtp_tls_dane_insecure_mx_policy's values */
static int parse_insecure_mx(struct ctx *c, const struct pnode *v,
                             enum policy_insecure_mx *out)
{
    if (want_scalar(c, "insecure_mx_policy", v, "may, encrypt or dane") < 0)
        return -1;
    if (eq(v, "may"))
        *out = POLICY_INSECURE_MX_MAY;
    else if (eq(v, "encrypt"))
        *out = POLICY_INSECURE_MX_ENCRYPT;
    else if (eq(v, "dane"))
        *out = POLICY_INSECURE_MX_DANE;
    else
        return fail(c, v, "insecure_mx_policy: unknown value \"%s\" (expected "
                    "may, encrypt or dane)", SHOW(v));
    return 0;
}

/* hexval - a hex digit's value or -1 */
static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* parse_digest - "sha256:HEX" / "sha512:HEX", colons between bytes optional */
static int parse_digest(struct ctx *c, const struct pnode *it,
                        struct policy_match *m)
{
    size_t want, n = 0, i;
    uint8_t *bytes;

    if (it->len > 7 && strncmp(it->text, "sha256:", 7) == 0)
        m->digest_mtype = 1, want = 32;
    else if (it->len > 7 && strncmp(it->text, "sha512:", 7) == 0)
        m->digest_mtype = 2, want = 64;
    else
        return fail(c, it, "match: \"%s\" is not a digest (expected "
                    "sha256:HEX or sha512:HEX)", SHOW(it));
    bytes = arena_alloc(c->arena, want);
    if (bytes == NULL)
        return fail(c, it, "out of memory");
    for (i = 7; i < it->len;) {
        int hi = i + 1 < it->len ? hexval((unsigned char)it->text[i]) : -1;
        int lo = i + 1 < it->len ? hexval((unsigned char)it->text[i + 1]) : -1;

        if (hi < 0 || lo < 0)
            return fail(c, it, "match: bad digest \"%s\": expected pairs of "
                        "hex digits, optionally separated by colons", SHOW(it));
        if (n == want)
            return fail(c, it, "match: bad digest: %s takes %zu bytes, found "
                        "more", want == 32 ? "sha256" : "sha512", want);
        bytes[n++] = (uint8_t)(hi << 4 | lo);
        i += 2;
        if (i < it->len && it->text[i] == ':' && i + 1 < it->len)
            i++;
    }
    if (n != want)
        return fail(c, it, "match: bad digest: %s takes %zu bytes, found %zu",
                    want == 32 ? "sha256" : "sha512", want, n);
    m->kind = POLICY_MATCH_DIGEST;
    m->digest = bytes;
    m->digest_len = want;
    return get_string(c, "match", it, &m->text);
}

/* parse_match_name - a strategy or a name, ".name" for any subdomain */
static int parse_match_name(struct ctx *c, const struct pnode *it,
                            struct policy_match *m)
{
    if (eq(it, "hostname")) {
        m->kind = POLICY_MATCH_HOSTNAME;
        return 0;
    }
    if (eq(it, "nexthop")) {
        m->kind = POLICY_MATCH_NEXTHOP;
        return 0;
    }
    if (eq(it, "dot-nexthop")) {
        m->kind = POLICY_MATCH_DOT_NEXTHOP;
        return 0;
    }
    m->kind = POLICY_MATCH_NAME;
    return copy_name(c, "match", it, it->text[0] == '.', &m->text);
}

static const struct policy_match verify_default[] = {
    {.kind = POLICY_MATCH_HOSTNAME},
};
static const struct policy_match secure_default[] = {
    {.kind = POLICY_MATCH_NEXTHOP}, {.kind = POLICY_MATCH_DOT_NEXTHOP},
};

/* level_takes_match - fingerprint, verify and secure */
static int level_takes_match(enum policy_level level)
{
    return level == POLICY_LEVEL_FINGERPRINT || level == POLICY_LEVEL_VERIFY ||
           level == POLICY_LEVEL_SECURE;
}

/* parse_match - the match list for the entry's (effective) level */
static int parse_match(struct ctx *c, const struct pnode *k,
                       const struct pnode *v, struct policy_entry *e,
                       int level_inherited)
{
    struct policy_match *m;
    size_t n = 0;

    if (!level_takes_match(e->level))
        return fail(c, k, "match: level %s%s takes no match (only "
                    "fingerprint, verify and secure do)",
                    policy_level_name(e->level),
                    level_inherited ? " (inherited from defaults)" : "");
    if (want_list(c, "match", v) < 0)
        return -1;
    m = arena_alloc(c->arena, v->nchildren * sizeof(*m));
    if (m == NULL)
        return fail(c, v, "out of memory");
    for (const struct pnode *it = v->child; it != NULL; it = it->next, n++) {
        if (want_scalar(c, "match", it, e->level == POLICY_LEVEL_FINGERPRINT
                        ? "a digest" : "a name") < 0)
            return -1;
        if (e->level == POLICY_LEVEL_FINGERPRINT ? parse_digest(c, it, &m[n])
                                                 : parse_match_name(c, it, &m[n]))
            return -1;
    }
    e->match = m;
    e->nmatch = n;
    return 0;
}

/* default_match - Postfix's default match of a level set without one */
static int default_match(struct ctx *c, const struct pnode *level,
                         struct policy_entry *e)
{
    e->match = NULL;
    e->nmatch = 0;
    if (e->level == POLICY_LEVEL_FINGERPRINT)
        return fail(c, level, "level fingerprint needs a match list of "
                    "sha256:/sha512: digests");
    if (e->level == POLICY_LEVEL_VERIFY) {
        e->match = verify_default;
        e->nmatch = NELEM(verify_default);
    } else if (e->level == POLICY_LEVEL_SECURE) {
        e->match = secure_default;
        e->nmatch = NELEM(secure_default);
    }
    return 0;
}

/* get_protocols - the protocols list as a bit set */
static int get_protocols(struct ctx *c, const char *key, const struct pnode *v,
                         struct policy_entry *e)
{
    const uint16_t *ids;
    size_t n;

    if (get_id_list(c, key, v, &protocols_kind, &ids, &n) < 0)
        return -1;
    e->protocols = 0;
    for (size_t i = 0; i < n; i++)
        e->protocols |= ids[i];
    return 0;
}

/* get_dane_digests - the dane_digests list as matching-type octets */
static int get_dane_digests(struct ctx *c, const char *key, const struct pnode *v,
                            struct policy_entry *e)
{
    const uint16_t *ids;
    uint8_t *mt;
    size_t n;

    if (get_id_list(c, key, v, &digests_kind, &ids, &n) < 0)
        return -1;
    mt = arena_alloc(c->arena, n);
    if (mt == NULL)
        return fail(c, v, "out of memory");
    for (size_t i = 0; i < n; i++)
        mt[i] = (uint8_t)ids[i];
    e->dane_digests = mt;
    e->ndane_digests = n;
    return 0;
}

/* apply_key - one key other than level and match */
static int apply_key(struct ctx *c, enum ekey k, const struct pnode *v,
                     struct policy_entry *e)
{
    const char *key = ekey_names[k];

    for (size_t i = 0; i < NELEM(num_keys); i++) {
        if (num_keys[i].key != k)
            continue;
        unsigned *dst = (unsigned *)((char *)e + num_keys[i].offset);
        return num_keys[i].duration
            ? get_duration(c, key, v, num_keys[i].min, num_keys[i].max, dst)
            : get_uint(c, key, v, num_keys[i].min, num_keys[i].max, dst);
    }
    switch (k) {
    case EK_SERVERNAME:
        return get_name(c, key, v, &e->servername);
    case EK_HELO_NAME:
        return get_name(c, key, v, &e->helo_name);
    case EK_CA_FILE:
        return get_path(c, key, v, &e->ca_file);
    case EK_SESSION_CACHE:
        return get_cache_dir(c, key, v, &e->session_cache);
    case EK_USER:
        return get_user(c, key, v, &e->user);
    case EK_INSECURE_MX_POLICY:
        return parse_insecure_mx(c, v, &e->insecure_mx_policy);
    case EK_LEGACY_CBC_SUITES:
        return get_bool(c, key, v, &e->legacy_cbc_suites);
    case EK_MTA_STS:
        return get_bool(c, key, v, &e->mta_sts);
    case EK_HONOR_TLS_REQUIRED_NO:
        return get_bool(c, key, v, &e->honor_tls_required_no);
    case EK_MAX_MESSAGE_SIZE:
        return get_size(c, key, v, (uint64_t)1 << 40, &e->max_message_size);
    case EK_PROTOCOLS:
        return get_protocols(c, key, v, e);
    case EK_CURVES:
        return get_id_list(c, key, v, &curves_kind, &e->curves,
                           &e->ncurves);
    case EK_FFDHE_GROUPS:
        return get_id_list(c, key, v, &ffdhe_kind,
                           &e->ffdhe_groups, &e->nffdhe_groups);
    case EK_DANE_DIGESTS:
        return get_dane_digests(c, key, v, e);
    default:
        fprintf(stderr, "apply_key: unhandled key %s\n", key);
        abort();
    }
}

/* parse_entry - one entry over its base (built-in defaults or defaults) */
static int parse_entry(struct ctx *c, const char *where, const struct pnode *v,
                       const struct policy_entry *base, struct policy_entry *e)
{
    const struct pnode *keys[EK_COUNT] = {0}, *vals[EK_COUNT] = {0};

    if (want_mapping(c, where, v) < 0 ||
        collect(c, where, v, ekey_names, EK_COUNT, keys, vals, 1) < 0)
        return -1;
    if (keys[EK_USER] != NULL && strcmp(where, "defaults") != 0)
        return fail(c, keys[EK_USER], "user: only in defaults (the process "
                    "runs as one user)");
    *e = *base;
    if (vals[EK_LEVEL] != NULL && parse_level(c, vals[EK_LEVEL], &e->level) < 0)
        return -1;
    for (int k = 0; k < EK_COUNT; k++)
        if (vals[k] != NULL && k != EK_LEVEL && k != EK_MATCH &&
            apply_key(c, (enum ekey)k, vals[k], e) < 0)
            return -1;
    if (vals[EK_MATCH] != NULL)
        return parse_match(c, keys[EK_MATCH], vals[EK_MATCH], e,
                           vals[EK_LEVEL] == NULL);
    if (vals[EK_LEVEL] != NULL)
        return default_match(c, vals[EK_LEVEL], e);
    return 0;
}

int policy_mta_sts(const struct policy_entry *e)
{
    if (e->mta_sts >= 0)
        return e->mta_sts;
    return e->level == POLICY_LEVEL_DANE || e->level == POLICY_LEVEL_MAY;
}

/* builtin_defaults - what applies when the policy says nothing */
static void builtin_defaults(struct ctx *c, struct policy_entry *e)
{
    static const uint16_t curves[] = {29, 23, 24};     /* X25519 first */
    static const uint16_t ffdhe[] = {256, 257};
    static const uint8_t digests[] = {2, 1};           /* sha512, sha256 */

    memset(e, 0, sizeof(*e));
    e->key = "defaults";
    e->level = POLICY_LEVEL_DANE;
    e->protocols = POLICY_PROTO_TLS12 | POLICY_PROTO_TLS13;
    e->curves = curves;
    e->ncurves = NELEM(curves);
    e->ffdhe_groups = ffdhe;
    e->nffdhe_groups = NELEM(ffdhe);
    e->dane_digests = digests;
    e->ndane_digests = NELEM(digests);
    e->insecure_mx_policy = POLICY_INSECURE_MX_DANE;
    e->connect_timeout_ms = 30 * MS_PER_S;
    e->helo_timeout_ms = 120 * MS_PER_S;
    e->starttls_timeout_ms = 120 * MS_PER_S;
    e->data_timeout_ms = 180 * MS_PER_S;
    e->delivery_timeout_ms = POLICY_DELIVERY_TIMEOUT_DEFAULT_MS;
    e->helo_name = c->hostname;
    e->user = "nobody";
    e->session_cache = policy_default_dir(POLICY_SESSION_CACHE_DEFAULT);
    e->mta_sts = -1;                                    /* by the level */
    e->honor_tls_required_no = 1;                       /* as Postfix 3.10 */
    e->max_mx_hosts = 10;
    e->max_addresses = 10;
    e->max_reply_lines = 100;
    e->max_reply_line_length = 2048;
}

/* machine_hostname - gethostname() when it is a usable EHLO name */
static void machine_hostname(struct ctx *c, struct arena *arena)
{
    char buf[256];
    const char *why;
    size_t len;

    c->hostname = NULL;
    if (gethostname(buf, sizeof(buf)) != 0)
        return;
    buf[sizeof(buf) - 1] = '\0';
    len = strlen(buf);
    if (nexthop_check_name(buf, len, &why) < 0)
        return;
    if (buf[len - 1] == '.')
        len--;
    c->hostname = arena_strndup(arena, buf, len);
}

static const char *const dns_keys[] = {"resolution", "upstreams",
                                       "trust_anchors", "timeout", "cache",
                                       "cache_max_ttl"};

/* parse_address - a numeric IPv4 or IPv6 address of len bytes */
static int parse_address(const char *s, size_t len, char *out, size_t outsize)
{
    char buf[INET6_ADDRSTRLEN];
    unsigned char addr[16];

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1)
        return inet_ntop(AF_INET, addr, out, (socklen_t)outsize) ? 0 : -1;
    if (inet_pton(AF_INET6, buf, addr) == 1)
        return inet_ntop(AF_INET6, addr, out, (socklen_t)outsize) ? 0 : -1;
    return -1;
}

/* parse_upstream - address, address:port (IPv4), [address], [address]:port */
static int parse_upstream(struct ctx *c, const struct pnode *it,
                          struct policy_upstream *u)
{
    const char *a = it->text, *why = NULL, *port = NULL;
    size_t alen = it->len, plen = 0;

    if (want_scalar(c, "upstreams", it, "an address") < 0)
        return -1;
    u->port = 53;
    if (a[0] == '[') {
        const char *close = memchr(a, ']', it->len);
        if (close == NULL)
            return fail(c, it, "upstreams: bad address \"%s\": missing \"]\"",
                        SHOW(it));
        alen = (size_t)(close - a) - 1;
        a++;
        if (close[1] != '\0' && close[1] != ':')
            return fail(c, it, "upstreams: bad address \"%s\": only \":port\" "
                        "may follow \"]\"", SHOW(it));
        if (close[1] == ':')
            port = close + 2, plen = it->len - (size_t)(close + 2 - it->text);
    } else {
        const char *colon = memchr(a, ':', it->len);
        if (colon != NULL && memchr(colon + 1, ':', it->len -
                                    (size_t)(colon + 1 - a)) == NULL) {
            alen = (size_t)(colon - a);            /* IPv4:port */
            port = colon + 1, plen = it->len - alen - 1;
        }
    }
    if (parse_address(a, alen, u->address, sizeof(u->address)) < 0)
        return fail(c, it, "upstreams: bad address \"%s\" (expected an IPv4 "
                    "or IPv6 address, address:port or [address]:port)",
                    SHOW(it));
    if (port != NULL && nexthop_parse_port(port, plen, &u->port, &why) < 0)
        return fail(c, it, "upstreams: bad address \"%s\": %s", SHOW(it), why);
    return 0;
}

/* parse_dns - the dns section */
static int parse_dns(struct ctx *c, const struct pnode *v, struct policy_dns *d)
{
    const struct pnode *keys[NELEM(dns_keys)] = {0}, *vals[NELEM(dns_keys)] = {0};
    struct policy_upstream *ups;
    size_t n = 0;

    if (want_mapping(c, "dns", v) < 0 ||
        collect(c, "dns", v, dns_keys, NELEM(dns_keys), keys, vals, 0) < 0)
        return -1;
    if (vals[0] != NULL) {
        if (want_scalar(c, "resolution", vals[0], "stub") < 0)
            return -1;
        if (!eq(vals[0], "stub"))
            return fail(c, vals[0], "resolution: \"%s\" is not supported "
                        "(only stub: upstreams answer, getdns validates "
                        "DNSSEC itself)", SHOW(vals[0]));
    }
    if (vals[1] != NULL) {
        if (want_list(c, "upstreams", vals[1]) < 0)
            return -1;
        ups = arena_alloc(c->arena, vals[1]->nchildren * sizeof(*ups));
        if (ups == NULL)
            return fail(c, vals[1], "out of memory");
        for (const struct pnode *it = vals[1]->child; it; it = it->next)
            if (parse_upstream(c, it, &ups[n++]) < 0)
                return -1;
        d->upstreams = ups;
        d->nupstreams = n;
    }
    if (vals[2] != NULL &&
        get_path(c, "trust_anchors", vals[2], &d->trust_anchors) < 0)
        return -1;
    if (vals[3] != NULL &&
        get_duration(c, "timeout", vals[3], 100, 60 * MS_PER_S,
                     &d->timeout_ms) < 0)
        return -1;
    if (vals[4] != NULL && get_cache_dir(c, "cache", vals[4], &d->cache) < 0)
        return -1;
    if (vals[5] != NULL &&
        get_duration(c, "cache_max_ttl", vals[5], MS_PER_S, 24 * 3600 * MS_PER_S,
                     &d->cache_max_ttl_ms) < 0)
        return -1;
    return 0;
}

/* dest_cmp - order of destinations by normalised key */
static int dest_cmp(const void *a, const void *b)
{
    return strcmp(((const struct dest *)a)->norm,
                  ((const struct dest *)b)->norm);
}

/* check_unique - two keys that normalise alike: error at the later one */
static int check_unique(struct ctx *c, struct policy *p)
{
    const struct dest *first = NULL, *second = NULL;

    for (size_t i = 1; i < p->ndests; i++) {
        const struct dest *a = &p->dests[i - 1], *b = &p->dests[i];
        if (strcmp(a->norm, b->norm) != 0)
            continue;
        if (a->entry.line > b->entry.line) {
            const struct dest *t = a;
            a = b;
            b = t;
        }
        if (second == NULL || b->entry.line < second->entry.line)
            first = a, second = b;
    }
    if (second == NULL)
        return 0;
    struct pnode at = {.line = second->entry.line, .col = second->col};
    return fail(c, &at, "duplicate destination \"%s\" (same as \"%s\" at "
                "line %u)", second->entry.key, first->entry.key,
                first->entry.line);
}

/* parse_destinations - every destination over the resolved defaults */
static int parse_destinations(struct ctx *c, const struct pnode *v,
                              struct policy *p)
{
    size_t n = 0;

    if (want_mapping(c, "destinations", v) < 0)
        return -1;
    p->dests = arena_alloc(c->arena, (v->nchildren / 2 + 1) * sizeof(*p->dests));
    if (p->dests == NULL)
        return fail(c, v, "out of memory");
    for (const struct pnode *k = v->child; k != NULL; k = k->next->next) {
        struct dest *d = &p->dests[n];
        struct pkey key;
        const char *why;

        if (k->type != PNODE_SCALAR || is_null(k))
            return fail(c, k, "destinations: a key must be a destination "
                        "(domain, .parent, domain:port, [host], [host]:port), "
                        "found %s", is_null(k) ? "nothing" : ptree_type_name(k));
        if (pkey_parse(k->text, k->len, 1, &key, &why) < 0)
            return fail(c, k, "destination \"%s\": %s", SHOW(k), why);
        if (parse_entry(c, "a destination", k->next, &p->defaults,
                        &d->entry) < 0)
            return -1;
        d->norm = arena_strndup(c->arena, key.norm, strlen(key.norm));
        d->entry.key = arena_strndup(c->arena, k->text, k->len);
        if (d->norm == NULL || d->entry.key == NULL)
            return fail(c, k, "out of memory");
        d->entry.line = k->line;
        d->col = k->col;
        n++;
    }
    p->ndests = n;
    qsort(p->dests, n, sizeof(*p->dests), dest_cmp);
    return check_unique(c, p);
}

static const char *const tlsrpt_keys[] = {"organization_name", "contact_info",
                                          "submitter", "sender", "sendmail",
                                          "state_dir"};

/* get_address - local@domain in ASCII (envelope.h's checks, a host name
 * after the "@"): it goes into report headers and sendmail's -f */
static int get_address(struct ctx *c, const char *key, const struct pnode *v,
                       const char **out)
{
    const char *inner, *why = "not local@domain";
    size_t n;

    if (want_scalar(c, key, v, "an address local@domain") < 0)
        return -1;
    if (envelope_check(v->text, v->len, ENVELOPE_RECIPIENT, &inner, &n, &why) < 0 ||
        inner != v->text || n != v->len || envelope_needs_smtputf8(v->text, v->len) ||
        strpbrk(v->text, "!\\\"(),:;[]") != NULL ||
        nexthop_check_name(strrchr(v->text, '@') + 1,
                           strlen(strrchr(v->text, '@') + 1), &why) < 0)
        return fail(c, v, "%s: \"%s\" is not an address local@domain (%s)",
                    key, SHOW(v), inner != v->text ? "no angle brackets" : why);
    return get_string(c, key, v, out);
}

/* parse_tlsrpt - the tlsrpt section (policy.h); the defaults' helo_name
 * is the submitter when none is given */
static int parse_tlsrpt(struct ctx *c, const struct pnode *k, const struct pnode *v,
                        const char *helo, struct policy_tlsrpt *t)
{
    const struct pnode *keys[NELEM(tlsrpt_keys)] = {0}, *vals[NELEM(tlsrpt_keys)] = {0};

    if (want_mapping(c, "tlsrpt", v) < 0 ||
        collect(c, "tlsrpt", v, tlsrpt_keys, NELEM(tlsrpt_keys), keys, vals, 0) < 0)
        return -1;
    if (vals[0] == NULL || vals[1] == NULL)
        return fail(c, k, "tlsrpt: organization_name and contact_info are required");
    t->line = k->line;
    t->submitter = helo;
    t->sendmail = POLICY_SENDMAIL_DEFAULT;
    t->state_dir = POLICY_TLSRPT_STATE_DEFAULT;
    if (get_string(c, "organization_name", vals[0], &t->organization_name) < 0 ||
        get_address(c, "contact_info", vals[1], &t->contact_info) < 0 ||
        (vals[2] != NULL && get_name(c, "submitter", vals[2], &t->submitter) < 0) ||
        (vals[3] != NULL && get_address(c, "sender", vals[3], &t->sender) < 0) ||
        (vals[4] != NULL && get_path(c, "sendmail", vals[4], &t->sendmail) < 0) ||
        (vals[5] != NULL && get_path(c, "state_dir", vals[5], &t->state_dir) < 0))
        return -1;
    if (t->sender == NULL)
        t->sender = t->contact_info;
    return 0;
}

static const char *const top_keys[] = {"dns", "defaults", "destinations",
                                       "spool_dir", "tlsrpt"};

/* parse_policy - the document's top level */
static int parse_policy(struct ctx *c, const struct pnode *root,
                        struct policy *p)
{
    const struct pnode *keys[NELEM(top_keys)] = {0};
    const struct pnode *vals[NELEM(top_keys)] = {0};
    struct policy_entry builtin;

    if (root->type != PNODE_MAPPING)
        return fail(c, root, "a policy is a mapping with dns, defaults and "
                    "destinations, found %s",
                    is_null(root) ? "nothing" : ptree_type_name(root));
    if (collect(c, "the policy", root, top_keys, NELEM(top_keys), keys, vals,
                0) < 0)
        return -1;
    if (vals[3] != NULL && get_path(c, "spool_dir", vals[3], &p->spool_dir) < 0)
        return -1;
    p->dns.timeout_ms = 5 * MS_PER_S;
    p->dns.cache_max_ttl_ms = 3600 * MS_PER_S;
    p->dns.cache = policy_default_dir(POLICY_DNS_CACHE_DEFAULT);
    if (vals[0] != NULL && parse_dns(c, vals[0], &p->dns) < 0)
        return -1;
    builtin_defaults(c, &builtin);
    p->defaults = builtin;
    if (vals[1] != NULL &&
        parse_entry(c, "defaults", vals[1], &builtin, &p->defaults) < 0)
        return -1;
    p->defaults.key = "defaults";
    p->defaults.line = keys[1] ? keys[1]->line : 0;
    if (p->defaults.helo_name == NULL)
        return fail(c, keys[1], "this machine's host name (gethostname) is "
                    "not a usable EHLO name: set helo_name in defaults");
    if (vals[2] != NULL && parse_destinations(c, vals[2], p) < 0)
        return -1;
    if (vals[4] != NULL && parse_tlsrpt(c, keys[4], vals[4], p->defaults.helo_name,
                                        &p->tlsrpt) < 0)
        return -1;
    p->has_tlsrpt = vals[4] != NULL;
    return 0;
}

/* policy_parse - see policy.h */
struct policy *policy_parse(const char *name, const uint8_t *text, size_t len,
                            char *err, size_t errsize)
{
    struct ctx c = {.name = name, .err = err, .errsize = errsize};
    struct arena tree = {0};
    struct perror perr = {0};
    struct policy *p;
    struct pnode *root;

    if (errsize > 0)
        err[0] = '\0';
    if (len > POLICY_MAX_FILE_SIZE) {
        fail(&c, NULL, "file too large (more than %u bytes)",
             POLICY_MAX_FILE_SIZE);
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        fail(&c, NULL, "out of memory");
        return NULL;
    }
    c.arena = &p->arena;
    machine_hostname(&c, &p->arena);
    root = ptree_parse(&tree, text, len, &perr);
    if (root == NULL) {
        struct pnode at = {.line = perr.line, .col = perr.col};
        fail(&c, &at, "%s", perr.msg);
    } else if (parse_policy(&c, root, p) == 0) {
        arena_free(&tree);
        return p;
    }
    arena_free(&tree);
    policy_free(p);
    return NULL;
}

/* read_file - the whole file, at most POLICY_MAX_FILE_SIZE bytes; *too_big
 * when it has more */
static uint8_t *read_file(const char *path, size_t *len, int *too_big,
                          const char **why)
{
    struct stat st;
    uint8_t *buf;
    enum io_status status;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    *too_big = 0;
    if (fd < 0) {
        *why = strerror(errno);
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
        close(fd);
        return NULL;
    }
    buf = malloc(POLICY_MAX_FILE_SIZE);
    status = buf != NULL ? io_read_to_end(fd, buf, POLICY_MAX_FILE_SIZE, len)
                         : IO_NO_MEMORY;
    if (status == IO_READ_FAILED) {
        *why = strerror(errno);
        free(buf);
        buf = NULL;
    }
    close(fd);
    if (buf == NULL && *why == NULL)
        *why = "out of memory";
    *too_big = status == IO_TOO_BIG;
    return buf;
}

/* policy_load_status - see policy.h */
struct policy *policy_load_status(const char *path, enum policy_status *status,
                                  char *err, size_t errsize)
{
    const char *why = NULL;
    size_t len = 0;
    int too_big;
    uint8_t *text = read_file(path, &len, &too_big, &why);
    struct policy *p;

    if (text == NULL) {
        if (errsize > 0)
            snprintf(err, errsize, "%s: cannot read: %s", path, why);
        *status = POLICY_UNREADABLE;
        return NULL;
    }
    if (too_big) {
        if (errsize > 0)
            snprintf(err, errsize, "%s:1:1: file too large (more than %u "
                     "bytes)", path, POLICY_MAX_FILE_SIZE);
        free(text);
        *status = POLICY_INVALID;
        return NULL;
    }
    p = policy_parse(path, text, len, err, errsize);
    free(text);
    *status = p != NULL ? POLICY_OK : POLICY_INVALID;
    return p;
}

/* policy_load - see policy.h */
struct policy *policy_load(const char *path, char *err, size_t errsize)
{
    enum policy_status status;

    return policy_load_status(path, &status, err, errsize);
}

/* policy_free - see policy.h */
void policy_free(struct policy *policy)
{
    if (policy == NULL)
        return;
    arena_free(&policy->arena);
    free(policy);
}

/* policy_dns - see policy.h */
const struct policy_dns *policy_dns(const struct policy *policy)
{
    return &policy->dns;
}

/* policy_tlsrpt - see policy.h */
const struct policy_tlsrpt *policy_tlsrpt(const struct policy *policy)
{
    return policy->has_tlsrpt ? &policy->tlsrpt : NULL;
}

/* policy_spool_dir - see policy.h */
const char *policy_spool_dir(const struct policy *policy)
{
    return policy->spool_dir;
}

/* policy_defaults - see policy.h */
const struct policy_entry *policy_defaults(const struct policy *policy)
{
    return &policy->defaults;
}

/* policy_entry_at - the i-th destination entry (policy.h) */
const struct policy_entry *policy_entry_at(const struct policy *policy, size_t i)
{
    return &policy->dests[i].entry;
}

/* policy_ndests - the number of destination entries */
size_t policy_ndests(const struct policy *policy)
{
    return policy->ndests;
}

/* find - the destination with exactly this normalised key, or NULL */
static const struct policy_entry *find(const struct policy *p, const char *key,
                                       size_t len)
{
    size_t lo = 0, hi = p->ndests;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *norm = p->dests[mid].norm;
        int cmp = strncmp(key, norm, len);

        if (cmp == 0 && norm[len] != '\0')
            cmp = -1;           /* key is a proper prefix of norm */
        if (cmp == 0)
            return &p->dests[mid].entry;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* policy_lookup - see policy.h; stack buffers only */
const struct policy_entry *policy_lookup(const struct policy *policy,
                                         const char *nexthop)
{
    const struct policy_entry *e;
    struct pkey k;
    const char *why;

    if (nexthop == NULL ||
        pkey_parse(nexthop, strlen(nexthop), 0, &k, &why) < 0)
        return &policy->defaults;
    e = find(policy, k.norm, strlen(k.norm));
    if (e == NULL && k.noport_len != strlen(k.norm))
        e = find(policy, k.norm, k.noport_len);
    /* Postfix: only a bare domain (no brackets) matches .parent keys */
    for (size_t i = k.host_off; e == NULL && k.kind == PKEY_DOMAIN &&
                                i < k.host_off + k.host_len; i++)
        if (k.norm[i] == '.')
            e = find(policy, k.norm + i, k.host_off + k.host_len - i);
    return e != NULL ? e : &policy->defaults;
}

static const char *const level_names[] = {
    [POLICY_LEVEL_NONE] = "none",
    [POLICY_LEVEL_MAY] = "may",
    [POLICY_LEVEL_ENCRYPT] = "encrypt",
    [POLICY_LEVEL_DANE] = "dane",
    [POLICY_LEVEL_DANE_ONLY] = "dane-only",
    [POLICY_LEVEL_FINGERPRINT] = "fingerprint",
    [POLICY_LEVEL_VERIFY] = "verify",
    [POLICY_LEVEL_SECURE] = "secure",
};

/* policy_level_name - see policy.h */
const char *policy_level_name(enum policy_level level)
{
    if ((size_t)level >= NELEM(level_names))
        return "invalid";
    return level_names[level];
}

/* policy_level_from_name - see policy.h */
int policy_level_from_name(const char *name, size_t len,
                           enum policy_level *level)
{
    for (size_t i = 0; i < NELEM(level_names); i++) {
        if (strlen(level_names[i]) == len &&
            memcmp(level_names[i], name, len) == 0) {
            *level = (enum policy_level)i;
            return 0;
        }
    }
    return -1;
}
