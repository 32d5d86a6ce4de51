/*
 * checkpoint.c - a GPT-2 model from and to a Hugging Face folder
 * (config.json + model.safetensors), or with fresh random weights.
 * See checkpoint.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "formats/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/input_file.h"
#include "formats/json.h"
#include "core/kernels.h"
#include "core/rng.h"
#include "formats/safetensors.h"

/* ======================================================================== */
/* Config                                                                    */

int gpt2_check_config(const GPT2Config *c, const char *what, Error *err) {
    /* Upper bounds keep every size product far from overflow. */
    struct { const char *name; int value; int max; } f[] = {
        {"n_embd", c->n_embd, 1 << 16}, {"n_head", c->n_head, 1 << 10}, {"n_layer", c->n_layer, 1 << 10},
        {"n_positions", c->n_positions, 1 << 20}, {"vocab_size", c->vocab_size, 1 << 24},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].value < 1 || f[i].value > f[i].max)
            return error_set(err, "%s: %s is %d, expected an integer in [1, %d]", what, f[i].name, f[i].value, f[i].max);
    if (c->n_embd % c->n_head != 0)
        return error_set(err, "%s: n_embd (%d) is not divisible by n_head (%d)", what, c->n_embd, c->n_head);
    if (!(c->layer_norm_epsilon > 0.0f && c->layer_norm_epsilon < 1.0f))
        return error_set(err, "%s: layer_norm_epsilon is %g, expected a number in (0, 1)", what, (double)c->layer_norm_epsilon);
    if (c->eos_token_id < 0 || c->eos_token_id >= c->vocab_size)
        return error_set(err, "%s: eos_token_id is %d, expected an id in [0, %d)", what, c->eos_token_id, c->vocab_size);
    if (c->bos_token_id < 0 || c->bos_token_id >= c->vocab_size)
        return error_set(err, "%s: bos_token_id is %d, expected an id in [0, %d)", what, c->bos_token_id, c->vocab_size);
    return 0;
}

static int config_int(const JsonValue *root, const char *key, int required, int *out, const char *what, Error *err) {
    const JsonValue *v = json_get(root, key);
    if (!v) return required ? error_set(err, "%s: missing field \"%s\"", what, key) : 1;
    long x;
    if (json_as_long(v, -2147483647L, 2147483647L, &x))
        return error_set(err, "%s: field \"%s\" is %s, expected an integer", what, key,
                         v->type == JSON_NUMBER ? "a fraction" : json_type_name(v->type));
    *out = (int)x;
    return 0;
}

