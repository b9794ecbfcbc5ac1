/* tlsrpt.h - SMTP TLS Reporting (RFC 8460), the data half: the
 *            "_smtp._tls" TXT record (§3) and the aggregate report (§4.4)
 *            built from dane-agent's own JSON Lines records
 *
 * Looking the record up, posting a report to an https rua and choosing
 * the window are the caller's; nothing here does DNS or network I/O. A
 * mailto: report is built here and handed to the local sendmail command.
 *
 * TXT record (§3 ABNF, RFC 7405 case-sensitive strings): "v=TLSRPTv1"
 * first, then fields separated by *WSP ";" *WSP, an optional trailing ";".
 * A field is "rua=" followed by URIs separated by *WSP "," *WSP, or an
 * extension (name: a letter or digit then up to 31 of letters, digits,
 * "_", "-", "."; value: printable ASCII except "=", ";" and space), which
 * is ignored (§3: unknown fields SHALL be ignored). At least one rua field
 * is required; several are allowed by the ABNF (1*tlsrpt-field) and their
 * URIs are read in order. Anything else (a malformed field, an empty URI,
 * URIs not separated by ",") makes the record invalid. Among the records of
 * an RRset (each the concatenation of its character-strings), those not
 * beginning with "v=TLSRPTv1" *WSP ";" are discarded; none left means no
 * TLSRPT, more than one means the domain does not implement TLSRPT (§3),
 * even when the records are identical.
 *
 * rua URIs: §3 supports two schemes, and requires "," "!" and ";" inside a
 * URI to be percent-encoded. A URI that cannot be used is ignored with a
 * reason, never fatal to the record unless none is left: a raw "!", a
 * character outside RFC 3986, a malformed %XX, no scheme, a scheme other
 * than mailto or https (compared case-insensitively, RFC 3986 §3.1), more
 * than TLSRPT_URI_MAX bytes, and the scheme's own checks:
 *   mailto (RFC 6068): the part before "?" or "#" (header fields and a
 *     fragment are ignored: the report's header is the sender's, §5.3) is
 *     percent-decoded and must be one address local@domain: a dot-atom
 *     local part of 1-64 ASCII atext characters (RFC 5322 §3.2.3), no
 *     space, control character, comma (RFC 6068 "to" lists are refused,
 *     one rua URI is one mailbox), quote or second "@"; the domain an LDH
 *     host name. At most TLSRPT_MAILBOX_MAX bytes once decoded.
 *   https: "https://" then an authority with a host: an LDH name (not an
 *     address literal: https_get() pins a name to the addresses the caller
 *     resolved), no user information, an optional port 1-65535. Kept
 *     byte for byte as published, for the POST.
 * The first TLSRPT_RUA_MAX usable URIs are kept; later ones are ignored
 * (a record with 100 gets 16 and a count of the rest).
 *
 * Records (the input of the report): one JSON object per line, as
 * report_json() writes them (agent/report). Members read: "time" (RFC 3339
 * "YYYY-MM-DDTHH:MM:SSZ"), "policy_type" ("tlsa", "sts",
 * "no-policy-found" or null), "policy_domain", "policy_string" (array of
 * strings), "mx_host_pattern", "rfc8460_result_type" (a §4.3 type or
 * null), "tls" (null or an object), "mx", "address" and, when present,
 * "sending_ip" and "destination" (the next-hop as given); others are
 * ignored. A line is malformed, skipped and
 * counted when it is not one JSON object (RFC 8259 by json-c's strict
 * parser, valid UTF-8, nesting at most 16 deep) with only white space
 * after it, lacks one of those members (sending_ip aside) or has one of
 * the wrong type or form (an unknown policy or result type, a time that
 * does not exist, an address that is not numeric IPv4 or IPv6, a string
 * holding a NUL or longer than a name or address can be, more than
 * TLSRPT_STRINGS_MAX policy strings), or is longer than TLSRPT_LINE_MAX
 * bytes. Empty lines (white space only) are ignored. A last line without its
 * newline counts when it is whole JSON; cut short it is malformed.
 *
 * Sessions (§4.4 summary): a record is one session. It FAILED when
 * rfc8460_result_type is set: the classifier (agent/failure) names a type
 * exactly when TLS could not be negotiated or the peer could not be
 * authenticated as the policy demands, and a message let through by
 * "TLS-Required: No" keeps its type. It SUCCEEDED when no type is set and
 * "tls" is an object: the handshake completed and, since nothing failed,
 * the policy (tlsa, sts, or opportunistic TLS without one) was satisfied;
 * what happened to the message afterwards (a 4xx or 5xx reply) does not
 * matter to TLS reporting. A record with neither (no TLS and no type: a
 * connection that failed before STARTTLS, plaintext where no policy asks
 * for TLS) is no TLS session and is not reported, nor is a record without
 * a policy type or policy domain (a delivery the DNS plan decided alone)
 * or whose policy domain is no host name (an address literal): there is
 * no _smtp._tls name to send its report to.
 *
 * Aggregation: records whose time is outside the window [start, end) are
 * skipped. The others are grouped by policy domain (lower case, without a
 * trailing dot), and inside a domain by policy: its type and its policy
 * strings, in order (a tlsa policy's strings, its TLSA records, sorted:
 * an RRset has no order, RFC 2181 §5). A DANE (tlsa) session's policy domain is its next-hop
 * domain (§2: the recipient's domain, or the smarthost's): the host of
 * "destination" without brackets or port, not the TLSA base domain its
 * policy_domain holds; without a destination, policy_domain; an
 * address-literal next-hop has no name and no report. A policy's mx-host list is the distinct
 * mx_host_pattern values of its sessions (MTA-STS only). Each failed
 * session adds one to the failure-details row of its (result-type,
 * sending-mta-ip, receiving-mx-hostname, receiving-ip), taken from
 * rfc8460_result_type, sending_ip, mx and address; a member that is absent
 * or null is omitted from the row. Domains, policies and rows keep the
 * order in which they first appear.
 *
 * Bounds: a line of TLSRPT_LINE_MAX bytes, TLSRPT_DOMAINS_MAX domains,
 * TLSRPT_POLICIES_MAX policies a domain, TLSRPT_DETAILS_MAX rows and
 * TLSRPT_MX_HOSTS_MAX mx-host patterns a policy, and TLSRPT_MEMORY_MAX
 * bytes allocated by one aggregation. A record that needs a new domain or
 * policy past a bound is dropped (counted, not reported); a failed session
 * that needs a new row past a bound, or a pattern past the mx-host bound,
 * still counts in its summary (counted as partial). A report is at most
 * TLSRPT_REPORT_MAX bytes.
 *
 * Report (§4.4): organization-name, date-range (start-datetime the
 * window's start, end-datetime its last second, end - 1, as the RFC's
 * example ends a day at 23:59:59Z), contact-info and report-id from the
 * caller, then policies: policy {policy-type, policy-string (omitted when
 * empty), policy-domain, mx-host (omitted when empty)}, summary
 * {total-successful-session-count, total-failure-session-count} and
 * failure-details (omitted when empty). Written with the project's JSON
 * writer (util/json.h): the same escaping and UTF-8 repair as the records.
 *
 * Mail (§5.3): tlsrpt_gzip() compresses a report (gzip, RFC 1952, zlib)
 * for the "application/tlsrpt+gzip" media type (§6.4); tlsrpt_mail()
 * builds the whole message a mailto: rua gets: From the submitter's
 * address, To the rua mailbox, Date, Message-ID "<report-id>", the §5.3
 * Subject "Report Domain: D Submitter: S Report-ID: <ID>", the
 * TLS-Report-Domain and TLS-Report-Submitter headers, "TLS-Required: No"
 * (RFC 8689 §5: a report about broken TLS must still get through), and a
 * multipart/report; report-type="tlsrpt" body of a text/plain part and
 * the gzip report in base64 (76-column lines), named per §5.1
 * "submitter!domain!begin!end!report-id.json.gz". Lines end in LF: the
 * message is for the local MTA's sendmail command, which converts them.
 * Every header value is checked first (visible ASCII, RFC 5322 §2.2, so
 * no CR, LF or space can inject a header; report-id and both addresses
 * in the form local@domain without "<", ">", "!" or "\"), and a failed
 * check returns NULL with *why rather than a message with a forged
 * header. tlsrpt_sendmail() hands a message to the local MTA: it runs
 * "PATH -oi -f SENDER -- RCPT" (execv, no shell) with the message on its
 * standard input and succeeds only when the command read it all and
 * exited 0; the MTA queues the message and owns its delivery from there.
 * The caller ignores SIGPIPE (as main() does), so a command that exits
 * early is an error, not the end of the process.
 *
 * Ownership: the TXT functions fill the caller's struct and allocate
 * nothing; *why is always a static string. tlsrpt_agg_new() returns an
 * aggregation owned by the caller (tlsrpt_agg_free(); NULL is a no-op); it
 * copies what it keeps, so lines are borrowed for the call only. Strings
 * and stats returned by tlsrpt_agg_domain() and tlsrpt_agg_stats() live as
 * long as the aggregation. tlsrpt_report_json() returns a buffer the
 * caller frees with free(). Not thread-safe.
 *
 * Folder agent/tlsrpt: TLSRPT records and reports; may use util, and
 * json-c for reading the records.
 */
