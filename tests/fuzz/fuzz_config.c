/*
 * fuzz_config.c - a whole checkpoint folder: config.json, and after the
 * first NUL byte of the input (if any) model.safetensors.
 *
 *   input = config.json bytes [NUL model.safetensors bytes]
 *
 * Without a NUL only gpt2_read_config runs (JSON, field types, ranges,
 * n_embd % n_head).  With one, gpt2_load binds the tensors to the config
 * (names, shapes, dtypes, both with and without copying), and a model that
 * loads runs one forward pass over token 0 (every weight is read, so ASan
 * sees a tensor shorter than the config implies).
 *
 * Checks: failures fill a one-line message; a loaded config passes
 * gpt2_check_config; the forward pass succeeds.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"

static void check_message(const Error *err) {
    FUZZ_CHECK_MESSAGE(err->msg);
}

/* Loads the folder (copy 0 or 1) and runs token 0 through it. */
static void load_and_run(const char *dir, int copy) {
    GPT2 m;
    Error err = {{0}};
    if (gpt2_load(&m, dir, copy, &err) != 0) { check_message(&err); return; }
    FUZZ_CHECK(gpt2_check_config(&m.config, "loaded", &err) == 0, "%s", err.msg);
    RunState s;
    RunOptions opt = {1, 1, 0, 0};   /* one token, one position, shared layers, last logits */
    FUZZ_CHECK(run_state_init(&s, &m, &opt, &err) == 0, "%s", err.msg);
    int token = 0;
    FUZZ_CHECK(forward_pass(&m, &s, &token, 1, 0, NULL, &err) == 0, "%s", err.msg);
    logits_final(&m, &s);
    run_state_free(&s);
    gpt2_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *dir = fuzz_scratch_dir();
    size_t n_config;
    int has_weights = fuzz_split(data, size, &n_config);
    fuzz_write(dir, "config.json", data, n_config);
    if (!has_weights) {
        fuzz_unlink(dir, "model.safetensors");
        GPT2Config c;
        Error err = {{0}};
        if (gpt2_read_config(&c, dir, &err) != 0) check_message(&err);
        else FUZZ_CHECK(gpt2_check_config(&c, "read", &err) == 0, "%s", err.msg);
        return 0;
    }
    fuzz_write(dir, "model.safetensors", data + n_config + 1, size - n_config - 1);
    load_and_run(dir, (int)(size & 1));
    return 0;
}