int gpt2_read_config(GPT2Config *c, const char *dir, Error *err) {
    char path[4096];
    if (path_join(path, sizeof path, dir, "config.json", err)) return -1;
    char *text;
    size_t len;
    if (input_read(path, INPUT_MAX_CONFIG, "config.json", &text, &len, err)) return -1;
    JsonValue root;
    int rc = json_parse(text, len, path, &root, err);
    free(text);
    if (rc) return -1;
    rc = -1;
    memset(c, 0, sizeof *c);
    if (root.type != JSON_OBJECT) { error_set(err, "%s: expected a JSON object", path); goto done; }
    size_t dup;
    int has_dup = json_find_duplicate_key(&root, &dup);
    if (has_dup < 0) { error_set(err, "%s: out of memory", path); goto done; }
    if (has_dup) {
        char shown[160];
        error_set(err, "%s: field \"%s\" appears twice: expected each field once", path,
                  printable(root.keys[dup], root.key_lens[dup], shown, sizeof shown));
        goto done;
    }
    if (config_int(&root, "n_embd", 1, &c->n_embd, path, err) < 0) goto done;
    if (config_int(&root, "n_head", 1, &c->n_head, path, err) < 0) goto done;
    if (config_int(&root, "n_layer", 1, &c->n_layer, path, err) < 0) goto done;
    if (config_int(&root, "vocab_size", 1, &c->vocab_size, path, err) < 0) goto done;
    int r = config_int(&root, "n_positions", 0, &c->n_positions, path, err);
    if (r < 0) goto done;
    if (r == 1 && config_int(&root, "n_ctx", 1, &c->n_positions, path, err)) {
        error_set(err, "%s: missing field \"n_positions\" (or \"n_ctx\")", path);
        goto done;
    }
    /* Defaults are those of Hugging Face's GPT2Config; the token ids default
     * to the last id, which is <|endoftext|> in GPT-2's own vocabulary. */
    c->bos_token_id = c->eos_token_id = c->vocab_size - 1;
    if (config_int(&root, "bos_token_id", 0, &c->bos_token_id, path, err) < 0) goto done;
    if (config_int(&root, "eos_token_id", 0, &c->eos_token_id, path, err) < 0) goto done;
    c->layer_norm_epsilon = 1e-5f;
    const JsonValue *eps = json_get(&root, "layer_norm_epsilon");
    if (eps) {
        if (eps->type != JSON_NUMBER) { error_set(err, "%s: field \"layer_norm_epsilon\" is %s, expected a number", path, json_type_name(eps->type)); goto done; }
        c->layer_norm_epsilon = (float)eps->number;
    }
    const JsonValue *act = json_get(&root, "activation_function");
    if (act && (act->type != JSON_STRING || strcmp(act->str, "gelu_new") != 0)) {
        char name[64];
        error_set(err, "%s: activation_function is %s%s%s, only \"gelu_new\" (GPT-2's tanh GELU) is supported", path,
                  act->type == JSON_STRING ? "\"" : "",
                  act->type == JSON_STRING ? printable(act->str, act->len, name, sizeof name) : json_type_name(act->type),
                  act->type == JSON_STRING ? "\"" : "");
        goto done;
    }
    rc = gpt2_check_config(c, path, err);
done:
    json_free(&root);
    return rc;
}

/* ======================================================================== */
/* Parameter layout                                                          */

int gpt2_n_params(const GPT2Config *c, int tied) { return 2 + 12 * c->n_layer + 2 + (tied ? 0 : 1); }

/* Appends one tensor to the layout: sets *slot to base + offset (when base is
 * not NULL) and fills the table row (F32, as every laid-out tensor is). */
static size_t place(float **slot, float *base, size_t offset, Param *table, int *row,
                    const char *name, size_t d0, size_t d1) {
    size_t numel = d1 ? d0 * d1 : d0;
    if (base) *slot = base + offset;
    if (table) {
        Param *p = &table[(*row)++];
        snprintf(p->name, sizeof p->name, "%s", name);
        p->dtype = WEIGHTS_F32;
        p->data = base ? base + offset : NULL;
        p->half = NULL;
        p->numel = numel;
        p->ndim = d1 ? 2 : 1;
        p->shape[0] = d0;
        p->shape[1] = d1;
    }
    return numel;
}

/* place() for a weight matrix: an F32 Matrix at base + offset. */
static size_t place_matrix(Matrix *slot, float *base, size_t offset, Param *table, int *row,
                           const char *name, size_t d0, size_t d1) {
    float *f32 = NULL;
    size_t numel = place(&f32, base, offset, table, row, name, d0, d1);
    if (base && slot) *slot = matrix_f32(f32);
    return numel;
}

