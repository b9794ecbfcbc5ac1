/* header.c - one top-level header field, found in a stream (header.h)
 *
 * SYNOPSIS
 *   header_scan_init(h, field), header_scan_feed(h, p, n),
 *   header_scan_is(h, value)
 *
 * DESCRIPTION
 *   A byte at a time: a line start decides between a continuation (space
 *   or tab: the current field goes on), the end of the header (an empty
 *   line) and a new field, whose name is compared as it arrives. Line ends
 *   are those body.c sends: CRLF, a lone LF and a lone CR each end a line
 *   (a CR waits for the next byte, which may be in the next chunk), so the
 *   header scanned is the header the server receives; unfolding keeps the
 *   folding white space and drops only the line break (RFC 5322 §2.2.3).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "header.h"

void header_scan_init(struct header_scan *h, const char *field)
{
    memset(h, 0, sizeof(*h));
    for (; field[h->field_len] != '\0' && h->field_len < HEADER_NAME_MAX - 1; h->field_len++)
        h->field[h->field_len] = (char)tolower((unsigned char)field[h->field_len]);
    h->at_line_start = 1;
}

/* keep - one byte of the wanted field's body */
static void keep(struct header_scan *h, uint8_t c)
{
    if (h->value_len >= HEADER_VALUE_MAX) {
        h->too_long = 1;
        return;
    }
    h->value[h->value_len++] = (char)c;
}

/* line_start - the first byte of a line: 1 when it was consumed */
static int line_start(struct header_scan *h, uint8_t c)
{
    h->at_line_start = 0;
    if (c == ' ' || c == '\t') {    /* folded: the same field goes on */
        if (h->in_wanted)
            keep(h, c);
        return 1;
    }
    h->in_wanted = 0;               /* a new field; only the first counts */
    h->in_name = 1;
    h->matching = !h->found;
    h->name_len = 0;
    return 0;
}

/* name_byte - one byte of a field name */
static void name_byte(struct header_scan *h, uint8_t c)
{
    if (c == ':') {
        h->in_name = 0;
        if (h->matching && h->name_len == h->field_len) {
            h->in_wanted = 1;
            h->found = 1;
        }
        return;
    }
    if (h->name_len >= h->field_len || tolower(c) != (unsigned char)h->field[h->name_len])
        h->matching = 0;
    h->name_len++;
}

/* line_end - a line ends; an empty line ends the header */
static void line_end(struct header_scan *h)
{
    h->done = h->at_line_start;
    h->at_line_start = 1;
    h->in_name = 0;
}

void header_scan_feed(struct header_scan *h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && !h->done; i++) {
        uint8_t c = p[i];

        if (h->pending_cr) {        /* CRLF, or a lone CR: a line end */
            h->pending_cr = 0;
            line_end(h);
            if (c == '\n' || h->done)
                continue;
        }
        if (c == '\r') {
            h->pending_cr = 1;
            continue;
        }
        if (c == '\n') {
            line_end(h);
            continue;
        }
        if (h->at_line_start && line_start(h, c))
            continue;
        if (h->in_name)
            name_byte(h, c);
        else if (h->in_wanted)
            keep(h, c);
    }
}

int header_scan_is(const struct header_scan *h, const char *value)
{
    size_t start = 0, end = h->value_len, len = strlen(value);

    if (!h->found || h->too_long)
        return 0;
    while (start < end && (h->value[start] == ' ' || h->value[start] == '\t'))
        start++;
    while (end > start && (h->value[end - 1] == ' ' || h->value[end - 1] == '\t'))
        end--;
    return end - start == len && strncasecmp(h->value + start, value, len) == 0;
}
