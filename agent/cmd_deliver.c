/* cmd_deliver.c - placeholder until this subcommand is implemented */
#include <stdio.h>
#include <sysexits.h>

#include "agent.h"

int cmd_deliver(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "dane-agent: %s: not implemented yet\n", argv[0]);
    return EX_SOFTWARE;
}
