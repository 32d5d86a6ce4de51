/*
 * train.h - training a GPT-2 model with teacher forcing: the backward pass of
 * every forward stage, AdamW, the learning-rate schedule, gradient clipping,
 * and resumable checkpoints.
 *
 * Teacher forcing: a window of T+1 tokens gives T inputs tokens[0..T) and T
 * targets tokens[1..T]; one forward pass under the causal mask predicts all T
 * targets at once, and the loss is the mean cross-entropy over the T
 * positions.  The backward pass walks the forward pass in reverse:
 *
 *   loss ◀─crossentropy─ logits ◀─unembed─ ln_f ◀─ [ block × n_layer ] ◀─ embed
 *   block (reversed): d_res2 ─▶ residual ─▶ c_proj ─▶ gelu ─▶ c_fc ─▶ ln_2 ─(+)─▶
 *                     d_res1 ─▶ residual ─▶ attn.c_proj ─▶ attention ─▶ c_attn ─▶ ln_1 ─(+)─▶ d_x
 *
 * Every backward kernel ADDS into its gradient outputs (dx += ..., dw += ...),
 * so a tensor used twice (the residual stream, the tied wte) simply receives
 * both contributions; callers zero what they want fresh.  Shapes as in
 * model.h: C = n_embd, H = n_head, hs = C/H, V = vocab_size, T = tokens.
 */
#ifndef ARGEN_TRAIN_H
#define ARGEN_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "core/rng.h"
#include "formats/files.h"

/* ---- backward kernels (pure: gradients out first, then forward inputs) ---- */

/* Mean cross-entropy over T positions and its gradient w.r.t. the logits:
 *   loss = (1/T) sum_t [ logsumexp(logits[t]) - logits[t][targets[t]] ]
 *   d_logits[t] = scale/T * (softmax(logits[t]) - onehot(targets[t]))      [T, V]
 * d_logits is overwritten (not added to); d_logits may be NULL for the loss only.
 * Returns the loss (unscaled). */
double crossentropy_forward_backward(float *d_logits, const float *logits, const int *targets,
                                     int T, int V, double scale);

/* Unembedding logits = x @ w^T, w [V, C]:  dx[t] += sum_v d[t,v] w[v];  dw[v] += sum_t d[t,v] x[t] */
void matmul_transposed_backward(float *dx, float *dw, const float *d_out, const float *x,
                                const float *w, int T, int C, int V);

/* Conv1D out = x @ w + b, w [in, out]:  dx += d_out w^T;  dw += x^T d_out;  db += sum_t d_out.
 * dx, dbias may be NULL. */
void matmul_backward(float *dx, float *dw, float *dbias, const float *d_out, const float *x,
                     const float *w, int T, int in, int out_dim);

/* Layer norm with n = (x - mean) * rstd, out = n * weight + bias:
 *   dbias += d_out;  dweight += d_out * n;
 *   dx += rstd * (g - mean_c(g) - n * mean_c(g * n)),  g = d_out * weight        [T, C] */
void layernorm_backward(float *dx, float *dweight, float *dbias, const float *d_out,
                        const float *x, const float *mean, const float *rstd,
                        const float *weight, int T, int C);

/* gelu_new: dx += d_out * gelu'(x)   [n] */
void gelu_backward(float *dx, const float *x, const float *d_out, size_t n);

/* out = a + b: da += d_out, db += d_out   [n] */
void residual_backward(float *da, float *db, const float *d_out, size_t n);

/* Causal self-attention at positions 0..T-1 (training always starts at 0), from the
 * forward pass's qkv [T, 3C] and probs [H, T, n_ctx]:
 *   d_probs[t,s]  = d_out[t,h] . v[s]          dv[s] += probs[t,s] d_out[t,h]
 *   d_scores[t,s] = probs[t,s] (d_probs[t,s] - sum_s' probs[t,s'] d_probs[t,s'])   (softmax)
 *   dq[t] += d_scores[t,s] k[s] / sqrt(hs)    dk[s] += d_scores[t,s] q[t] / sqrt(hs)
 * Masked entries (s > t) have probs 0 and get no gradient.  d_row is scratch [n_ctx]. */
void attention_backward(float *d_qkv, float *d_row, const float *d_out, const float *qkv,
                        const float *probs, int T, int C, int H, int n_ctx);

/* out[t] = wte[tokens[t]] + wpe[pos + t]:  d_wte[tokens[t]] += d_out[t];  d_wpe[pos+t] += d_out[t] */
void embed_backward(float *d_wte, float *d_wpe, const float *d_out, const int *tokens,
                    int T, int pos, int C);

