/* policy.h - the YAML TLS policy table (README "Policy"; dane-agent(8) POLICY;
 * every key is shown in policy.yaml.example)
 *
 * policy_load() parses and validates a whole file with libyaml; any error
 * makes the whole table invalid (an invalid entry never lowers security) and
 * is reported as "FILE:LINE:COL: message" (1-based; a file that cannot be
 * read at all is reported as "FILE: message"). The loaded table is
 * immutable: every entry is complete (keys it does not set are inherited
 * from `defaults`, then from built-in defaults, all resolved at load), and
 * policy_lookup() allocates nothing. All pointers reached from a table live
 * until policy_free().
 *
 * Lookup (most specific wins), for a next-hop as given to deliver/probe:
 *   1. the exact next-hop key ("example.com", "example.com:587",
 *      "[mx.example]", "[mx.example]:587"; ":25" is the default port and
 *      is ignored on both sides);
 *   2. with a non-default port, the same key without the port;
 *   3. for an unbracketed domain only (as Postfix), ".parent" keys, nearest
 *      parent first (".example.com" matches sub.example.com, not
 *      example.com itself);
 *   4. `defaults`.
 * Names compare ASCII case-insensitively with a trailing dot ignored; IPv6
 * literals compare in canonical form. Keys must be ASCII: an
 * internationalised name is written as its A-label (xn--...), a U-label in
 * a key is a configuration error.
 *
 * Nothing in a policy can enable a suite without forward secrecy or a
 * protocol below TLS 1.2: such settings are errors with their position.
 */
#ifndef DANE_AGENT_POLICY_H
#define DANE_AGENT_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* Postfix's TLS security levels (TLS_README), weakest first. */
enum policy_level {
    POLICY_LEVEL_NONE = 0,
    POLICY_LEVEL_MAY,
    POLICY_LEVEL_ENCRYPT,
    POLICY_LEVEL_DANE,
    POLICY_LEVEL_DANE_ONLY,
    POLICY_LEVEL_FINGERPRINT,
    POLICY_LEVEL_VERIFY,
    POLICY_LEVEL_SECURE,
};

/* smtp_tls_dane_insecure_mx_policy: a secure TLSA RRset reached via an
 * insecure MX lookup. */
enum policy_insecure_mx {
    POLICY_INSECURE_MX_MAY = 0,
    POLICY_INSECURE_MX_ENCRYPT,
    POLICY_INSECURE_MX_DANE,    /* default: enforce, report Trusted */
};

enum policy_match_kind {
    POLICY_MATCH_NAME = 0,      /* a literal name (verify/secure) */
    POLICY_MATCH_HOSTNAME,      /* the MX host name */
    POLICY_MATCH_NEXTHOP,       /* the next-hop domain */
    POLICY_MATCH_DOT_NEXTHOP,   /* any subdomain of the next-hop */
    POLICY_MATCH_DIGEST,        /* fingerprint: "sha256:…"/"sha512:…" */
};

struct policy_match {
    enum policy_match_kind kind;
    const char *text;           /* name (lower case, no trailing dot; a
                                 * leading "." means any subdomain) or
                                 * digest text as written; NULL for
                                 * hostname/nexthop/dot-nexthop */
    uint8_t digest_mtype;       /* DIGEST: 1 sha256, 2 sha512 (TLSA
                                 * matching types, RFC 6698 §2.1.3) */
    const uint8_t *digest;      /* DIGEST: the decoded bytes (of the
                                 * certificate or its public key) */
    size_t digest_len;          /* DIGEST: 32 or 64 */
};

/* Protocol bits */
#define POLICY_PROTO_TLS12 0x1u
#define POLICY_PROTO_TLS13 0x2u