#ifndef DANE_AGENT_TLSRPT_H
#define DANE_AGENT_TLSRPT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TLSRPT_RUA_MAX       16u         /* rua URIs kept from one record */
#define TLSRPT_URI_MAX       1024u       /* bytes of one rua URI */
#define TLSRPT_MAILBOX_MAX   254u        /* RFC 5321 §4.5.3.1.3 path less "<>" */
#define TLSRPT_HOST_MAX      253u        /* a host name without trailing dot */
#define TLSRPT_LINE_MAX      (4u * 1024u * 1024u)  /* bytes of one record line:
                                                * the agent writes up to 4 MiB
                                                * (1000 recipients) */
#define TLSRPT_STRINGS_MAX   128u        /* policy strings of one record */
#define TLSRPT_DOMAINS_MAX   1000u       /* policy domains of one aggregation */
#define TLSRPT_POLICIES_MAX  8u          /* policies of one domain */
#define TLSRPT_DETAILS_MAX   100u        /* failure-details rows of one policy */
#define TLSRPT_MX_HOSTS_MAX  16u         /* mx-host patterns of one policy */
#define TLSRPT_MEMORY_MAX    (32u << 20) /* bytes one aggregation allocates */
#define TLSRPT_REPORT_MAX    (8u << 20)  /* bytes of one report */

