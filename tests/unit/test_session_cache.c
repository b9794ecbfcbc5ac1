/* test_session_cache.c - the cross-process TLS session store
 * (agent/tls/session_cache.h): every field of the key binds a session (RFC 7672
 * §2.2 and the issue 9 rule that a TLSA or policy change invalidates it),
 * expiry and the lifetime cap, corrupt or foreign entries are misses and
 * removed, atomic replacement, and the directory's ownership and mode */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session_cache.h"
#include "test_helpers.h"

#define T0 ((time_t)1700000000)

static char base[64];       /* per-test scratch directory */
static char dir[96];        /* the cache directory inside it */

static void setup(void)
{
    test_tmpdir(base, sizeof(base), "test_session_cache");
    snprintf(dir, sizeof(dir), "%s/cache", base);
}

static void teardown(void)
{
    test_rm_tree(base);
}

TestSuite(session_cache, .init = setup, .fini = teardown);

/* ---- key binding ---- */

static const uint16_t curves_a[] = { 29, 23 };
static const uint16_t curves_b[] = { 23, 29 };
static const uint8_t digest_a[32] = { 1 };
static const uint8_t digest_b[32] = { 2 };
static const uint8_t dane_a[] = { 2, 1 };
static const uint8_t dane_b[] = { 1, 2 };
static const uint8_t tlsa_a[32] = { 0xaa };
static const uint8_t tlsa_b[32] = { 0xbb };

/* A key and its policy entry, rebuilt for each case. */
struct fixture {
    struct session_cache_key k;
    struct policy_entry e;
    struct policy_match m;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->m = (struct policy_match){ .kind = POLICY_MATCH_DIGEST, .text = "sha256:01",
                                  .digest_mtype = 1, .digest = digest_a,
                                  .digest_len = sizeof(digest_a) };
    f->e = (struct policy_entry){ .key = "dane.test", .level = POLICY_LEVEL_DANE,
                                  .match = &f->m, .nmatch = 1,
                                  .protocols = POLICY_PROTO_TLS12 | POLICY_PROTO_TLS13,
                                  .curves = curves_a, .ncurves = 2,
                                  .dane_digests = dane_a, .ndane_digests = 2,
                                  .insecure_mx_policy = POLICY_INSECURE_MX_DANE };
    f->k = (struct session_cache_key){ .nexthop = "dane.test", .mx = "mx.dane.test",
                                       .address = "127.0.25.10", .port = 25,
                                       .sni = "mx.dane.test", .tlsa = tlsa_a,
                                       .entry = &f->e, .level = POLICY_LEVEL_DANE };
}

/* One change of one input; each must give another key. */
struct binding_case {
    const char *name;
    void (*change)(struct fixture *f);
};

static void ch_nexthop(struct fixture *f) { f->k.nexthop = "other.test"; }
static void ch_mx(struct fixture *f) { f->k.mx = "mx2.dane.test"; }
static void ch_address(struct fixture *f) { f->k.address = "127.0.25.11"; }
static void ch_port(struct fixture *f) { f->k.port = 587; }
static void ch_sni_other(struct fixture *f) { f->k.sni = "dane.test"; }
static void ch_sni_none(struct fixture *f) { f->k.sni = NULL; }
static void ch_sni_empty(struct fixture *f) { f->k.sni = ""; }
static void ch_tlsa_other(struct fixture *f) { f->k.tlsa = tlsa_b; }
static void ch_tlsa_none(struct fixture *f) { f->k.tlsa = NULL; }
static void ch_level(struct fixture *f) { f->k.level = POLICY_LEVEL_ENCRYPT; }
static void ch_trusted_only(struct fixture *f) { f->k.trusted_only = 1; }
static void ch_entry_key(struct fixture *f) { f->e.key = ".dane.test"; }
static void ch_entry_level(struct fixture *f) { f->e.level = POLICY_LEVEL_DANE_ONLY; }
static void ch_match_digest(struct fixture *f) { f->m.digest = digest_b; }
static void ch_match_kind(struct fixture *f) { f->m.kind = POLICY_MATCH_NAME; }
static void ch_match_none(struct fixture *f) { f->e.nmatch = 0; }
static void ch_servername(struct fixture *f) { f->e.servername = "mx.dane.test"; }
static void ch_ca_file(struct fixture *f) { f->e.ca_file = "/etc/ssl/ca.pem"; }
static void ch_protocols(struct fixture *f) { f->e.protocols = POLICY_PROTO_TLS13; }
static void ch_curves_order(struct fixture *f) { f->e.curves = curves_b; }
static void ch_ffdhe(struct fixture *f)
{
    f->e.ffdhe_groups = curves_a;
    f->e.nffdhe_groups = 1;
}
static void ch_dane_digests(struct fixture *f) { f->e.dane_digests = dane_b; }
static void ch_insecure_mx(struct fixture *f) { f->e.insecure_mx_policy = POLICY_INSECURE_MX_MAY; }
static void ch_legacy_cbc(struct fixture *f) { f->e.legacy_cbc_suites = 1; }
/* unambiguous encoding: moving a byte from one field to the next */
static void ch_shift_boundary(struct fixture *f)
{
    f->k.nexthop = "dane.tes";
    f->k.mx = "tmx.dane.test";
}

