/* cmd_tlsrpt.c - dane-agent tlsrpt -c POLICY [--dry-run] [--day YYYY-MM-DD]
 *                RECORDS...
 *
 * DESCRIPTION
 *   SMTP TLS Reporting (RFC 8460): one aggregate report per policy domain
 *   for one UTC day (§4.2), built from the JSON Lines records deliver
 *   writes (--report FILE). RECORDS are files or directories; a directory
 *   gives its regular files (hidden names aside) in name order, so rotated
 *   files count too; a name ending in ".gz" is read through gzip. Records
 *   outside the day are skipped; a file's malformed lines (a cut-short last
 *   line too) are skipped with one warning line for the file. The day is
 *   --day, else yesterday (UTC) followed by the 3 days before it (without
 *   --dry-run), so that a target or lookup that failed is retried by the
 *   next daily run: the state directory keeps what was sent from being
 *   sent again.
 *
 *   The sessions are grouped by policy domain (tlsrpt.h: a DANE session's
 *   is its next-hop domain, §2). For each domain, the TXT record at
 *   "_smtp._tls.DOMAIN" is looked up through the policy's dns section, the
 *   resolver deliveries use (tlsrpt_send.h); a domain without a valid
 *   record gets no report. The report (§4.4) takes organization-name and
 *   contact-info from the policy's tlsrpt section and the report-id
 *   "YYYY-MM-DD.DOMAIN@SUBMITTER": the same for every run over the same
 *   day, so the state directory can tell what was already sent.
 *
 *   --dry-run prints each report to standard output instead of sending it:
 *   "report-id: ID", "policy-domain: DOMAIN", one "rua: URI" line per
 *   target, the report's JSON on one line and an empty line. Nothing is
 *   sent and the state directory is not touched.
 *
 * DIAGNOSTICS
 *   Exit 0 when every report went to every target (or, with --dry-run, was
 *   printed); 75 when a lookup or a target failed (each a warning line; a
 *   rerun sends only what is missing) or the resolver's capability check
 *   failed; 64 usage; 66 no RECORDS could be read or the policy is
 *   unreadable; 78 invalid policy, no tlsrpt section, an unusable
 *   state_dir; 70 internal error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "cache_store.h"
#include "dnsplan.h"
#include "privdrop.h"
#include "tlsrpt_send.h"

#define DAY_LEN 10              /* "YYYY-MM-DD" */
#define DIR_FILES_MAX 10000u    /* files read from one directory */
#define DAY_SECONDS (24 * 3600)
#define TLSRPT_RETRY_DAYS 3u    /* days before yesterday retried by default */

struct tlsrpt_args {
    const char *policy;
    const char *day;            /* NULL: yesterday */
    int dry_run;
    char **records;
    size_t nrecords;
};

/* One run: its policy, window, aggregation and what it met. */
struct run {
    const struct tlsrpt_args *args;
    const struct policy *policy;
    const struct policy_tlsrpt *conf;
    time_t start, end;
    struct tlsrpt_agg *agg;
    size_t files_read;
    int quiet;                  /* no warnings about the files (a retry day) */
};

static int usage(const char *why)
{
    fprintf(stderr, "dane-agent: tlsrpt: %s\n"
            "usage: dane-agent tlsrpt -c POLICY [--dry-run] [--day YYYY-MM-DD] "
            "RECORDS...\n", why);
    return EX_USAGE;
}

/* parse_args - 0, or -1 with *why; records point into argv */
static int parse_args(int argc, char **argv, struct tlsrpt_args *a, const char **why)
{
    memset(a, 0, sizeof *a);
    a->records = argv + 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if ((strcmp(arg, "-c") == 0 || strcmp(arg, "--day") == 0) && i + 1 >= argc) {
            *why = "option needs a value";
            return -1;
        }
        if (strcmp(arg, "-c") == 0)
            a->policy = argv[++i];
        else if (strcmp(arg, "--day") == 0)
            a->day = argv[++i];
        else if (strcmp(arg, "--dry-run") == 0)
            a->dry_run = 1;
        else if (strcmp(arg, "--") == 0)
            while (++i < argc)
                a->records[a->nrecords++] = argv[i];
        else if (arg[0] != '-' || arg[1] == '\0')
            a->records[a->nrecords++] = argv[i];    /* behind i: argv reused */
        else {
            *why = "unknown option";
            return -1;
        }
    }
    *why = a->policy == NULL ? "-c POLICY is required"
         : a->nrecords == 0 ? "RECORDS are required" : NULL;
    return *why == NULL ? 0 : -1;
}