enum tlsrpt_scheme {
    TLSRPT_MAILTO = 0,
    TLSRPT_HTTPS,
};

struct tlsrpt_rua {
    enum tlsrpt_scheme scheme;
    char uri[TLSRPT_URI_MAX + 1];         /* as published, NUL-terminated */
    char mailbox[TLSRPT_MAILBOX_MAX + 1]; /* mailto: local@domain, decoded;
                                           * https: "" */
    char host[TLSRPT_HOST_MAX + 1];       /* the mailbox's domain or the
                                           * URI's host, lower case */
};

struct tlsrpt_txt {
    size_t nrua;                          /* 1..TLSRPT_RUA_MAX */
    struct tlsrpt_rua rua[TLSRPT_RUA_MAX];    /* in record order */
    size_t nignored;                      /* URIs not kept: unusable, or
                                           * past TLSRPT_RUA_MAX */
    const char *ignored_why;              /* the first one's reason; NULL
                                           * when none was ignored */
};

/* One record of the _smtp._tls TXT RRset, its character-strings
 * concatenated without spaces (§3). */
struct tlsrpt_txt_record {
    const char *text;
    size_t len;
};

enum tlsrpt_txt_status {
    TLSRPT_TXT_FOUND = 0,       /* one valid record: out filled */
    TLSRPT_TXT_ABSENT,          /* no record begins with v=TLSRPTv1 */
    TLSRPT_TXT_INVALID,         /* several, a malformed one, or no usable URI */
};

/* tlsrpt_txt_parse - one TXT record text[0..len), never assumed
 * NUL-terminated (§3); 0 with out filled (at least one usable URI), or -1
 * with *why (out untouched) */
int tlsrpt_txt_parse(const char *text, size_t len, struct tlsrpt_txt *out,
                     const char **why);

/* tlsrpt_txt_select - the one TLSRPTv1 record among the n records of an
 * RRset (§3); *why is set unless TLSRPT_TXT_FOUND */
enum tlsrpt_txt_status tlsrpt_txt_select(const struct tlsrpt_txt_record *records,
                                         size_t n, struct tlsrpt_txt *out,
                                         const char **why);

/* What one aggregation met. Every line handed in is one of: empty, counted,
 * outside, malformed, unreported or dropped; partial ones are counted too. */
struct tlsrpt_stats {
    uint64_t lines;             /* lines handed in, empty ones included */
    uint64_t counted;           /* sessions counted in a summary */
    uint64_t outside;           /* records outside the window */
    uint64_t malformed;         /* lines skipped as malformed or too long */
    uint64_t unreported;        /* records of no new TLS session (none, or
                                 * a reused connection) or no policy */
    uint64_t dropped;           /* records a bound kept out of every report */
    uint64_t partial;           /* counted, but without their failure-details
                                 * row or mx-host pattern (a bound) */
    uint64_t first_malformed;   /* line number (from 1) of the first
                                 * malformed line; 0 when none */
    const char *malformed_why;  /* its reason (static); NULL when none */
    const char *bound_why;      /* the first bound hit (static); NULL: none */
};

