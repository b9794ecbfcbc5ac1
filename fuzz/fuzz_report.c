/* fuzz_report.c - Target functions: report_json, report_delivery_line,
 * report_tls_line (and json_string_n beneath them)
 *
 * Input: up to five NUL-separated fields of untrusted text: recipient
 * address, server reply text, reason, Postfix status text, cipher name.
 * Beyond "no crash, no over-read" it checks what a log reader and a JSON
 * parser rely on: log lines hold no control byte and only valid UTF-8; the
 * JSON record is one line, valid UTF-8, without raw control bytes, and every
 * backslash starts a valid RFC 8259 §7 escape.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_clean - every byte printable ASCII or part of valid UTF-8 */
static void check_clean(const unsigned char *p, size_t n)
{
    size_t i = 0, k;

    while (i < n) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            abort();
        k = utf8_len(p + i, n - i);
        if (k == 0)
            abort();
        i += k;
    }
}

/* check_escapes - RFC 8259 §7: \" \\ \/ \b \f \n \r \t \uXXXX only */
static void check_escapes(const char *p, size_t n)
{
    size_t i, k;

    for (i = 0; i < n; i++) {
        if (p[i] != '\\')
            continue;
        if (++i == n)
            abort();
        if (strchr("\"\\/bfnrt", p[i]) != NULL && p[i] != '\0')
            continue;
        if (p[i] != 'u' || n - i < 5)
            abort();
        for (k = 1; k <= 4; k++)
            if (strchr("0123456789abcdef", p[i + k]) == NULL || p[i + k] == '\0')
                abort();
        i += 4;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), *field[5] = {"", "", "", "", ""};
    char line[REPORT_LINE_MAX];
    struct report_rcpt r;
    struct report_attempt a;
    size_t nf = 0, i, len = 0, n;
    const char *why = NULL;
    char *rec;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    field[nf++] = copy;
    for (i = 0; i < size && nf < 5; i++)
        if (copy[i] == '\0')
            field[nf++] = copy + i + 1;

    memset(&a, 0, sizeof(a));
    memset(&r, 0, sizeof(r));
    r.address = field[0];
    r.text = field[1];
    r.code = size > 0 ? 200 + data[0] % 400 : 0;
    r.status = size > 1 && (data[1] & 1) ? field[3] : NULL;
    r.result = (enum report_result)(size > 2 ? data[2] % 3 : 0);
    a.destination = "dane.test";
    a.mx = "mx.dane.test";
    a.address = "127.0.25.10";
    a.port = 25;
    a.connected = 1;
    a.reason = field[2];
    a.tls.version = "TLSv1.3";
    a.tls.cipher = field[4];
    a.tls.server_signature = field[1];
    a.rcpts = &r;
    a.nrcpts = 1;

    n = report_tls_line(&a, line, sizeof(line));
    check_clean((const unsigned char *)line, n);
    n = report_delivery_line(&a, 0, line, sizeof(line));
    check_clean((const unsigned char *)line, n);
    rec = report_json(&a, &len, &why);
    if (rec == NULL)
        abort();                /* the input is far below REPORT_JSON_MAX */
    if (len == 0 || rec[len - 1] != '\n')
        abort();
    check_clean((const unsigned char *)rec, len - 1);
    check_escapes(rec, len - 1);
    free(rec);
    free(copy);
    return 0;
}
