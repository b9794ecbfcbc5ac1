/* test_sts_cache.c - MTA-STS policies shared between processes
 * (agent/sts/sts_cache.h): the entry encoding and its total decoder (every
 * truncation, each bound), and the cache in a scratch directory: round
 * trip, expiry at fetch time + max_age (RFC 8461 §3.2, §5.1) and the
 * max_age cap, mode none kept (§5), refresh on a new TXT id (§3.1) and
 * after a day or half the max_age (§3.3), a refresh storing the new fetch
 * time and max_age, a failed refresh held back five minutes per id (§3.3),
 * invalid input refused without touching the kept entry, damaged entries
 * are misses with a warning, domains compared without case and never
 * colliding, unusable directories */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_store.h"
#include "hex.h"
#include "sts.h"
#include "sts_cache.h"
#include "test_helpers.h"

#define T0 ((time_t)1700000000)
#define WEEK 604800
#define DAY 86400
#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static const char enforce_text[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\n"
    "max_age: 604800\r\n";
static const char none_text[] = "version: STSv1\nmode: none\nmax_age: 86400\n";
static const char long_text[] =     /* max_age above §3.2's maximum: capped */
    "version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 9999999999\n";

/* ---- helpers ---- */

/* new_cached - a cleared entry on the heap (it is large) */
static struct sts_cached *new_cached(void)
{
    struct sts_cached *c = calloc(1, sizeof *c);

    cr_assert_not_null(c);
    return c;
}

/* fill - c as the entry of example.com fetched at T0 with text */
static void fill(struct sts_cached *c, const char *text)
{
    const char *why = NULL;

    memset(c, 0, sizeof *c);
    strcpy(c->domain, "example.com");
    strcpy(c->id, "20160831085700Z");
    c->fetched = T0;
    c->len = strlen(text);
    memcpy(c->text, text, c->len);
    cr_assert_eq(sts_policy_parse(c->text, c->len, &c->policy, &why), 0, "%s", why);
    c->expires = T0 + (time_t)c->policy.max_age;
}

/* encoded - c's encoding into buf (STS_CACHE_MAX_ENTRY bytes) */
static size_t encoded(const struct sts_cached *c, uint8_t *buf)
{
    size_t len = sts_cache_encode(c, buf, STS_CACHE_MAX_ENTRY);

    cr_assert_gt(len, 0);
    return len;
}

/* expect_rejected - buf[0..len) does not decode, with want_why when given,
 * and out is left cleared */
static void expect_rejected(const uint8_t *buf, size_t len, const char *rule,
                            const char *want_why)
{
    struct sts_cached *got = new_cached();
    const char *why = NULL;

    memset(got, 0x5a, sizeof *got);
    cr_expect_eq(sts_cache_decode(buf, len, got, &why), -1, "%s: accepted", rule);
    cr_expect_not_null(why, "%s: no reason", rule);
    if (want_why != NULL && why != NULL)
        cr_expect_str_eq(why, want_why, "%s: why %s", rule, why);
    cr_expect(got->domain[0] == '\0' && got->id[0] == '\0' && got->len == 0 &&
              got->fetched == 0 && got->expires == 0, "%s: out not cleared", rule);
    free(got);
}

/* ---- encoding ---- */

Test(sts_cache, encode_decode_round_trip_and_layout)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached(), *got = new_cached();
    const char *why = NULL;
    size_t len;

    fill(c, enforce_text);
    len = encoded(c, buf);
    cr_expect_eq(len, 1 + 8 + 8 + 1 + 11 + 1 + 15 + 4 + strlen(enforce_text));
    cr_expect_eq(buf[0], 1, "version byte");
    cr_expect_eq(buf[17], 11, "domain length after the two times");
    cr_assert_eq(sts_cache_decode(buf, len, got, &why), 0, "%s", why);
    cr_expect_str_eq(got->domain, "example.com");
    cr_expect_str_eq(got->id, "20160831085700Z");
    cr_expect_eq(got->fetched, T0);
    cr_expect_eq(got->expires, T0 + WEEK);
    cr_expect_eq(got->len, strlen(enforce_text));
    cr_expect_eq(memcmp(got->text, enforce_text, got->len), 0);
    cr_expect_eq(got->policy.mode, STS_MODE_ENFORCE);
    cr_expect_eq(got->policy.nmx, 2);
    cr_expect_str_eq(got->policy.mx[1], "*.example.net");
    free(c);
    free(got);
}

