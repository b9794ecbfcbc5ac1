/* qmail.c - the qmail-remote(8) result stream (qmail.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmail.h"

/* put_report - letter, text (a NUL in it cannot occur: C strings), a final
 * newline as qmail-remote ends its texts, then the NUL that ends a report */
static void put_report(FILE *f, char letter, const char *text)
{
    size_t len = strlen(text);

    fputc(letter, f);
    fputs(text, f);
    if (len > 0 && text[len - 1] != '\n')
        fputc('\n', f);
    fputc('\0', f);
}

/* message_letter - K when a recipient was accepted, D when every one was
 * refused for good, else Z */
static char message_letter(const struct delivery_rcpt *rcpts, size_t n)
{
    size_t sent = 0, bounced = 0;

    for (size_t i = 0; i < n; i++) {
        sent += rcpts[i].status == DELIVERY_SENT;
        bounced += rcpts[i].status == DELIVERY_BOUNCED;
    }
    if (sent > 0)
        return 'K';
    return n > 0 && bounced == n ? 'D' : 'Z';
}

char *qmail_report(const struct delivery_rcpt *rcpts, size_t n,
                   const char *accepted, const char *reason, size_t *len)
{
    char *buf = NULL, letter = message_letter(rcpts, n);
    FILE *f = open_memstream(&buf, len);

    if (f == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (rcpts[i].status == DELIVERY_SENT)
            put_report(f, 'r', "");
        else
            put_report(f, rcpts[i].status == DELIVERY_BOUNCED ? 'h' : 's',
                       rcpts[i].reason);
    }
    put_report(f, letter, letter == 'K' ? accepted : reason);
    if (ferror(f)) {
        fclose(f);
        free(buf);
        return NULL;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
