/* test_header.c - one top-level header field found in a stream
 * (agent/smtp/header.h), as RFC 8689 §5's TLS-Required: No is: case, white
 * space and folding (RFC 5322 §2.2.3), the header's end at the first empty
 * line, line ends as body.c sends them (a lone CR is one), the first
 * occurrence only, any chunking of the input.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "header.h"

struct header_case {
    char name[48];
    char message[256];
    int want;               /* header_scan_is(h, "No") */
};

ParameterizedTestParameters(header, tls_required_no)
{
    static struct header_case cases[] = {
        {"plain", "From: a@b\r\nTLS-Required: No\r\n\r\nbody\r\n", 1},
        {"lower_case_and_lf", "tls-required:no\nfrom: a@b\n\nbody\n", 1},
        {"white_space", "TLS-Required: \t No \t\r\n\r\n", 1},
        {"folded", "TLS-Required:\r\n No\r\n\r\n", 1},
        {"value_case", "TLS-Required: NO\r\n\r\n", 1},
        {"header_only", "TLS-Required: No", 1},
        {"yes_is_not_no", "TLS-Required: Yes\r\n\r\n", 0},
        {"no_with_more", "TLS-Required: No thanks\r\n\r\n", 0},
        {"in_the_body", "From: a@b\r\n\r\nTLS-Required: No\r\n", 0},
        {"longer_name", "TLS-Required-X: No\r\n\r\n", 0},
        {"shorter_name", "TLS-Require: No\r\n\r\n", 0},
        {"name_with_space_before_colon", "TLS-Required : No\r\n\r\n", 0},
        {"continuation_of_another_field", "Subject: x\r\n TLS-Required: No\r\n\r\n", 0},
        {"first_occurrence_counts", "TLS-Required: Yes\r\nTLS-Required: No\r\n\r\n", 0},
        /* a lone CR ends a line, as body.c sends it (CRLF) */
        {"lone_cr_then_field_is_in_the_body", "From: a@b\n\rTLS-Required: No\n\n", 0},
        {"cr_cr_lf_is_an_empty_line", "From: a@b\r\r\nTLS-Required: No\r\n\r\n", 0},
        {"lone_cr_splits_the_value", "TLS-Required: N\ro\r\n\r\n", 0},
        {"lone_cr_line_ends", "From: a@b\rTLS-Required: No\r\r", 1},
        {"absent", "From: a@b\r\n\r\n", 0},
        {"empty_message", "", 0},
    };

    return cr_make_param_array(struct header_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct header_case *c, header, tls_required_no)
{
    size_t len = strlen(c->message);

    /* whole, then byte by byte: the answer never depends on the chunks */
    const size_t steps[2] = {len > 0 ? len : 1, 1};

    for (size_t k = 0; k < 2; k++) {
        struct header_scan h;

        header_scan_init(&h, "TLS-Required");
        for (size_t off = 0; off < len; off += steps[k])
            header_scan_feed(&h, (const uint8_t *)c->message + off,
                             off + steps[k] <= len ? steps[k] : len - off);
        cr_assert_eq(header_scan_is(&h, "No"), c->want, "%s (chunks of %zu)", c->name,
                     steps[k]);
    }
}

Test(header, overlong_value_never_matches)
{
    struct header_scan h;
    char msg[400];

    snprintf(msg, sizeof(msg), "TLS-Required: No%*s\r\n\r\n", 200, "x");
    header_scan_init(&h, "TLS-Required");
    header_scan_feed(&h, (const uint8_t *)msg, strlen(msg));
    cr_assert_eq(header_scan_is(&h, "No"), 0);
    cr_assert(h.too_long);
}
