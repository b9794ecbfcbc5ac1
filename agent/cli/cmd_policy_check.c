/* cmd_policy_check.c - `dane-agent policy-check POLICY`
 *
 * Loads the policy exactly as deliver and probe do and says whether it is
 * valid: "POLICY: OK" on standard output and exit 0, or the first error as
 * "FILE:LINE:COL: message" on standard error and exit 78 (EX_CONFIG); a
 * missing or unreadable file exits 66 (EX_NOINPUT), bad usage 64.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "agent.h"
#include "policy.h"

/* cmd_policy_check - validate one policy file */
int cmd_policy_check(int argc, char **argv)
{
    char err[512];
    enum policy_status status;
    struct policy *policy;

    if (argc != 2 || argv[1][0] == '\0' ||
        (argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr, "usage: dane-agent policy-check POLICY\n");
        return EX_USAGE;
    }
    policy = policy_load_status(argv[1], &status, err, sizeof(err));
    if (policy == NULL) {
        fprintf(stderr, "%s\n", err);
        return status == POLICY_UNREADABLE ? EX_NOINPUT : EX_CONFIG;
    }
    policy_free(policy);
    printf("%s: OK\n", argv[1]);
    return 0;
}