static const struct binding_case binding_cases[] = {
    { "nexthop", ch_nexthop }, { "mx_host", ch_mx }, { "address", ch_address },
    { "port", ch_port }, { "sni_other", ch_sni_other }, { "sni_none", ch_sni_none },
    { "sni_empty_is_not_none", ch_sni_empty },
    { "rfc7672_tlsa_rrset_changed", ch_tlsa_other },
    { "rfc7672_tlsa_rrset_gone", ch_tlsa_none },
    { "enforced_level", ch_level }, { "insecure_mx_trusted_only", ch_trusted_only },
    { "policy_entry_key", ch_entry_key }, { "policy_level", ch_entry_level },
    { "policy_pin_digest", ch_match_digest }, { "policy_match_kind", ch_match_kind },
    { "policy_match_list", ch_match_none }, { "policy_servername", ch_servername },
    { "policy_ca_file", ch_ca_file }, { "policy_protocols", ch_protocols },
    { "policy_curve_order", ch_curves_order }, { "policy_ffdhe_groups", ch_ffdhe },
    { "policy_dane_digests", ch_dane_digests },
    { "policy_insecure_mx_policy", ch_insecure_mx },
    { "policy_legacy_cbc", ch_legacy_cbc }, { "field_boundary", ch_shift_boundary },
};
#define NBINDING (sizeof(binding_cases) / sizeof(binding_cases[0]))

ParameterizedTestParameters(session_cache, key_binds_every_field)
{
    static size_t idx[NBINDING];

    for (size_t i = 0; i < NBINDING; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NBINDING);
}

ParameterizedTest(size_t *i, session_cache, key_binds_every_field)
{
    const struct binding_case *c = &binding_cases[*i];
    struct fixture f;
    uint8_t want[SESSION_CACHE_KEY_LEN], got[SESSION_CACHE_KEY_LEN];

    fixture_init(&f);
    session_cache_key_digest(&f.k, want);
    c->change(&f);
    session_cache_key_digest(&f.k, got);
    cr_expect_neq(memcmp(want, got, sizeof(got)), 0, "%s: same key after the change",
                  c->name);
}

Test(session_cache, key_is_deterministic)
{
    struct fixture a, b;
    uint8_t ka[SESSION_CACHE_KEY_LEN], kb[SESSION_CACHE_KEY_LEN];
    static const uint8_t tlsa_copy[32] = { 0xaa };

    fixture_init(&a);
    fixture_init(&b);
    b.k.tlsa = tlsa_copy;       /* equal bytes elsewhere: same key */
    session_cache_key_digest(&a.k, ka);
    session_cache_key_digest(&b.k, kb);
    cr_expect_eq(memcmp(ka, kb, sizeof(ka)), 0);
}

/* ---- store and load ---- */

static const uint8_t sess_a[] = "serialized session A";
static const uint8_t sess_b[] = "serialized session B, longer";

static struct session_cache *open_fixture(struct fixture *f)
{
    const char *why = NULL;
    struct session_cache *c;

    fixture_init(f);
    c = session_cache_open(dir, &f->k, &why);
    cr_assert_not_null(c, "open: %s", why ? why : "");
    return c;
}

/* entry_path - the entry file of c */
static void entry_path(const struct session_cache *c, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", dir, session_cache_name(c));
}

/* get - session_cache_get at time t; returns its result */
static int get(struct session_cache *c, time_t t, uint8_t *buf, size_t *len)
{
    const char *why = NULL;

    return session_cache_get(c, t, buf, SESSION_CACHE_MAX_SESSION, len, &why);
}

