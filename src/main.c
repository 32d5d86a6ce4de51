/*
 * main.c - argen's entry point: finds the command and hands it argv.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define COMMANDS(X)                                                                          \
    X(generate, "run the autoregressive loop: prompt -> tokens, with a JSON trace")          \
    X(compare, "run several decoding strategies on the same prompt, side by side")          \
    X(score, "teacher forcing: the probability the model gives every token of a text")       \
    X(logits, "print the logits of a forward pass over token ids")                           \
    X(info, "print a model's config, parameter count and memory")                            \
    X(init, "write a random-weight GPT-2 checkpoint folder")                                 \
    X(tokenize, "split text into GPT-2 tokens")                                              \
    X(detokenize, "turn token ids back into text")                                           \
    X(train_tokenizer, "train a byte-level BPE tokenizer on a text file")                    \
    X(corpus, "write the story corpus whose next-word probabilities are known")              \
    X(train, "train a GPT-2 model with teacher forcing")                                     \
    X(render, "draw Graphviz diagrams from a trace")                                         \
    X(bench, "measure load, prefill and decode speed")

#define DECLARE(name, help) int cmd_##name(int argc, char **argv);
COMMANDS(DECLARE)

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} Command;

#define ENTRY(name, help) {#name, cmd_##name, help},
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
        if (strcmp(argv[1], name) == 0) return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "argen: unknown command '%s' (see argen --help)\n", argv[1]);
    return EXIT_USAGE;
}
