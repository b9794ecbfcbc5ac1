/* cmd_serve.c - `dane-agent serve`: a resident LMTP (RFC 2033) delivery
 * service for a queue manager's LMTP client (Postfix lmtp(8))
 *
 * serve -c POLICY --listen unix:PATH|inet:ADDRESS:PORT [--workers N]
 *       [--connections N] [--idle-timeout SECONDS] [--max-line OCTETS]
 *       [--max-recipients N] [--max-size OCTETS] [--reuse-time-limit SECONDS]
 *       [--reuse-count-limit N] [--log-stderr]
 *
 * Order of work: arguments (64), policy (78), the listening socket (71; an
 * inet address must be loopback: the service authenticates nobody), the
 * switch to the policy's default user (78), then the supervisor in the
 * foreground. It keeps N worker processes; each accepts one connection at a
 * time, serves it (serve.h), exits after --connections connections and is
 * replaced. SIGTERM or SIGINT: the socket is closed, the workers are told to
 * stop (SIGTERM: a transaction under way runs to its last reply, a delivery
 * is finished and answered; then the session ends with 421 4.3.2) and
 * waited for, the defaults entry's delivery_timeout plus STOP_GRACE_S at
 * most, then killed; exit 0. SIGHUP (as Postfix's reload): the policy file
 * is read again. Valid, it is in force for every worker started from then
 * on, and each running worker is told to stop as above and is replaced as
 * it ends (an idle one at once). Invalid or unreadable, or naming another
 * default user (privileges are already dropped: restart to change user),
 * it is refused in one log line and the old policy stays in force. Workers
 * ignore SIGHUP. A worker that dies answers nothing: the client defers and
 * retries. A worker whose supervisor dies gets SIGTERM (PR_SET_PDEATHSIG).
 * A worker keeps its warm state (deliver.h: DNS resolver, TLS contexts, CA
 * stores, outbound connections within the --reuse limits, delivery_warm.h)
 * until it exits: a reload replaces it with the worker.
 */
#define _GNU_SOURCE     /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "deliver.h"
#include "delivery_warm.h"
#include "privdrop.h"
#include "report.h"
#include "serve.h"

#define WORKERS_DEFAULT     4u
#define WORKERS_MAX         64u
#define CONNECTIONS_DEFAULT 100u
#define IDLE_TIMEOUT_DEFAULT 300u   /* Postfix smtpd_timeout */
#define STOP_GRACE_S        10u     /* after a delivery_timeout */
/* outbound connection reuse, as Postfix smtp_connection_reuse_time_limit
 * and smtp_connection_cache_time_limit; at most 100 messages a connection */
#define REUSE_TIME_DEFAULT  300u
#define REUSE_COUNT_DEFAULT 100u
#define REUSE_IDLE_MS       2000u
#define LISTEN_BACKLOG      64

struct serve_options {
    const char *policy_path;
    struct policy *policy;  /* in force for new workers; owned */
    const char *listen;
    unsigned workers, connections;
    struct delivery_reuse reuse;    /* outbound connection reuse */
    struct serve_config cfg;
    int size_given;
    unsigned stop_wait_s;   /* for the workers to end after SIGTERM */
};

static volatile sig_atomic_t got_stop;    /* a worker's: SIGTERM or SIGINT */

static void on_stop(int sig)
{
    (void)sig;
    got_stop = 1;
}

static const char worker_alarm_msg[] =
    "dane-agent serve: delivery time limit exceeded, worker exits unanswered\n";

