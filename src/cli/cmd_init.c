/*
 * cmd_init.c - `argen init`: a random-weight GPT-2 checkpoint folder in the
 * Hugging Face layout, written by argen's own safetensors writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/input_file.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"

static const char *usage =
    "usage: argen init --out DIR [--preset gpt2|gpt2-medium|gpt2-large|gpt2-xl]\n"
    "                  [--layers N] [--heads N] [--embd N] [--vocab N] [--positions N]\n"
    "                  [--seed S] [--dtype f32|f16|bf16] [--untied] [--tokenizer DIR]\n"
    "Writes DIR/config.json and DIR/model.safetensors with weights drawn as GPT-2\n"
    "initialises them (N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer)).\n"
    "--preset sets the shape of a released GPT-2; --layers etc. override it\n"
    "(default: 2 layers, 2 heads, n_embd 64, vocab 50257, 1024 positions).\n"
    "--untied writes a separate lm_head.weight; --tokenizer DIR copies vocab.json and merges.txt.\n";

typedef struct { const char *name; int layers, heads, embd; } Preset;
static const Preset presets[] = {
    {"gpt2", 12, 12, 768}, {"gpt2-medium", 24, 16, 1024}, {"gpt2-large", 36, 20, 1280}, {"gpt2-xl", 48, 25, 1600},
};

static int copy_file(const char *from_dir, const char *to_dir, const char *name, Error *err) {
    char src[4096], dst[4096], *data;
    size_t len;
    if (path_join(src, sizeof src, from_dir, name, err) || path_join(dst, sizeof dst, to_dir, name, err)) return -1;
    if (input_read(src, INPUT_MAX_TOKENIZER, name, &data, &len, err)) return -1;
    AtomicFile af;
    int rc = atomic_open(&af, dst, err);
    if (rc == 0) {
        fwrite(data, 1, len, af.f);
        rc = atomic_commit(&af, err);
    }
    free(data);
    return rc;
}

int cmd_init(int argc, char **argv) {
    const char *cmd = "init", *out = NULL, *tok_dir = NULL;
    GPT2Config c = {.n_embd = 64, .n_head = 2, .n_layer = 2, .n_positions = 1024, .vocab_size = 50257,
                    .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1};
    /* The shape options given explicitly (0 = not given): they win over
     * --preset wherever they stand on the command line. */
    GPT2Config given = {0};
    const Preset *preset = NULL;
    long seed = 1234, v;
    int untied = 0;
    SaveDType dtype = SAVE_F32;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        if (cli_is_help(a)) { fputs(usage, stdout); return 0; }
        if (strcmp(a, "--untied") == 0) { untied = 1; continue; }
        if (strncmp(a, "--", 2) != 0) return cli_unknown(cmd, a);
        if (!(val = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        if (strcmp(a, "--out") == 0) out = val;
        else if (strcmp(a, "--tokenizer") == 0) tok_dir = val;
        else if (strcmp(a, "--preset") == 0) {
            const Preset *p = NULL;
            for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
                if (strcmp(val, presets[k].name) == 0) p = &presets[k];
            if (!p) { fprintf(stderr, "argen init: --preset: expected gpt2, gpt2-medium, gpt2-large or gpt2-xl, got '%s'\n", val); return EXIT_USAGE; }
            preset = p;
        }
        else if (strcmp(a, "--layers") == 0) { if (cli_long(cmd, a, val, 1, 1024, &v)) return EXIT_USAGE; given.n_layer = (int)v; }
        else if (strcmp(a, "--heads") == 0) { if (cli_long(cmd, a, val, 1, 1024, &v)) return EXIT_USAGE; given.n_head = (int)v; }
        else if (strcmp(a, "--embd") == 0) { if (cli_long(cmd, a, val, 1, 65536, &v)) return EXIT_USAGE; given.n_embd = (int)v; }
        else if (strcmp(a, "--vocab") == 0) { if (cli_long(cmd, a, val, 1, 1 << 24, &v)) return EXIT_USAGE; given.vocab_size = (int)v; }
        else if (strcmp(a, "--positions") == 0) { if (cli_long(cmd, a, val, 1, 1 << 20, &v)) return EXIT_USAGE; given.n_positions = (int)v; }
        else if (strcmp(a, "--seed") == 0) { if (cli_long(cmd, a, val, 0, 2147483647L, &seed)) return EXIT_USAGE; }
        else if (strcmp(a, "--dtype") == 0) {
            if (strcmp(val, "f32") == 0) dtype = SAVE_F32;
            else if (strcmp(val, "f16") == 0) dtype = SAVE_F16;
            else if (strcmp(val, "bf16") == 0) dtype = SAVE_BF16;
            else { fprintf(stderr, "argen init: --dtype: expected f32, f16 or bf16, got '%s'\n", val); return EXIT_USAGE; }
        }
        else return cli_unknown(cmd, a);
    }
    if (preset) {
        c.n_layer = preset->layers; c.n_head = preset->heads; c.n_embd = preset->embd;
        c.vocab_size = 50257; c.n_positions = 1024;
    }
    if (given.n_layer) c.n_layer = given.n_layer;
    if (given.n_head) c.n_head = given.n_head;
    if (given.n_embd) c.n_embd = given.n_embd;
    if (given.vocab_size) c.vocab_size = given.vocab_size;
    if (given.n_positions) c.n_positions = given.n_positions;
    if (!out) { fprintf(stderr, "argen init: --out: expected a folder to write (see argen init --help)\n"); return EXIT_USAGE; }
    if (c.n_embd % c.n_head != 0) {
        fprintf(stderr, "argen init: --embd %d is not divisible by --heads %d\n", c.n_embd, c.n_head);
        return EXIT_USAGE;
    }
    c.bos_token_id = c.eos_token_id = c.vocab_size - 1;
    Error err;
    GPT2 m;
    fprintf(stderr, "argen init: %d layers, %d heads, n_embd %d, vocab %d, %d positions, seed %ld\n",
            c.n_layer, c.n_head, c.n_embd, c.vocab_size, c.n_positions, seed);
    if (gpt2_init_random(&m, &c, !untied, (uint64_t)seed, &err)) { fprintf(stderr, "argen init: %s\n", err.msg); return EXIT_FAIL; }
    fprintf(stderr, "argen init: writing %.1f M parameters to %s\n", (double)m.n_floats / 1e6, out);
    int rc = gpt2_save(&m, out, dtype, &err);
    if (rc == 0 && tok_dir) rc = copy_file(tok_dir, out, "vocab.json", &err) || copy_file(tok_dir, out, "merges.txt", &err);
    gpt2_free(&m);
    if (rc) { fprintf(stderr, "argen init: %s\n", err.msg); return EXIT_FAIL; }
    return 0;
}