Test(session_cache, round_trip_and_file_modes)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    char path[256];
    const char *why = NULL;
    struct stat st;
    size_t len = 0, entries = 0;
    DIR *d;
    struct dirent *e;

    cr_assert_eq(get(c, T0, buf, &len), 0, "empty cache: miss");
    cr_assert_eq(session_cache_put(c, T0, 600, sess_a, sizeof(sess_a), &why), 0, "%s", why);
    cr_assert_eq(get(c, T0 + 10, buf, &len), 1);
    cr_assert_eq(len, sizeof(sess_a));
    cr_expect_eq(memcmp(buf, sess_a, len), 0);
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0700, "created directory mode %o", st.st_mode & 07777);
    entry_path(c, path, sizeof(path));
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0600, "entry mode %o", st.st_mode & 07777);
    d = opendir(dir);
    while ((e = readdir(d)) != NULL)
        entries += e->d_name[0] != '.';
    closedir(d);
    cr_expect_eq(entries, 1, "one entry, no temporary file left");
    session_cache_close(c);
}

Test(session_cache, put_replaces_atomically)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    size_t len = 0;

    cr_assert_eq(session_cache_put(c, T0, 600, sess_a, sizeof(sess_a), &why), 0);
    cr_assert_eq(session_cache_put(c, T0 + 1, 600, sess_b, sizeof(sess_b), &why), 0);
    cr_assert_eq(get(c, T0 + 2, buf, &len), 1);
    cr_expect_eq(len, sizeof(sess_b));
    cr_expect_eq(memcmp(buf, sess_b, len), 0);
    session_cache_close(c);
}

Test(session_cache, other_key_misses)
{
    struct fixture f, g;
    struct session_cache *c = open_fixture(&f), *other;
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    size_t len = 0;

    cr_assert_eq(session_cache_put(c, T0, 600, sess_a, sizeof(sess_a), &why), 0);
    fixture_init(&g);
    g.k.tlsa = tlsa_b;          /* the TLSA RRset changed */
    other = session_cache_open(dir, &g.k, &why);
    cr_assert_not_null(other);
    cr_expect_eq(get(other, T0 + 1, buf, &len), 0);
    cr_expect_eq(get(c, T0 + 1, buf, &len), 1, "the old key's entry is untouched");
    session_cache_close(other);
    session_cache_close(c);
}

Test(session_cache, drop_removes)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    size_t len = 0;

    cr_assert_eq(session_cache_put(c, T0, 600, sess_a, sizeof(sess_a), &why), 0);
    session_cache_drop(c);
    cr_expect_eq(get(c, T0 + 1, buf, &len), 0);
    session_cache_drop(NULL);
    session_cache_close(c);
    session_cache_close(NULL);
}

Test(session_cache, small_buffer_is_an_error)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    uint8_t buf[4];
    const char *why = NULL;
    size_t len = 0;

    cr_assert_eq(session_cache_put(c, T0, 600, sess_a, sizeof(sess_a), &why), 0);
    cr_expect_eq(session_cache_get(c, T0 + 1, buf, sizeof(buf), &len, &why), -1);
    cr_expect_not_null(why);
    session_cache_close(c);
}

Test(session_cache, oversized_or_empty_session_refused)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t big[SESSION_CACHE_MAX_SESSION + 1];
    const char *why = NULL;

    cr_expect_eq(session_cache_put(c, T0, 600, big, sizeof(big), &why), -1);
    cr_expect_eq(session_cache_put(c, T0, 600, big, 0, &why), -1);
    session_cache_close(c);
}

/* ---- expiry: the session's lifetime, capped ---- */

struct expiry_case {
    const char *name;
    unsigned lifetime;      /* given to put */
    long age;               /* seconds after the put */
    int want;               /* get's result */
};

static const struct expiry_case expiry_cases[] = {
    { "fresh", 600, 0, 1 },
    { "just_before_expiry", 600, 599, 1 },
    { "at_expiry", 600, 600, 0 },
    { "after_expiry", 600, 5000, 0 },
    { "rfc8446_s4_6_1_week_hint_capped_valid", 604800, 3599, 1 },
    { "rfc8446_s4_6_1_week_hint_capped_expired", 604800, 3600, 0 },
    { "clock_skew_tolerated", 600, -30, 1 },
    { "entry_from_the_future", 600, -3600, 0 },
};
#define NEXPIRY (sizeof(expiry_cases) / sizeof(expiry_cases[0]))