/* log_line - one line to syslog and standard error */
static void log_line(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_line(int priority, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    report_log_line(priority, line, stderr);
}

enum { OPT_LISTEN = 256, OPT_WORKERS, OPT_CONNECTIONS, OPT_IDLE, OPT_LINE, OPT_RCPTS,
       OPT_SIZE, OPT_LOG_STDERR, OPT_REUSE_TIME, OPT_REUSE_COUNT };

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"max-line", required_argument, NULL, OPT_LINE},
    {"max-recipients", required_argument, NULL, OPT_RCPTS},
    {"max-size", required_argument, NULL, OPT_SIZE},
    {"log-stderr", no_argument, NULL, OPT_LOG_STDERR},
    {"reuse-time-limit", required_argument, NULL, OPT_REUSE_TIME},
    {"reuse-count-limit", required_argument, NULL, OPT_REUSE_COUNT},
    {NULL, 0, NULL, 0},
};

/* number - a decimal in [min, max]; -1 otherwise */
static int number(const char *s, unsigned long long min, unsigned long long max,
                  unsigned long long *out)
{
    char *end;

    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && *out >= min && *out <= max ? 0 : -1;
}

/* The numeric options and their ranges */
static const struct numopt {
    int opt;
    unsigned long long min, max;
    const char *why;
} numopts[] = {
    {OPT_WORKERS, 1, WORKERS_MAX, "--workers takes 1 to 64"},
    {OPT_CONNECTIONS, 1, 1000000, "--connections takes 1 to 1000000"},
    {OPT_IDLE, 1, 3600, "--idle-timeout takes 1 to 3600 seconds"},
    {OPT_LINE, LMTP_LINE_MAX_MIN, 65536, "--max-line takes 512 to 65536 octets"},
    /* RFC 5321 §4.5.3.1.8: at least 100 recipients */
    {OPT_RCPTS, 100, SMTP_MAX_RCPTS, "--max-recipients takes 100 to 1000"},
    {OPT_SIZE, 1024, UINT64_MAX, "--max-size takes 1024 octets or more"},
    {OPT_REUSE_TIME, 0, 3600, "--reuse-time-limit takes 0 (no reuse) to 3600 seconds"},
    {OPT_REUSE_COUNT, 0, 1000000, "--reuse-count-limit takes 0 (no limit) to 1000000"},
};

/* option - one numeric option into o; -1 with *why */
static int option(int opt, const char *arg, struct serve_options *o, const char **why)
{
    unsigned long long v;
    size_t i = 0;

    while (i < sizeof(numopts) / sizeof(numopts[0]) && numopts[i].opt != opt)
        i++;
    *why = i < sizeof(numopts) / sizeof(numopts[0]) ? numopts[i].why
                                                   : "unknown option or missing option argument";
    if (i == sizeof(numopts) / sizeof(numopts[0])
        || number(arg, numopts[i].min, numopts[i].max, &v) != 0)
        return -1;
    switch (opt) {
    case OPT_WORKERS: o->workers = (unsigned)v; break;
    case OPT_CONNECTIONS: o->connections = (unsigned)v; break;
    case OPT_IDLE: o->cfg.idle_timeout_s = (unsigned)v; break;
    case OPT_LINE: o->cfg.limits.line_max = (size_t)v; break;
    case OPT_RCPTS: o->cfg.limits.rcpt_max = (size_t)v; break;
    case OPT_REUSE_TIME: o->reuse.time_limit_s = (unsigned)v; break;
    case OPT_REUSE_COUNT: o->reuse.count_limit = (unsigned)v; break;
    default: o->cfg.limits.size_max = v; o->size_given = 1; break;
    }
    return 0;
}

/* parse - the command line into o; 0, or -1 with *why (exit 64) */
static int parse(int argc, char **argv, struct serve_options *o, const char **why)
{
    int opt;

    memset(o, 0, sizeof(*o));
    o->workers = WORKERS_DEFAULT;
    o->connections = CONNECTIONS_DEFAULT;
    o->cfg.idle_timeout_s = IDLE_TIMEOUT_DEFAULT;
    o->reuse = (struct delivery_reuse){REUSE_TIME_DEFAULT, REUSE_COUNT_DEFAULT,
                                       REUSE_IDLE_MS};
    o->cfg.limits = (struct lmtp_limits){LMTP_LINE_MAX_DEFAULT, LMTP_RCPT_MAX_DEFAULT,
                                         LMTP_SIZE_MAX_DEFAULT};
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+c:", options, NULL)) != -1) {
        if (opt == 'c')
            o->policy_path = optarg;
        else if (opt == OPT_LISTEN)
            o->listen = optarg;
        else if (opt == OPT_LOG_STDERR)
            o->cfg.log_stderr = 1;
        else if (option(opt, optarg, o, why) != 0)
            return -1;
    }
    if (o->policy_path == NULL || o->listen == NULL || optind != argc) {
        *why = "-c POLICY and --listen unix:PATH|inet:ADDRESS:PORT are required, "
               "and nothing else";
        return -1;
    }
    return 0;
}