Test(sts_cache, encode_refuses_fields_out_of_bounds)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached();

    fill(c, enforce_text);
    cr_expect_eq(sts_cache_encode(c, buf, 40), 0, "does not fit");
    c->len = 0;
    cr_expect_eq(sts_cache_encode(c, buf, sizeof buf), 0, "empty policy");
    fill(c, enforce_text);
    c->id[0] = '\0';
    cr_expect_eq(sts_cache_encode(c, buf, sizeof buf), 0, "no id");
    fill(c, enforce_text);
    c->fetched = -1;
    cr_expect_eq(sts_cache_encode(c, buf, sizeof buf), 0, "negative time");
    free(c);
}

Test(sts_cache, decode_rejects_every_truncation)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached();
    char rule[64];
    size_t len;

    fill(c, none_text);
    len = encoded(c, buf);
    for (size_t cut = 0; cut < len; cut++) {
        snprintf(rule, sizeof rule, "cut at %zu of %zu", cut, len);
        expect_rejected(buf, cut, rule, "MTA-STS cache entry: truncated");
    }
    free(c);
}

/* Offsets in the encoding of fill(none_text): 0 version, 1-8 fetched, 9-16
 * expires, 17 domain length, 18-28 "example.com", 29 id length, 30-44 id,
 * 45-48 policy length, 49- text. */
#define OFF_FETCHED 1
#define OFF_EXPIRES 9
#define OFF_DOMAIN 18
#define OFF_DLEN 17
#define OFF_ILEN 29
#define OFF_ID 30
#define OFF_PLEN 45
#define OFF_TEXT 49

enum change { SET_BYTE, SET_BE64, SET_BE32, APPEND };

struct reject_case {
    const char *rule;
    enum change how;
    size_t off;
    uint64_t value;
    const char *want_why;
};

static const struct reject_case reject_cases[] = {
    { "unknown_version", SET_BYTE, 0, 2, "MTA-STS cache entry: unknown encoding version" },
    { "trailing_byte", APPEND, 0, 0, "MTA-STS cache entry: trailing bytes" },
    { "fetched_after_year_9999", SET_BE64, OFF_FETCHED, 253402300800u,
      "MTA-STS cache entry: times out of range" },
    { "fetched_negative_as_time_t", SET_BE64, OFF_FETCHED, 0x8000000000000000u,
      "MTA-STS cache entry: times out of range" },
    { "expires_before_fetched", SET_BE64, OFF_EXPIRES, (uint64_t)T0 - 1,
      "MTA-STS cache entry: times out of range" },
    { "expires_beyond_the_max_age_cap", SET_BE64, OFF_EXPIRES, (uint64_t)T0 + 31557601,
      "MTA-STS cache entry: times out of range" },
    { "rfc8461_s3_2_expires_not_fetched_plus_max_age", SET_BE64, OFF_EXPIRES,
      (uint64_t)T0 + 86401, "MTA-STS cache entry: expiry is not fetch time plus max_age" },
    { "domain_upper_case", SET_BYTE, OFF_DOMAIN, 'E',
      "MTA-STS cache entry: domain not a host name in normal form" },
    { "domain_trailing_dot", SET_BYTE, OFF_DOMAIN + 10, '.',
      "MTA-STS cache entry: domain not a host name in normal form" },
    { "domain_nul", SET_BYTE, OFF_DOMAIN + 3, 0,
      "MTA-STS cache entry: domain not a host name in normal form" },
    { "domain_empty", SET_BYTE, OFF_DLEN, 0, NULL },
    { "rfc8461_s3_1_id_hyphen", SET_BYTE, OFF_ID + 2, '-',
      "MTA-STS cache entry: id is not 1 to 32 letters or digits" },
    { "rfc8461_s3_1_id_empty", SET_BYTE, OFF_ILEN, 0, NULL },
    { "policy_empty", SET_BE32, OFF_PLEN, 0, "MTA-STS cache entry: policy empty or too large" },
    { "policy_over_64_KiB", SET_BE32, OFF_PLEN, STS_POLICY_MAX + 1,
      "MTA-STS cache entry: policy empty or too large" },
    { "policy_length_beyond_the_entry", SET_BE32, OFF_PLEN, 0xffffffffu, NULL },
    { "rfc8461_s3_2_policy_version_unknown", SET_BYTE, OFF_TEXT + 13, '2',
      "MTA-STS cache entry: policy does not parse" },
};

ParameterizedTestParameters(sts_cache, decode_rejects)
{
    static size_t idx[NCASES(reject_cases)];

    for (size_t i = 0; i < NCASES(reject_cases); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES(reject_cases));
}