ParameterizedTestParameters(session_cache, expiry)
{
    static size_t idx[NEXPIRY];

    for (size_t i = 0; i < NEXPIRY; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NEXPIRY);
}

ParameterizedTest(size_t *i, session_cache, expiry)
{
    const struct expiry_case *x = &expiry_cases[*i];
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    char path[256];
    size_t len = 0;

    cr_assert_eq(session_cache_put(c, T0, x->lifetime, sess_a, sizeof(sess_a), &why), 0);
    cr_expect_eq(get(c, T0 + x->age, buf, &len), x->want, "%s", x->name);
    entry_path(c, path, sizeof(path));
    cr_expect_eq(access(path, F_OK) == 0, x->want == 1,
                 "%s: an expired entry is removed, a valid one kept", x->name);
    session_cache_close(c);
}

Test(session_cache, zero_lifetime_stores_nothing)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    size_t len = 0;

    cr_assert_eq(session_cache_put(c, T0, 0, sess_a, sizeof(sess_a), &why), 0);
    cr_expect_eq(get(c, T0, buf, &len), 0);
    session_cache_close(c);
}

/* ---- corrupt or foreign entries: a miss, and the file is removed ---- */

#define HDR 92      /* magic 8, key 32, created 8, expires 8, length 4,
                     * SHA-256 32 */

enum corruption {
    TRUNCATED_HEADER, BAD_MAGIC, WRONG_KEY, LENGTH_TOO_LONG, LENGTH_TOO_SHORT,
    ZERO_LENGTH, EXPIRES_BEFORE_CREATED, LIFETIME_BEYOND_CAP, TOO_BIG,
    SESSION_BYTE_FLIPPED, DIGEST_FLIPPED, TRUNCATED_SESSION, EMPTY_FILE,
    READABLE_BY_OTHERS, SYMLINK, DIRECTORY,
};

struct corrupt_case {
    const char *name;
    enum corruption how;
};

static const struct corrupt_case corrupt_cases[] = {
    { "truncated_header", TRUNCATED_HEADER }, { "bad_magic", BAD_MAGIC },
    { "entry_of_another_key", WRONG_KEY }, { "length_beyond_file", LENGTH_TOO_LONG },
    { "trailing_bytes", LENGTH_TOO_SHORT }, { "zero_length", ZERO_LENGTH },
    { "expires_before_created", EXPIRES_BEFORE_CREATED },
    { "lifetime_beyond_cap", LIFETIME_BEYOND_CAP }, { "file_too_big", TOO_BIG },
    { "session_byte_flipped", SESSION_BYTE_FLIPPED },
    { "digest_flipped", DIGEST_FLIPPED }, { "truncated_session", TRUNCATED_SESSION },
    { "empty_file", EMPTY_FILE },
    { "mode_readable_by_others", READABLE_BY_OTHERS }, { "symlink", SYMLINK },
    { "directory", DIRECTORY },
};
#define NCORRUPT (sizeof(corrupt_cases) / sizeof(corrupt_cases[0]))

/* corrupt - damage the valid entry at path (file bytes in raw) */
static void corrupt(enum corruption how, const char *path, uint8_t *raw, size_t len)
{
    static uint8_t big[HDR + SESSION_CACHE_MAX_SESSION + 1];

    switch (how) {
    case TRUNCATED_HEADER: test_write_file(path, raw, HDR - 1); return;
    case BAD_MAGIC: raw[0] ^= 1; break;
    case WRONG_KEY: raw[8] ^= 1; break;
    case LENGTH_TOO_LONG: test_put_be(raw + 56, len - HDR + 1, 4); break;
    case LENGTH_TOO_SHORT: raw[len++] = 'x'; break;
    case ZERO_LENGTH: test_put_be(raw + 56, 0, 4); len = HDR; break;
    case EXPIRES_BEFORE_CREATED: test_put_be(raw + 48, (uint64_t)T0 - 1, 8); break;
    case LIFETIME_BEYOND_CAP:
        test_put_be(raw + 48, (uint64_t)T0 + SESSION_CACHE_MAX_LIFETIME + 1, 8);
        break;
    case TOO_BIG:
        memcpy(big, raw, HDR);
        test_put_be(big + 56, SESSION_CACHE_MAX_SESSION + 1, 4);
        test_write_file(path, big, sizeof(big));
        return;
    case SESSION_BYTE_FLIPPED: raw[HDR + 3] ^= 0x40; break;
    case DIGEST_FLIPPED: raw[60] ^= 1; break;
    case TRUNCATED_SESSION: len--; test_put_be(raw + 56, len - HDR, 4); break;
    case EMPTY_FILE: test_write_file(path, raw, 0); return;
    case READABLE_BY_OTHERS: cr_assert_eq(chmod(path, 0644), 0); return;
    case SYMLINK: {
        char target[256];
        snprintf(target, sizeof(target), "%s/target", base);
        test_write_file(target, raw, len);
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(symlink(target, path), 0);
        return;
    }
    case DIRECTORY:
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(mkdir(path, 0700), 0);
        return;
    }
    test_write_file(path, raw, len);
}

