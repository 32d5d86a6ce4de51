/*
 * main.c - argen's entry point: finds the command and hands it argv.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* name, whether it polls the stop flag (SIGINT and SIGPIPE are then caught, see
 * cli.h; the others keep the default: killed at once), help */
#define COMMANDS(X)                                                                                  \
    X(generate, 1, "run the autoregressive loop: prompt -> tokens, with a JSON trace")               \
    X(compare, 1, "run several decoding strategies on the same prompt, side by side")                \
    X(score, 1, "teacher forcing: the probability the model gives every token of a text")            \
    X(logits, 1, "print the logits of a forward pass over token ids")                                \
    X(info, 1, "print a model's config, parameter count and memory")                                 \
    X(init, 0, "write a random-weight GPT-2 checkpoint folder")                                      \
    X(tokenize, 1, "split text into GPT-2 tokens")                                                   \
    X(detokenize, 1, "turn token ids back into text")                                                \
    X(train_tokenizer, 0, "train a byte-level BPE tokenizer on a text file")                         \
    X(corpus, 1, "write the story corpus whose next-word probabilities are known")                   \
    X(train, 0, "train a GPT-2 model with teacher forcing")                                          \
    X(render, 0, "draw Graphviz diagrams from a trace")                                              \
    X(view, 0, "write one HTML page to step through a trace in a browser")                           \
    X(bench, 1, "measure load, prefill and decode speed")

#define DECLARE(name, polls, help) int cmd_##name(int argc, char **argv);
COMMANDS(DECLARE)

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    int polls_stop_flag;     /* checks *cli_stop_flag() between steps */
    const char *help;
} Command;

#define ENTRY(name, polls, help) {#name, cmd_##name, polls, help},
static const Command commands[] = {COMMANDS(ENTRY)};

static void usage(FILE *f) {
    fprintf(f, "usage: argen COMMAND [options]   (argen COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s", commands[i].name);
        for (char *p = name; *p; p++) if (*p == '_') *p = '-';
        fprintf(f, "  %-16s %s\n", name, commands[i].help);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return EXIT_USAGE; }
    if (cli_is_help(argv[1])) { usage(stdout); return 0; }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s", commands[i].name);
        for (char *p = name; *p; p++) if (*p == '_') *p = '-';
        if (strcmp(argv[1], name) != 0) continue;
        if (commands[i].polls_stop_flag) cli_catch_stop_signals();
        return cli_exit_code(name, commands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "argen: unknown command '%s' (see argen --help)\n", argv[1]);
    return EXIT_USAGE;
}
