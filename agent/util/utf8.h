/* utf8.h - strict UTF-8 (RFC 3629 §4): one sequence at a time
 *
 * The one UTF-8 check in the program: envelope addresses (SMTPUTF8), JSON
 * strings, log lines and the policy file all accept exactly what
 * utf8_decode() accepts. Strict means no overlong form, no surrogate
 * (U+D800..U+DFFF), nothing above U+10FFFF and no sequence cut short by the
 * end of the input; an ASCII byte is a sequence of one.
 */
#ifndef DANE_AGENT_UTF8_H
#define DANE_AGENT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* utf8_decode - length (1..4) of the valid sequence that starts p[0..n), and
 * its code point in *cp when cp is not NULL; 0 when there is none */
size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);

/* utf8_len - utf8_decode() without the code point */
size_t utf8_len(const uint8_t *p, size_t n);

#endif