/* ---- one float per parameter: gradients and optimizer moments ---- */

/* A buffer laid out exactly like the model's weights (gpt2_param_layout), so
 * grad.w.h[3].mlp_c_fc_weight is the gradient of m->w.h[3].mlp_c_fc_weight
 * and grad.data[i] belongs to m->owned[i]. */
typedef struct {
    float *data;          /* [n_floats], zeroed at init */
    size_t n_floats;
    GPT2Weights w;        /* views into data; w.lm_head == w.wte when tied */
} ParamBuffer;

int param_buffer_init(ParamBuffer *b, const GPT2 *m, Error *err);
void param_buffer_zero(ParamBuffer *b);
void param_buffer_free(ParamBuffer *b);

/* ---- the trainer: forward activations plus their gradients ---- */

/* Gradients of the activations of one sequence, carved from one allocation. */
typedef struct {
    float *d_logits;      /* [T, V] */
    float *d_lnf;         /* [T, C] gradient of lnf_out */
    float *d_stream;      /* [T, C] gradient of the residual stream at the current block's output, then input */
    float *d_block_in;    /* [T, C] gradient of the current block's input x */
    float *d_res1;        /* [T, C] */
    float *d_branch;      /* [T, C] gradient of mlp_proj / attn_proj (the residual branch) */
    float *d_ln;          /* [T, C] gradient of ln2_out / ln1_out */
    float *d_att_out;     /* [T, C] */
    float *d_qkv;         /* [T, 3C] */
    float *d_fc_gelu;     /* [T, 4C] */
    float *d_fc;          /* [T, 4C] */
    float *d_row;         /* [T] attention scratch: one row of d_probs */
    void *block;          /* the allocation */
} ActGrads;

typedef struct {
    GPT2 *model;          /* trained in place: weights must be m->owned, canonical order */
    int T;                /* longest sequence (inputs) one call may take */
    RunState state;       /* forward activations of every layer (keep_layers, all_logits) */
    ParamBuffer grad;     /* accumulated parameter gradients */
    ActGrads act;
} Trainer;

/* Fails when m's weights are not one writable buffer in canonical order
 * (use gpt2_load with copy=1, or gpt2_init_random) or T exceeds n_positions. */
int trainer_init(Trainer *tr, GPT2 *m, int T, Error *err);
void trainer_free(Trainer *tr);

/* One sequence of teacher forcing: tokens[0..T] (T+1 ids; inputs tokens[0..T),
 * targets tokens[1..T]).  Runs the forward pass, then the backward pass, and
 * ADDS grad_scale * d(mean loss)/d(param) into tr->grad (use grad_scale = 1/B
 * to average a batch of B sequences; zero tr->grad before the batch).
 * Writes the sequence's mean cross-entropy (nats) to *loss.  Returns -1 on
 * bad ids or T out of range. */
int train_step(Trainer *tr, const int *tokens, int T, double grad_scale, double *loss, Error *err);

/* The mean cross-entropy of tokens[0..T] (T+1 ids), forward pass only;
 * tr->grad is untouched.  Returns -1.0 (filling err) on failure. */
double eval_loss(Trainer *tr, const int *tokens, int T, Error *err);

/* ---- optimizer ---- */

typedef struct {
    double beta1;         /* 0.9 */
    double beta2;         /* 0.95 */
    double eps;           /* 1e-8 */
    double weight_decay;  /* decoupled, applied to 2-D weights only (not biases, not layer norms) */
} AdamWConfig;

typedef struct {
    ParamBuffer m;        /* first moment, laid out like the weights */
    ParamBuffer v;        /* second moment */
    long step;            /* updates done so far */
} AdamW;

int adamw_init(AdamW *opt, const GPT2 *m, Error *err);
void adamw_free(AdamW *opt);
/* One AdamW update of m's weights from grad, with learning rate lr; step += 1. */
void adamw_update(AdamW *opt, GPT2 *m, const ParamBuffer *grad, const AdamWConfig *cfg, double lr);

/* Linear warmup over `warmup` steps to lr_max, then cosine decay to lr_min at
 * step `total`:  step is 0-based. */
double lr_schedule(long step, long total, long warmup, double lr_max, double lr_min);

/* Scales g so that its global L2 norm is at most max_norm (<= 0: no clipping).
 * Returns the norm before clipping. */
double clip_grad_norm(ParamBuffer *g, double max_norm);

/* ---- the training loop and its checkpoints ---- */