/* in_use - 1 when something accepts connections at the socket */
static int in_use(const struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), up;

    if (fd < 0)
        return 0;
    up = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
    close(fd);
    return up;
}

/* listen_unix - a stream socket at path, mode 0666: who may connect is
 * decided by the directory's permissions, as for Postfix's own private/
 * sockets. A stale socket left by a killed service is replaced; one that
 * another process serves is not. */
static int listen_unix(const char *path, char *err, size_t errsize)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct stat st;
    int fd;

    if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(err, errsize, "unix:PATH must be an absolute path of at most %zu octets",
                 sizeof(sun.sun_path) - 1);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        if (in_use(&sun)) {
            snprintf(err, errsize, "cannot listen on %s: another process serves it", path);
            return -1;
        }
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0
        || chmod(path, 0666) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errsize, "cannot listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* loopback_addr - ADDRESS:PORT (IPv4 in 127.0.0.0/8, or [::1]) into ss;
 * -1 with err for anything else */
static int loopback_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
                         char *err, size_t errsize)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    const char *colon = strrchr(spec, ':');
    unsigned long long port;
    char host[64];
    size_t hlen = colon != NULL ? (size_t)(colon - spec) : 0;

    memset(ss, 0, sizeof(*ss));
    if (colon == NULL || hlen == 0 || hlen >= sizeof(host) || number(colon + 1, 1, 65535, &port)) {
        snprintf(err, errsize, "inet:ADDRESS:PORT expected, with a port of 1 to 65535");
        return -1;
    }
    memcpy(host, spec, hlen);
    host[hlen] = '\0';
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1
        && (ntohl(in4->sin_addr.s_addr) >> 24) == 127) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof(*in4);
        return 0;
    }
    if (strcmp(host, "[::1]") == 0) {
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    /* the service authenticates no client: loopback only */
    snprintf(err, errsize, "refusing %.64s: inet addresses must be loopback "
             "(127.0.0.0/8 or [::1])", host);
    return -1;
}

/* listen_inet - a TCP socket on a loopback ADDRESS:PORT */
static int listen_inet(const char *spec, char *err, size_t errsize)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int fd, one = 1;

    if (loopback_addr(spec, &ss, &len, err, errsize) != 0)
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errsize, "cannot listen on %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* listen_on - unix:PATH or inet:ADDRESS:PORT */
static int listen_on(const char *spec, char *err, size_t errsize)
{
    if (strncmp(spec, "unix:", 5) == 0)
        return listen_unix(spec + 5, err, errsize);
    if (strncmp(spec, "inet:", 5) == 0)
        return listen_inet(spec + 5, err, errsize);
    snprintf(err, errsize, "--listen takes unix:PATH or inet:ADDRESS:PORT");
    return -1;
}

/* worker - accept and serve one connection at a time, o->connections in
 * all, or until told to stop; never returns */
