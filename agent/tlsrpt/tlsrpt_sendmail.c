/* tlsrpt_sendmail.c - hand a report message to the local MTA's sendmail
 *                     command (tlsrpt.h) */
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "tlsrpt.h"

/* child - the sendmail command, stdin the pipe's read end; never returns */
static void child(int rd, int wr, const char *path, const char *sender,
                  const char *rcpt)
{
    close(wr);
    if (dup2(rd, STDIN_FILENO) < 0)
        _exit(127);
    if (rd != STDIN_FILENO)
        close(rd);
    /* -oi: a line of one "." does not end the message; "--": rcpt is no
     * option whatever it begins with */
    char *const argv[] = { (char *)path, "-oi", "-f", (char *)sender, "--",
                           (char *)rcpt, NULL };
    execv(path, argv);
    _exit(127);
}

/* reap - wait for pid; its exit status, or -1 when it did not exit */
static int reap(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int tlsrpt_sendmail(const char *path, const char *sender, const char *rcpt,
                    const char *msg, size_t len, const char **why)
{
    int fds[2];
    if (pipe(fds) < 0) {
        *why = "sendmail: pipe failed";
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        *why = "sendmail: fork failed";
        return -1;
    }
    if (pid == 0)
        child(fds[0], fds[1], path, sender, rcpt);
    close(fds[0]);
    int wrote = io_write_all(fds[1], msg, len);
    close(fds[1]);
    int rc = reap(pid);
    if (rc == 127) {
        *why = "sendmail: the command could not be run";
        return -1;
    }
    if (rc != 0) {
        *why = rc < 0 ? "sendmail: the command was killed"
                      : "sendmail: the command exited non-zero";
        return -1;
    }
    if (wrote != 0) {
        *why = "sendmail: the command did not read the whole message";
        return -1;
    }
    return 0;
}
