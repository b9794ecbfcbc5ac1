/* fuzz_policy.c - drives policy_parse() (and policy_lookup() on what it
 * accepts): any input is either refused with a "NAME:LINE:COL: message"
 * or yields a table whose every entry is complete and within its bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const nexthops[] = {
    "example.com", "a.b.example.com:587", "[mx.example.com]",
    "[mx.example.com]:587", "[192.0.2.1]", "[ipv6:2001:db8::1]:465",
    "EXAMPLE.COM.", "", "[", "x..y",
};

/* check_entry - invariants every resolved entry keeps */
static void check_entry(const struct policy_entry *e)
{
    if (e == NULL || e->key == NULL || e->helo_name == NULL)
        __builtin_trap();
    if (e->protocols == 0 || (e->protocols & ~(POLICY_PROTO_TLS12 |
                                               POLICY_PROTO_TLS13)) != 0)
        __builtin_trap();
    if (e->ncurves == 0 || e->nffdhe_groups == 0 || e->ndane_digests == 0)
        __builtin_trap();
    if (e->delivery_timeout_ms == 0 || e->delivery_timeout_ms >= 1000000)
        __builtin_trap();
    if (e->max_reply_line_length < 512 || e->max_reply_line_length > 4096)
        __builtin_trap();
    if (e->level == POLICY_LEVEL_FINGERPRINT && e->nmatch == 0)
        __builtin_trap();
    for (size_t i = 0; i < e->nmatch; i++)
        if (e->match[i].kind == POLICY_MATCH_DIGEST &&
            e->match[i].digest_len != (e->match[i].digest_mtype == 1 ? 32u : 64u))
            __builtin_trap();
    (void)policy_level_name(e->level);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    struct policy *p = policy_parse("fuzz.yaml", data, size, err, sizeof(err));

    if (p == NULL) {
        if (strncmp(err, "fuzz.yaml:", 10) != 0)
            __builtin_trap();
        return 0;
    }
    check_entry(policy_defaults(p));
    for (size_t i = 0; i < sizeof(nexthops) / sizeof(nexthops[0]); i++)
        check_entry(policy_lookup(p, nexthops[i]));
    (void)policy_dns(p);
    policy_free(p);
    return 0;
}
