/*
 * cmd_info.c - `argen info`: what a model is, and what it costs in memory.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"

static const char *usage =
    "usage: argen info --model DIR [--tensors] [--weights f32|f16|bf16]\n"
    "Prints the config, the parameter count, the memory the weights take\n"
    "(mapped from the file, or converted) and the KV cache for a full context.\n"
    "--tensors lists every tensor with its shape and the type it is held in.\n"
    CLI_WEIGHTS_HELP;

int cmd_info(int argc, char **argv) {
    const char *cmd = "info", *dir = NULL;
    int tensors = 0;
    LoadWeights weights = LOAD_AS_STORED;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { fputs(usage, stdout); return 0; }
        if (strcmp(argv[i], "--tensors") == 0) tensors = 1;
        else if (strcmp(argv[i], "--model") == 0) { if (!(dir = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--weights") == 0) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v || cli_weights(cmd, v, &weights)) return EXIT_USAGE;
        }
        else return cli_unknown(cmd, argv[i]);
    }
    if (!dir) { fprintf(stderr, "argen info: --model: expected a model folder (see argen info --help)\n"); return EXIT_USAGE; }
    GPT2 m;
    Error err;
    if (gpt2_load_weights(&m, dir, weights, &err)) { fprintf(stderr, "argen info: %s\n", err.msg); return EXIT_FAIL; }
    const GPT2Config *c = &m.config;
    double MB = 1024.0 * 1024.0;
    size_t kv = 2 * (size_t)c->n_layer * c->n_positions * c->n_embd * sizeof(float);
    printf("model        %s\n", dir);
    printf("n_layer      %d\nn_head       %d\nn_embd       %d (head size %d)\n", c->n_layer, c->n_head, c->n_embd, c->n_embd / c->n_head);
    printf("n_positions  %d\nvocab_size   %d\nlayer_norm_epsilon %g\n", c->n_positions, c->vocab_size, (double)c->layer_norm_epsilon);
    printf("bos_token_id %d\neos_token_id %d\n", c->bos_token_id, c->eos_token_id);
    printf("unembedding  %s\n", m.tied ? "tied to wte" : "separate lm_head.weight");
    printf("parameters   %zu (%.1f M)\n", m.n_floats, (double)m.n_floats / 1e6);
    int matrices_owned = m.w.wte.dtype == WEIGHTS_F32 ? m.owned != NULL : m.owned_half != NULL;
    printf("weights      %.1f MB in memory: matrices %s (%s), vectors f32\n", (double)m.weight_bytes / MB,
           weight_dtype_name(m.w.wte.dtype), matrices_owned ? "converted at load" : "used in place from the mapped file");
    printf("KV cache     %.1f MB for %d positions (2 x n_layer x n_positions x n_embd floats)\n", kv / MB, c->n_positions);
    if (tensors)
        for (int i = 0; i < m.n_params; i++) {
            const Param *p = &m.params[i];
            if (p->ndim == 2) printf("  %-28s [%zu, %zu] %s\n", p->name, p->shape[0], p->shape[1], weight_dtype_name(p->dtype));
            else printf("  %-28s [%zu] %s\n", p->name, p->shape[0], weight_dtype_name(p->dtype));
        }
    gpt2_free(&m);
    return 0;
}