/* parse_day - "YYYY-MM-DD" (a day that exists) to its UTC window; 0 or -1 */
static int parse_day(const char *s, time_t *start, time_t *end)
{
    struct tm tm, back;
    int year, mon, mday;
    time_t t;

    memset(&tm, 0, sizeof tm);
    if (strlen(s) != DAY_LEN || s[4] != '-' || s[7] != '-')
        return -1;
    for (size_t i = 0; i < DAY_LEN; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    tm.tm_year = year = atoi(s) - 1900;
    tm.tm_mon = mon = atoi(s + 5) - 1;
    tm.tm_mday = mday = atoi(s + 8);
    tm.tm_hour = 12;
    t = timegm(&tm);            /* normalises tm: February 30th is March */
    if (gmtime_r(&t, &back) == NULL || back.tm_year != year ||
        back.tm_mon != mon || back.tm_mday != mday)
        return -1;
    return tlsrpt_utc_day(t, start, end);
}

/* file_warnings - one line for what reading path met: malformed lines
 * (before: the stats before the file), a read error */
static void file_warnings(const struct run *r, const char *path,
                          const struct tlsrpt_stats *before, const char *why)
{
    const struct tlsrpt_stats *st = tlsrpt_agg_stats(r->agg);
    uint64_t n = st->malformed - before->malformed;

    if (why != NULL)
        fprintf(stderr, "dane-agent: tlsrpt: warning: %s: %s%s\n", path, why,
                n > 0 ? " (and malformed lines skipped)" : "");
    else if (n > 0 && before->malformed == 0)
        fprintf(stderr, "dane-agent: tlsrpt: warning: %s: %llu malformed line(s) "
                "skipped, the first (line %llu): %s\n", path, (unsigned long long)n,
                (unsigned long long)(st->first_malformed - before->lines),
                st->malformed_why);
    else if (n > 0)
        fprintf(stderr, "dane-agent: tlsrpt: warning: %s: %llu malformed line(s) "
                "skipped\n", path, (unsigned long long)n);
}

/* read_file - the records of one file (fd open on it) */
static void read_file(struct run *r, const char *path, int fd)
{
    struct tlsrpt_stats before = *tlsrpt_agg_stats(r->agg);
    size_t n = strlen(path);
    const char *why = NULL;
    int rc;

    if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
        rc = tlsrpt_agg_read_gzip(r->agg, fd, &why);
    else
        rc = tlsrpt_agg_read(r->agg, fd, &why);
    if (!r->quiet)
        file_warnings(r, path, &before, rc == 0 ? NULL : why);
    r->files_read++;
}

/* open_regular - path (at dirfd, or as it is with AT_FDCWD) opened for
 * reading when it is a regular file; -1 with *why, *is_dir when a directory */
static int open_regular(int dirfd, const char *path, int *is_dir, const char **why)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;

    *is_dir = 0;
    if (fd < 0) {
        *why = strerror(errno);
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode))
        return fd;
    *is_dir = S_ISDIR(st.st_mode);
    *why = "not a regular file or directory";
    if (!*is_dir)
        close(fd);
    return *is_dir ? fd : -1;
}

/* by_name - qsort order of directory entries */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* read_dir - the regular files of the directory open on dfd, in name
 * order; dfd is closed */