size_t gpt2_param_layout(const GPT2Config *c, int tied, float *base, GPT2Weights *w, Param *table) {
    size_t C = (size_t)c->n_embd, V = (size_t)c->vocab_size, P = (size_t)c->n_positions, off = 0;
    int row = 0;
    float *unused;
    char name[64];
    off += place_matrix(&w->wte, base, off, table, &row, "wte.weight", V, C);
    off += place(&w->wpe, base, off, table, &row, "wpe.weight", P, C);
    for (int l = 0; l < c->n_layer; l++) {
        LayerWeights *L = w->h ? &w->h[l] : NULL;
#define PLACE(field, suffix, d0, d1)                                               \
        snprintf(name, sizeof name, "h.%d." suffix, l);                          \
        off += place(L ? &L->field : &unused, base, off, table, &row, name, d0, d1);
#define PLACE_MATRIX(field, suffix, d0, d1)                                        \
        snprintf(name, sizeof name, "h.%d." suffix, l);                          \
        off += place_matrix(L ? &L->field : NULL, base, off, table, &row, name, d0, d1);
        PLACE(ln_1_weight, "ln_1.weight", C, 0)
        PLACE(ln_1_bias, "ln_1.bias", C, 0)
        PLACE_MATRIX(attn_c_attn_weight, "attn.c_attn.weight", C, 3 * C)
        PLACE(attn_c_attn_bias, "attn.c_attn.bias", 3 * C, 0)
        PLACE_MATRIX(attn_c_proj_weight, "attn.c_proj.weight", C, C)
        PLACE(attn_c_proj_bias, "attn.c_proj.bias", C, 0)
        PLACE(ln_2_weight, "ln_2.weight", C, 0)
        PLACE(ln_2_bias, "ln_2.bias", C, 0)
        PLACE_MATRIX(mlp_c_fc_weight, "mlp.c_fc.weight", C, 4 * C)
        PLACE(mlp_c_fc_bias, "mlp.c_fc.bias", 4 * C, 0)
        PLACE_MATRIX(mlp_c_proj_weight, "mlp.c_proj.weight", 4 * C, C)
        PLACE(mlp_c_proj_bias, "mlp.c_proj.bias", C, 0)
#undef PLACE
#undef PLACE_MATRIX
    }
    off += place(&w->ln_f_weight, base, off, table, &row, "ln_f.weight", C, 0);
    off += place(&w->ln_f_bias, base, off, table, &row, "ln_f.bias", C, 0);
    if (tied) {
        if (base) w->lm_head = w->wte;
    } else {
        off += place_matrix(&w->lm_head, base, off, table, &row, "lm_head.weight", V, C);
    }
    return off;
}

/* Allocates the table and the per-layer array for config c. */
static int model_alloc_tables(GPT2 *m, const GPT2Config *c, int tied, Error *err) {
    m->config = *c;
    m->tied = tied;
    m->n_params = gpt2_n_params(c, tied);
    m->params = calloc((size_t)m->n_params, sizeof *m->params);
    m->w.h = calloc((size_t)c->n_layer, sizeof *m->w.h);
    if (!m->params || !m->w.h) return error_set(err, "out of memory for the parameter table");
    m->n_floats = gpt2_param_layout(c, tied, NULL, &m->w, NULL);
    return 0;
}

/* ======================================================================== */
/* Loading                                                                   */

/* The tensor called name, with or without the "transformer." prefix. */
static const StTensor *find_tensor(const SafeTensors *st, const char *name) {
    const StTensor *t = safetensors_find(st, name);
    if (t) return t;
    char prefixed[96];
    snprintf(prefixed, sizeof prefixed, "transformer.%s", name);
    return safetensors_find(st, prefixed);
}

static int map_file(const char *path, void **map, size_t *len, Error *err) {
    int fd = input_open(path, len, err);   /* a regular file: a FIFO would block mmap's caller forever */
    if (fd < 0) return -1;
    if (*len < 8) {
        close(fd);
        return error_set(err, "%s: %zu bytes: too short for a safetensors file (8-byte header length first)", path, *len);
    }
    *map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*map == MAP_FAILED) { *map = NULL; return error_set(err, "%s: cannot map: %s", path, strerror(errno)); }
    return 0;
}

/* Every tensor the config requires is in the file with the shape the config
 * implies.  Checked before anything is allocated for the weights, so a config
 * with huge sizes and a tiny file fails here, not in malloc. */
