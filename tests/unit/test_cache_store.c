/* test_cache_store.c - the on-disk entry store shared by the session and
 * DNS caches (agent/store/cache_store.h): round trip, expiry and the lifetime
 * cap, damaged, truncated, foreign or misfiled entries are misses, removed
 * and named in a warning (an absent or expired one is not), symbolic links
 * are never followed, the directory's ownership and mode, payload bounds,
 * sweeping, and reasons that name the kind */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_store.h"
#include "test_helpers.h"

#define T0 ((time_t)1700000000)
#define MAX_SIZE 64u
#define HDR CACHE_STORE_HEADER_LEN

static const struct cache_store_kind kind_a = {
    .magic = "TESTKA01", .what = "DNS cache", .max_lifetime = 600, .max_size = MAX_SIZE,
};
/* another kind with a longer lifetime, sharing the directory */
static const struct cache_store_kind kind_b = {
    .magic = "TESTKB01", .what = "session cache", .max_lifetime = 3600, .max_size = MAX_SIZE,
};

static const uint8_t key1[CACHE_STORE_KEY_LEN] = { 0x11, 0x22 };
static const uint8_t key2[CACHE_STORE_KEY_LEN] = { 0x33, 0x44 };
static const uint8_t payload[] = "an answer worth keeping";

static char base[64];       /* per-test scratch directory */
static const char *last_why;    /* the reason of the last get(), or NULL */
static char dir[96];        /* the cache directory inside it */

static void setup(void)
{
    test_tmpdir(base, sizeof(base), "test_cache_store");
    snprintf(dir, sizeof(dir), "%s/cache", base);
}

static void teardown(void)
{
    test_rm_tree(base);
}