struct tlsrpt_agg;

/* The caller's part of a report (§4.4), each a non-empty string. */
struct tlsrpt_org {
    const char *organization_name;  /* organization-name */
    const char *contact_info;       /* contact-info: an addr-spec */
    const char *report_id;          /* report-id: unique, the caller's scheme */
};

/* tlsrpt_utc_day - the UTC day [*start, *end) holding t (§4.2: a report
 * covers a full UTC day); 0, or -1 when t is out of range */
int tlsrpt_utc_day(time_t t, time_t *start, time_t *end);

/* tlsrpt_agg_new - an empty aggregation of the window [start, end),
 * start < end; NULL when out of memory or the window is empty */
struct tlsrpt_agg *tlsrpt_agg_new(time_t start, time_t end);

/* tlsrpt_agg_free - release; NULL is a no-op */
void tlsrpt_agg_free(struct tlsrpt_agg *a);

/* tlsrpt_agg_line - one record line[0..len) without its newline (a "\r"
 * or other trailing white space is allowed) */
void tlsrpt_agg_line(struct tlsrpt_agg *a, const char *line, size_t len);

/* tlsrpt_agg_read - every line of fd to its end, through
 * tlsrpt_agg_line(); a line longer than TLSRPT_LINE_MAX is skipped whole.
 * fd is read, never closed; 0, or -1 with *why when read(2) fails (the
 * lines before stay counted) */
int tlsrpt_agg_read(struct tlsrpt_agg *a, int fd, const char **why);

/* tlsrpt_agg_read_gzip - tlsrpt_agg_read() of a gzip file (a rotated,
 * compressed record file, RFC 1952): the lines of its data (zlib reads a
 * file that is not gzip as it is); fd is read, never closed; -1 with *why
 * when it cannot be read or its gzip data is damaged or cut short (the
 * lines before stay counted) */
int tlsrpt_agg_read_gzip(struct tlsrpt_agg *a, int fd, const char **why);

/* tlsrpt_agg_stats - the counts so far */
const struct tlsrpt_stats *tlsrpt_agg_stats(const struct tlsrpt_agg *a);

/* tlsrpt_agg_domains - how many policy domains have a report */
size_t tlsrpt_agg_domains(const struct tlsrpt_agg *a);

/* tlsrpt_agg_domain - the name of domain i (< tlsrpt_agg_domains()) */
const char *tlsrpt_agg_domain(const struct tlsrpt_agg *a, size_t i);

/* tlsrpt_report_json - the §4.4 report of domain i as one JSON text
 * (NUL-terminated, *len bytes without the NUL), owned by the caller; NULL
 * with *why when i is out of range, an org member is missing, the text
 * would pass TLSRPT_REPORT_MAX or memory runs out */
char *tlsrpt_report_json(const struct tlsrpt_agg *a, size_t i,
                         const struct tlsrpt_org *org, size_t *len,
                         const char **why);

/* The header fields of one report message (§5.3), each NUL-terminated. */
struct tlsrpt_mail {
    const char *report_domain;  /* the policy domain reported on */
    const char *submitter;      /* the submitter's domain (§5.3) */
    const char *from;           /* the From address: local@domain */
    const char *to;             /* the rua mailbox: local@domain */
    const char *report_id;      /* the report's report-id: local@domain */
    time_t begin, end;          /* the window [begin, end), for the name */
    time_t now;                 /* the Date */
};

/* tlsrpt_gzip - in[0..len) as one gzip member (RFC 1952), *outlen bytes
 * owned by the caller (free()); NULL with *why when zlib fails or memory
 * runs out */
unsigned char *tlsrpt_gzip(const char *in, size_t len, size_t *outlen,
                           const char **why);

/* tlsrpt_mail - the §5.3 message carrying gz[0..gzlen) (tlsrpt_gzip()),
 * NUL-terminated, *len bytes without the NUL, owned by the caller; NULL
 * with *why when a header value fails its check or memory runs out */
char *tlsrpt_mail(const struct tlsrpt_mail *m, const unsigned char *gz,
                  size_t gzlen, size_t *len, const char **why);

/* tlsrpt_sendmail - msg[0..len) to rcpt from sender through the sendmail
 * command at path; 0, or -1 with *why */
int tlsrpt_sendmail(const char *path, const char *sender, const char *rcpt,
                    const char *msg, size_t len, const char **why);

#endif
