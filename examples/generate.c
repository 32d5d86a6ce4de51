/*
 * generate.c - the front door: a whole generation in one screen of C.
 *
 *   build/generate [MODEL_DIR [PROMPT [N]]]     (make examples; defaults: data/tiny, "Once upon a time", 40)
 *
 * Load a Hugging Face GPT-2 folder, encode the prompt with its tokenizer,
 * then loop: forward pass -> final-position logits -> softmax -> choose a
 * token -> append, until end-of-text, N new tokens or a full context window.
 * Each step is generate_step (src/core/generate.c); read it next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/generate.h"       /* the loop: Generator, generate_step */
#include "formats/checkpoint.h"  /* gpt2_load: config.json + model.safetensors */
#include "formats/tokenizer.h"   /* GPT-2's byte-level BPE: vocab.json + merges.txt */

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "data/tiny";
    const char *prompt = argc > 2 ? argv[2] : "Once upon a time";
    int n_new = argc > 3 ? atoi(argv[3]) : 40;
    Error err;

    /* 1. The model and its tokenizer (the weights are memory-mapped, not copied). */
    GPT2 model;
    Tokenizer tok;
    if (gpt2_load(&model, dir, 0, &err) != 0) { fprintf(stderr, "generate: %s\n", err.msg); return 1; }
    if (tokenizer_load(&tok, dir, &err) != 0) { fprintf(stderr, "generate: %s\n", err.msg); return 1; }

    /* 2. The prompt as token ids. */
    int *ids, n_ids;
    if (tokenizer_encode(&tok, prompt, strlen(prompt), 0, &ids, &n_ids, &err) != 0) {
        fprintf(stderr, "generate: %s\n", err.msg);
        return 1;
    }

    /* 3. The run: top-k sampling (k = 40, T = 0.8), one seeded random draw per step. */
    GenerateOptions opt;
    generate_defaults(&opt);
    sampler_defaults(&opt.sampling, STRATEGY_TOP_K);
    opt.sampling.temperature = 0.8f;
    opt.seed = 42;
    opt.max_new_tokens = n_new;
    Generator g;
    if (generator_init(&g, &model, &opt, ids, n_ids, &err) != 0) { fprintf(stderr, "generate: %s\n", err.msg); return 1; }

    /* 4. The autoregressive loop: one token per step, printed as it comes. */
    Utf8Stream out = {{0}, 0};   /* holds back a UTF-8 character split across tokens */
    for (int i = 0; i < n_ids; i++) {
        size_t len;
        const char *bytes = tokenizer_token_bytes(&tok, ids[i], &len);
        utf8_stream_put(&out, bytes, len, stdout);
    }
    while (g.stop == STOP_NONE) {
        int token;
        if (generate_step(&g, NULL, &token, &err) != 0) { fprintf(stderr, "generate: %s\n", err.msg); return 1; }
        size_t len;
        const char *bytes = tokenizer_token_bytes(&tok, token, &len);
        utf8_stream_put(&out, bytes, len, stdout);
        fflush(stdout);
    }
    utf8_stream_flush(&out, stdout);
    printf("\n[stopped: %s after %d new tokens]\n", stop_reason_name(g.stop), g.step);

    generator_free(&g);
    free(ids);
    tokenizer_free(&tok);
    gpt2_free(&model);
    return 0;
}