struct policy_entry {
    const char *key;            /* the matching key, or "defaults" */
    enum policy_level level;
    const struct policy_match *match;
    size_t nmatch;
    const char *servername;     /* SNI override; NULL: the default rule */
    const char *ca_file;        /* PKIX trust for verify/secure; NULL: none */
    unsigned protocols;         /* POLICY_PROTO_* bits, never 0 */
    const uint16_t *curves;     /* IANA group ids (X25519 29, P-256 23, …) */
    size_t ncurves;
    const uint16_t *ffdhe_groups;   /* IANA ids 256 (ffdhe2048), 257 (ffdhe3072) */
    size_t nffdhe_groups;
    const uint8_t *dane_digests;    /* TLSA matching types, strongest first */
    size_t ndane_digests;
    enum policy_insecure_mx insecure_mx_policy;
    unsigned connect_timeout_ms;
    unsigned helo_timeout_ms;
    unsigned starttls_timeout_ms;
    unsigned data_timeout_ms;
    unsigned delivery_timeout_ms;   /* total deadline of one delivery;
                                     * POLICY_DELIVERY_TIMEOUT_DEFAULT_MS */
    uint64_t max_message_size;      /* bytes; 0: no limit of our own */
    const char *session_cache;      /* path, or NULL: no cache; default
                                     * POLICY_SESSION_CACHE_DEFAULT when
                                     * that directory exists */
    const char *helo_name;          /* EHLO name; default gethostname() */
    const char *user;               /* started as root, deliver and probe
                                     * run as this user (privdrop.h);
                                     * defaults only; default "nobody" */
    int legacy_cbc_suites;          /* 1: also offer forward-secret
                                     * ECDHE/DHE CBC suites (TLS 1.2);
                                     * never a non-FS suite */
    int mta_sts;                    /* MTA-STS (RFC 8461): 1 on, 0 off, -1
                                     * by the level (policy_mta_sts()) */
    int honor_tls_required_no;      /* 1: a message with "TLS-Required: No"
                                     * (RFC 8689 §5) is delivered despite a
                                     * DANE or MTA-STS failure (never at
                                     * dane-only or fingerprint) */
    unsigned max_mx_hosts;          /* MX hosts tried per delivery (10) */
    unsigned max_addresses;         /* addresses tried per host (10) */
    unsigned max_reply_lines;       /* lines of one SMTP reply (100) */
    unsigned max_reply_line_length; /* bytes per reply line incl. CRLF
                                     * (2048; 512..4096) */
    unsigned line;                  /* line of the key in the file; 0 for
                                     * the built-in defaults */
};

struct policy_upstream {
    char address[64];           /* numeric IPv4 or IPv6, no brackets */
    uint16_t port;              /* 53 unless given */
};

struct policy_dns {
    const struct policy_upstream *upstreams;   /* empty: /etc/resolv.conf */
    size_t nupstreams;
    const char *trust_anchors;  /* path; NULL: getdns's default root key */
    unsigned timeout_ms;
    const char *cache;          /* DNS answer (and MTA-STS policy) cache
                                 * directory; NULL: none; default
                                 * POLICY_DNS_CACHE_DEFAULT when that
                                 * directory exists */
    unsigned cache_max_ttl_ms;  /* longest a cached answer is used */
};

/* The `tlsrpt` section: what `dane-agent tlsrpt` puts in and around its
 * RFC 8460 reports. organization_name and contact_info are required;
 * every string is NUL-terminated and lives as long as the policy. */
struct policy_tlsrpt {
    const char *organization_name;  /* §4.4 organization-name */
    const char *contact_info;       /* §4.4 contact-info: local@domain */
    const char *submitter;          /* §5.3 submitter domain; default the
                                     * defaults' helo_name */
    const char *sender;             /* envelope sender and From of mailed
                                     * reports: local@domain; default
                                     * contact_info */
    const char *sendmail;           /* absolute path; POLICY_SENDMAIL_DEFAULT */
    const char *state_dir;          /* absolute path: which report went to
                                     * which rua; POLICY_TLSRPT_STATE_DEFAULT */
    unsigned line;                  /* line of the key in the file */
};

