/* cmd_logits.c - placeholder until this command lands. */
#include <stdio.h>

#include "cli.h"

int cmd_logits(int argc, char **argv) {
    (void)argc;
    fprintf(stderr, "argen %s: not implemented yet\n", argv[0]);
    return EXIT_FAIL;
}
