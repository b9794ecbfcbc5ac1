/* test_privdrop.c - privdrop(): leaving root for the policy's user
 *
 * Criterion runs every test in its own process, so each may change its ids.
 * These tests need root, as CI runs them (tests/security/privdrop.sh checks
 * the same from the server's side during a delivery).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

static uid_t nobody_uid;
static gid_t nobody_gid;

static void need_root(void)
{
    struct passwd *pw = getpwnam("nobody");

    cr_assert_eq(geteuid(), 0, "test_privdrop must run as root (as CI does)");
    cr_assert_not_null(pw, "no user nobody");
    nobody_uid = pw->pw_uid;
    nobody_gid = pw->pw_gid;
}

/* expect_ids - all user ids uid, all group ids gid */
static void expect_ids(uid_t uid, gid_t gid)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    cr_assert_eq(getresuid(&r, &e, &s), 0);
    cr_expect(r == uid && e == uid && s == uid, "uids %u %u %u, want %u",
              (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)uid);
    cr_assert_eq(getresgid(&rg, &eg, &sg), 0);
    cr_expect(rg == gid && eg == gid && sg == gid, "gids %u %u %u, want %u",
              (unsigned)rg, (unsigned)eg, (unsigned)sg, (unsigned)gid);
}

struct want_failure {
    const char *name;
    const char *user;
    const char *why;
};

static const struct want_failure failures[] = {
    {"null_user", NULL, "no unprivileged user configured"},
    {"empty_user", "", "no unprivileged user configured"},
    {"unknown_user", "no-such-user-dane", "the configured user does not exist"},
    {"user_with_uid_0", "root", "the configured user has user or group id 0"},
};

ParameterizedTestParameters(privdrop, refuses)
{
    static size_t idx[sizeof(failures) / sizeof(failures[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

/* refuses: a started-as-root process that cannot become the user must not
 * go on; it is still root (the caller exits) */
ParameterizedTest(size_t *i, privdrop, refuses, .init = need_root)
{
    const struct want_failure *w = &failures[*i];
    const char *why = NULL;

    cr_assert_eq(privdrop(w->user, &why), -1, "%s: want a refusal", w->name);
    cr_expect_str_eq(why, w->why, "%s", w->name);
}

Test(privdrop, root_becomes_nobody_for_good, .init = need_root)
{
    const char *why = NULL;
    gid_t groups[8];

    cr_assert_eq(privdrop("nobody", &why), 0, "privdrop: %s", why);
    expect_ids(nobody_uid, nobody_gid);
    cr_expect_eq(getgroups(8, groups), 1);
    cr_expect_eq(groups[0], nobody_gid);
    cr_expect_neq(setuid(0), 0, "setuid(0) succeeded after the drop");
    cr_expect_neq(seteuid(0), 0, "seteuid(0) succeeded after the drop");
    cr_expect_neq(setgid(0), 0, "setgid(0) succeeded after the drop");
}

/* a saved set-user-id of 0 could take root back: it counts as root */
Test(privdrop, saved_uid_root_is_root, .init = need_root)
{
    const char *why = NULL;

    cr_assert_eq(setresuid(nobody_uid, nobody_uid, 0), 0);
    cr_assert_eq(privdrop("nobody", &why), 0, "privdrop: %s", why);
    expect_ids(nobody_uid, nobody_gid);
    cr_expect_neq(seteuid(0), 0, "root regained through the saved uid");
}

Test(privdrop, unprivileged_is_left_alone, .init = need_root)
{
    const char *why = NULL;
    gid_t gid = nobody_gid;

    cr_assert_eq(setgroups(1, &gid), 0);
    cr_assert_eq(setresgid(gid, gid, gid), 0);
    cr_assert_eq(setresuid(nobody_uid, nobody_uid, nobody_uid), 0);
    /* not root: the user is not even looked up */
    cr_expect_eq(privdrop("no-such-user-dane", &why), 0);
    expect_ids(nobody_uid, nobody_gid);
}