static int check_tensors(const GPT2 *m, const SafeTensors *st, const char *path, Error *err) {
    for (int i = 0; i < m->n_params; i++) {
        const Param *p = &m->params[i];
        const StTensor *t = find_tensor(st, p->name);
        if (!t) return error_set(err, "%s: missing tensor '%s' required by config.json", path, p->name);
        int shape_ok = t->ndim == p->ndim && t->shape[0] == p->shape[0] && (p->ndim == 1 || t->shape[1] == p->shape[1]);
        if (shape_ok) continue;
        char got[128] = "[";
        for (int d = 0; d < t->ndim; d++) {
            size_t k = strlen(got);
            snprintf(got + k, sizeof got - k, d ? ", %zu" : "%zu", t->shape[d]);
        }
        strncat(got, "]", sizeof got - strlen(got) - 1);
        if (p->ndim == 2)
            return error_set(err, "%s: tensor '%s' has shape %s, config.json implies [%zu, %zu]", path, t->name, got, p->shape[0], p->shape[1]);
        return error_set(err, "%s: tensor '%s' has shape %s, config.json implies [%zu]", path, t->name, got, p->shape[0]);
    }
    return 0;
}

/* 1 for the tensors that may be held in half precision: wte, lm_head and
 * each block's four matrices.  wpe and the vectors are always F32. */
static int is_matrix(const Param *p) {
    return p->ndim == 2 && strcmp(p->name, "wpe.weight") != 0;
}

/* How parameter p is held: F32 unless it is a matrix that `as` (or, for
 * LOAD_AS_STORED, the file) puts in half precision. */
static WeightDType held_dtype(const Param *p, const StTensor *t, int copy, LoadWeights as) {
    if (copy || !is_matrix(p)) return WEIGHTS_F32;
    switch (as) {
    case LOAD_F16: return WEIGHTS_F16;
    case LOAD_BF16: return WEIGHTS_BF16;
    case LOAD_F32: return WEIGHTS_F32;
    default: return t->dtype == ST_F16 ? WEIGHTS_F16 : t->dtype == ST_BF16 ? WEIGHTS_BF16 : WEIGHTS_F32;
    }
}

/* 1 when tensor t can be used in place from the mapping as dtype: the same
 * type, aligned (and not a copy for training). */
static int usable_in_place(const StTensor *t, WeightDType dtype, int copy) {
    if (copy) return 0;
    if (dtype == WEIGHTS_F32) return t->dtype == ST_F32 && (uintptr_t)t->data % sizeof(float) == 0;
    StDType want = dtype == WEIGHTS_F16 ? ST_F16 : ST_BF16;
    return t->dtype == want && (uintptr_t)t->data % sizeof(uint16_t) == 0;
}

/* Element k of an F32, F16 or BF16 tensor (little-endian in the file). */
static float tensor_element(const StTensor *t, size_t k) {
    const unsigned char *p = t->data;
    if (t->dtype == ST_F32) {
        float f;
        memcpy(&f, p + 4 * k, 4);
        return f;
    }
    uint16_t h = (uint16_t)(p[2 * k] | p[2 * k + 1] << 8);
    return t->dtype == ST_F16 ? f16_to_float(h) : bf16_to_float(h);
}

/* out[0..numel) = tensor t rounded to dtype (round to nearest even).  A
 * finite value beyond F16's range (|x| > 65504, which would round to
 * infinity) is refused, naming the tensor: saturating would change the model
 * silently. */
static int tensor_to_half(uint16_t *out, const StTensor *t, WeightDType dtype, const char *path, Error *err) {
    if ((t->dtype == ST_F16 && dtype == WEIGHTS_F16) || (t->dtype == ST_BF16 && dtype == WEIGHTS_BF16)) {
        for (size_t k = 0; k < t->numel; k++) out[k] = (uint16_t)(t->data[2 * k] | t->data[2 * k + 1] << 8);
        return 0;
    }
    for (size_t k = 0; k < t->numel; k++) {
        float v = tensor_element(t, k);
        if (dtype == WEIGHTS_BF16) { out[k] = float_to_bf16(v); continue; }
        out[k] = float_to_f16(v);
        if (isfinite(v) && !isfinite(f16_to_float(out[k])))
            return error_set(err, "%s: tensor '%s' holds %g at index %zu: outside F16's range (|x| <= 65504); "
                             "use --weights bf16 or f32", path, t->name, (double)v, k);
    }
    return 0;
}