static void worker(const struct serve_options *o, int lfd, pid_t supervisor)
{
    struct deliver_warm warm = {.delivery = delivery_warm_new(&o->reuse)};
    struct serve_config cfg = o->cfg;
    struct sigaction sa;
    sigset_t none;
    unsigned served = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);    /* the supervisor reloads, then stops us */
    /* a supervisor that dies (SIGKILL) leaves no worker serving on */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != supervisor)
        _exit(0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* a delivery past its deadline: the worker dies unanswered, the
     * client defers (the supervisor logs it and starts another) */
    deliver_on_alarm(STDERR_FILENO, worker_alarm_msg, sizeof(worker_alarm_msg) - 1,
                     EX_TEMPFAIL);
    cfg.warm = &warm;   /* DNS, TLS and PKIX state kept across connections */
    while (served < o->connections && !got_stop) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        int fd;

        if (poll(&p, 1, 1000) <= 0 || got_stop) {  /* a tick, or told to stop */
            delivery_warm_expire(warm.delivery, clock_now_ms());
            continue;
        }
        fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)     /* another worker took it, or the client left */
            continue;
        served++;
        serve_connection(&cfg, fd, &got_stop);
    }
    deliver_warm_free(&warm);
    _exit(0);
}

/* reap - collect the workers that ended; their slots become 0 */
static void reap(pid_t *pids, unsigned n)
{
    pid_t pid;
    int st;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (unsigned i = 0; i < n; i++)
            if (pids[i] == pid)
                pids[i] = 0;
        if (WIFSIGNALED(st))
            log_line(LOG_WARNING, "serve: worker %ld killed by signal %d; a transaction "
                     "under way got no reply (the client retries)", (long)pid, WTERMSIG(st));
        else if (WEXITSTATUS(st) != 0)
            log_line(LOG_WARNING, "serve: worker %ld exited with status %d; a transaction "
                     "under way got no reply (the client retries)", (long)pid,
                     WEXITSTATUS(st));
    }
}

/* fill - a worker in every empty slot; the number started */
static unsigned fill(const struct serve_options *o, int lfd, pid_t *pids)
{
    unsigned started = 0;
    pid_t self = getpid();

    for (unsigned i = 0; i < o->workers; i++) {
        if (pids[i] != 0)
            continue;
        pids[i] = fork();
        if (pids[i] == 0)
            worker(o, lfd, self);
        if (pids[i] < 0) {
            log_line(LOG_ERR, "serve: cannot start a worker: %s", strerror(errno));
            pids[i] = 0;
            break;
        }
        started++;
    }
    return started;
}

/* wait_signal - the next of set within ms, or 0 */
static int wait_signal(const sigset_t *set, long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);

    return sig > 0 ? sig : 0;
}

/* stop_workers - SIGTERM to each, wait_s for them to end (a delivery under
 * way is finished), then SIGKILL */
static void stop_workers(pid_t *pids, unsigned n, unsigned wait_s, const sigset_t *set)
{
    uint64_t deadline = clock_now_ms() + wait_s * 1000ull;
    unsigned alive = n;

    for (unsigned i = 0; i < n; i++)
        if (pids[i] != 0)
            kill(pids[i], SIGTERM);
    while (alive > 0 && clock_now_ms() < deadline) {
        wait_signal(set, 200);
        reap(pids, n);
        alive = 0;
        for (unsigned i = 0; i < n; i++)
            alive += pids[i] != 0;
    }
    for (unsigned i = 0; i < n; i++)
        if (pids[i] != 0) {
            log_line(LOG_WARNING, "serve: worker %ld did not stop in %u s, killed",
                     (long)pids[i], wait_s);
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0);
        }
}

/* apply - policy in force for the workers started from now on (o owns it,
 * the previous one is freed), with the limits of its defaults entry */
static void apply(struct serve_options *o, struct policy *policy)
{
    const struct policy_entry *def = policy_defaults(policy);
    unsigned wait_s = def->delivery_timeout_ms / 1000u + STOP_GRACE_S;

    policy_free(o->policy);
    o->policy = policy;
    o->cfg.policy = policy;
    if (!o->size_given)
        o->cfg.limits.size_max = def->max_message_size != 0 ? def->max_message_size
                                                            : LMTP_SIZE_MAX_DEFAULT;
    /* a worker started under an earlier policy keeps its deadline */
    if (wait_s > o->stop_wait_s)
        o->stop_wait_s = wait_s;
}

