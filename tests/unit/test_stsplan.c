/* test_stsplan.c - what stsplan_find() does once it knows the TXT record and
 * the cache (agent/plan/stsplan.h, stsplan_step): nothing without either, a
 * fetch when nothing is cached or the TXT id changed (RFC 8461 §3.1), the
 * cached policy while it is fresh or when the TXT record vanished (§3.1),
 * and a refresh under the same id once it is a day or half its max_age old
 * (§3.3). The fetch itself needs the DNS and HTTPS testbeds:
 * tests/integration/mta_sts.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts.h"
#include "sts_cache.h"
#include "stsplan.h"

#define T0 ((time_t)1700000000)
#define DAY 86400
#define ID "20160831085700Z"

/* cached_of - an unexpired entry fetched at T0 under ID with max_age; the
 * caller frees it */
static struct sts_cached *cached_of(const char *max_age)
{
    struct sts_cached *c = calloc(1, sizeof *c);
    const char *why = NULL;
    int n;

    cr_assert_not_null(c);
    strcpy(c->domain, "example.com");
    strcpy(c->id, ID);
    c->fetched = T0;
    n = snprintf((char *)c->text, sizeof c->text,
                 "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: %s\n", max_age);
    c->len = (size_t)n;
    cr_assert_eq(sts_policy_parse(c->text, c->len, &c->policy, &why), 0, "%s", why);
    c->expires = T0 + (time_t)c->policy.max_age;
    return c;
}

Test(stsplan_step, nothing_published_nothing_cached_is_no_policy)
{
    cr_expect_eq(stsplan_step(0, NULL, NULL, T0), STSPLAN_STEP_NONE);
}

Test(stsplan_step, rfc8461_s3_3_published_nothing_cached_fetches)
{
    cr_expect_eq(stsplan_step(1, ID, NULL, T0), STSPLAN_STEP_FETCH);
}

Test(stsplan_step, rfc8461_s3_1_new_id_fetches_at_once)
{
    struct sts_cached *c = cached_of("604800");

    cr_expect_eq(stsplan_step(1, "20160901000000Z", c, T0 + 1), STSPLAN_STEP_FETCH);
    cr_expect_eq(stsplan_step(1, "20160901000000Z", c, T0 + 2 * DAY), STSPLAN_STEP_FETCH,
                 "a new id is a fetch, not a refresh, when due too");
    free(c);
}

Test(stsplan_step, same_id_fresh_uses_the_cache)
{
    struct sts_cached *c = cached_of("604800");

    cr_expect_eq(stsplan_step(1, ID, c, T0), STSPLAN_STEP_CACHED);
    cr_expect_eq(stsplan_step(1, ID, c, T0 + DAY - 1), STSPLAN_STEP_CACHED);
    free(c);
}

Test(stsplan_step, rfc8461_s3_3_same_id_refreshed_after_a_day)
{
    struct sts_cached *c = cached_of("604800");

    cr_expect_eq(stsplan_step(1, ID, c, T0 + DAY), STSPLAN_STEP_REFRESH);
    cr_expect_eq(stsplan_step(1, ID, c, c->expires - 1), STSPLAN_STEP_REFRESH);
    free(c);
}

Test(stsplan_step, rfc8461_s3_3_short_policy_refreshed_after_half_its_max_age)
{
    struct sts_cached *c = cached_of("3600");

    cr_expect_eq(stsplan_step(1, ID, c, T0 + 1799), STSPLAN_STEP_CACHED);
    cr_expect_eq(stsplan_step(1, ID, c, T0 + 1800), STSPLAN_STEP_REFRESH);
    free(c);
}

Test(stsplan_step, rfc8461_s3_1_vanished_txt_keeps_the_cached_policy_unrefreshed)
{
    struct sts_cached *c = cached_of("604800");

    cr_expect_eq(stsplan_step(0, NULL, c, T0 + 1), STSPLAN_STEP_CACHED);
    cr_expect_eq(stsplan_step(0, NULL, c, T0 + 2 * DAY), STSPLAN_STEP_CACHED,
                 "no refresh without a TXT id to keep it under");
    free(c);
}
