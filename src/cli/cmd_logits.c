/*
 * cmd_logits.c - `argen logits`: the raw output of the forward pass, as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/json.h"
#include "core/generate.h"
#include "cli/prompted_model.h"
#include "cli/text_input.h"
#include "decode/beam.h"
#include "trace/trace.h"

#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"

static const char *usage =
    "usage: argen logits --model DIR [--prompt TEXT | --file FILE | --ids 464,2068,7586] [--all-positions]\n"
    "                    [--no-kv-cache] [--weights f32|f16|bf16]\n"
    TEXT_INPUT_USAGE
    "Prints {\"ids\": [...], \"logits\": [...]}: the logits at the last position, or one\n"
    "row per position with --all-positions.\n"
    "By default the ids go through the KV cache one at a time, as during generation;\n"
    "--no-kv-cache runs the whole sequence in one pass under the causal mask instead.\n"
    "The two give the same numbers: that is what the KV cache must guarantee.\n"
    "A text needs the model folder's vocab.json and merges.txt; --ids works without.\n"
    CLI_WEIGHTS_HELP;

int cmd_logits(int argc, char **argv) {
    const char *cmd = "logits", *dir = NULL;
    TextInput in = {0};      /* --prompt/--text, --file, --ids or stdin */
    int all = 0, no_cache = 0;
    LoadWeights weights = LOAD_AS_STORED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(usage, stdout); return 0; }
        int got = text_input_option(cmd, argc, argv, &i, &in);
        if (got < 0) return EXIT_USAGE;
        if (got) continue;
        if (strcmp(a, "--all-positions") == 0) all = 1;
        else if (strcmp(a, "--no-kv-cache") == 0) no_cache = 1;
        else if (strcmp(a, "--model") == 0) { if (!(dir = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--weights") == 0) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v || cli_weights(cmd, v, &weights)) return EXIT_USAGE;
        }
        else return cli_unknown(cmd, a);
    }
    if (!dir) { fprintf(stderr, "argen logits: --model: expected a model folder (see argen logits --help)\n"); return EXIT_USAGE; }
    if (text_input_check(cmd, &in) != 0) return EXIT_USAGE;
    char *text = NULL;
    size_t text_len;
    int rc = in.ids ? 0 : text_input_read(cmd, &in, 0, &text, &text_len);
    if (rc != 0) return rc;
    PromptedModel pm;
    Error err;
    if (prompted_model_load(&pm, dir, weights, &err)) {
        fprintf(stderr, "argen logits: %s\n", err.msg);
        free(text);
        return EXIT_FAIL;
    }
    const GPT2 *mp = &pm.model;
    const GPT2Config *c = &mp->config;
    int *ids = NULL, n = 0;
    rc = EXIT_USAGE;
    RunState s = {0};
    float *rows = NULL;
    int bad = prompted_model_prompt(&pm, text, in.ids, 1, &err);
    free(text);
    if (bad) { fprintf(stderr, "argen logits: %s\n", err.msg); goto done; }
    ids = pm.prompt;
    n = pm.n_prompt;
    if (n > c->n_positions) {
        fprintf(stderr, "argen logits: --ids: %d ids do not fit the context window of %d positions\n", n, c->n_positions);
        goto done;
    }
    rc = EXIT_FAIL;
    RunOptions opt = {.max_tokens = no_cache ? n : 1, .n_ctx = n, .keep_layers = 0, .all_logits = no_cache};
    size_t V = (size_t)c->vocab_size;
    rows = malloc((size_t)n * V * sizeof *rows);
    if (!rows || run_state_init(&s, mp, &opt, &err)) {
        fprintf(stderr, "argen logits: %s\n", rows ? err.msg : "out of memory");
        goto done;
    }
    if (no_cache) {
        if (forward_pass(mp, &s, ids, n, 0, NULL, &err)) { fprintf(stderr, "argen logits: %s\n", err.msg); goto done; }
        logits_all(mp, &s);
        memcpy(rows, s.logits, (size_t)n * V * sizeof *rows);
    } else {
        for (int t = 0; t < n; t++) {
            if (forward_pass(mp, &s, &ids[t], 1, t, NULL, &err)) { fprintf(stderr, "argen logits: %s\n", err.msg); goto done; }
            logits_final(mp, &s);
            memcpy(rows + (size_t)t * V, s.logits, V * sizeof *rows);
        }
    }
    JsonWriter w;
    jw_init(&w, stdout, 1);
    jw_object_begin(&w);
    jw_key(&w, "ids");
    jw_array_begin(&w);
    for (int t = 0; t < n; t++) jw_int(&w, ids[t]);
    jw_array_end(&w);
    jw_key(&w, "logits");
    if (all) jw_array_begin(&w);
    for (int t = all ? 0 : n - 1; t < n; t++) {
        jw_array_begin(&w);
        for (size_t v = 0; v < V; v++) jw_float(&w, rows[(size_t)t * V + v]);
        jw_array_end(&w);
    }
    if (all) jw_array_end(&w);
    jw_object_end(&w);
    rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : EXIT_FAIL;
done:
    free(rows);
    run_state_free(&s);
    prompted_model_free(&pm);  /* owns ids */
    return rc;
}