/* reload - SIGHUP: the policy file read again and, when it can be
 * applied, put in force; each running worker is told to stop (it finishes
 * the transaction under way) and fill() replaces it once it has ended */
static void reload(struct serve_options *o, const pid_t *pids)
{
    const char *was = policy_defaults(o->policy)->user, *now;
    enum policy_status pst;
    char err[1024];
    struct policy *p = policy_load_status(o->policy_path, &pst, err, sizeof(err));

    if (p == NULL) {
        log_line(LOG_ERR, "serve: SIGHUP: policy not reloaded, the running one stays in "
                 "force: %s", err);
        return;
    }
    now = policy_defaults(p)->user;
    if (strcmp(was, now) != 0) {    /* privileges are dropped for good */
        log_line(LOG_ERR, "serve: SIGHUP: policy not reloaded, the running one stays in "
                 "force: it names user %.64s instead of %.64s (restart to change user)",
                 now, was);
        policy_free(p);
        return;
    }
    apply(o, p);
    for (unsigned i = 0; i < o->workers; i++)
        if (pids[i] != 0)
            kill(pids[i], SIGTERM);
    log_line(LOG_INFO, "serve: SIGHUP: policy reloaded from %s; each worker is replaced "
             "once its transaction under way has ended", o->policy_path);
}

/* supervise - keep o->workers workers until SIGTERM or SIGINT, reloading
 * the policy on SIGHUP; the listening socket is closed before the workers
 * are stopped */
static int supervise(struct serve_options *o, int lfd)
{
    pid_t pids[WORKERS_MAX] = {0};
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    while (sig != SIGTERM && sig != SIGINT) {
        /* workers that die at once are replaced at most ten times a second */
        if (fill(o, lfd, pids) > 0)
            nanosleep(&(struct timespec){.tv_nsec = 100000000L}, NULL);
        sig = wait_signal(&set, 1000);
        if (sig == SIGHUP)
            reload(o, pids);
        reap(pids, o->workers);
    }
    close(lfd);
    stop_workers(pids, o->workers, o->stop_wait_s, &set);
    log_line(LOG_INFO, "serve: stopped");
    return 0;
}

/* start - listen, leave root, supervise; the exit status */
static int start(struct serve_options *o)
{
    const struct policy_entry *def = policy_defaults(o->policy);
    char err[1024], host[256] = "localhost";
    const char *why;
    int lfd;

    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "localhost");
    o->cfg.hostname = host;
    if ((lfd = listen_on(o->listen, err, sizeof(err))) < 0) {
        log_line(LOG_ERR, "serve: %s", err);
        return EX_OSERR;
    }
    if (privdrop(def->user, &why) != 0) {       /* before any client's input */
        log_line(LOG_ERR, "serve: cannot run as user %.64s: %s", def->user, why);
        close(lfd);
        return EX_CONFIG;
    }
    log_line(LOG_INFO, "serve: listening on %s, %u workers", o->listen, o->workers);
    return supervise(o, lfd);
}

/* cmd_serve - the resident LMTP delivery service */
int cmd_serve(int argc, char **argv)
{
    struct serve_options o;
    enum policy_status pst;
    struct policy *policy;
    const char *why = NULL;
    char err[1024];
    int status;

    if (parse(argc, argv, &o, &why) != 0) {
        fprintf(stderr, "dane-agent serve: %s\n", why);
        return EX_USAGE;
    }
    policy = policy_load_status(o.policy_path, &pst, err, sizeof(err));
    if (policy == NULL) {
        fprintf(stderr, "dane-agent serve: invalid policy: %s\n", err);
        return EX_CONFIG;
    }
    apply(&o, policy);
    report_log_open();
    status = start(&o);
    if (strncmp(o.listen, "unix:", 5) == 0 && status == 0)
        unlink(o.listen + 5);
    policy_free(o.policy);
    return status;
}