ParameterizedTestParameters(session_cache, corrupt_entry_is_a_miss)
{
    static size_t idx[NCORRUPT];

    for (size_t i = 0; i < NCORRUPT; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCORRUPT);
}

ParameterizedTest(size_t *i, session_cache, corrupt_entry_is_a_miss)
{
    const struct corrupt_case *x = &corrupt_cases[*i];
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    static uint8_t buf[SESSION_CACHE_MAX_SESSION], raw[HDR + 256];
    const char *why = NULL;
    char path[256];
    struct stat st;
    size_t len = 0, n;
    int rc;

    cr_assert_eq(session_cache_put(c, T0, 600, sess_a, sizeof(sess_a), &why), 0);
    entry_path(c, path, sizeof(path));
    n = test_read_file(path, raw, sizeof(raw));
    cr_assert_eq(n, HDR + sizeof(sess_a), "header layout as documented");
    corrupt(x->how, path, raw, n);
    rc = get(c, T0 + 1, buf, &len);
    if (x->how == DIRECTORY) {
        /* cannot be unlinked as a file: a miss or an error, never a hit */
        cr_expect_neq(rc, 1, "%s", x->name);
    } else {
        cr_expect_eq(rc, 0, "%s: got %d", x->name, rc);
        cr_expect_neq(lstat(path, &st), 0, "%s: entry removed", x->name);
    }
    /* a new session can be stored afterwards (except over a directory) */
    if (x->how != DIRECTORY) {
        cr_expect_eq(session_cache_put(c, T0 + 2, 600, sess_b, sizeof(sess_b), &why), 0);
        cr_expect_eq(get(c, T0 + 3, buf, &len), 1, "%s: stored again", x->name);
    }
    session_cache_close(c);
}

/* ---- the directory ---- */

struct dir_case {
    const char *name;
    int mode;           /* directory mode, or -1: special (see dir_prepare) */
    int want_ok;
};

static const struct dir_case dir_cases[] = {
    { "mode_0700", 0700, 1 },
    { "mode_0755_not_writable_by_others", 0755, 1 },
    { "writable_by_group", 0770, 0 },
    { "writable_by_others", 0777, 0 },
    { "world_writable_sticky", 01777, 0 },
};
#define NDIR (sizeof(dir_cases) / sizeof(dir_cases[0]))

ParameterizedTestParameters(session_cache, directory_mode)
{
    static size_t idx[NDIR];

    for (size_t i = 0; i < NDIR; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NDIR);
}

ParameterizedTest(size_t *i, session_cache, directory_mode)
{
    const struct dir_case *x = &dir_cases[*i];
    struct fixture f;
    struct session_cache *c;
    const char *why = NULL;

    fixture_init(&f);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chmod(dir, (mode_t)x->mode), 0);
    c = session_cache_open(dir, &f.k, &why);
    cr_expect_eq(c != NULL, x->want_ok, "%s: %s", x->name, why ? why : "opened");
    if (c == NULL)
        cr_expect_not_null(strstr(why, "writable"), "%s: reason %s", x->name, why);
    session_cache_close(c);
}

Test(session_cache, directory_of_another_user_refused)
{
    struct fixture f;
    const char *why = NULL;

    if (geteuid() != 0)
        cr_skip_test("needs root to give the directory away");
    fixture_init(&f);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chown(dir, 65534, 65534), 0);
    cr_expect_null(session_cache_open(dir, &f.k, &why));
    cr_expect_not_null(why != NULL ? strstr(why, "not owned") : NULL, "%s", why);
}