/* Every tensor is of a type argen reads. */
static int check_dtypes(const GPT2 *m, const SafeTensors *st, const char *path, Error *err) {
    for (int i = 0; i < m->n_params; i++) {
        const StTensor *t = find_tensor(st, m->params[i].name);
        if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
            return error_set(err, "%s: tensor '%s' has dtype %s, expected F32, F16 or BF16", path,
                             printable(t->name, strlen(t->name), (char[160]){0}, 160), st_dtype_name(t->dtype));
    }
    return 0;
}

/* Points every parameter of the table at its tensor: in place from the
 * mapping where it can be, else converted into m->owned (F32) or
 * m->owned_half, each filled in canonical order (so a training copy is one
 * contiguous F32 buffer in canonical order).  When no matrix can be used in
 * place (all converted), the vectors are copied too, so that the caller can
 * unmap the file: its pages are not kept beside the converted copy.
 * Returns the number of tensors used in place, or -1. */
static int bind_tensors(GPT2 *m, const SafeTensors *st, int copy, LoadWeights as, const char *path, Error *err) {
    size_t n_f32 = 0, n_half = 0;
    int matrix_in_place = 0, in_place = 0;
    for (int i = 0; i < m->n_params; i++) {
        Param *p = &m->params[i];
        const StTensor *t = find_tensor(st, p->name);
        p->dtype = held_dtype(p, t, copy, as);
        if (is_matrix(p) && usable_in_place(t, p->dtype, copy)) matrix_in_place = 1;
    }
    if (!matrix_in_place) copy = 1;
    for (int i = 0; i < m->n_params; i++) {
        Param *p = &m->params[i];
        const StTensor *t = find_tensor(st, p->name);
        if (usable_in_place(t, p->dtype, copy)) continue;
        if (p->dtype == WEIGHTS_F32) n_f32 += p->numel;
        else n_half += p->numel;
    }
    if (n_f32 && !(m->owned = malloc(n_f32 * sizeof(float))))
        return error_set(err, "%s: out of memory for %zu parameters", path, n_f32);
    if (n_half && !(m->owned_half = malloc(n_half * sizeof(uint16_t))))
        return error_set(err, "%s: out of memory for %zu parameters", path, n_half);
    float *next_f32 = m->owned;
    uint16_t *next_half = m->owned_half;
    m->weight_bytes = 0;
    for (int i = 0; i < m->n_params; i++) {
        Param *p = &m->params[i];
        const StTensor *t = find_tensor(st, p->name);
        p->data = NULL;
        p->half = NULL;
        m->weight_bytes += p->numel * (p->dtype == WEIGHTS_F32 ? sizeof(float) : sizeof(uint16_t));
        if (usable_in_place(t, p->dtype, copy)) {   /* used in place from the read-only mapping */
            in_place++;
            if (p->dtype == WEIGHTS_F32) p->data = (float *)t->data;
            else p->half = (const uint16_t *)t->data;
        } else if (p->dtype == WEIGHTS_F32) {
            p->data = next_f32;
            next_f32 += p->numel;
            if (st_to_float(p->data, t, path, err)) return -1;
        } else {
            if (tensor_to_half(next_half, t, p->dtype, path, err)) return -1;
            p->half = next_half;
            next_half += p->numel;
        }
    }
    return in_place;
}

static Matrix param_matrix(const Param *p) {
    return p->dtype == WEIGHTS_F32 ? matrix_f32(p->data) : matrix_half(p->half, p->dtype);
}

