/*
 * main.c - argen's entry point: finds the command and hands it argv.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* One command: its name on the command line, its function (src/cli/cmd_NAME.c),
 * whether it polls the stop flag between steps (SIGINT and SIGPIPE are then
 * caught, see cli.h; the others keep the default: killed at once), its help. */
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    int polls_stop_flag;
    const char *help;
} Command;

static const Command commands[] = {
    {"generate",        cmd_generate,        1, "run the autoregressive loop: prompt -> tokens, with a JSON trace"},
    {"compare",         cmd_compare,         1, "run several decoding strategies on the same prompt, side by side"},
    {"score",           cmd_score,           1, "teacher forcing: the probability the model gives every token of a text"},
    {"logits",          cmd_logits,          1, "print the logits of a forward pass over token ids"},
    {"info",            cmd_info,            1, "print a model's config, parameter count and memory"},
    {"init",            cmd_init,            0, "write a random-weight GPT-2 checkpoint folder"},
    {"tokenize",        cmd_tokenize,        1, "split text into GPT-2 tokens"},
    {"detokenize",      cmd_detokenize,      1, "turn token ids back into text"},
    {"train-tokenizer", cmd_train_tokenizer, 0, "train a byte-level BPE tokenizer on a text file"},
    {"corpus",          cmd_corpus,          1, "write the story corpus whose next-word probabilities are known"},
    {"train",           cmd_train,           0, "train a GPT-2 model with teacher forcing"},
    {"render",          cmd_render,          0, "draw Graphviz diagrams from a trace"},
    {"view",            cmd_view,            0, "write one HTML page to step through a trace in a browser"},
    {"bench",           cmd_bench,           1, "measure load, prefill and decode speed"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: argen COMMAND [options]   (argen COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return EXIT_USAGE; }
    if (cli_is_help(argv[1])) { usage(stdout); return 0; }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        if (commands[i].polls_stop_flag) cli_catch_stop_signals();
        return cli_exit_code(commands[i].name, commands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "argen: unknown command '%s' (see argen --help)\n", argv[1]);
    return EXIT_USAGE;
}