ParameterizedTest(size_t *i, sts_cache, decode_rejects)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY + 1];
    const struct reject_case *x = &reject_cases[*i];
    struct sts_cached *c = new_cached();
    size_t len;

    fill(c, none_text);
    len = encoded(c, buf);
    cr_assert_eq(len, OFF_TEXT + strlen(none_text), "the layout changed");
    switch (x->how) {
    case SET_BYTE: buf[x->off] = (uint8_t)x->value; break;
    case SET_BE64: test_put_be(buf + x->off, x->value, 8); break;
    case SET_BE32: test_put_be(buf + x->off, x->value, 4); break;
    case APPEND: buf[len++] = 0; break;
    }
    expect_rejected(buf, len, x->rule, x->want_why);
    free(c);
}

Test(sts_cache, decode_every_byte_flip_rejected_or_canonical)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY], again[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached(), *got = new_cached();
    const char *why = NULL;
    size_t len;

    fill(c, enforce_text);
    len = encoded(c, buf);
    for (size_t i = 0; i < len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            if (sts_cache_decode(buf, len, got, &why) == 0)
                cr_expect(sts_cache_encode(got, again, sizeof again) == len &&
                          memcmp(again, buf, len) == 0,
                          "byte %zu bit %u: accepted but not canonical", i, bit);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(c);
    free(got);
}

/* ---- the fuzz seeds (fuzz/corpus/sts_cache/): checked, not trusted ---- */

static const char *const seeds_valid[] = {
    "valid_enforce_week", "valid_none_withdrawn", "valid_testing_max_age_capped",
    "valid_mixed_fields_unterminated", "valid_long_domain_id32",
};
static const struct {
    const char *name, *why;
} seeds_bad[] = {
    { "bad_version", "MTA-STS cache entry: unknown encoding version" },
    { "bad_expiry_not_max_age", "MTA-STS cache entry: expiry is not fetch time plus max_age" },
    { "bad_domain_upper_case", "MTA-STS cache entry: domain not a host name in normal form" },
    { "bad_policy_no_mx", "MTA-STS cache entry: policy does not parse" },
    { "bad_trailing_byte", "MTA-STS cache entry: trailing bytes" },
    { "bad_truncated", "MTA-STS cache entry: truncated" },
};

/* read_seed - the seed file name into buf; its length */
static size_t read_seed(const char *name, uint8_t *buf, size_t cap)
{
    char path[512];

    snprintf(path, sizeof path, "%s/fuzz/corpus/sts_cache/%s", DANE_TEST_SRCDIR, name);
    return test_read_file(path, buf, cap);
}

Test(sts_cache, fuzz_seeds_decode_as_named)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY + 1], again[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached();
    const char *why = NULL;
    size_t len;

    for (size_t i = 0; i < NCASES(seeds_valid); i++) {
        len = read_seed(seeds_valid[i], buf, sizeof buf);
        cr_expect_eq(sts_cache_decode(buf, len, c, &why), 0, "%s: %s", seeds_valid[i], why);
        cr_expect(sts_cache_encode(c, again, sizeof again) == len &&
                  memcmp(again, buf, len) == 0, "%s: not canonical", seeds_valid[i]);
    }
    for (size_t i = 0; i < NCASES(seeds_bad); i++) {
        len = read_seed(seeds_bad[i].name, buf, sizeof buf);
        expect_rejected(buf, len, seeds_bad[i].name, seeds_bad[i].why);
    }
    fill(c, enforce_text);
    len = read_seed("valid_enforce_week", buf, sizeof buf);
    cr_expect(sts_cache_encode(c, again, sizeof again) == len && memcmp(again, buf, len) == 0,
              "valid_enforce_week is this encoder's entry of enforce_text");
    free(c);
}

/* ---- refresh: a new id (§3.1), or a day or half the max_age old (§3.3) ---- */

Test(sts_cache, rfc8461_s3_1_another_txt_id_needs_refresh)
{
    struct sts_cached *c = new_cached();

    fill(c, enforce_text);
    cr_expect_eq(sts_cache_needs_refresh(c, "20160831085700Z", T0 + 1), 0, "same id");
    cr_expect_eq(sts_cache_needs_refresh(c, NULL, T0 + 1), 0, "no TXT record: time only");
    cr_expect_eq(sts_cache_needs_refresh(c, "20160831085701Z", T0 + 1), 1, "another id");
    cr_expect_eq(sts_cache_needs_refresh(c, "20160831085700z", T0 + 1), 1,
                 "ids compare exactly, case included");
    free(c);
}

struct due_case {
    const char *rule;
    const char *max_age;
    time_t after;       /* seconds after the fetch the refresh is due */
};

static const struct due_case due_cases[] = {
    { "one_week_after_a_day", "604800", 86400 },
    { "two_days_after_a_day", "172800", 86400 },
    { "a_day_after_half", "86400", 43200 },
    { "one_hour_after_half", "3600", 1800 },
    { "one_year_after_a_day", "31557600", 86400 },
    { "above_the_cap_after_a_day", "9999999999", 86400 },
    { "one_second_at_once", "1", 0 },
    { "zero_at_once", "0", 0 },
};

