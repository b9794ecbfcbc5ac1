/* fuzz_tlsrpt_txt.c - drives the TLSRPT TXT record parser over hostile
 * text: the input as one record (tlsrpt_txt_parse) and, split at newlines,
 * as an RRset (tlsrpt_txt_select). Every rejection carries a reason; an
 * accepted record keeps its bounds, each URI it kept has the form its
 * scheme demands, and the kept URIs written back as a record parse to the
 * same list. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RRSET_MAX 16

/* check_why - a rejection names its reason */
static void check_why(const char *why)
{
    if (why == NULL || why[0] == '\0')
        __builtin_trap();
}

/* check_host - a kept host: 1..253 bytes of lower-case LDH and dots */
static void check_host(const char *host)
{
    size_t n = strnlen(host, TLSRPT_HOST_MAX + 1);

    if (n == 0 || n > TLSRPT_HOST_MAX || host[0] == '.' || host[n - 1] == '.')
        __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= '0' && host[i] <= '9') ||
              host[i] == '-' || host[i] == '.'))
            __builtin_trap();
}

/* check_rua - one kept URI has the form of its scheme */
static void check_rua(const struct tlsrpt_rua *r)
{
    size_t n = strnlen(r->uri, TLSRPT_URI_MAX + 1);
    size_t m = strnlen(r->mailbox, TLSRPT_MAILBOX_MAX + 1);

    if (n == 0 || n > TLSRPT_URI_MAX || m > TLSRPT_MAILBOX_MAX ||
        strpbrk(r->uri, ",;! \t") != NULL)
        __builtin_trap();
    check_host(r->host);
    if (r->scheme == TLSRPT_MAILTO) {
        const char *at = strchr(r->mailbox, '@');

        if (strncasecmp(r->uri, "mailto:", 7) != 0 || at == NULL ||
            strchr(at + 1, '@') != NULL || strcasecmp(at + 1, r->host) != 0 ||
            strpbrk(r->mailbox, ", \r\n\t\"<>") != NULL)
            __builtin_trap();
    } else if (r->scheme != TLSRPT_HTTPS || m != 0 ||
               strncasecmp(r->uri, "https://", 8) != 0 ||
               memchr(r->uri + 8, '@', strcspn(r->uri + 8, "/?#")) != NULL) {
        __builtin_trap();           /* no user information */
    }
}

/* check_again - the kept URIs, written back as one record, parse to the
 * same list */
static void check_again(const struct tlsrpt_txt *t)
{
    static char text[TLSRPT_RUA_MAX * (TLSRPT_URI_MAX + 1) + 32];
    static struct tlsrpt_txt again;
    const char *why = NULL;
    size_t len = (size_t)snprintf(text, sizeof(text), "v=TLSRPTv1; rua=");

    for (size_t i = 0; i < t->nrua; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
                                i ? "," : "", t->rua[i].uri);
    if (tlsrpt_txt_parse(text, len, &again, &why) != 0 ||
        again.nrua != t->nrua || again.nignored != 0)
        __builtin_trap();
    for (size_t i = 0; i < t->nrua; i++)
        if (again.rua[i].scheme != t->rua[i].scheme ||
            strcmp(again.rua[i].uri, t->rua[i].uri) != 0 ||
            strcmp(again.rua[i].mailbox, t->rua[i].mailbox) != 0 ||
            strcmp(again.rua[i].host, t->rua[i].host) != 0)
            __builtin_trap();
}

/* check_txt - an accepted record keeps its bounds */
static void check_txt(const struct tlsrpt_txt *t)
{
    if (t->nrua == 0 || t->nrua > TLSRPT_RUA_MAX ||
        (t->nignored == 0) != (t->ignored_why == NULL))
        __builtin_trap();
    for (size_t i = 0; i < t->nrua; i++)
        check_rua(&t->rua[i]);
    check_again(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tlsrpt_txt txt;
    struct tlsrpt_txt_record rrset[RRSET_MAX];
    const char *text = (const char *)data, *why = NULL;
    size_t n = 0, pos = 0;

    if (tlsrpt_txt_parse(text, size, &txt, &why) == 0)
        check_txt(&txt);
    else
        check_why(why);
    while (pos < size && n < RRSET_MAX) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (text + pos)) : size - pos;

        rrset[n].text = text + pos;
        rrset[n++].len = len;
        pos += len + 1;
    }
    why = NULL;
    if (tlsrpt_txt_select(rrset, n, &txt, &why) == TLSRPT_TXT_FOUND)
        check_txt(&txt);
    else
        check_why(why);
    return 0;
}