TestSuite(cache_store, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static struct cache_store *open_kind(const struct cache_store_kind *kind)
{
    const char *why = NULL;
    struct cache_store *s = cache_store_open(dir, kind, &why);

    cr_assert_not_null(s, "open: %s", why ? why : "");
    return s;
}

/* path_of - the entry file of key (or any name) in the cache directory */
static void path_of(const uint8_t *key, const char *name, char *out, size_t size)
{
    char hex[2 * CACHE_STORE_KEY_LEN + 1];

    if (key != NULL) {
        cache_store_name(key, hex);
        name = hex;
    }
    snprintf(out, size, "%s/%s", dir, name);
}

static int exists(const uint8_t *key, const char *name)
{
    char path[256];
    struct stat st;

    path_of(key, name, path, sizeof(path));
    return lstat(path, &st) == 0;
}

static void put_ok(struct cache_store *s, const uint8_t *key, time_t t, unsigned lifetime)
{
    const char *why = NULL;

    cr_assert_eq(cache_store_put(s, key, t, lifetime, payload, sizeof(payload), &why), 0,
                 "put: %s", why ? why : "");
}

static int get(struct cache_store *s, const uint8_t *key, time_t t)
{
    uint8_t buf[MAX_SIZE];
    const char *why = NULL;
    size_t len = 0;
    int rc = cache_store_get(s, key, t, buf, sizeof(buf), &len, &why);

    last_why = why;
    if (rc == 1)
        cr_expect(len == sizeof(payload) && memcmp(buf, payload, len) == 0,
                  "a hit returns the stored bytes");
    return rc;
}

static void set_mtime(const uint8_t *key, const char *name, time_t t)
{
    struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
    char path[256];

    path_of(key, name, path, sizeof(path));
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* ---- round trip ---- */

Test(cache_store, round_trip_file_name_and_modes)
{
    struct cache_store *s = open_kind(&kind_a);
    uint8_t buf[MAX_SIZE];
    const char *why = NULL;
    char path[256];
    struct stat st;
    size_t len = 0, entries = 0;
    DIR *d;
    struct dirent *e;

    put_ok(s, key1, T0, 300);
    cr_assert_eq(cache_store_get(s, key1, T0 + 1, buf, sizeof(buf), &len, &why), 1);
    cr_expect_eq(len, sizeof(payload));
    cr_expect_eq(memcmp(buf, payload, len), 0);
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0700, "created directory mode %o", st.st_mode & 07777);
    path_of(key1, NULL, path, sizeof(path));
    cr_assert_eq(stat(path, &st), 0, "the entry is named by cache_store_name(key)");
    cr_expect_eq(st.st_mode & 07777, 0600, "entry mode %o", st.st_mode & 07777);
    cr_expect_eq((size_t)st.st_size, HDR + sizeof(payload), "header layout as documented");
    d = opendir(dir);
    while ((e = readdir(d)) != NULL)
        entries += e->d_name[0] != '.';
    closedir(d);
    cr_expect_eq(entries, 1, "one entry, no temporary file left");
    cache_store_close(s);
}

Test(cache_store, name_is_lower_case_hex_of_the_key)
{
    uint8_t key[CACHE_STORE_KEY_LEN];
    char name[2 * CACHE_STORE_KEY_LEN + 1];

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(i * 8 + 7);
    cache_store_name(key, name);
    cr_expect_str_eq(name, "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
}

Test(cache_store, absent_is_a_miss)
{
    struct cache_store *s = open_kind(&kind_a);

    cr_expect_eq(get(s, key1, T0), 0);
    cr_expect_null(last_why, "an absent entry is no warning");
    put_ok(s, key1, T0, 300);
    cr_expect_eq(get(s, key2, T0), 0, "another key's entry is not a hit");
    cr_expect_eq(get(s, key1, T0), 1, "and is left alone");
    cache_store_close(s);
}

Test(cache_store, put_replaces_and_drop_removes)
{
    struct cache_store *s = open_kind(&kind_a);
    static const uint8_t other[] = "newer";
    uint8_t buf[MAX_SIZE];
    const char *why = NULL;
    size_t len = 0;

    put_ok(s, key1, T0, 300);
    cr_assert_eq(cache_store_put(s, key1, T0 + 1, 300, other, sizeof(other), &why), 0);
    cr_assert_eq(cache_store_get(s, key1, T0 + 2, buf, sizeof(buf), &len, &why), 1);
    cr_expect(len == sizeof(other) && memcmp(buf, other, len) == 0);
    cache_store_drop(s, key1);
    cr_expect_not(exists(key1, NULL));
    cr_expect_eq(get(s, key1, T0 + 3), 0);
    cache_store_drop(NULL, key1);
    cache_store_close(s);
    cache_store_close(NULL);
}

Test(cache_store, small_buffer_is_an_error)
{
    struct cache_store *s = open_kind(&kind_a);
    uint8_t buf[4];
    const char *why = NULL;
    size_t len = 0;

    put_ok(s, key1, T0, 300);
    cr_expect_eq(cache_store_get(s, key1, T0 + 1, buf, sizeof(buf), &len, &why), -1);
    cr_expect_str_eq(why, "DNS cache entry larger than the buffer");
    cr_expect(exists(key1, NULL), "a good entry is kept");
    cache_store_close(s);
}

/* ---- payload bounds ---- */

struct size_case {
    const char *name;
    size_t len;
    int want;
};

static const struct size_case size_cases[] = {
    { "one_byte", 1, 0 },
    { "max_size", MAX_SIZE, 0 },
    { "oversize_refused", MAX_SIZE + 1, -1 },
    { "empty_refused", 0, -1 },
};
#define NSIZE (sizeof(size_cases) / sizeof(size_cases[0]))

ParameterizedTestParameters(cache_store, payload_size)
{
    static size_t idx[NSIZE];

    for (size_t i = 0; i < NSIZE; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NSIZE);
}

ParameterizedTest(size_t *i, cache_store, payload_size)
{
    const struct size_case *x = &size_cases[*i];
    struct cache_store *s = open_kind(&kind_a);
    static uint8_t data[MAX_SIZE + 1], buf[MAX_SIZE + 1];
    const char *why = NULL;
    size_t len = 0;

    memset(data, 'd', sizeof(data));
    cr_expect_eq(cache_store_put(s, key1, T0, 300, data, x->len, &why), x->want, "%s", x->name);
    if (x->want == 0) {
        cr_expect_eq(cache_store_get(s, key1, T0, buf, sizeof(buf), &len, &why), 1, "%s", x->name);
        cr_expect_eq(len, x->len, "%s", x->name);
    } else {
        cr_expect_str_eq(why, "entry empty or too large for the DNS cache", "%s", x->name);
        cr_expect_not(exists(key1, NULL), "%s: nothing stored", x->name);
    }
    cache_store_close(s);
}

/* ---- expiry: the given lifetime, capped; the clock's skew ---- */

struct expiry_case {
    const char *name;
    unsigned lifetime;      /* given to put */
    long age;               /* seconds after the put */
    int want;               /* get's result */
    int warned;             /* a miss with the damaged-entry reason */
};

static const struct expiry_case expiry_cases[] = {
    { "fresh", 300, 0, 1, 0 },
    { "just_before_expiry", 300, 299, 1, 0 },
    { "at_expiry", 300, 300, 0, 0 },
    { "after_expiry", 300, 5000, 0, 0 },
    { "lifetime_capped_valid", 100000, 599, 1, 0 },
    { "lifetime_capped_expired", 100000, 600, 0, 0 },
    { "zero_lifetime_stores_nothing", 0, 0, 0, 0 },
    { "clock_skew_tolerated", 300, -CACHE_STORE_CLOCK_SKEW, 1, 0 },
    { "created_in_future_beyond_skew", 300, -CACHE_STORE_CLOCK_SKEW - 1, 0, 1 },
};
#define NEXPIRY (sizeof(expiry_cases) / sizeof(expiry_cases[0]))

ParameterizedTestParameters(cache_store, expiry)
{
    static size_t idx[NEXPIRY];

    for (size_t i = 0; i < NEXPIRY; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NEXPIRY);
}

ParameterizedTest(size_t *i, cache_store, expiry)
{
    const struct expiry_case *x = &expiry_cases[*i];
    struct cache_store *s = open_kind(&kind_a);

    put_ok(s, key1, T0, x->lifetime);
    cr_expect_eq(get(s, key1, T0 + x->age), x->want, "%s", x->name);
    cr_expect_eq(exists(key1, NULL), x->want == 1,
                 "%s: an expired entry is removed, a valid one kept", x->name);
    if (x->warned)
        cr_expect_str_eq(last_why != NULL ? last_why : "(none)",
                         "DNS cache entry damaged or not ours (removed)", "%s", x->name);
    else
        cr_expect_null(last_why, "%s: no warning, got %s", x->name, last_why);
    cache_store_close(s);
}

/* ---- bad entries: a miss, and the file is removed ---- */

enum damage {
    PAYLOAD_BYTE, DIGEST_BYTE, TRUNCATED_FILE, TRUNCATED_HEADER, EMPTY_FILE, TRAILING_BYTES,
    OTHER_KIND, KEY_NOT_NAME, EXPIRES_BEFORE_CREATED, LIFETIME_BEYOND_CAP, MODE_0644, SYMLINK,
};

struct damage_case {
    const char *name;
    enum damage how;
};

static const struct damage_case damage_cases[] = {
    { "damaged_byte_in_payload", PAYLOAD_BYTE },
    { "damaged_byte_in_digest", DIGEST_BYTE },
    { "truncated_file", TRUNCATED_FILE },
    { "truncated_header", TRUNCATED_HEADER },
    { "empty_file", EMPTY_FILE },
    { "trailing_bytes", TRAILING_BYTES },
    { "entry_of_another_kind", OTHER_KIND },
    { "key_field_differs_from_name", KEY_NOT_NAME },
    { "expires_before_created", EXPIRES_BEFORE_CREATED },
    { "lifetime_beyond_cap", LIFETIME_BEYOND_CAP },
    { "mode_readable_by_others", MODE_0644 },
    { "symlink_not_followed", SYMLINK },
};
#define NDAMAGE (sizeof(damage_cases) / sizeof(damage_cases[0]))

/* rewrite - the file at path from raw, changed as the case says */
static void rewrite(enum damage how, const char *path, uint8_t *raw, size_t len)
{
    switch (how) {
    case PAYLOAD_BYTE: raw[HDR + 3] ^= 0x40; break;
    case DIGEST_BYTE: raw[HDR - 1] ^= 1; break;
    case TRUNCATED_FILE: len--; break;
    case TRUNCATED_HEADER: len = HDR - 1; break;
    case EMPTY_FILE: len = 0; break;
    case TRAILING_BYTES: raw[len++] = 'x'; break;
    case EXPIRES_BEFORE_CREATED: test_put_be(raw + 48, (uint64_t)T0 - 1, 8); break;
    case LIFETIME_BEYOND_CAP:
        test_put_be(raw + 48, (uint64_t)T0 + kind_a.max_lifetime + 1, 8);
        break;
    case MODE_0644: cr_assert_eq(chmod(path, 0644), 0); return;
    case OTHER_KIND: case KEY_NOT_NAME: case SYMLINK: return;  /* made by damage() */
    }
    test_write_file(path, raw, len);
}

/* damage - turn key1's valid entry (made by s) into the case's bad one */
static void damage(enum damage how, struct cache_store *s)
{
    static uint8_t raw[HDR + MAX_SIZE + 1];
    char path[256], other[256];
    size_t n;

    path_of(key1, NULL, path, sizeof(path));
    if (how == OTHER_KIND) {
        struct cache_store *b = open_kind(&kind_b);
        put_ok(b, key1, T0, 300);       /* same key, other magic */
        cache_store_close(b);
        return;
    }
    if (how == KEY_NOT_NAME) {
        put_ok(s, key2, T0, 300);
        path_of(key2, NULL, other, sizeof(other));
        cr_assert_eq(rename(other, path), 0);   /* key2's entry filed as key1 */
        return;
    }
    put_ok(s, key1, T0, 300);
    if (how == SYMLINK) {
        snprintf(other, sizeof(other), "%s/target", base);
        cr_assert_eq(rename(path, other), 0);   /* a valid entry, elsewhere */
        cr_assert_eq(symlink(other, path), 0);
        return;
    }
    n = test_read_file(path, raw, sizeof(raw));
    cr_assert_eq(n, HDR + sizeof(payload));
    rewrite(how, path, raw, n);
}

ParameterizedTestParameters(cache_store, bad_entry_is_a_miss_and_removed)
{
    static size_t idx[NDAMAGE];

    for (size_t i = 0; i < NDAMAGE; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NDAMAGE);
}

ParameterizedTest(size_t *i, cache_store, bad_entry_is_a_miss_and_removed)
{
    const struct damage_case *x = &damage_cases[*i];
    struct cache_store *s = open_kind(&kind_a);
    char target[256];

    damage(x->how, s);
    cr_assert(exists(key1, NULL), "%s: prepared", x->name);
    cr_expect_eq(get(s, key1, T0 + 1), 0, "%s: a miss", x->name);
    cr_expect_str_eq(last_why != NULL ? last_why : "(none)",
                     "DNS cache entry damaged or not ours (removed)", "%s: the warning", x->name);
    cr_expect_not(exists(key1, NULL), "%s: removed", x->name);
    if (x->how == SYMLINK) {
        snprintf(target, sizeof(target), "%s/target", base);
        cr_expect_eq(access(target, F_OK), 0, "%s: the link's target is untouched", x->name);
    }
    put_ok(s, key1, T0 + 2, 300);
    cr_expect_eq(get(s, key1, T0 + 3), 1, "%s: stored again afterwards", x->name);
    cache_store_close(s);
}

/* ---- the directory ---- */

struct dir_case {
    const char *name;
    mode_t mode;
    const struct cache_store_kind *kind;
    const char *want_why;   /* NULL: opens */
};

static const struct dir_case dir_cases[] = {
    { "mode_0700", 0700, &kind_a, NULL },
    { "mode_0755_not_writable_by_others", 0755, &kind_a, NULL },
    { "group_write_rejected", 0770, &kind_a,
      "DNS cache directory is writable by group or others (want mode 0700)" },
    { "other_write_rejected", 0707, &kind_a,
      "DNS cache directory is writable by group or others (want mode 0700)" },
    { "world_writable_sticky_rejected", 01777, &kind_a,
      "DNS cache directory is writable by group or others (want mode 0700)" },
    { "reason_names_the_session_cache", 0770, &kind_b,
      "session cache directory is writable by group or others (want mode 0700)" },
};
#define NDIR (sizeof(dir_cases) / sizeof(dir_cases[0]))

ParameterizedTestParameters(cache_store, directory_mode)
{
    static size_t idx[NDIR];

    for (size_t i = 0; i < NDIR; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NDIR);
}

ParameterizedTest(size_t *i, cache_store, directory_mode)
{
    const struct dir_case *x = &dir_cases[*i];
    struct cache_store *s;
    const char *why = NULL;

    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chmod(dir, x->mode), 0);
    s = cache_store_open(dir, x->kind, &why);
    if (x->want_why == NULL) {
        cr_expect_not_null(s, "%s: %s", x->name, why ? why : "");
    } else {
        cr_expect_null(s, "%s: opened", x->name);
        cr_expect_str_eq(why != NULL ? why : "(none)", x->want_why, "%s", x->name);
    }
    cache_store_close(s);
}

Test(cache_store, directory_of_another_user_rejected)
{
    const char *why = NULL;

    if (geteuid() != 0)
        cr_skip_test("needs root to give the directory away");
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(chown(dir, 65534, 65534), 0);     /* nobody */
    cr_expect_null(cache_store_open(dir, &kind_b, &why));
    cr_expect_str_eq(why != NULL ? why : "(none)",
                     "session cache directory is not owned by the user dane-agent runs as");
}

Test(cache_store, symlinked_or_missing_directory_rejected)
{
    const char *why = NULL;
    char link[160], deep[160];

    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(link, sizeof(link), "%s/link", base);
    cr_assert_eq(symlink(dir, link), 0);
    cr_expect_null(cache_store_open(link, &kind_a, &why));
    cr_expect_str_eq(why != NULL ? why : "(none)",
                     "DNS cache is not a directory (or is a symbolic link)");
    why = NULL;
    snprintf(deep, sizeof(deep), "%s/no/such", base);
    cr_expect_null(cache_store_open(deep, &kind_a, &why));
    cr_expect_str_eq(why != NULL ? why : "(none)", "DNS cache directory cannot be created");
    why = NULL;
    cr_expect_null(cache_store_open("", &kind_a, &why));
    cr_expect_str_eq(why != NULL ? why : "(none)", "no DNS cache directory");
}

/* ---- sweeping: entries never asked for again do not pile up ---- */

Test(cache_store, sweep_removes_old_files_only)
{
    struct cache_store *a = open_kind(&kind_a), *b = open_kind(&kind_b);
    time_t now = time(NULL);
    time_t old = now - (time_t)kind_a.max_lifetime - CACHE_STORE_CLOCK_SKEW - 10;
    static const uint8_t key_old[CACHE_STORE_KEY_LEN] = { 1 }, key_young[CACHE_STORE_KEY_LEN] = { 2 };
    static const uint8_t key_b_live[CACHE_STORE_KEY_LEN] = { 3 }, key_b_dead[CACHE_STORE_KEY_LEN] = { 4 };
    static const uint8_t x[] = "x";
    char path[256];

    put_ok(a, key_old, old, 300);
    set_mtime(key_old, NULL, old);
    put_ok(a, key_young, now - 100, 300);
    set_mtime(key_young, NULL, now - 100);
    put_ok(b, key_b_live, old, 3600);       /* expires in about an hour */
    set_mtime(key_b_live, NULL, old);
    put_ok(b, key_b_dead, old - 3000, 3600);    /* expired */
    set_mtime(key_b_dead, NULL, old);
    path_of(NULL, ".tmp-left-by-a-dead-process-4242", path, sizeof(path));
    test_write_file(path, x, 1);
    set_mtime(NULL, ".tmp-left-by-a-dead-process-4242", old);
    path_of(NULL, "README", path, sizeof(path));
    test_write_file(path, x, 1);
    set_mtime(NULL, "README", old - 100000);
    path_of(NULL, "0011", path, sizeof(path));
    test_write_file(path, x, 1);
    set_mtime(NULL, "0011", old - 100000);

    cache_store_sweep(a, now);
    cr_expect_not(exists(key_old, NULL), "an entry older than the cap is removed");
    cr_expect_not(exists(NULL, ".tmp-left-by-a-dead-process-4242"), "a stale temporary file too");
    cr_expect(exists(key_young, NULL), "a younger entry is kept");
    cr_expect(exists(key_b_live, NULL), "another kind's unexpired entry is left to its kind");
    cr_expect_not(exists(key_b_dead, NULL), "another kind's expired entry is removed");
    cr_expect(exists(NULL, "README"), "foreign names are never touched");
    cr_expect(exists(NULL, "0011"), "short hex names are not entries");
    cache_store_close(b);
    cache_store_close(a);
}