Test(session_cache, not_a_directory_refused)
{
    struct fixture f;
    const char *why = NULL;
    static const uint8_t x[] = "x";
    char link[128];

    fixture_init(&f);
    test_write_file(dir, x, 1);
    cr_expect_null(session_cache_open(dir, &f.k, &why), "a regular file");
    cr_expect_not_null(why);
    cr_assert_eq(unlink(dir), 0);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(link, sizeof(link), "%s/link", base);
    cr_assert_eq(symlink(dir, link), 0);
    why = NULL;
    cr_expect_null(session_cache_open(link, &f.k, &why), "a symbolic link");
    cr_expect_not_null(why);
    why = NULL;
    cr_expect_null(session_cache_open("", &f.k, &why), "empty path");
    cr_expect_not_null(why);
}

Test(session_cache, missing_parent_refused)
{
    struct fixture f;
    const char *why = NULL;
    char path[160];

    fixture_init(&f);
    snprintf(path, sizeof(path), "%s/no/such", base);
    cr_expect_null(session_cache_open(path, &f.k, &why));
    cr_expect_not_null(why);
}

/* ---- sweeping: destinations never seen again do not pile up ---- */

/* touch_at - a file in the cache directory written at time t */
static void touch_at(const char *name, time_t t)
{
    static const uint8_t x[] = "x";
    struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    test_write_file(path, x, 1);
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int exists(const char *name)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

Test(session_cache, sweep_removes_only_dead_files_of_ours)
{
    struct fixture f;
    struct session_cache *c = open_fixture(&f);
    time_t now = time(NULL);
    const char *old_entry = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const char *young_entry = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    touch_at(old_entry, now - SESSION_CACHE_MAX_LIFETIME - 120);
    touch_at(".tmp-left-by-a-dead-process-4242", now - SESSION_CACHE_MAX_LIFETIME - 120);
    touch_at(young_entry, now - SESSION_CACHE_MAX_LIFETIME + 120);
    touch_at("README", now - 10 * SESSION_CACHE_MAX_LIFETIME);     /* not ours */
    touch_at("00112233", now - 10 * SESSION_CACHE_MAX_LIFETIME);   /* not an entry name */
    session_cache_sweep(c, now);
    cr_expect_not(exists(old_entry), "an entry older than the cap is removed");
    cr_expect_not(exists(".tmp-left-by-a-dead-process-4242"), "a stale temporary file too");
    cr_expect(exists(young_entry), "a younger entry is kept");
    cr_expect(exists("README"), "foreign names are never touched");
    cr_expect(exists("00112233"), "short hex names are not entries");
    session_cache_close(c);
}

/* ---- files written before cache_store.c existed still read ---- */

Test(session_cache, entry_of_the_previous_writer_still_reads)
{
    /* fuzz/corpus/session_cache/entry-tls13: a mode byte, then an entry
     * captured from a peer.py session by the session_cache.c that wrote
     * its files itself; key as in fuzz/fuzz_session_cache.c */
    static const struct policy_entry e = { .key = "defaults", .level = POLICY_LEVEL_ENCRYPT };
    const struct session_cache_key k = { .nexthop = "x", .entry = &e };
    static uint8_t raw[HDR + SESSION_CACHE_MAX_SESSION + 1], buf[SESSION_CACHE_MAX_SESSION];
    char path[256];
    const char *why = NULL;
    struct session_cache *c;
    size_t n, len = 0;
    uint64_t created = 0;

    snprintf(path, sizeof(path), "%s/fuzz/corpus/session_cache/entry-tls13", DANE_TEST_SRCDIR);
    n = test_read_file(path, raw, sizeof(raw));
    cr_assert_gt(n, 1 + HDR);
    c = session_cache_open(dir, &k, &why);
    cr_assert_not_null(c, "open: %s", why ? why : "");
    entry_path(c, path, sizeof(path));
    test_write_file(path, raw + 1, n - 1);
    for (size_t i = 1 + 40; i < 1 + 48; i++)
        created = (created << 8) | raw[i];
    cr_expect_eq(session_cache_get(c, (time_t)created + 1, buf, sizeof(buf), &len, &why), 1,
                 "a DANESC02 entry of the earlier writer is a hit");
    cr_expect_eq(len, n - 1 - HDR);
    cr_expect_eq(memcmp(buf, raw + 1 + HDR, len), 0);
    session_cache_close(c);
}