/* Re-points the typed views (m->w) at whatever the table now holds. */
static void bind_views(GPT2 *m) {
    GPT2Weights *w = &m->w;
    Param *p = m->params;
    int k = 0;
    w->wte = param_matrix(&p[k++]);
    w->wpe = p[k++].data;
    for (int l = 0; l < m->config.n_layer; l++) {
        LayerWeights *L = &w->h[l];
        L->ln_1_weight = p[k++].data;                      L->ln_1_bias = p[k++].data;
        L->attn_c_attn_weight = param_matrix(&p[k++]);     L->attn_c_attn_bias = p[k++].data;
        L->attn_c_proj_weight = param_matrix(&p[k++]);     L->attn_c_proj_bias = p[k++].data;
        L->ln_2_weight = p[k++].data;                      L->ln_2_bias = p[k++].data;
        L->mlp_c_fc_weight = param_matrix(&p[k++]);        L->mlp_c_fc_bias = p[k++].data;
        L->mlp_c_proj_weight = param_matrix(&p[k++]);      L->mlp_c_proj_bias = p[k++].data;
    }
    w->ln_f_weight = p[k++].data;
    w->ln_f_bias = p[k++].data;
    w->lm_head = m->tied ? w->wte : param_matrix(&p[k++]);
}

static int load(GPT2 *m, const char *dir, int copy, LoadWeights as, Error *err) {
    memset(m, 0, sizeof *m);
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    struct stat sb;
    if (stat(dir, &sb) != 0) return error_set(err, "%s: model folder not found", dir);
    if (!S_ISDIR(sb.st_mode)) return error_set(err, "%s: not a folder (expected a folder with config.json and model.safetensors)", dir);
    GPT2Config c;
    if (gpt2_read_config(&c, dir, err)) return -1;
    char path[4096];
    if (path_join(path, sizeof path, dir, "model.safetensors", err)) return -1;
    if (map_file(path, &m->map, &m->map_len, err)) return -1;
    SafeTensors st;
    if (safetensors_parse(&st, m->map, m->map_len, path, err)) { gpt2_free(m); return -1; }
    int tied = safetensors_find(&st, "lm_head.weight") == NULL;
    if (model_alloc_tables(m, &c, tied, err)) goto fail;
    gpt2_param_layout(&c, tied, NULL, &m->w, m->params);  /* names and shapes */
    if (check_tensors(m, &st, path, err) || check_dtypes(m, &st, path, err)) goto fail;
    int in_place = bind_tensors(m, &st, copy, as, path, err);
    if (in_place < 0) goto fail;
    bind_views(m);
    safetensors_free(&st);
    if (in_place == 0) {  /* nothing points into the mapping any more */
        munmap(m->map, m->map_len);
        m->map = NULL;
    }
    return 0;
fail:
    safetensors_free(&st);
    gpt2_free(m);
    return -1;
}

int gpt2_load(GPT2 *m, const char *dir, int copy, Error *err) { return load(m, dir, copy, LOAD_AS_STORED, err); }

int gpt2_load_weights(GPT2 *m, const char *dir, LoadWeights as, Error *err) { return load(m, dir, 0, as, err); }

void gpt2_free(GPT2 *m) {
    free(m->params);
    free(m->w.h);
    free(m->owned);
    free(m->owned_half);
    if (m->map) munmap(m->map, m->map_len);
    memset(m, 0, sizeof *m);
}

/* ======================================================================== */
/* Random initialisation and saving                                          */

