/* cmd_policy_check - `dane-agent policy-check [--syntax] POLICY`
 *
 * Loads the policy exactly as deliver and probe do. An invalid file stops
 * at its first error (the parser cannot go on past it): "FILE:LINE:COL:
 * message" on standard error and exit 78 (EX_CONFIG); a missing or
 * unreadable file exits 66 (EX_NOINPUT), bad usage 64.
 *
 * A valid policy is then checked against this machine, as a delivery will
 * need it, reporting every problem found, one line each on standard error:
 *   "FILE: error: ..."   the user deliver switches to (started as root)
 *                        does not exist or is root; dns.trust_anchors or a
 *                        ca_file cannot be opened for reading by that user
 *                        (deliver would exit 78);
 *   "FILE: warning: ..." an explicitly configured cache directory (or an
 *                        existing default one) is unusable: deliver goes
 *                        on without that cache; with a tlsrpt section,
 *                        its state_dir is unusable (checked as a cache)
 *                        or its sendmail is not executable.
 * Any error: exit 78. Otherwise "FILE: OK" on standard output, exit 0.
 * --syntax checks the file only (a policy written for another machine).
 *
 * Started as root, the checks run in a child that leaves root with
 * privdrop() exactly as deliver does (the same user, group and empty
 * supplementary list), so permissions, ACLs and parent directories are
 * judged by the kernel as they will be at delivery. Not started as root,
 * deliver keeps the invoking user (pipe(8) user=): the checks run as it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "policy.h"
#include "privdrop.h"

#define MAX_COUNTED 100     /* errors a child can report in its exit status */

/* report - one "FILE: error: ..." or "FILE: warning: ..." line */
static void report(const char *file, const char *severity, const char *what,
                   const char *path, const char *why)
{
    fprintf(stderr, "%s: %s: %s %s: %s\n", file, severity, what, path, why);
}

/* check_readable - 1 (after the error line) when path, a file the delivery
 * reads, does not open for reading as a regular file; else 0 */
static int check_readable(const char *file, const char *what, const char *path)
{
    struct stat st;
    int fd, bad;

    if (path == NULL)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        report(file, "error", what, path, strerror(errno));
        return 1;
    }
    bad = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode);
    close(fd);
    if (bad)
        report(file, "error", what, path, "not a regular file");
    return bad;
}

/* cache_problem - why dir cannot serve as a cache of this user, or NULL;
 * a missing leaf is fine when the user can create it (as the agent does) */
static const char *cache_problem(const char *dir)
{
    char parent[PATH_MAX];
    struct stat st;

    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT)
            return strerror(errno);
        snprintf(parent, sizeof(parent), "%s", dir);
        if (access(dirname(parent), W_OK | X_OK) != 0)
            return "does not exist, and this user cannot create it";
        return NULL;
    }
    if (!S_ISDIR(st.st_mode))
        return "not a directory (symbolic links are not followed)";
    if (st.st_uid != geteuid())
        return "not owned by the agent's user";
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return "writable by group or others";
    if (access(dir, R_OK | W_OK | X_OK) != 0)
        return strerror(errno);
    return NULL;
}

/* check_cache - a warning line when dir is set and unusable */
static void check_cache(const char *file, const char *what, const char *dir)
{
    const char *why = dir != NULL ? cache_problem(dir) : NULL;

    if (why != NULL)
        report(file, "warning", what, dir, why);
}

/* check_entry - the files of one entry; the number of errors (what a
 * destination inherits from defaults is reported once, with defaults) */
static int check_entry(const char *file, const struct policy_entry *e,
                       const struct policy_entry *defaults)
{
    const char *prefix = e == defaults ? "" : "destination ";
    char what[320];

    if (e == defaults || e->session_cache != defaults->session_cache) {
        snprintf(what, sizeof(what), "%s%s session_cache", prefix, e->key);
        check_cache(file, what, e->session_cache);
    }
    if (e != defaults && e->ca_file == defaults->ca_file)
        return 0;
    snprintf(what, sizeof(what), "%s%s ca_file", prefix, e->key);
    return check_readable(file, what, e->ca_file);
}

/* check_tlsrpt - warnings for the tlsrpt section: its state directory
 * (checked as a cache is) and its sendmail command; the tlsrpt subcommand
 * needs them, deliveries do not */
static void check_tlsrpt(const char *file, const struct policy_tlsrpt *t)
{
    if (t == NULL)
        return;
    check_cache(file, "tlsrpt.state_dir", t->state_dir);
    if (access(t->sendmail, X_OK) != 0)
        report(file, "warning", "tlsrpt.sendmail", t->sendmail, strerror(errno));
}

/* check_files - every file and directory a delivery reads, as the current
 * user; the number of errors */
static int check_files(const char *file, const struct policy *p)
{
    const struct policy_entry *defaults = policy_defaults(p);
    int errors = check_readable(file, "dns.trust_anchors", policy_dns(p)->trust_anchors);
    size_t i;

    check_cache(file, "dns.cache", policy_dns(p)->cache);
    check_tlsrpt(file, policy_tlsrpt(p));
    errors += check_entry(file, defaults, defaults);
    for (i = 0; i < policy_ndests(p); i++)
        errors += check_entry(file, policy_entry_at(p, i), defaults);
    return errors;
}

/* check_as_user - check_files() in a child that became the policy's user;
 * the number of errors, the user's own included */
static int check_as_user(const char *file, const struct policy *p)
{
    const char *user = policy_defaults(p)->user, *why;
    struct passwd *pw = getpwnam(user);
    int st, n;
    pid_t pid;

    if (pw == NULL || pw->pw_uid == 0 || pw->pw_gid == 0) {
        report(file, "error", "user", user, pw == NULL ? "no such user"
               : "has user or group id 0");
        return 1 + check_files(file, p);     /* as root: existence only */
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        report(file, "error", "user", user, "cannot fork to check as it");
        return 1;
    }
    if (pid == 0) {
        if (privdrop(user, &why) != 0) {
            report(file, "error", "user", user, why);
            _exit(1);
        }
        n = check_files(file, p);
        fflush(stderr);
        _exit(n < MAX_COUNTED ? n : MAX_COUNTED);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* cmd_policy_check - validate one policy file, then this machine */
int cmd_policy_check(int argc, char **argv)
{
    char err[512];
    enum policy_status status;
    struct policy *policy;
    int syntax = argc == 3 && strcmp(argv[1], "--syntax") == 0, errors = 0;
    const char *file = argv[argc - 1];

    if (argc != 2 + syntax || file[0] == '\0' || (file[0] == '-' && file[1] != '\0')) {
        fprintf(stderr, "usage: dane-agent policy-check [--syntax] POLICY\n");
        return EX_USAGE;
    }
    policy = policy_load_status(file, &status, err, sizeof(err));
    if (policy == NULL) {
        fprintf(stderr, "%s\n", err);
        return status == POLICY_UNREADABLE ? EX_NOINPUT : EX_CONFIG;
    }
    if (!syntax)
        errors = privdrop_started_as_root() ? check_as_user(file, policy) : check_files(file, policy);
    policy_free(policy);
    if (errors > 0)
        return EX_CONFIG;
    printf("%s: OK\n", file);
    return 0;
}