ParameterizedTestParameters(sts_cache, rfc8461_s3_3_refresh_due)
{
    static size_t idx[NCASES(due_cases)];

    for (size_t i = 0; i < NCASES(due_cases); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES(due_cases));
}

ParameterizedTest(size_t *i, sts_cache, rfc8461_s3_3_refresh_due)
{
    const struct due_case *x = &due_cases[*i];
    struct sts_cached *c = new_cached();
    char text[128];
    time_t due = T0 + x->after;

    snprintf(text, sizeof text, "version: STSv1\nmode: enforce\nmx: mx.example.com\n"
             "max_age: %s\n", x->max_age);
    fill(c, text);
    cr_expect_eq(sts_cache_refresh_at(c), due, "%s: due at %lld", x->rule,
                 (long long)sts_cache_refresh_at(c));
    if (x->after > 0) {
        cr_expect_eq(sts_cache_needs_refresh(c, c->id, due - 1), 0, "%s: before", x->rule);
        cr_expect_eq(sts_cache_needs_refresh(c, NULL, due - 1), 0, "%s: no TXT", x->rule);
        cr_expect_eq(sts_cache_needs_refresh(c, c->id, T0 - 60), 0, "%s: clock back", x->rule);
    }
    cr_expect_eq(sts_cache_needs_refresh(c, c->id, due), 1, "%s: due", x->rule);
    cr_expect_eq(sts_cache_needs_refresh(c, NULL, due), 1, "%s: due, no TXT", x->rule);
    cr_expect_eq(sts_cache_needs_refresh(c, c->id, c->expires), 1, "%s: expired", x->rule);
    free(c);
}

/* ---- the cache in a scratch directory ---- */

static char scratch[64];
static char dir[96];

static void setup(void)
{
    test_tmpdir(scratch, sizeof scratch, "test_sts_cache");
    snprintf(dir, sizeof dir, "%s/cache", scratch);
}

static void teardown(void)
{
    test_rm_tree(scratch);
}

TestSuite(sts_cache_dir, .init = setup, .fini = teardown);

/* put_ok - keep text for domain under id, fetched at t */
static void put_ok(const char *domain, const char *id, const char *text, time_t t)
{
    const char *why = NULL;

    cr_assert_eq(sts_cache_put(dir, domain, id, (const uint8_t *)text, strlen(text), t, &why),
                 0, "put %s: %s", domain, why ? why : "");
}

/* get - the status of domain at t, *why into *why_out (may be NULL) */
static enum sts_cache_status get(const char *domain, time_t t, struct sts_cached *out,
                                 const char **why_out)
{
    static const char unset[] = "(not reset)";
    const char *why = unset;    /* sts_cache_get() sets it, NULL or a reason */
    enum sts_cache_status st = sts_cache_get(dir, domain, t, out, &why);

    if (why_out != NULL)
        *why_out = why;
    return st;
}

/* entries - how many entry files the directory holds; the last one's path
 * into path (may be NULL) */
static size_t entries(char *path, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != 2 * CACHE_STORE_KEY_LEN)
            continue;
        n++;
        if (path != NULL)
            snprintf(path, size, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    return n;
}

Test(sts_cache_dir, round_trip)
{
    struct sts_cached *c = new_cached();
    const char *why;

    cr_expect_eq(get("example.com", T0, c, &why), STS_CACHE_MISSING);
    cr_expect_null(why, "a plain miss is no warning");
    put_ok("example.com", "20160831085700Z", enforce_text, T0);
    cr_assert_eq(get("example.com", T0 + 1, c, &why), STS_CACHE_FOUND, "%s", why);
    cr_expect_null(why);
    cr_expect_str_eq(c->domain, "example.com");
    cr_expect_str_eq(c->id, "20160831085700Z");
    cr_expect_eq(c->fetched, T0);
    cr_expect_eq(c->expires, T0 + WEEK);
    cr_expect_eq(c->len, strlen(enforce_text));
    cr_expect_eq(memcmp(c->text, enforce_text, c->len), 0, "the text as fetched");
    cr_expect_eq(c->policy.mode, STS_MODE_ENFORCE);
    cr_expect_eq(c->policy.nmx, 2);
    cr_expect_str_eq(c->policy.mx[0], "mx1.example.com");
    cr_expect_eq(entries(NULL, 0), 1);
    free(c);
}