static void read_dir(struct run *r, const char *path, int dfd)
{
    DIR *d = fdopendir(dfd);
    char **names = calloc(DIR_FILES_MAX, sizeof *names), full[4096];
    size_t n = 0;
    struct dirent *e;

    while (d != NULL && names != NULL && n < DIR_FILES_MAX && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)) != NULL)
            n++;
    if ((d == NULL || names == NULL || n == DIR_FILES_MAX) && !r->quiet)
        fprintf(stderr, "dane-agent: tlsrpt: warning: %s: %s\n", path,
                n == DIR_FILES_MAX ? "10000 files or more: only the first "
                "10000 found are read" : "cannot read the directory");
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        int is_dir, fd = open_regular(dirfd(d), names[i], &is_dir, &why);

        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (fd >= 0 && !is_dir)
            read_file(r, full, fd);
        if (fd >= 0)
            close(fd);
        free(names[i]);
    }
    free(names);
    if (d != NULL)
        closedir(d);
    else
        close(dfd);
}

/* read_records - every RECORDS argument; a path that cannot be read is a
 * warning */
static void read_records(struct run *r)
{
    for (size_t i = 0; i < r->args->nrecords; i++) {
        const char *path = r->args->records[i], *why = NULL;
        int is_dir, fd = open_regular(AT_FDCWD, path, &is_dir, &why);

        if (fd < 0) {
            if (!r->quiet)
                fprintf(stderr, "dane-agent: tlsrpt: warning: %s: %s\n", path, why);
        } else if (is_dir) {
            read_dir(r, path, fd);
        } else {
            read_file(r, path, fd);
            close(fd);
        }
    }
}

/* print_report - the --dry-run form of one report (see the top) */
static void print_report(const struct tlsrpt_job *job, const struct tlsrpt_txt *txt)
{
    printf("report-id: %s\npolicy-domain: %s\n", job->report_id, job->domain);
    for (size_t i = 0; i < txt->nrua; i++)
        printf("rua: %s\n", txt->rua[i].uri);
    printf("%s\n\n", job->json);
}

/* one_domain - the report of domain i: looked up, built, printed or
 * delivered; the number of failures (lookups and targets) */
