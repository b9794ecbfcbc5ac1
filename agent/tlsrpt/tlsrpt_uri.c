/* tlsrpt_uri.c - rua URIs (RFC 8460 §3) and host names; rules in tlsrpt.h
 *                and tlsrpt_uri.h */
#include "tlsrpt_uri.h"

#include <string.h>

#define LABEL_MAX 63    /* RFC 1035 §2.3.4 */
#define LOCAL_MAX 64    /* RFC 5321 §4.5.3.1.1 */
#define PORT_DIGITS 5

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_alpha(int c)
{
    return lower(c) >= 'a' && lower(c) <= 'z';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (lower(c) >= 'a' && lower(c) <= 'f')
        return lower(c) - 'a' + 10;
    return -1;
}

/* label_ok - s[0..n) is one LDH label */
static int label_ok(const char *s, size_t n)
{
    if (n == 0 || n > LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];

        if (!is_alpha(c) && !is_digit(c) && c != '-')
            return 0;
    }
    return 1;
}

/* all_digits - s[0..n) is digits only */
static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* tlsrpt_host_normal - see tlsrpt_uri.h */
int tlsrpt_host_normal(const char *s, size_t n, int dot_ok,
                       char out[TLSRPT_HOST_MAX + 1])
{
    size_t start = 0;

    if (dot_ok && n > 0 && s[n - 1] == '.')
        n--;                    /* the absolute form */
    if (n == 0 || n > TLSRPT_HOST_MAX)
        return -1;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!label_ok(s + start, i - start))
            return -1;
        if (i == n && all_digits(s + start, i - start))
            return -1;          /* RFC 3696 §2: an address, not a name */
        start = i + 1;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (char)lower((unsigned char)s[i]);
    out[n] = '\0';
    return 0;
}

/* uri_chars_why - why u[0..n) is not the characters of a URI as §3 wants
 * them (RFC 3986 §2, "," "!" ";" percent-encoded); NULL when it is */
static const char *uri_chars_why(const char *u, size_t n)
{
    static const char other[] = "-._~:/?#[]@$&'()*+=%";

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)u[i];

        if (c == '!' || c == ',' || c == ';')
            return "raw \"!\", \",\" or \";\" in rua URI (RFC 8460 §3: "
                   "percent-encoded)";
        if (!is_alpha(c) && !is_digit(c) && (c == '\0' || !strchr(other, c)))
            return "rua URI has a character outside RFC 3986";
        if (c == '%' && (n - i < 3 || hex_value((unsigned char)u[i + 1]) < 0 ||
                         hex_value((unsigned char)u[i + 2]) < 0))
            return "malformed percent-encoding in rua URI";
    }
    return NULL;
}

/* scheme_len - length of the RFC 3986 §3.1 scheme before u's ":", 0 when
 * u has none */
static size_t scheme_len(const char *u, size_t n)
{
    size_t i = 1;

    if (n == 0 || !is_alpha((unsigned char)u[0]))
        return 0;
    while (i < n && (is_alpha((unsigned char)u[i]) || is_digit((unsigned char)u[i])
                     || u[i] == '+' || u[i] == '-' || u[i] == '.'))
        i++;
    return i < n && u[i] == ':' ? i : 0;
}

/* scheme_is - the scheme s[0..n) is name, case-insensitively */
static int scheme_is(const char *s, size_t n, const char *name)
{
    if (n != strlen(name))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != name[i])
            return 0;
    return 1;
}

/* is_atext - RFC 5322 §3.2.3 atext, ASCII only */
static int is_atext(int c)
{
    return is_alpha(c) || is_digit(c) ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* local_why - why s[0..n) is not a dot-atom local part; NULL when it is */
static const char *local_why(const char *s, size_t n)
{
    if (n == 0 || n > LOCAL_MAX)
        return "mailto local part empty or longer than 64 bytes";
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];

        if (c == ',')
            return "comma in mailto address: one address per rua URI";
        if (c <= ' ' || c == 0x7f)
            return "space or control character in mailto address";
        if (c >= 0x80)
            return "mailto address is not ASCII";
        if ((!is_atext(c) && c != '.') ||
            (c == '.' && (i == 0 || i == n - 1 || s[i + 1] == '.')))
            return "mailto local part is not a dot-atom (RFC 5322 §3.2.3)";
    }
    return NULL;
}