Test(sts_cache_dir, rfc8461_s3_2_expires_at_fetched_plus_max_age)
{
    struct sts_cached *c = new_cached();
    const char *why;

    put_ok("example.com", "abc", enforce_text, T0);
    cr_expect_eq(get("example.com", T0 + WEEK - 1, c, &why), STS_CACHE_FOUND);
    cr_expect_eq(get("example.com", T0 + WEEK, c, &why), STS_CACHE_EXPIRED,
                 "expired from fetched + max_age on");
    cr_expect_null(why);
    cr_expect_str_eq(c->id, "abc", "an expired entry is still read back, to be reported");
    cr_expect_eq(c->policy.mode, STS_MODE_ENFORCE);
    cr_expect_eq(get("example.com", T0 + WEEK + STS_CACHE_KEEP_EXPIRED - 1, c, &why),
                 STS_CACHE_EXPIRED, "kept STS_CACHE_KEEP_EXPIRED seconds more");
    cr_expect_eq(get("example.com", T0 + WEEK + STS_CACHE_KEEP_EXPIRED, c, &why),
                 STS_CACHE_MISSING, "then gone");
    cr_expect_null(why, "an old entry's removal is no warning");
    cr_expect_eq(c->len, 0, "out cleared on a miss");
    cr_expect_eq(entries(NULL, 0), 0);
    free(c);
}

Test(sts_cache_dir, rfc8461_s3_2_max_age_capped)
{
    struct sts_cached *c = new_cached();

    put_ok("example.org", "abc", long_text, T0);
    cr_assert_eq(get("example.org", T0, c, NULL), STS_CACHE_FOUND);
    cr_expect_eq(c->policy.max_age, STS_MAX_AGE_MAX);
    cr_expect_eq(c->expires, T0 + STS_MAX_AGE_MAX);
    cr_expect_eq(c->len, strlen(long_text), "the text is kept as fetched, uncapped");
    cr_expect_eq(get("example.org", T0 + STS_MAX_AGE_MAX - 1, c, NULL), STS_CACHE_FOUND);
    cr_expect_eq(get("example.org", T0 + STS_MAX_AGE_MAX, c, NULL), STS_CACHE_EXPIRED);
    free(c);
}

Test(sts_cache_dir, rfc8461_s5_mode_none_kept)
{
    struct sts_cached *c = new_cached();

    put_ok("example.com", "withdrawn1", none_text, T0);
    cr_assert_eq(get("example.com", T0 + 5, c, NULL), STS_CACHE_FOUND);
    cr_expect_eq(c->policy.mode, STS_MODE_NONE);
    cr_expect_eq(c->policy.nmx, 0);
    cr_expect_str_eq(c->id, "withdrawn1");
    free(c);
}

Test(sts_cache_dir, rfc8461_s3_3_refresh_stores_the_new_fetch_time_and_max_age)
{
    static const char two_weeks[] =
        "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 1209600\n";
    struct sts_cached *c = new_cached();

    put_ok("example.com", "same1", enforce_text, T0);
    cr_assert_eq(get("example.com", T0 + DAY, c, NULL), STS_CACHE_FOUND);
    cr_expect_eq(sts_cache_needs_refresh(c, "same1", T0 + DAY), 1, "a day old: due");
    put_ok("example.com", "same1", two_weeks, T0 + DAY);
    cr_assert_eq(get("example.com", T0 + DAY + 1, c, NULL), STS_CACHE_FOUND);
    cr_expect_eq(c->fetched, T0 + DAY);
    cr_expect_eq(c->expires, T0 + DAY + 2 * WEEK, "max_age of the last fetch, from then");
    cr_expect_eq(sts_cache_needs_refresh(c, "same1", T0 + DAY + 1), 0, "fresh again");
    cr_expect_eq(sts_cache_refresh_at(c), T0 + 2 * DAY);
    free(c);
}

Test(sts_cache_dir, rfc8461_s3_3_failed_refresh_held_five_minutes_per_id)
{
    struct sts_cached *c = new_cached();
    const char *why = NULL;

    put_ok("example.com", "id1", enforce_text, T0);
    cr_expect_eq(sts_cache_refresh_held(dir, "example.com", "id1", T0 + DAY), 0, "none yet");
    cr_assert_eq(sts_cache_refresh_failed(dir, "example.com", "id1", T0 + DAY, &why), 0,
                 "%s", why);
    cr_expect_eq(sts_cache_refresh_held(dir, "example.com", "id1", T0 + DAY), 1);
    cr_expect_eq(sts_cache_refresh_held(dir, "Example.COM.", "id1", T0 + DAY + 1), 1,
                 "the domain in any case");
    cr_expect_eq(sts_cache_refresh_held(dir, "example.com", "id1",
                                        T0 + DAY + STS_CACHE_RETRY_AFTER - 1), 1);
    cr_expect_eq(sts_cache_refresh_held(dir, "example.com", "id1",
                                        T0 + DAY + STS_CACHE_RETRY_AFTER), 0, "then retried");
    cr_expect_eq(sts_cache_refresh_held(dir, "example.com", "id2", T0 + DAY), 0,
                 "per id: a new id is fetched at once");
    cr_expect_eq(sts_cache_refresh_held(dir, "example.org", "id1", T0 + DAY), 0,
                 "per domain");
    cr_assert_eq(get("example.com", T0 + DAY, c, NULL), STS_CACHE_FOUND,
                 "the policy entry is untouched");
    cr_expect_eq(c->fetched, T0);
    cr_expect_eq(c->expires, T0 + WEEK);
    free(c);
}