int gpt2_init_random(GPT2 *m, const GPT2Config *c, int tied, uint64_t seed, Error *err) {
    memset(m, 0, sizeof *m);
    if (gpt2_check_config(c, "config", err)) return -1;
    if (model_alloc_tables(m, c, tied, err)) { gpt2_free(m); return -1; }
    m->owned = malloc(m->n_floats * sizeof(float));
    if (!m->owned) { gpt2_free(m); return error_set(err, "out of memory for %zu parameters", m->n_floats); }
    gpt2_param_layout(c, tied, m->owned, &m->w, m->params);
    m->weight_bytes = m->n_floats * sizeof(float);
    Rng rng;
    rng_seed(&rng, seed, 0);
    float proj_std = 0.02f / sqrtf(2.0f * (float)c->n_layer);
    for (int i = 0; i < m->n_params; i++) {
        Param *p = &m->params[i];
        size_t nlen = strlen(p->name);
        int is_weight = nlen > 7 && strcmp(p->name + nlen - 7, ".weight") == 0;
        int is_ln = strstr(p->name, "ln_") != NULL;
        int is_proj = strstr(p->name, "c_proj.weight") != NULL;
        for (size_t k = 0; k < p->numel; k++) {
            if (is_ln) p->data[k] = is_weight ? 1.0f : 0.0f;
            else if (is_weight) p->data[k] = (is_proj ? proj_std : 0.02f) * rng_normal(&rng);
            else p->data[k] = 0.0f;  /* biases */
        }
    }
    return 0;
}

static int save_config(const GPT2Config *c, int tied, const char *path, Error *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err)) return -1;
    JsonWriter w;
    jw_init(&w, af.f, 1);
    jw_object_begin(&w);
    jw_key(&w, "architectures"); jw_array_begin(&w); jw_string(&w, "GPT2LMHeadModel"); jw_array_end(&w);
    jw_key(&w, "model_type"); jw_string(&w, "gpt2");
    jw_key(&w, "activation_function"); jw_string(&w, "gelu_new");
    jw_key(&w, "n_embd"); jw_int(&w, c->n_embd);
    jw_key(&w, "n_head"); jw_int(&w, c->n_head);
    jw_key(&w, "n_layer"); jw_int(&w, c->n_layer);
    jw_key(&w, "n_positions"); jw_int(&w, c->n_positions);
    jw_key(&w, "n_ctx"); jw_int(&w, c->n_positions);
    jw_key(&w, "vocab_size"); jw_int(&w, c->vocab_size);
    jw_key(&w, "layer_norm_epsilon"); jw_float(&w, c->layer_norm_epsilon);
    jw_key(&w, "bos_token_id"); jw_int(&w, c->bos_token_id);
    jw_key(&w, "eos_token_id"); jw_int(&w, c->eos_token_id);
    jw_key(&w, "tie_word_embeddings"); jw_bool(&w, tied);
    jw_object_end(&w);
    return atomic_commit(&af, err);
}

int gpt2_save(const GPT2 *m, const char *dir, SaveDType dtype, Error *err) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return error_set(err, "%s: cannot create folder: %s", dir, strerror(errno));
    char path[4096];
    StWrite *ts = calloc((size_t)m->n_params, sizeof *ts);
    float **widened = calloc((size_t)m->n_params, sizeof *widened);   /* the half tensors as F32 */
    if (!ts || !widened) { free(ts); free(widened); return error_set(err, "out of memory"); }
    int rc = 0;
    for (int i = 0; i < m->n_params; i++) {
        const Param *p = &m->params[i];
        const float *data = p->data;
        if (p->dtype != WEIGHTS_F32) {
            if (!(widened[i] = malloc(p->numel * sizeof(float)))) { rc = error_set(err, "out of memory"); goto done; }
            Matrix w = matrix_half(p->half, p->dtype);
            for (size_t k = 0; k < p->numel; k++) widened[i][k] = matrix_element(w, k);
            data = widened[i];
        }
        ts[i] = (StWrite){p->name, data, p->ndim, {p->shape[0], p->shape[1]}, p->numel};
    }
    StDType dt = dtype == SAVE_F16 ? ST_F16 : dtype == SAVE_BF16 ? ST_BF16 : ST_F32;
    rc = path_join(path, sizeof path, dir, "model.safetensors", err) ||
         safetensors_write(path, ts, (size_t)m->n_params, dt, err) ||
         path_join(path, sizeof path, dir, "config.json", err) ||
         save_config(&m->config, m->tied, path, err);
done:
    for (int i = 0; i < m->n_params; i++) free(widened[i]);
    free(widened);
    free(ts);
    return rc ? -1 : 0;
}

