/* nexthop.c - next-hop syntax (nexthop.h) */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "nexthop.h"

/* parse_port - decimal 1..65535, the whole of [p, p+len) */
static int parse_port(const char *p, size_t len, uint16_t *port)
{
    unsigned long v = 0;

    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* valid_hostname - LDH labels of 1..63 octets, no leading or trailing hyphen */
static int valid_hostname(const char *name, size_t len)
{
    size_t label = 0;

    if (len == 0 || len > NEXTHOP_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (c == '.') {
            if (label == 0 || name[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && name[len - 1] != '-';
}

/* copy_name - lower-cased copy without a trailing dot */
static void copy_name(char *dst, const char *src, size_t len)
{
    if (len > 1 && src[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    dst[len] = '\0';
}

/* parse_literal - [192.0.2.1] or [ipv6:2001:db8::1] (RFC 5321 §4.1.3) */
static int parse_literal(const char *p, size_t len, struct nexthop *out)
{
    unsigned char addr[16];
    char buf[NEXTHOP_NAME_MAX + 1];

    if (len > 5 && strncasecmp(p, "ipv6:", 5) == 0) {
        memcpy(buf, p + 5, len - 5);
        buf[len - 5] = '\0';
        if (inet_pton(AF_INET6, buf, addr) != 1)
            return -1;
    } else {
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (inet_pton(AF_INET, buf, addr) != 1)
            return -1;
    }
    copy_name(out->name, buf, strlen(buf));
    out->literal = 1;
    return 0;
}

/* nexthop_parse - parse text; 0, or -1 with *why */
int nexthop_parse(const char *text, struct nexthop *out, const char **why)
{
    size_t len = strlen(text);
    const char *host = text, *colon;
    size_t hostlen;

    memset(out, 0, sizeof(*out));
    out->port = 25;
    if (len == 0 || len > NEXTHOP_NAME_MAX + 16) {
        *why = "next-hop is empty or too long";
        return -1;
    }
    if (text[0] == '[') {
        const char *close = strchr(text, ']');

        if (close == NULL) {
            *why = "next-hop has an unbalanced '['";
            return -1;
        }
        host = text + 1;
        hostlen = (size_t)(close - host);
        out->bracketed = 1;
        if (close[1] == ':') {
            if (parse_port(close + 2, strlen(close + 2), &out->port) != 0) {
                *why = "next-hop port is not a number from 1 to 65535";
                return -1;
            }
        } else if (close[1] != '\0') {
            *why = "next-hop has text after ']'";
            return -1;
        }
    } else {
        colon = strchr(text, ':');
        hostlen = colon ? (size_t)(colon - text) : len;
        if (colon && parse_port(colon + 1, strlen(colon + 1), &out->port) != 0) {
            *why = "next-hop port is not a number from 1 to 65535";
            return -1;
        }
    }
    if (hostlen == 0 || hostlen > NEXTHOP_NAME_MAX) {
        *why = "next-hop name is empty or longer than 253 octets";
        return -1;
    }
    if (out->bracketed && parse_literal(host, hostlen, out) == 0)
        return 0;
    if (!valid_hostname(host, hostlen - (host[hostlen - 1] == '.' && hostlen > 1))) {
        *why = "next-hop is not a valid domain name or address literal";
        return -1;
    }
    copy_name(out->name, host, hostlen);
    return 0;
}
