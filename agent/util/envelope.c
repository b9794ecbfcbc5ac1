/* envelope.c - envelope address checks (see envelope.h) */
#include "envelope.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"

/* check_bytes - no byte that could end or split an SMTP command line */
static int check_bytes(const uint8_t *p, size_t len, const char **why)
{
    size_t i = 0;

    while (i < len) {
        if (p[i] == '\r' || p[i] == '\n') {
            *why = "address contains a line break";
            return -1;
        }
        if (p[i] == '\0') {
            *why = "address contains a NUL byte";
            return -1;
        }
        if (p[i] == ' ' || p[i] == '\t') {
            *why = "address contains white space";
            return -1;
        }
        if (p[i] < 0x20 || p[i] == 0x7f) {
            *why = "address contains a control character";
            return -1;
        }
        if (p[i] == '<' || p[i] == '>') {
            *why = "address has unbalanced angle brackets";
            return -1;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_len(p + i, len - i);
        if (n == 0) {
            *why = "address is not valid UTF-8";
            return -1;
        }
        i += n;
    }
    return 0;
}

/* check_parts - "local@domain" with RFC 5321 §4.5.3.1 lengths */
static int check_parts(const char *a, size_t len, const char **why)
{
    const char *at = NULL;

    for (size_t i = 0; i < len; i++)
        if (a[i] == '@')
            at = a + i;     /* the last '@': a quoted local part may hold one */
    if (at == NULL || at == a || at == a + len - 1) {
        *why = "address is not of the form local-part@domain";
        return -1;
    }
    if ((size_t)(at - a) > ENVELOPE_LOCAL_MAX) {
        *why = "address local part longer than 64 octets";
        return -1;
    }
    if ((size_t)(a + len - at - 1) > ENVELOPE_DOMAIN_MAX) {
        *why = "address domain longer than 255 octets";
        return -1;
    }
    return 0;
}

int envelope_check(const char *addr, size_t len, enum envelope_role role,
                   const char **inner, size_t *inner_len, const char **why)
{
    if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
        addr++;
        len -= 2;
    }
    if (len + 2 > ENVELOPE_PATH_MAX) {
        *why = "address longer than 254 octets";
        return -1;
    }
    if (check_bytes((const uint8_t *)addr, len, why) != 0)
        return -1;
    if (len == 0 && role == ENVELOPE_RECIPIENT) {
        *why = "empty recipient address";
        return -1;
    }
    if (len > 0 && check_parts(addr, len, why) != 0)
        return -1;
    *inner = addr;
    *inner_len = len;
    return 0;
}

int envelope_needs_smtputf8(const char *addr, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)addr[i] & 0x80)
            return 1;
    return 0;
}