Test(sts_cache_dir, failed_refresh_refuses_bad_input)
{
    const char *why = NULL;

    cr_expect_eq(sts_cache_refresh_failed(dir, "exa mple.com", "id1", T0, &why), -1);
    cr_expect_not_null(why);
    why = NULL;
    cr_expect_eq(sts_cache_refresh_failed(dir, "example.com", "id-1", T0, &why), -1);
    cr_expect_not_null(why);
    cr_expect_eq(sts_cache_refresh_failed(dir, "example.com", NULL, T0, &why), -1);
    cr_expect_eq(sts_cache_refresh_held(dir, "example.com", NULL, T0), 0);
    cr_expect_eq(sts_cache_refresh_held("/nonexistent/dane-agent", "example.com", "id1", T0), 0,
                 "an unusable directory holds nothing back");
}

Test(sts_cache_dir, put_replaces_the_entry)
{
    struct sts_cached *c = new_cached();

    put_ok("example.com", "old", enforce_text, T0);
    put_ok("example.com", "new", none_text, T0 + 100);
    cr_assert_eq(get("example.com", T0 + 101, c, NULL), STS_CACHE_FOUND);
    cr_expect_str_eq(c->id, "new");
    cr_expect_eq(c->fetched, T0 + 100);
    cr_expect_eq(c->policy.mode, STS_MODE_NONE);
    cr_expect_eq(entries(NULL, 0), 1);
    free(c);
}

struct refused_case {
    const char *rule;
    const char *domain, *id;
    const char *text;
    size_t len;         /* 0: strlen(text) */
    time_t fetched;
    const char *want_why;   /* NULL: the parser's reason */
};

static const struct refused_case refused_cases[] = {
    { "rfc8461_s3_2_no_max_age", "example.com", "new",
      "version: STSv1\nmode: enforce\nmx: mx.example.com\n", 0, T0 + 10, NULL },
    { "rfc8461_s3_2_unknown_mode", "example.com", "new",
      "version: STSv1\nmode: report\nmx: mx.example.com\nmax_age: 86400\n", 0, T0 + 10, NULL },
    { "rfc8461_s3_2_enforce_without_mx", "example.com", "new",
      "version: STSv1\nmode: enforce\nmax_age: 86400\n", 0, T0 + 10, NULL },
    { "policy_with_nul", "example.com", "new", "version: STSv1\nmode: none\0\nmax_age: 1\n",
      40, T0 + 10, NULL },
    { "empty_policy", "example.com", "new", "", 0, T0 + 10, NULL },
    { "rfc8461_s3_1_id_with_hyphen", "example.com", "new-1", none_text, 0, T0 + 10,
      "MTA-STS cache: the policy id is not 1 to 32 letters or digits" },
    { "rfc8461_s3_1_id_empty", "example.com", "", none_text, 0, T0 + 10,
      "MTA-STS cache: the policy id is not 1 to 32 letters or digits" },
    { "rfc8461_s3_1_id_33_chars", "example.com", "abcdefghijklmnopqrstuvwxyz0123456",
      none_text, 0, T0 + 10, "MTA-STS cache: the policy id is not 1 to 32 letters or digits" },
    { "negative_fetch_time", "example.com", "new", none_text, 0, -1,
      "MTA-STS cache: fetch time out of range" },
    { "domain_empty_label", "example..com", "new", none_text, 0, T0 + 10,
      "MTA-STS cache: not a valid domain name" },
    { "domain_underscore", "_mta-sts.example.com", "new", none_text, 0, T0 + 10,
      "MTA-STS cache: not a valid domain name" },
};

ParameterizedTestParameters(sts_cache_dir, invalid_put_refused_and_old_entry_kept)
{
    static size_t idx[NCASES(refused_cases)];

    for (size_t i = 0; i < NCASES(refused_cases); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES(refused_cases));
}