/* check_mailbox - one address box[0..len), decoded */
static int check_mailbox(const char *box, size_t len, struct tlsrpt_rua *out,
                         const char **why)
{
    const char *at = memchr(box, '@', len);
    size_t local;

    if (at == NULL) {
        *why = "mailto address without \"@\"";
        return -1;
    }
    local = (size_t)(at - box);
    if ((*why = local_why(box, local)) != NULL)
        return -1;
    if (tlsrpt_host_normal(at + 1, len - local - 1, 0, out->host) < 0) {
        *why = memchr(at + 1, ',', len - local - 1) != NULL
               ? "comma in mailto address: one address per rua URI"
               : "mailto address domain is not a host name";
        return -1;
    }
    memcpy(out->mailbox, box, len);
    out->mailbox[len] = '\0';
    return 0;
}

/* check_mailto - the part p[0..n) after "mailto:" (RFC 6068): the address
 * before "?" or "#", percent-decoded (escapes already checked) */
static int check_mailto(const char *p, size_t n, struct tlsrpt_rua *out,
                        const char **why)
{
    char box[TLSRPT_MAILBOX_MAX];
    size_t to = 0, len = 0;

    while (to < n && p[to] != '?' && p[to] != '#')
        to++;
    if (to == 0) {
        *why = "mailto URI without an address";
        return -1;
    }
    for (size_t i = 0; i < to; i++) {
        int c = (unsigned char)p[i];

        if (c == '%') {
            c = hex_value((unsigned char)p[i + 1]) * 16 +
                hex_value((unsigned char)p[i + 2]);
            i += 2;
        }
        if (len == sizeof(box)) {
            *why = "mailto address longer than 254 bytes";
            return -1;
        }
        box[len++] = (char)c;
    }
    return check_mailbox(box, len, out, why);
}

/* port_ok - p[0..n) is a port number 1-65535 */
static int port_ok(const char *p, size_t n)
{
    unsigned long v = 0;

    if (n == 0 || n > PORT_DIGITS || !all_digits(p, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned long)(p[i] - '0');
    return v >= 1 && v <= 65535;
}

/* check_https - the part p[0..n) after "https:": "//" then an authority
 * with a host name, no user information, an optional port */
static int check_https(const char *p, size_t n, struct tlsrpt_rua *out,
                       const char **why)
{
    size_t end = 2, colon;

    if (n < 2 || p[0] != '/' || p[1] != '/') {
        *why = "https URI without a host (\"https://host/...\")";
        return -1;
    }
    while (end < n && p[end] != '/' && p[end] != '?' && p[end] != '#')
        end++;
    for (colon = 2; colon < end && p[colon] != ':'; colon++)
        ;
    if (memchr(p + 2, '@', end - 2) != NULL)
        *why = "https URI with user information";
    else if (end > 2 && p[2] == '[')
        *why = "https URI host is an address literal, not a name";
    else if (colon < end && !port_ok(p + colon + 1, end - colon - 1))
        *why = "https URI port is not 1-65535";
    else if (tlsrpt_host_normal(p + 2, colon - 2, 0, out->host) < 0)
        *why = colon == 2 ? "https URI without a host (\"https://host/...\")"
                          : "https URI host is not a host name";
    else
        return 0;
    return -1;
}

/* tlsrpt_uri_check - see tlsrpt_uri.h */
int tlsrpt_uri_check(const char *u, size_t n, struct tlsrpt_rua *out,
                     const char **why)
{
    size_t s;
    int rc;

    if (n > TLSRPT_URI_MAX) {
        *why = "rua URI longer than 1024 bytes";
        return -1;
    }
    if ((*why = uri_chars_why(u, n)) != NULL)
        return -1;
    s = scheme_len(u, n);
    out->mailbox[0] = '\0';
    if (s == 0) {
        *why = "rua entry is not a URI (no scheme)";
        return -1;
    }
    if (scheme_is(u, s, "mailto")) {
        out->scheme = TLSRPT_MAILTO;
        rc = check_mailto(u + s + 1, n - s - 1, out, why);
    } else if (scheme_is(u, s, "https")) {
        out->scheme = TLSRPT_HTTPS;
        rc = check_https(u + s + 1, n - s - 1, out, why);
    } else {
        *why = "rua URI scheme is neither mailto nor https (RFC 8460 §3)";
        return -1;
    }
    if (rc < 0)
        return -1;
    memcpy(out->uri, u, n);
    out->uri[n] = '\0';
    return 0;
}
