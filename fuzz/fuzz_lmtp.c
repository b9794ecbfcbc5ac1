/* fuzz_lmtp.c - drives the LMTP server engine over hostile client input;
 * the first byte picks the chunk size the input is fed in and whether the
 * results of a transaction are reported, so that framing across feeds,
 * back-pressure and the reply ordering are exercised as well. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_begin(void *ctx, const struct lmtp_envelope *env)
{
    (void)env;
    *(size_t *)ctx = 0;     /* the body of this transaction */
}

/* the sink never sees more than size_max octets of one message (256 here) */
static void on_body(void *ctx, const char *p, size_t n)
{
    (void)p;
    *(size_t *)ctx += n;
    if (*(size_t *)ctx > 256)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t body = 0, off = 0, chunk, olen, i, stall = 0;
    struct lmtp_limits lim = { LMTP_LINE_MAX_MIN, 3, 256 };
    struct lmtp_events ev = { &body, on_begin, on_body, NULL };
    struct lmtp_session *s;
    const char *out;
    char text[LMTP_TEXT_MAX + 8];
    uint8_t mode;

    if (size == 0)
        return 0;
    mode = data[0];
    /* the result text: the input itself, control characters and all */
    memcpy(text, data, size < sizeof(text) - 1 ? size : sizeof(text) - 1);
    text[size < sizeof(text) - 1 ? size : sizeof(text) - 1] = '\0';
    chunk = (size_t)(mode & 0x3f) + 1;
    s = lmtp_session_new("fuzz.test", &lim, &ev);
    if (s == NULL)
        return 0;
    for (data++, size--; off < size && !lmtp_session_closed(s) && stall < 2; ) {
        size_t used = lmtp_session_feed(s, data + off, size - off < chunk ? size - off : chunk);

        off += used;
        stall = used == 0 ? stall + 1 : 0;
        if (lmtp_session_awaiting(s) && (mode & 0x40) == 0)
            break;
        for (i = 0; lmtp_session_awaiting(s) && i < lim.rcpt_max; i++)
            lmtp_session_result(s, lim.rcpt_max - 1 - i, 250 + (int)i * 100, i ? "4.0.0" : "2.0.0",
                                text);
        out = lmtp_session_output(s, &olen);
        if (olen > 0 && (memchr(out, '\0', olen) != NULL || out[olen - 1] != '\n'))
            __builtin_trap();
        lmtp_session_written(s, olen);
    }
    lmtp_session_eof(s);
    lmtp_session_free(s);
    return 0;
}
