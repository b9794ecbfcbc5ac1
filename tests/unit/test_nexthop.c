/* test_nexthop.c - next-hop syntax (policy/nexthop.h) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "nexthop.h"

/* Criterion runs each case in a re-executed child (PIE): parameters hold
 * arrays, never pointers into this process. */
struct nexthop_case {
    char text[64];
    int ok;
    char name[64];
    unsigned port;
    int bracketed;
    int literal;
};

ParameterizedTestParameters(nexthop, table)
{
    static struct nexthop_case cases[] = {
        {"example.com", 1, "example.com", 25, 0, 0},
        {"Example.COM.", 1, "example.com", 25, 0, 0},
        {"example.com:587", 1, "example.com", 587, 0, 0},
        {"[mx.example.com]", 1, "mx.example.com", 25, 1, 0},
        {"[mx.example.com]:2525", 1, "mx.example.com", 2525, 1, 0},
        {"[192.0.2.1]", 1, "192.0.2.1", 25, 1, 1},
        {"[ipv6:2001:db8::1]:25", 1, "2001:db8::1", 25, 1, 1},
        {"_25._tcp.example", 1, "_25._tcp.example", 25, 0, 0},
        {"", 0, "", 0, 0, 0},
        {"[mx.example.com", 0, "", 0, 0, 0},
        {"[mx.example.com]x", 0, "", 0, 0, 0},
        {"example.com:0", 0, "", 0, 0, 0},
        {"example.com:65536", 0, "", 0, 0, 0},
        {"example.com:", 0, "", 0, 0, 0},
        {"example..com", 0, "", 0, 0, 0},
        {"-example.com", 0, "", 0, 0, 0},
        {"example-.com", 0, "", 0, 0, 0},
        {"exa mple.com", 0, "", 0, 0, 0},
        {"example.com\r\nRCPT", 0, "", 0, 0, 0},
        {"[ipv6:not-an-address]", 0, "", 0, 0, 0},
        {".", 0, "", 0, 0, 0},
        /* RFC 5321 §4.1.3: the IPv6 tag in any case (RFC 5234 §2.3),
         * addresses in inet_ntop()'s form */
        {"[IPV6:2001:DB8:0::1]", 1, "2001:db8::1", 25, 1, 1},
        {"[Ipv6:2001:db8::1]:587", 1, "2001:db8::1", 587, 1, 1},
        {"[ipv6:192.0.2.1]", 0, "", 0, 0, 0},
        {"[ipv6:]", 0, "", 0, 0, 0},
        /* an untagged IPv6 address in brackets, as Postfix accepts */
        {"[2001:db8::1]:587", 1, "2001:db8::1", 587, 1, 1},
        /* an address is never a domain: brackets required */
        {"192.0.2.1", 0, "", 0, 0, 0},
        {"192.0.2.1:587", 0, "", 0, 0, 0},
        {"2001:db8::1", 0, "", 0, 0, 0},
        {".example.com", 0, "", 0, 0, 0},
        {"[]", 0, "", 0, 0, 0},
        {"[mx.example.com]:", 0, "", 0, 0, 0},
        {"b\xc3\xbc" "cher.example", 0, "", 0, 0, 0},
    };
    return cr_make_param_array(struct nexthop_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct nexthop_case *c, nexthop, table)
{
    struct nexthop got;
    const char *why = NULL;
    int rc = nexthop_parse(c->text, strlen(c->text), &got, &why);

    cr_assert_eq(rc == 0, c->ok, "%s: got rc %d (%s), want ok=%d", c->text, rc,
                 why ? why : "", c->ok);
    if (!c->ok) {
        cr_assert_not_null(why);
        return;
    }
    cr_assert_str_eq(got.name, c->name);
    cr_assert_eq(got.port, c->port);
    cr_assert_eq(got.bracketed, c->bracketed);
    cr_assert_eq(got.literal, c->literal);
}

Test(nexthop, label_of_64_octets_rejected)
{
    char text[80];
    struct nexthop got;
    const char *why = NULL;

    memset(text, 'a', 64);
    memcpy(text + 64, ".example", 9);
    cr_assert_eq(nexthop_parse(text, strlen(text), &got, &why), -1);
}

Test(nexthop, unbracketed_address_says_why)
{
    struct nexthop got;
    const char *why = NULL;

    cr_assert_eq(nexthop_parse("192.0.2.1", 9, &got, &why), -1);
    cr_assert_not_null(strstr(why, "in brackets"), "%s", why);
}

/* RFC 1035 §2.3.4: 253 octets of name; the trailing dot is not counted */
Test(nexthop, name_of_253_octets_with_trailing_dot)
{
    char text[NEXTHOP_NAME_MAX + 3];
    struct nexthop got;
    const char *why = NULL;

    memset(text, 'a', NEXTHOP_NAME_MAX);
    for (size_t i = 63; i < NEXTHOP_NAME_MAX; i += 64)
        text[i] = '.';
    memcpy(text + NEXTHOP_NAME_MAX, ".", 2);
    cr_assert_eq(nexthop_parse(text, strlen(text), &got, &why), 0, "%s", why);
    cr_assert_eq(strlen(got.name), NEXTHOP_NAME_MAX);
    memcpy(text + NEXTHOP_NAME_MAX, "a", 2);
    cr_assert_eq(nexthop_parse(text, strlen(text), &got, &why), -1);
}

/* The length is the caller's: a NUL inside it is refused, not a terminator */
Test(nexthop, nul_inside_length_rejected)
{
    static const char text[] = "[192.0.2.1\0]";
    struct nexthop got;
    const char *why = NULL;

    cr_assert_eq(nexthop_parse(text, sizeof(text) - 1, &got, &why), -1);
    cr_assert_not_null(why);
}