#define POLICY_SENDMAIL_DEFAULT "/usr/sbin/sendmail"
#define POLICY_TLSRPT_STATE_DEFAULT "/var/lib/dane-agent/tlsrpt"

struct policy;

/* The built-in delivery_timeout: also deliver's deadline from process start
 * until the policy is loaded. */
#define POLICY_DELIVERY_TIMEOUT_DEFAULT_MS (300u * 1000u)

/* The caches are on by default in these directories, which a packaged
 * install creates (owner the agent's user, mode 0700). Each is used only
 * when it exists at load time; the agent never creates it, and the value
 * "none" turns a cache off. */
#define POLICY_DNS_CACHE_DEFAULT "/var/cache/dane-agent/dns"
#define POLICY_SESSION_CACHE_DEFAULT "/var/cache/dane-agent/sessions"

/* policy_default_dir - path when it names an existing directory, else NULL */
const char *policy_default_dir(const char *path);

/* A larger file is refused before parsing. */
#define POLICY_MAX_FILE_SIZE (1024u * 1024u)

/* How a load failed: policy-check exits 78 (EX_CONFIG) for INVALID and 66
 * (EX_NOINPUT) for UNREADABLE. */
enum policy_status {
    POLICY_OK = 0,
    POLICY_INVALID,             /* read, but not a valid policy */
    POLICY_UNREADABLE,          /* missing, unreadable, not a regular file */
};

/* policy_load - parse and validate path; NULL on error with the first
 * "FILE:LINE:COL: message" written to err (NUL-terminated, truncated) */
struct policy *policy_load(const char *path, char *err, size_t errsize);
/* policy_load_status - policy_load() that also says how it failed */
struct policy *policy_load_status(const char *path, enum policy_status *status,
                                  char *err, size_t errsize);
/* policy_parse - validate a policy held in memory (tests, fuzzing); name
 * is the FILE part of error messages; text need not be NUL-terminated */
struct policy *policy_parse(const char *name, const uint8_t *text, size_t len,
                            char *err, size_t errsize);
/* policy_free - release; NULL is a no-op */
void policy_free(struct policy *policy);
/* policy_dns - the `dns` section (built-in defaults when absent) */
const struct policy_dns *policy_dns(const struct policy *policy);
/* policy_tlsrpt - the `tlsrpt` section, or NULL when the file has none */
const struct policy_tlsrpt *policy_tlsrpt(const struct policy *policy);
/* policy_spool_dir - the top-level `spool_dir` (absolute path of the
 * directory for messages too large to keep in memory), or NULL when unset */
const char *policy_spool_dir(const struct policy *policy);
/* policy_lookup - the entry for a next-hop as given on the command line
 * ("domain", "domain:port", "[host]", "[host]:port"); never NULL */
const struct policy_entry *policy_lookup(const struct policy *policy,
                                         const char *nexthop);
/* policy_defaults - the resolved `defaults` entry; never NULL */
const struct policy_entry *policy_defaults(const struct policy *policy);
/* policy_entry_at - the i-th destination entry in key order (i below
 * policy_ndests()), for checks that cover every entry */
const struct policy_entry *policy_entry_at(const struct policy *policy, size_t i);
size_t policy_ndests(const struct policy *policy);
/* policy_mta_sts - 1 when MTA-STS applies to the entry's deliveries: as
 * configured, else at levels dane and may (the opportunistic levels it can
 * raise; never at an authenticated level, whose demands it cannot lower) */
int policy_mta_sts(const struct policy_entry *entry);
/* policy_level_name - Postfix's name of a level ("dane-only", …) */
const char *policy_level_name(enum policy_level level);
/* policy_level_from_name - parse a level name (len bytes, exact, lower
 * case as Postfix); 0 and *level set, or -1 when unknown */
int policy_level_from_name(const char *name, size_t len,
                           enum policy_level *level);

#endif
