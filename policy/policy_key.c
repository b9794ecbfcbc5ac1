/* policy_key.c - destination keys and next-hops in normalised form
 *
 * SYNOPSIS
 *   pkey_parse(text, len, allow_parent, out, why)
 *   pname_check(name, len, why)
 *
 * DESCRIPTION
 *   Forms (Postfix's next-hop syntax, dane-agent(8) POLICY): `domain`, `domain:port`,
 *   `.parent` (keys only), `[host]`, `[host]:port`, where host is a name,
 *   an IPv4 address or an IPv6 address (optionally written `ipv6:...`).
 *   The normal form is lower case, without a trailing dot, without `:25`
 *   (the SMTP port, the default of Postfix's smtp(8)),
 *   with addresses as inet_ntop() writes them. Names must be ASCII: a
 *   U-label is refused with a reason asking for the A-label (RFC 5890
 *   §2.3.2.1); no IDNA conversion is attempted.
 */
#include <arpa/inet.h>
#include <string.h>

#include "policy_int.h"

#define SMTP_PORT 25

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* pname_check - see policy_int.h */
int pname_check(const char *name, size_t len, const char **why)
{
    size_t label = 0;

    if (len > 0 && name[len - 1] == '.')
        len--;                  /* one trailing dot: absolute form */
    if (len == 0) {
        *why = "empty host name";
        return -1;
    }
    if (len > 253) {
        *why = "host name longer than 253 characters";
        return -1;
    }
    for (size_t i = 0; i <= len; i++) {
        int c = i < len ? (unsigned char)name[i] : '.';

        if (c >= 0x80) {
            *why = "internationalised name: write its A-label (xn--...), "
                   "U-labels are not accepted";
            return -1;
        }
        if (c == '.') {
            if (label == 0) {
                *why = "empty label in host name";
                return -1;
            }
            if (name[i - 1] == '-' || name[i - label] == '-') {
                *why = "host name label starts or ends with a hyphen";
                return -1;
            }
            label = 0;
            continue;
        }
        if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') ||
              c == '-' || c == '_')) {
            *why = "invalid character in host name (letters, digits, "
                   "hyphens, dots)";
            return -1;
        }
        if (++label > 63) {
            *why = "host name label longer than 63 characters";
            return -1;
        }
    }
    return 0;
}

