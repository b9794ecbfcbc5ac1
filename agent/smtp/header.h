/* header.h - one field of a message's top-level header, found while the
 *            message streams by: for TLS-Required (RFC 8689 §5)
 *
 * The header section is the lines before the first empty line (RFC 5322
 * §2.1); a field is a name, a colon and a body that continues on lines
 * starting with a space or tab (folding, §2.2.3). Names compare
 * case-insensitively. The first occurrence of the field counts; its body is
 * kept unfolded and trimmed, at most HEADER_VALUE_MAX bytes (a longer body
 * is marked too long and never matches). Bytes may arrive in any chunks.
 * A lone LF and a lone CR end a line as CRLF does, because body.h sends
 * each of them as CRLF: a field after "\n\r" is in the body as sent, and
 * is not found. A message without an empty line has only a header.
 *
 * Ownership: struct header_scan is the caller's, with no pointers out.
 */
#ifndef DANE_AGENT_HEADER_H
#define DANE_AGENT_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define HEADER_NAME_MAX 64
#define HEADER_VALUE_MAX 64

struct header_scan {
    char field[HEADER_NAME_MAX];    /* the name looked for, lower case */
    size_t field_len;
    int done;                       /* the header section has ended */
    int at_line_start;
    int pending_cr;                 /* a CR whose line end is pending */
    int in_name;                    /* reading a field name */
    int matching;                   /* the name so far matches field */
    size_t name_len;
    int in_wanted;                  /* in the body of the first wanted field */
    int found;                      /* the wanted field has been seen */
    int too_long;                   /* its body was over HEADER_VALUE_MAX */
    size_t value_len;
    char value[HEADER_VALUE_MAX + 1];
};

/* header_scan_init - look for field (e.g. "TLS-Required") */
void header_scan_init(struct header_scan *h, const char *field);

/* header_scan_feed - the next n bytes of the message */
void header_scan_feed(struct header_scan *h, const uint8_t *p, size_t n);

/* header_scan_is - 1 when the field was found and its trimmed, unfolded
 * body equals value case-insensitively */
int header_scan_is(const struct header_scan *h, const char *value);

#endif
