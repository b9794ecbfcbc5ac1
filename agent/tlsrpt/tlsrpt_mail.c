/* tlsrpt_mail.c - a report as gzip and as the RFC 8460 §5.3 message a
 *                 mailto: rua is sent (tlsrpt.h) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "tlsrpt.h"

#define B64_LINE 57u            /* input bytes of one 76-column line */
#define BOUNDARY_MAX 80u

unsigned char *tlsrpt_gzip(const char *in, size_t len, size_t *outlen,
                           const char **why)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip wrapper (RFC 1952), not zlib's own */
    if (len > TLSRPT_REPORT_MAX
        || deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        *why = "gzip: report too large or zlib init failed";
        return NULL;
    }
    uLong cap = deflateBound(&z, (uLong)len);
    unsigned char *out = malloc(cap);
    if (out == NULL) {
        deflateEnd(&z);
        *why = "gzip: out of memory";
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outlen = (size_t)z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        *why = "gzip: deflate failed";
        return NULL;
    }
    return out;
}

/* visible - s is 1..998 bytes of visible ASCII (RFC 5322 §2.2, §2.1.1),
 * none of them in the string bad */
static int visible(const char *s, const char *bad)
{
    size_t n = s == NULL ? 0 : strlen(s);
    if (n == 0 || n > 998)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || strchr(bad, s[i]) != NULL)
            return 0;
    return 1;
}

/* addr_like - local@domain: visible, one "@", neither side empty */
static int addr_like(const char *s)
{
    if (!visible(s, "<>!\\\"(),:;[]"))
        return 0;
    const char *at = strchr(s, '@');
    return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

/* check - every header value of m, or the reason */
static const char *check(const struct tlsrpt_mail *m)
{
    if (!visible(m->report_domain, "<>!\\\"@"))
        return "mail: report domain is not a plain host name";
    if (!visible(m->submitter, "<>!\\\"@"))
        return "mail: submitter is not a plain host name";
    if (!addr_like(m->from))
        return "mail: from address is not local@domain";
    if (!addr_like(m->to))
        return "mail: rua mailbox is not local@domain";
    if (!addr_like(m->report_id))
        return "mail: report-id is not local@domain";
    return NULL;
}

/* date - t as an RFC 5322 §3.3 date-time in UTC, locale-free */
static void date(time_t t, char *buf, size_t size)
{
    static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
                                        "Fri", "Sat" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof tm);
    snprintf(buf, size, "%s, %02d %s %d %02d:%02d:%02d +0000",
             wday[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* base64 - gz[0..n) in RFC 2045 §6.8 base64, 76-column lines ending in LF */
static void base64(FILE *f, const unsigned char *gz, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t line = 0; line < n; line += B64_LINE) {
        size_t end = line + B64_LINE < n ? line + B64_LINE : n;
        for (size_t i = line; i < end; i += 3) {
            uint32_t v = (uint32_t)gz[i] << 16;
            if (i + 1 < end)
                v |= (uint32_t)gz[i + 1] << 8;
            if (i + 2 < end)
                v |= gz[i + 2];
            char q[4] = { abc[v >> 18], abc[(v >> 12) & 63],
                          i + 1 < end ? abc[(v >> 6) & 63] : '=',
                          i + 2 < end ? abc[v & 63] : '=' };
            fwrite(q, 1, 4, f);
        }
        fputc('\n', f);
    }
}

/* headers - the message's header and the preamble, §5.3 */
static void headers(FILE *f, const struct tlsrpt_mail *m, const char *boundary)
{
    char when[64];
    date(m->now, when, sizeof when);
    fprintf(f, "From: %s\nTo: %s\nDate: %s\nMessage-ID: <%s>\n",
            m->from, m->to, when, m->report_id);
    fprintf(f, "Subject: Report Domain: %s\n Submitter: %s\n Report-ID: <%s>\n",
            m->report_domain, m->submitter, m->report_id);
    fprintf(f, "TLS-Report-Domain: %s\nTLS-Report-Submitter: %s\n",
            m->report_domain, m->submitter);
    fprintf(f, "TLS-Required: No\nMIME-Version: 1.0\n");
    fprintf(f, "Content-Type: multipart/report; report-type=\"tlsrpt\";\n"
               " boundary=\"%s\"\n\nThis is a MIME-formatted message.\n\n",
            boundary);
}

/* parts - the human-readable part and the report (§5.3, §5.1 name) */
static void parts(FILE *f, const struct tlsrpt_mail *m, const char *boundary,
                  const unsigned char *gz, size_t gzlen)
{
    fprintf(f, "--%s\nContent-Type: text/plain; charset=us-ascii\n\n"
               "This is an aggregate TLS report (RFC 8460) from %s\n"
               "about %s.\n\n",
            boundary, m->submitter, m->report_domain);
    fprintf(f, "--%s\nContent-Type: application/tlsrpt+gzip\n"
               "Content-Transfer-Encoding: base64\n"
               "Content-Disposition: attachment;\n"
               " filename=\"%s!%s!%lld!%lld!%s.json.gz\"\n\n",
            boundary, m->submitter, m->report_domain, (long long)m->begin,
            (long long)m->end, m->report_id);
    base64(f, gz, gzlen);
    fprintf(f, "\n--%s--\n", boundary);
}

char *tlsrpt_mail(const struct tlsrpt_mail *m, const unsigned char *gz,
                  size_t gzlen, size_t *len, const char **why)
{
    const char *bad = check(m);
    if (bad != NULL) {
        *why = bad;
        return NULL;
    }
    /* base64 never holds "_" or "=_": the boundary cannot occur inside */
    char boundary[BOUNDARY_MAX];
    snprintf(boundary, sizeof boundary, "=_tlsrpt_%lld_%lld",
             (long long)m->begin, (long long)m->now);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f == NULL) {
        *why = "mail: out of memory";
        return NULL;
    }
    headers(f, m, boundary);
    parts(f, m, boundary, gz, gzlen);
    if (ferror(f) != 0 || fclose(f) != 0) {
        free(buf);
        *why = "mail: out of memory";
        return NULL;
    }
    *len = n;
    return buf;
}