static size_t one_domain(const struct run *r, const struct tlsrpt_sender *s, size_t i)
{
    const char *domain = tlsrpt_agg_domain(r->agg, i), *why = NULL;
    char id[TLSRPT_HOST_MAX * 2 + 32], day[DAY_LEN + 1];
    struct tlsrpt_org org = { r->conf->organization_name, r->conf->contact_info, id };
    struct tlsrpt_job job = { domain, id, NULL, 0, r->start, r->end };
    struct tlsrpt_txt txt;
    struct tm tm;
    size_t failed = 0;
    char *json;

    switch (tlsrpt_lookup(s->resolver, domain, &txt)) {
    case TLSRPT_LOOKUP_FAILED: return 1;
    case TLSRPT_LOOKUP_NONE: return 0;
    case TLSRPT_LOOKUP_FOUND: break;
    }
    gmtime_r(&r->start, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(id, sizeof id, "%s.%s@%s", day, domain, r->conf->submitter);
    if ((json = tlsrpt_report_json(r->agg, i, &org, &job.len, &why)) == NULL) {
        fprintf(stderr, "dane-agent: tlsrpt: warning: %s: %s\n", domain, why);
        return 1;
    }
    job.json = json;
    if (r->args->dry_run)
        print_report(&job, &txt);
    else
        failed = tlsrpt_deliver(s, &job, &txt);
    free(json);
    return failed;
}

/* report_all - every domain's report; the exit status */
static int report_all(struct run *r)
{
    struct tlsrpt_sender s = { r->policy, r->conf, NULL, NULL };
    size_t failed = 0;
    const char *why = NULL;
    char err[512];
    int code;

    if (tlsrpt_agg_domains(r->agg) == 0)
        return 0;
    if (!r->args->dry_run && (s.state = tlsrpt_state_open(r->conf, &why)) == NULL) {
        fprintf(stderr, "dane-agent: tlsrpt: tlsrpt.state_dir %s: %s\n",
                r->conf->state_dir, why);
        return EX_CONFIG;
    }
    s.resolver = dnsplan_resolver(policy_dns(r->policy), 0, err, sizeof err);
    if (s.resolver == NULL) {
        fprintf(stderr, "dane-agent: tlsrpt: %s\n", err);
        cache_store_close(s.state);
        return EX_TEMPFAIL;
    }
    if (dnsplan_cache_warning(s.resolver, policy_dns(r->policy), err, sizeof err))
        fprintf(stderr, "dane-agent: tlsrpt: %s\n", err);
    for (size_t i = 0; i < tlsrpt_agg_domains(r->agg); i++)
        failed += one_domain(r, &s, i);
    fflush(stdout);
    code = failed > 0 ? EX_TEMPFAIL : 0;
    if (failed > 0)
        fprintf(stderr, "dane-agent: tlsrpt: %zu report target(s) or lookup(s) "
                "failed: run again later\n", failed);
    dns_resolver_free(s.resolver);
    cache_store_close(s.state);
    return code;
}

/* run_day - the reports of the day holding t (warnings about the files
 * unless quiet); the exit status */
static int run_day(struct run *r, time_t t, int quiet)
{
    int code;

    r->quiet = quiet;
    r->files_read = 0;
    if (tlsrpt_utc_day(t, &r->start, &r->end) != 0 ||
        (r->agg = tlsrpt_agg_new(r->start, r->end)) == NULL) {
        fprintf(stderr, "dane-agent: tlsrpt: out of memory\n");
        return EX_SOFTWARE;
    }
    read_records(r);
    if (r->files_read == 0) {
        fprintf(stderr, "dane-agent: tlsrpt: no RECORDS file could be read\n");
        code = EX_NOINPUT;
    } else {
        code = report_all(r);
    }
    tlsrpt_agg_free(r->agg);
    r->agg = NULL;
    return code;
}

/* run_policy - the run once the policy is loaded: --day, or yesterday and
 * then, to retry what failed, the TLSRPT_RETRY_DAYS days before it (the
 * state keeps what was sent from being sent again); the exit status */
static int run_policy(const struct tlsrpt_args *a, const struct policy *policy)
{
    struct run r = { a, policy, policy_tlsrpt(policy), 0, 0, NULL, 0, 0 };
    time_t t = time(NULL) - DAY_SECONDS, end;
    const char *why = NULL;
    int code;

    if (r.conf == NULL) {
        fprintf(stderr, "dane-agent: tlsrpt: %s: no tlsrpt section\n", a->policy);
        return EX_CONFIG;
    }
    if (a->day != NULL && parse_day(a->day, &t, &end) != 0)
        return usage("--day is not a date YYYY-MM-DD");
    if (privdrop(policy_defaults(policy)->user, &why) != 0) {
        fprintf(stderr, "dane-agent: tlsrpt: refusing to run as root: %s\n", why);
        return EX_CONFIG;
    }
    code = run_day(&r, t, 0);
    for (unsigned k = 1; a->day == NULL && !a->dry_run && k <= TLSRPT_RETRY_DAYS &&
                         (code == 0 || code == EX_TEMPFAIL); k++) {
        int again = run_day(&r, t - (time_t)k * DAY_SECONDS, 1);

        code = again != 0 ? again : code;
    }
    return code;
}

int cmd_tlsrpt(int argc, char **argv)
{
    struct tlsrpt_args a;
    enum policy_status status;
    struct policy *policy;
    const char *why = NULL;
    char err[512];
    int code;

    if (parse_args(argc, argv, &a, &why) != 0)
        return usage(why);
    policy = policy_load_status(a.policy, &status, err, sizeof err);
    if (policy == NULL) {
        fprintf(stderr, "dane-agent: tlsrpt: %s\n", err);
        return status == POLICY_UNREADABLE ? EX_NOINPUT : EX_CONFIG;
    }
    code = run_policy(&a, policy);
    policy_free(policy);
    return code;
}