typedef struct {
    long steps;           /* total optimizer steps (the schedule's length) */
    int batch;            /* sequences per step, B */
    int seq;              /* tokens per sequence, T */
    double lr;            /* peak learning rate */
    double lr_min;        /* final learning rate of the cosine */
    long warmup;          /* warmup steps */
    double weight_decay;
    double clip;          /* global gradient-norm limit, <= 0: off */
    double val_fraction;  /* last fraction of the tokens held out for validation */
    long eval_every;      /* validation every N steps (and at the end), 0: only at the end */
    long checkpoint_every;/* checkpoint every N steps (and at the end), 0: only at the end */
    int eval_windows;     /* at most this many validation windows, evenly spaced */
    uint64_t seed;        /* data sampling */
} TrainConfig;

void train_config_default(TrainConfig *cfg);

/* What the loop reports after every step. */
typedef struct {
    long step;            /* steps done, 1-based */
    long steps;           /* total */
    double lr;
    double loss;          /* mean training loss of this step's batch */
    double val_loss;      /* NaN when not evaluated at this step */
    double grad_norm;     /* before clipping */
    double tokens_per_s;  /* this run so far */
    double elapsed_s;     /* this run so far */
    double left_s;        /* estimate */
    int checkpointed;     /* a checkpoint was written after this step */
} TrainProgress;

typedef struct {
    void (*on_step)(void *ctx, const TrainProgress *p);   /* may be NULL */
    void *ctx;
    volatile sig_atomic_t *stop;  /* may be NULL; nonzero: checkpoint after the current step and return */
} TrainHooks;

/* Trains m in place on tokens[0..n) and checkpoints into out_dir.
 *   tokenizer_dir  its vocab.json and merges.txt are copied into every checkpoint (NULL: none)
 *   resume_dir     NULL for a fresh start; else a checkpoint folder whose
 *                  optimizer.safetensors and train_log.tsv continue the run
 *                  (m must have been loaded from the same folder)
 * With the same tokens, config and seed, a run resumed from any checkpoint
 * ends with the same bits as an uninterrupted one.  *steps_done (may be
 * NULL) gets the step reached. */
int train_run(GPT2 *m, const int *tokens, size_t n, const TrainConfig *cfg, const char *out_dir,
              const char *tokenizer_dir, const char *resume_dir, const TrainHooks *hooks,
              long *steps_done, Error *err);

/* Checkpoint folder layout (see docs/training.md): config.json,
 * model.safetensors (gpt2_save, F32), optimizer.safetensors (AdamW moments,
 * step, data RNG state and the recorded training options), train_log.tsv,
 * vocab.json, merges.txt.
 *
 * Each checkpoint is written whole into a new scratch folder DIR.tmp.PID.N
 * (made by mkdir, which fails on an existing name, so it is always argen's
 * own), then swapped in: DIR is renamed onto a new empty DIR.old.PID.N, the
 * scratch folder to DIR, and the previous checkpoint's files are removed
 * (files it did not write move into the new DIR).  argen removes nothing it
 * did not make or replace in the same run.
 *
 * Before the first step: normalises out (trailing slashes removed) into norm
 * and checks that checkpoints can be written there: a folder name (not ".",
 * "..", "/"), the parent exists and accepts a new folder (tried: a scratch
 * folder made and removed), and out, when it exists, is a folder and not a
 * symbolic link.  train_run() calls it too. */
int checkpoint_check_out(char *norm, size_t n, const char *out, Error *err);

/* Refuses a model folder whose name, as given or through symlinks, is one of
 * out_norm's scratch names (OUT.tmp.*, OUT.old.*).  *in_place = 1 when the
 * model IS the out folder (same device and inode): then each checkpoint
 * replaces it, only once the new one is fully written. */
int checkpoint_check_model(const char *out_norm, const char *model, int *in_place, Error *err);

/* The folder to resume from: DIR when it holds a checkpoint, else the one
 * DIR.old.PID.N that does (a crash between a save's two renames).  Fails when
 * none does, or when two backups do (it names them). */
int checkpoint_find(char *dir_out, size_t n, const char *dir, Error *err);

/* Compares the options recorded in resume_dir's optimizer.safetensors (seed,
 * batch, seq, steps, lr, lr_min, warmup, weight_decay, clip, val_fraction,
 * the data's length and FNV-1a hash) with cfg and tokens[0..n).  Writes each
 * that changed into changes as "--batch 2 (now 4), ..." ("" when none).
 * Options an older checkpoint does not record are not compared.  Returns -1
 * only when the file cannot be read. */
int train_resume_changes(const char *resume_dir, const TrainConfig *cfg, const int *tokens, size_t n,
                         char *changes, size_t changes_n, Error *err);

#endif