ParameterizedTest(size_t *i, sts_cache_dir, invalid_put_refused_and_old_entry_kept)
{
    const struct refused_case *x = &refused_cases[*i];
    struct sts_cached *c = new_cached();
    size_t len = x->len ? x->len : strlen(x->text);
    const char *why = NULL;

    put_ok("example.com", "old", enforce_text, T0);
    cr_expect_eq(sts_cache_put(dir, x->domain, x->id, (const uint8_t *)x->text, len,
                               x->fetched, &why), -1, "%s: stored", x->rule);
    cr_expect_not_null(why, "%s: no reason", x->rule);
    if (x->want_why != NULL && why != NULL)
        cr_expect_str_eq(why, x->want_why, "%s", x->rule);
    cr_assert_eq(get("example.com", T0 + 20, c, NULL), STS_CACHE_FOUND,
                 "%s: the kept policy is still there", x->rule);
    cr_expect_str_eq(c->id, "old", "%s", x->rule);
    cr_expect_eq(entries(NULL, 0), 1, "%s", x->rule);
    free(c);
}

Test(sts_cache_dir, get_refuses_an_invalid_domain)
{
    struct sts_cached *c = new_cached();
    const char *why;

    cr_expect_eq(get("", T0, c, &why), STS_CACHE_ERROR);
    cr_expect_str_eq(why, "MTA-STS cache: not a valid domain name");
    cr_expect_eq(get("a b.example", T0, c, &why), STS_CACHE_ERROR);
    cr_expect_eq(get(NULL, T0, c, &why), STS_CACHE_ERROR);
    free(c);
}

Test(sts_cache_dir, domain_case_and_trailing_dot_ignored)
{
    struct sts_cached *c = new_cached();

    put_ok("Example.COM.", "abc", enforce_text, T0);
    cr_assert_eq(get("example.com", T0 + 1, c, NULL), STS_CACHE_FOUND);
    cr_expect_str_eq(c->domain, "example.com", "kept in normal form");
    cr_expect_eq(get("EXAMPLE.com.", T0 + 1, c, NULL), STS_CACHE_FOUND);
    put_ok("example.com", "def", none_text, T0 + 2);
    cr_expect_eq(entries(NULL, 0), 1, "one entry for every spelling");
    cr_expect_eq(get("eXample.Com", T0 + 3, c, NULL), STS_CACHE_FOUND);
    cr_expect_str_eq(c->id, "def");
    free(c);
}

Test(sts_cache_dir, two_domains_do_not_collide)
{
    struct sts_cached *c = new_cached();

    put_ok("example.com", "first", enforce_text, T0);
    put_ok("example.co", "second", none_text, T0);
    put_ok("mail.example.com", "third", long_text, T0);
    cr_expect_eq(entries(NULL, 0), 3);
    cr_assert_eq(get("example.com", T0 + 1, c, NULL), STS_CACHE_FOUND);
    cr_expect_str_eq(c->id, "first");
    cr_assert_eq(get("example.co", T0 + 1, c, NULL), STS_CACHE_FOUND);
    cr_expect_str_eq(c->id, "second");
    cr_assert_eq(get("mail.example.com", T0 + 1, c, NULL), STS_CACHE_FOUND);
    cr_expect_str_eq(c->id, "third");
    cr_expect_eq(get("example.net", T0 + 1, c, NULL), STS_CACHE_MISSING);
    free(c);
}

/* ---- damaged entries: a miss with a warning, removed, never a crash ---- */

static const char store_warning[] = "MTA-STS cache entry damaged or not ours (removed)";

/* expect_warned_miss - example.com's entry (damaged) is a miss with want_why,
 * and removed */
static void expect_warned_miss(const char *rule, const char *want_why)
{
    struct sts_cached *c = new_cached();
    const char *why;

    cr_expect_eq(get("example.com", T0 + 1, c, &why), STS_CACHE_MISSING, "%s", rule);
    cr_expect_str_eq(why != NULL ? why : "(none)", want_why, "%s", rule);
    cr_expect_eq(c->len, 0, "%s: out cleared", rule);
    cr_expect_eq(entries(NULL, 0), 0, "%s: removed", rule);
    free(c);
}

