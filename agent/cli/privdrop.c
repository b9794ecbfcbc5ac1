/* privdrop.c - leave root before any network input (privdrop.h)
 *
 * SYNOPSIS
 *   privdrop(user, why)
 *
 * DESCRIPTION
 *   The order matters: supplementary groups and group ids can only be
 *   changed while still root, so setgroups() and setresgid() come before
 *   setresuid(). setresuid() with all three ids also clears the saved set-
 *   user-id, so that root cannot be taken back; the checks afterwards prove
 *   it instead of trusting the return values.
 */
#define _GNU_SOURCE     /* getresuid, setresuid, getresgid, setresgid */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include "privdrop.h"

#define MAX_GROUPS 64

/* privdrop_started_as_root - is any user id 0? (privdrop.h) */
int privdrop_started_as_root(void)
{
    uid_t r, e, s;

    if (getresuid(&r, &e, &s) != 0)
        return 1;       /* cannot tell: treat as root and drop */
    return r == 0 || e == 0 || s == 0;
}

/* ids_are - every user and group id is uid/gid, the only group is gid */
static int ids_are(uid_t uid, gid_t gid, const char **why)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[MAX_GROUPS];
    int n;

    if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid) {
        *why = "user ids did not change";
        return -1;
    }
    if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid) {
        *why = "group ids did not change";
        return -1;
    }
    n = getgroups(MAX_GROUPS, groups);
    if (n < 0 || n > 1 || (n == 1 && groups[0] != gid)) {
        *why = "supplementary groups remain";
        return -1;
    }
    return 0;
}

/* root_is_gone - neither root's user nor group id can be taken back */
static int root_is_gone(const char **why)
{
    if (setuid(0) == 0 || seteuid(0) == 0) {
        *why = "root privileges can be regained after setuid";
        return -1;
    }
    if (setgid(0) == 0 || setegid(0) == 0) {
        *why = "group root can be regained after setgid";
        return -1;
    }
    return 0;
}

/* privdrop - see privdrop.h */
int privdrop(const char *user, const char **why)
{
    struct passwd *pw;
    uid_t uid;
    gid_t gid;

    if (!privdrop_started_as_root())
        return 0;
    if (user == NULL || *user == '\0') {
        *why = "no unprivileged user configured";
        return -1;
    }
    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        *why = errno != 0 ? "cannot look up the configured user"
                          : "the configured user does not exist";
        return -1;
    }
    if (pw->pw_uid == 0 || pw->pw_gid == 0) {
        *why = "the configured user has user or group id 0";
        return -1;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    /* root only as the real or saved id: take it back to change groups */
    if (geteuid() != 0 && seteuid(0) != 0) {
        *why = "cannot regain root to drop it";
        return -1;
    }
    if (setgroups(1, &gid) != 0) {
        *why = "setgroups failed";
        return -1;
    }
    if (setresgid(gid, gid, gid) != 0) {
        *why = "setresgid failed";
        return -1;
    }
    if (setresuid(uid, uid, uid) != 0) {
        *why = "setresuid failed";
        return -1;
    }
    if (ids_are(uid, gid, why) != 0)
        return -1;
    return root_is_gone(why);
}