/* pport_parse - see policy_int.h */
int pport_parse(const char *s, size_t len, uint16_t *port,
                      const char **why)
{
    unsigned v = 0;

    if (len == 0 || len > 5) {
        *why = "port must be a number from 1 to 65535";
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i])) {
            *why = "port must be a number from 1 to 65535";
            return -1;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535) {
        *why = "port must be a number from 1 to 65535";
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

/* append - bounded copy into out->norm */
static int append(struct pkey *out, size_t *pos, const char *s, size_t len,
                  int fold)
{
    if (len >= sizeof(out->norm) - *pos)
        return -1;
    for (size_t i = 0; i < len; i++)
        out->norm[(*pos)++] = fold ? (char)lower((unsigned char)s[i]) : s[i];
    out->norm[*pos] = '\0';
    return 0;
}

/* append_port - ":port" unless it is the default */
static int append_port(struct pkey *out, size_t *pos)
{
    char digits[6];
    size_t n = 0;
    unsigned v = out->port;

    out->noport_len = *pos;
    if (v == SMTP_PORT)
        return 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return append(out, pos, ":", 1, 0) < 0 ||
           append(out, pos, digits + sizeof(digits) - n, n, 0) < 0 ? -1 : 0;
}

/* bracket_host - a name or address inside [ ] into out->norm */
static int bracket_host(const char *h, size_t len, struct pkey *out,
                        size_t *pos, const char **why)
{
    char buf[INET6_ADDRSTRLEN + 8], canon[INET6_ADDRSTRLEN];
    unsigned char addr[16];
    int v6 = 0;

    if (len >= 5 && strncmp(h, "ipv6:", 5) == 0) {
        h += 5, len -= 5, v6 = 1;
    } else if (len >= 5 && strncmp(h, "IPv6:", 5) == 0) {
        h += 5, len -= 5, v6 = 1;   /* RFC 5321 §4.1.3 spelling */
    }
    if (len < sizeof(buf)) {
        memcpy(buf, h, len);
        buf[len] = '\0';
        if (!v6 && inet_pton(AF_INET, buf, addr) == 1 &&
            inet_ntop(AF_INET, addr, canon, sizeof(canon)) != NULL)
            return append(out, pos, canon, strlen(canon), 0);
        if (inet_pton(AF_INET6, buf, addr) == 1 &&
            inet_ntop(AF_INET6, addr, canon, sizeof(canon)) != NULL)
            return append(out, pos, canon, strlen(canon), 0);
    }
    if (v6) {
        *why = "invalid IPv6 address in brackets";
        return -1;
    }
    if (pname_check(h, len, why) < 0)
        return -1;
    if (h[len - 1] == '.')
        len--;
    return append(out, pos, h, len, 1);
}

/* parse_bracket - "[host]" or "[host]:port" */
static int parse_bracket(const char *text, size_t len, struct pkey *out,
                         const char **why)
{
    const char *close = memchr(text, ']', len);
    size_t pos = 0, hlen, rest;

    if (close == NULL) {
        *why = "missing \"]\" after \"[host\"";
        return -1;
    }
    hlen = (size_t)(close - text) - 1;
    rest = len - hlen - 2;
    out->kind = PKEY_BRACKET;
    out->port = SMTP_PORT;
    if (rest > 0 && (close[1] != ':' ||
                     pport_parse(close + 2, rest - 1, &out->port, why) < 0)) {
        if (close[1] != ':')
            *why = "only \":port\" may follow \"[host]\"";
        return -1;
    }
    if (append(out, &pos, "[", 1, 0) < 0)
        return -1;
    out->host_off = pos;
    if (bracket_host(text + 1, hlen, out, &pos, why) < 0)
        return -1;
    out->host_len = pos - out->host_off;
    if (append(out, &pos, "]", 1, 0) < 0)
        return -1;
    return append_port(out, &pos);
}

/* looks_like_address - an unbracketed IPv4/IPv6 literal */
static int looks_like_address(const char *text, size_t len)
{
    char buf[INET6_ADDRSTRLEN];
    unsigned char addr[16];

    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, addr) == 1 ||
           inet_pton(AF_INET6, buf, addr) == 1;
}

/* parse_domain - "domain", "domain:port", ".parent" */
static int parse_domain(const char *text, size_t len, int allow_parent,
                        struct pkey *out, const char **why)
{
    const char *colon = memchr(text, ':', len);
    size_t nlen = colon ? (size_t)(colon - text) : len, pos = 0;

    if (looks_like_address(text, len) || looks_like_address(text, nlen)) {
        *why = "an address must be written in brackets, e.g. [192.0.2.1]";
        return -1;
    }
    out->kind = PKEY_DOMAIN;
    out->port = SMTP_PORT;
    if (text[0] == '.') {
        if (!allow_parent) {
            *why = "a next-hop cannot start with \".\"";
            return -1;
        }
        if (colon != NULL) {
            *why = "a .parent key takes no port";
            return -1;
        }
        out->kind = PKEY_PARENT;
        text++, nlen--;
        if (append(out, &pos, ".", 1, 0) < 0)
            return -1;
    }
    if (colon != NULL &&
        pport_parse(colon + 1, len - nlen - 1, &out->port, why) < 0)
        return -1;
    if (pname_check(text, nlen, why) < 0)
        return -1;
    if (text[nlen - 1] == '.')
        nlen--;
    out->host_off = pos;
    if (append(out, &pos, text, nlen, 1) < 0)
        return -1;
    out->host_len = nlen;
    return append_port(out, &pos);
}

/* pkey_parse - see policy_int.h */
int pkey_parse(const char *text, size_t len, int allow_parent,
               struct pkey *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len == 0) {
        *why = "empty destination";
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        *why = "NUL character in destination";
        return -1;
    }
    if (text[0] == '[')
        return parse_bracket(text, len, out, why);
    return parse_domain(text, len, allow_parent, out, why);
}