Test(sts_cache_dir, every_byte_of_the_file_damaged_is_a_warned_miss)
{
    static uint8_t raw[CACHE_STORE_HEADER_LEN + STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached();
    char path[256], rule[64];
    size_t n;

    put_ok("example.com", "abc", enforce_text, T0);
    cr_assert_eq(entries(path, sizeof path), 1);
    n = test_read_file(path, raw, sizeof raw);
    for (size_t i = 0; i < n; i++) {
        raw[i] ^= 0x20;
        test_write_file(path, raw, n);
        snprintf(rule, sizeof rule, "byte %zu of %zu", i, n);
        expect_warned_miss(rule, store_warning);
        raw[i] ^= 0x20;
    }
    for (size_t cut = 0; cut < n; cut += 7) {
        test_write_file(path, raw, cut);
        snprintf(rule, sizeof rule, "cut at %zu of %zu", cut, n);
        expect_warned_miss(rule, store_warning);
    }
    test_write_file(path, raw, n);
    cr_expect_eq(get("example.com", T0 + 1, c, NULL), STS_CACHE_FOUND,
                 "the undamaged bytes still read");
    free(c);
}

/* store_raw - payload filed by the store under example.com's key, found
 * from the name of the entry a put made */
static void store_raw(const uint8_t *payload, size_t len)
{
    static const struct cache_store_kind kind = {
        .magic = "DANEST01", .what = "MTA-STS cache",
        .max_lifetime = STS_MAX_AGE_MAX + STS_CACHE_KEEP_EXPIRED,
        .max_size = STS_CACHE_MAX_ENTRY,
    };
    uint8_t key[CACHE_STORE_KEY_LEN];
    const char *why = NULL, *name;
    char path[256];
    struct cache_store *s;

    put_ok("example.com", "abc", enforce_text, T0);
    cr_assert_eq(entries(path, sizeof path), 1);
    name = strrchr(path, '/') + 1;
    for (size_t i = 0; i < CACHE_STORE_KEY_LEN; i++)
        key[i] = (uint8_t)(hex_value(name[2 * i]) << 4 | hex_value(name[2 * i + 1]));
    s = cache_store_open(dir, &kind, &why);
    cr_assert_not_null(s, "%s", why);
    cr_assert_eq(cache_store_put(s, key, T0, WEEK, payload, len, &why), 0, "%s", why);
    cache_store_close(s);
}

Test(sts_cache_dir, entry_the_decoder_refuses_is_a_warned_miss)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached();
    size_t len;

    fill(c, enforce_text);
    len = encoded(c, buf);
    buf[0] = 2;     /* a later encoding version, intact in the store */
    store_raw(buf, len);
    expect_warned_miss("unknown version", "MTA-STS cache entry: unknown encoding version");
    free(c);
}

Test(sts_cache_dir, entry_of_another_domain_is_a_warned_miss)
{
    static uint8_t buf[STS_CACHE_MAX_ENTRY];
    struct sts_cached *c = new_cached();
    size_t len;

    fill(c, enforce_text);
    strcpy(c->domain, "example.net");
    len = encoded(c, buf);
    store_raw(buf, len);
    expect_warned_miss("another domain", "MTA-STS cache entry for another domain (removed)");
    free(c);
}

/* ---- the directory ---- */

Test(sts_cache_dir, missing_directory_created_0700)
{
    struct stat st;

    put_ok("example.com", "abc", enforce_text, T0);
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0700);
}

/* expect_unusable - get and put both fail with want_why */
static void expect_unusable(const char *where, const char *rule, const char *want_why)
{
    struct sts_cached *c = new_cached();
    const char *why = NULL;

    cr_expect_eq(sts_cache_get(where, "example.com", T0, c, &why), STS_CACHE_ERROR, "%s", rule);
    cr_expect_str_eq(why != NULL ? why : "(none)", want_why, "%s: get", rule);
    why = NULL;
    cr_expect_eq(sts_cache_put(where, "example.com", "abc", (const uint8_t *)enforce_text,
                               strlen(enforce_text), T0, &why), -1, "%s", rule);
    cr_expect_str_eq(why != NULL ? why : "(none)", want_why, "%s: put", rule);
    free(c);
}

Test(sts_cache_dir, writable_by_group_or_others_is_an_error)
{
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chmod(dir, 0770), 0);
    expect_unusable(dir, "group",
                    "MTA-STS cache directory is writable by group or others (want mode 0700)");
    cr_assert_eq(chmod(dir, 0707), 0);
    expect_unusable(dir, "others",
                    "MTA-STS cache directory is writable by group or others (want mode 0700)");
}

Test(sts_cache_dir, another_owner_is_an_error)
{
    if (geteuid() != 0)
        cr_skip_test("needs root to give the directory away");
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chown(dir, 65534, 65534), 0);     /* nobody */
    expect_unusable(dir, "owner",
                    "MTA-STS cache directory is not owned by the user dane-agent runs as");
}

Test(sts_cache_dir, symlink_or_file_or_nothing_is_an_error)
{
    char link[160], file[160];

    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(link, sizeof link, "%s/link", scratch);
    cr_assert_eq(symlink(dir, link), 0);
    expect_unusable(link, "symlink", "MTA-STS cache is not a directory (or is a symbolic link)");
    snprintf(file, sizeof file, "%s/file", scratch);
    test_write_file(file, "x", 1);
    expect_unusable(file, "file", "MTA-STS cache is not a directory (or is a symbolic link)");
    expect_unusable("", "empty", "no MTA-STS cache directory");
}
