/* test_tls.c - tls_ctx_new parameters and the forward-secrecy allow list */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "tls.h"

struct suite_case {
    const char *name;
    int want;
};

static const struct suite_case suite_cases[] = {
    { "TLS13-AES256-GCM-SHA384", 1 },
    { "TLS13-CHACHA20-POLY1305-SHA256", 1 },
    { "ECDHE-ECDSA-AES256-GCM-SHA384", 1 },
    { "DHE-RSA-AES128-GCM-SHA256", 1 },
    { "ECDHE-RSA-AES128-SHA", 1 },          /* FS CBC: legacy switch only */
    { "ADH-AES256-GCM-SHA384", 1 },         /* FS, anonymous: level may only */
    { "AES256-GCM-SHA384", 0 },             /* static RSA key exchange */
    { "AES128-SHA", 0 },
    { "ECDHE-RSA-DES-CBC3-SHA", 0 },
    { "ECDHE-RSA-RC4-SHA", 0 },
    { "ECDHE-ECDSA-NULL-SHA", 0 },
    { "ECDHE-ECDSA-AES128-CCM-8", 0 },
    { "ECDHE-RSA-CHACHA20-POLY1305-OLD", 0 },
    { "TLS13-SHA256-SHA256", 0 },           /* integrity only */
    { "TLS13-AES128-CCM-8-SHA256", 0 },
    { "DHE-PSK-AES256-GCM-SHA384", 0 },
    { "ECDHE-PSK-AES128-GCM-SHA256", 0 },
    { "", 0 },
};

ParameterizedTestParameters(tls, forward_secret_allow_list)
{
    static size_t idx[sizeof(suite_cases) / sizeof(suite_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, tls, forward_secret_allow_list)
{
    const struct suite_case *c = &suite_cases[*i];

    cr_assert_eq(tls_suite_is_forward_secret(c->name), c->want, "%s: got %d, want %d",
                 c->name, !c->want, c->want);
}

struct ctx_case {
    const char *name;
    unsigned protocols;
    uint16_t groups[4];
    size_t ngroups;
    int legacy_cbc;
    int anonymous;
    int want_ok;
};

static const struct ctx_case ctx_cases[] = {
    { "tls12_and_tls13", TLS_PROTO_TLS12 | TLS_PROTO_TLS13, { 29, 23, 24, 256 }, 4, 0, 0, 1 },
    { "tls12_only_with_groups", TLS_PROTO_TLS12, { 29, 23 }, 2, 0, 0, 1 },
    { "tls13_only", TLS_PROTO_TLS13, { 29 }, 1, 0, 0, 1 },
    { "default_groups", TLS_PROTO_TLS12 | TLS_PROTO_TLS13, { 0 }, 0, 0, 0, 1 },
    { "legacy_cbc_and_anonymous", TLS_PROTO_TLS12 | TLS_PROTO_TLS13, { 29 }, 1, 1, 1, 1 },
    { "ffdhe_only", TLS_PROTO_TLS12 | TLS_PROTO_TLS13, { 256, 257 }, 2, 0, 0, 1 },
    { "reject_no_protocol", 0, { 29 }, 1, 0, 0, 0 },
    { "reject_unknown_group", TLS_PROTO_TLS12 | TLS_PROTO_TLS13, { 4242 }, 1, 0, 0, 0 },
};

ParameterizedTestParameters(tls, ctx_new)
{
    static size_t idx[sizeof(ctx_cases) / sizeof(ctx_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, tls, ctx_new)
{
    const struct ctx_case *c = &ctx_cases[*i];
    const struct tls_params p = { .protocols = c->protocols, .groups = c->groups,
                                  .ngroups = c->ngroups, .legacy_cbc = c->legacy_cbc,
                                  .anonymous = c->anonymous };
    const char *why = NULL;
    struct tls_ctx *ctx = tls_ctx_new(&p, &why);

    cr_assert_eq(ctx != NULL, c->want_ok, "%s: got %s (%s)", c->name,
                 ctx ? "a context" : "NULL", why ? why : "-");
    if (ctx == NULL)
        cr_assert_not_null(why, "%s: a failure carries a reason", c->name);
    tls_ctx_free(ctx);
    tls_ctx_free(NULL);
}
