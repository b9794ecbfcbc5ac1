/* privdrop.h - leave root before any network input (deliver, probe)
 *
 * Started as root (any of the real, effective or saved user ids is 0),
 * privdrop() switches the process to the configured unprivileged user
 * (policy key `user`, default nobody): supplementary groups become the
 * user's primary group only, then the real, effective and saved group and
 * user ids all become the user's. It then verifies the result: every id is
 * the user's, the group list holds only its group, and neither setuid(0)
 * nor seteuid(0) nor setgid(0) succeeds. A user that does not exist or has
 * uid 0, or any step that fails, is an error: the caller must then refuse
 * to run (cmd_deliver exits 78, which pipe(8) defers).
 *
 * Not started as root, privdrop() changes nothing and succeeds: the queue
 * manager (pipe(8) user=) already chose the user.
 *
 * Files opened before the call (policy, message, report file, syslog)
 * stay usable; anything opened later (DNS trust anchors, CA files, the
 * session cache) must be readable by the user.
 */
#ifndef DANE_AGENT_PRIVDROP_H
#define DANE_AGENT_PRIVDROP_H

/* privdrop - become user when started as root; 0, or -1 with *why set to
 * a static reason (the process may then be partly changed: do not go on) */
int privdrop(const char *user, const char **why);

/* privdrop_started_as_root - 1 when privdrop() would switch user (any of
 * the real, effective or saved user ids is 0, or they cannot be read) */
int privdrop_started_as_root(void);

#endif
