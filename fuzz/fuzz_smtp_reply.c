/* fuzz_smtp_reply.c - drives smtp_reply_parse() and smtp_ehlo_parse() over
 * hostile server replies; the first input byte picks the line limit so that
 * the limit checks are exercised as well. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smtp_reply_limits lim = { SMTP_REPLY_LINE_MAX_DEFAULT,
                                     SMTP_REPLY_LINES_MAX_DEFAULT };
    struct smtp_reply r;
    struct smtp_ehlo e;
    const char *why = NULL;
    size_t off = 0;

    if (size > 0 && data[0] < 0x20) {
        lim.max_line = (size_t)data[0] * 8 + 1;
        lim.max_lines = (size_t)data[0] + 1;
        data++;
        size--;
    }
    /* consume replies one after the other, as a pipelining client does */
    while (off < size &&
           smtp_reply_parse(data + off, size - off, &lim, &r, &why) == SMTP_REPLY_DONE) {
        if (r.raw_len == 0 || r.raw_len > size - off || strlen(r.text) >= sizeof(r.text))
            __builtin_trap();
        (void)smtp_ehlo_parse(data + off, r.raw_len, &lim, &e, &why);
        off += r.raw_len;
    }
    return 0;
}
