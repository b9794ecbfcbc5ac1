/* sts.h - MTA-STS (RFC 8461) as pure functions over text: the
 *         "_mta-sts" TXT record (§3.1), the policy body (§3.2), MX host
 *         matching against the policy's patterns (§4.1), and the policy as
 *         RFC 8460 §4.4 policy-string lines
 *
 * Fetching the TXT record and the policy (§3.3) and applying the mode to a
 * delivery (§5) happen elsewhere, caching (§5.1) in sts_cache.h; nothing
 * here does I/O. Inputs are untrusted bytes given as (ptr, len), never assumed
 * NUL-terminated. Every rejection sets *why to a static one-line string.
 * Outputs are plain values owned by the caller, written only on success;
 * nothing is allocated.
 *
 * TXT record (§3.1 ABNF, RFC 7405 case-sensitive strings): "v=STSv1" first,
 * then fields separated by *WSP ";" *WSP, an optional trailing ";". "id=" is
 * required: 1-32 letters or digits. Other fields must be well-formed
 * extensions (name: a letter or digit then up to 31 of letters, digits,
 * "_", "-", "."; value: printable ASCII except "=", ";" and space) and are
 * ignored. A repeated field: the first counts, later ones need only be
 * well-formed (the §3.2 rule on repeats, for TXT records and policies).
 * Among the records of the RRset (each the concatenation of its
 * character-strings, §3.1), those not beginning with "v=STSv1" *WSP ";"
 * are discarded; none left means no policy, more than one means the
 * domain has no usable policy (§3.1). The *WSP before ";" follows the ABNF
 * (sts-field-delim) where the prose says "v=STSv1;": the two disagree.
 *
 * Policy body (§3.2): lines ending in LF or CRLF, the last one optionally
 * unterminated; a field is "name:" *WSP value *WSP, names and the values
 * of version and mode case-sensitive (RFC 7405 %s). version ("STSv1"),
 * mode (enforce, testing, none) and max_age (1-10 digits) are required in
 * any order; at least one mx is required unless mode is none (§3.2 ABNF
 * comment; the RFC's sts-policy-field names sts-policy-term where
 * sts-policy-mx is meant). A repeated version, mode or max_age: the first
 * counts, the others are ignored (§3.2). max_age above 31557600 is
 * grammatical (1*10DIGIT) and is accepted capped to 31557600, the maximum
 * §3.2 gives. An mx pattern is a host name (RFC 5321 §4.1.2 Domain: LDH
 * labels of 1-63 octets, at most 253 octets) or "*." and such a name; the
 * wildcard only as the whole leftmost label; one trailing dot (not in the
 * grammar) is tolerated and dropped; patterns are kept in lower case; a
 * non-ASCII name is refused (§3.2: A-labels only); every mx line is
 * checked, in mode none too. Other lines are ignored: unknown fields (§3.2:
 * they SHALL be ignored), and blank or malformed lines, which the ABNF does
 * not allow (a malformed version, mode or max_age line leaves that field
 * missing). A NUL byte anywhere, a body above STS_POLICY_MAX bytes (the
 * §3.3 suggested limit) or more than STS_MX_MAX mx lines is refused.
 *
 * Folder agent/sts: MTA-STS parsing, matching and the policy cache; may use
 * store and util.
 */
#ifndef DANE_AGENT_STS_H
#define DANE_AGENT_STS_H

#include <stddef.h>
#include <stdint.h>

#define STS_ID_MAX          32u          /* §3.1: id is 1*32(ALPHA / DIGIT) */
#define STS_POLICY_MAX      65536u       /* §3.3: policy body limit, bytes */
#define STS_MX_MAX          64u          /* mx patterns one policy may give */
#define STS_NAME_MAX        253u         /* a pattern or host, no trailing dot */
#define STS_MAX_AGE_MAX     31557600u    /* §3.2: max_age maximum, seconds */
#define STS_LINES_MAX       (STS_MX_MAX + 3u)   /* version, mode, mx, max_age */
#define STS_LINE_MAX        (sizeof("mx: ") + STS_NAME_MAX) /* with NUL */

enum sts_mode {
    STS_MODE_NONE = 0,      /* §5: no MTA-STS checks */
    STS_MODE_TESTING,       /* §5: check and report, deliver anyway */
    STS_MODE_ENFORCE,       /* §5: deliver only to a matching, valid MX */
};

struct sts_txt {
    char id[STS_ID_MAX + 1];    /* the policy instance, NUL-terminated */
};

/* One record of the _mta-sts TXT RRset, its character-strings concatenated
 * without spaces (§3.1). */
struct sts_txt_record {
    const char *text;
    size_t len;
};

enum sts_txt_status {
    STS_TXT_FOUND = 0,      /* one valid STSv1 record: out filled */
    STS_TXT_ABSENT,         /* no record begins with v=STSv1 */
    STS_TXT_INVALID,        /* several STSv1 records, or a malformed one */
};

struct sts_policy {
    enum sts_mode mode;
    uint32_t max_age;                       /* seconds, <= STS_MAX_AGE_MAX */
    size_t nmx;                             /* 0 only in mode none */
    char mx[STS_MX_MAX][STS_NAME_MAX + 1];  /* lower case, in policy order */
};

/* RFC 8460 §4.4 policy-string: the policy as it is applied, one string per
 * line, in the order version, mode, each mx, max_age (the RFC's example). */
struct sts_lines {
    size_t n;
    char line[STS_LINES_MAX][STS_LINE_MAX];
};

/* sts_txt_parse - one TXT record text[0..len) (§3.1); 0, or -1 with *why */
int sts_txt_parse(const char *text, size_t len, struct sts_txt *out,
                  const char **why);

/* sts_id_valid - 1 when s[0..len) is a §3.1 id: 1-32 letters or digits */
int sts_id_valid(const char *s, size_t len);

/* sts_txt_select - the one STSv1 record among the n records of an RRset
 * (§3.1); *why is set unless STS_TXT_FOUND */
enum sts_txt_status sts_txt_select(const struct sts_txt_record *records,
                                   size_t n, struct sts_txt *out,
                                   const char **why);

/* sts_policy_parse - a policy body text[0..len) (§3.2); 0, or -1 with *why */
int sts_policy_parse(const uint8_t *text, size_t len, struct sts_policy *out,
                     const char **why);

/* sts_mx_match - the first pattern of p that the MX host name matches
 * (§4.1): compared case-insensitively, one trailing dot of the host
 * ignored, "*.example.com" matching exactly one more leftmost label; NULL
 * when none does or mx_host is not a valid host name. The result points
 * into p (RFC 8460 §4.4 mx-host). */
const char *sts_mx_match(const struct sts_policy *p, const char *mx_host);

/* sts_mode_name - "enforce", "testing" or "none" (§3.2 spelling) */
const char *sts_mode_name(enum sts_mode mode);

/* sts_policy_lines - p as RFC 8460 §4.4 policy-string lines into out:
 * "version: STSv1", "mode: <mode>", "mx: <pattern>" each, "max_age: <n>"
 * (the capped value, as applied) */
void sts_policy_lines(const struct sts_policy *p, struct sts_lines *out);

#endif
