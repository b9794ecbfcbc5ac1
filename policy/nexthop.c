/* nexthop.c - next-hop syntax (nexthop.h) */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "nexthop.h"

#define SMTP_PORT 25
#define IPV6_TAG "IPv6:"        /* RFC 5321 §4.1.3 */
#define IPV6_TAG_LEN (sizeof(IPV6_TAG) - 1)

/* lower - ASCII lower case */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* is_digit - an ASCII decimal digit */
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* is_ldh - a letter, digit, hyphen or (tolerated) underscore */
static int is_ldh(int c)
{
    return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '-' ||
           c == '_';
}

/* nexthop_check_name - see nexthop.h */
int nexthop_check_name(const char *name, size_t len, const char **why)
{
    size_t label = 0;

    if (len > 0 && name[len - 1] == '.')
        len--;                  /* one trailing dot: absolute form */
    if (len == 0 || len > NEXTHOP_NAME_MAX) {
        *why = len == 0 ? "empty host name"
                        : "host name longer than 253 characters";
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
        if (!is_ldh(c)) {
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

/* nexthop_parse_port - see nexthop.h */
int nexthop_parse_port(const char *s, size_t len, uint16_t *port,
                       const char **why)
{
    unsigned v = 0;
    size_t i = 0;

    while (len <= 5 && i < len && is_digit((unsigned char)s[i]))
        v = v * 10 + (unsigned)(s[i++] - '0');
    if (len == 0 || i != len || v == 0 || v > 65535) {
        *why = "port must be a number from 1 to 65535";
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

/* copy_name - a checked name into out: lower case, no trailing dot */
static void copy_name(struct nexthop *out, const char *name, size_t len)
{
    if (name[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++)
        out->name[i] = (char)lower((unsigned char)name[i]);
    out->name[len] = '\0';
}

/* parse_address - len bytes as an address of family into out, canonical */
static int parse_address(int family, const char *text, size_t len,
                         struct nexthop *out)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];

    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(family, buf, addr) != 1 ||
        inet_ntop(family, addr, out->name, sizeof(out->name)) == NULL)
        return -1;
    out->literal = 1;
    return 0;
}

/* parse_bracketed_host - the name or address literal inside [ ] */
static int parse_bracketed_host(const char *h, size_t len, struct nexthop *out,
                                const char **why)
{
    if (len >= IPV6_TAG_LEN && strncasecmp(h, IPV6_TAG, IPV6_TAG_LEN) == 0) {
        if (parse_address(AF_INET6, h + IPV6_TAG_LEN, len - IPV6_TAG_LEN,
                          out) == 0)
            return 0;
        *why = "invalid IPv6 address in brackets";
        return -1;
    }
    if (parse_address(AF_INET, h, len, out) == 0 ||
        parse_address(AF_INET6, h, len, out) == 0)
        return 0;
    if (nexthop_check_name(h, len, why) < 0)
        return -1;
    copy_name(out, h, len);
    return 0;
}

/* parse_bracketed - "[host]" or "[host]:port" */
static int parse_bracketed(const char *text, size_t len, struct nexthop *out,
                           const char **why)
{
    const char *close = memchr(text, ']', len);
    size_t hlen, rest;

    if (close == NULL) {
        *why = "missing \"]\" after \"[host\"";
        return -1;
    }
    hlen = (size_t)(close - text) - 1;
    rest = len - hlen - 2;
    out->bracketed = 1;
    if (rest > 0 && close[1] != ':') {
        *why = "only \":port\" may follow \"[host]\"";
        return -1;
    }
    if (rest > 0 &&
        nexthop_parse_port(close + 2, rest - 1, &out->port, why) < 0)
        return -1;
    return parse_bracketed_host(text + 1, hlen, out, why);
}

/* is_address - len bytes are an IPv4 or IPv6 address */
static int is_address(const char *text, size_t len)
{
    struct nexthop scratch;

    return parse_address(AF_INET, text, len, &scratch) == 0 ||
           parse_address(AF_INET6, text, len, &scratch) == 0;
}

/* parse_domain - "domain" or "domain:port" */
static int parse_domain(const char *text, size_t len, struct nexthop *out,
                        const char **why)
{
    const char *colon = memchr(text, ':', len);
    size_t nlen = colon ? (size_t)(colon - text) : len;

    if (is_address(text, len) || is_address(text, nlen)) {
        *why = "an address must be written in brackets, e.g. [192.0.2.1]";
        return -1;
    }
    if (text[0] == '.') {
        *why = "a next-hop cannot start with \".\"";
        return -1;
    }
    if (colon != NULL &&
        nexthop_parse_port(colon + 1, len - nlen - 1, &out->port, why) < 0)
        return -1;
    if (nexthop_check_name(text, nlen, why) < 0)
        return -1;
    copy_name(out, text, nlen);
    return 0;
}

/* nexthop_parse - see nexthop.h */
int nexthop_parse(const char *text, size_t len, struct nexthop *out,
                  const char **why)
{
    memset(out, 0, sizeof(*out));
    out->port = SMTP_PORT;
    if (len == 0) {
        *why = "empty next-hop";
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        *why = "NUL character in next-hop";
        return -1;
    }
    if (text[0] == '[')
        return parse_bracketed(text, len, out, why);
    return parse_domain(text, len, out, why);
}
