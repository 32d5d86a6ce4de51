/*
 * cmd_train.c - `argen train`: teacher-forcing training of a GPT-2 model on a
 * text file (or pre-tokenized ids), with checkpoints that resume exactly.
 * The loop itself is train_run() in train.c; this file reads options and
 * data, prints progress and turns Ctrl-C into "checkpoint, then stop".
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "formats/tokenizer.h"
#include "train/train.h"

/* Set by SIGINT; train_run polls it after each step, and the command before
 * the first one.  The one global of the command: a signal handler cannot be
 * handed a context. */
static volatile sig_atomic_t interrupted = 0;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f) {
    fprintf(f,
        "usage: argen train --model DIR --out DIR (--data FILE | --ids-file FILE) [options]\n"
        "\n"
        "Trains a GPT-2 checkpoint with teacher forcing: every step samples --batch\n"
        "windows of --seq + 1 tokens, predicts every next token in one forward pass,\n"
        "backpropagates the mean cross-entropy and takes one AdamW step.\n"
        "\n"
        "  --data FILE            text, tokenized with the tokenizer in --model\n"
        "  --ids-file FILE        instead: token ids as little-endian int32\n"
        "  --model DIR            checkpoint to start from (argen init, or a trained one);\n"
        "                         with --resume only its tokenizer is used\n"
        "  --out DIR              checkpoint folder, each checkpoint written whole into a new\n"
        "                         DIR.tmp.PID.N, then renamed; may be --model itself (it is\n"
        "                         replaced once the first checkpoint is fully written)\n"
        "  --steps N              optimizer steps in all [1, 1e9] (default 1000)\n"
        "  --batch B              sequences per step [1, 4096] (default 8)\n"
        "  --seq T                tokens per sequence [1, n_positions] (default 64)\n"
        "  --lr X                 peak learning rate (0, 1] (default 1e-3)\n"
        "  --lr-min X             final learning rate of the cosine [0, 1] (default lr/10)\n"
        "  --warmup N             linear warmup steps [0, 1e9] (default 50)\n"
        "  --weight-decay X       AdamW decay of 2-D weights [0, 10] (default 0.1)\n"
        "  --clip X               global gradient-norm limit, 0 = off [0, 1e6] (default 1)\n"
        "  --val-fraction X       last fraction of tokens held out [0, 0.5] (default 0.05)\n"
        "  --eval-every N         validation loss every N steps, 0 = only at the end (default 100)\n"
        "  --eval-windows N       validation windows of T+1 tokens [1, 1e6] (default 32)\n"
        "  --checkpoint-every N   checkpoint every N steps, 0 = only at the end (default 500)\n"
        "  --seed S               data sampling seed (default 1)\n"
        "  --resume               continue from the checkpoint in --out (same options and data\n"
        "                         give the same bits as an uninterrupted run); refused when the\n"
        "                         options or data differ from the checkpoint's, naming each\n"
        "  --allow-changes        with --resume: continue with the changed options anyway\n"
        "\n"
        "Ctrl-C stops after the current step, writes a checkpoint and exits with 130.\n"
        "A non-finite loss stops training with an error, without a checkpoint.  Progress goes to\n"
        "stderr; DIR/train_log.tsv holds step, lr, train_loss, val_loss, tokens_per_s.\n");
}

typedef struct {
    const char *data, *ids_file, *model, *out;
    int resume;
    int allow_changes;
    int lr_min_set;
    TrainConfig cfg;
} TrainArgs;

/* Returns 0, or EXIT_USAGE after printing the error; 1 for --help. */
static int parse_args(TrainArgs *a, int argc, char **argv) {
    const char *cmd = "train";
    long v;
    double d;
    memset(a, 0, sizeof *a);
    train_config_default(&a->cfg);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *s;
        if (cli_is_help(o)) { usage(stdout); return 1; }
        if (strcmp(o, "--resume") == 0) { a->resume = 1; continue; }
        if (strcmp(o, "--allow-changes") == 0) { a->allow_changes = 1; continue; }
        if (strncmp(o, "--", 2) != 0) return cli_unknown(cmd, o);
#define VALUE() if (!(s = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE
#define LONG(lo, hi) if (cli_long(cmd, o, s, lo, hi, &v)) return EXIT_USAGE
#define DOUBLE(lo, lo_open, hi, hi_open) if (cli_double(cmd, o, s, lo, lo_open, hi, hi_open, &d)) return EXIT_USAGE
        if (strcmp(o, "--data") == 0) { VALUE(); a->data = s; }
        else if (strcmp(o, "--ids-file") == 0) { VALUE(); a->ids_file = s; }
        else if (strcmp(o, "--model") == 0) { VALUE(); a->model = s; }
        else if (strcmp(o, "--weights") == 0) {   /* the optimizer updates F32 weights in place */
            fprintf(stderr, "argen %s: --weights: training holds the weights in F32 whatever the checkpoint stores; "
                    "drop the option\n", cmd);
            return EXIT_USAGE;
        }
        else if (strcmp(o, "--out") == 0) { VALUE(); a->out = s; }
        else if (strcmp(o, "--steps") == 0) { VALUE(); LONG(1, 1000000000L); a->cfg.steps = v; }
        else if (strcmp(o, "--batch") == 0) { VALUE(); LONG(1, 4096); a->cfg.batch = (int)v; }
        else if (strcmp(o, "--seq") == 0) { VALUE(); LONG(1, 1048576); a->cfg.seq = (int)v; }
        else if (strcmp(o, "--lr") == 0) { VALUE(); DOUBLE(0, 1, 1, 0); a->cfg.lr = d; }
        else if (strcmp(o, "--lr-min") == 0) { VALUE(); DOUBLE(0, 0, 1, 0); a->cfg.lr_min = d; a->lr_min_set = 1; }
        else if (strcmp(o, "--warmup") == 0) { VALUE(); LONG(0, 1000000000L); a->cfg.warmup = v; }
        else if (strcmp(o, "--weight-decay") == 0) { VALUE(); DOUBLE(0, 0, 10, 0); a->cfg.weight_decay = d; }
        else if (strcmp(o, "--clip") == 0) { VALUE(); DOUBLE(0, 0, 1e6, 0); a->cfg.clip = d; }
        else if (strcmp(o, "--val-fraction") == 0) { VALUE(); DOUBLE(0, 0, 0.5, 0); a->cfg.val_fraction = d; }
        else if (strcmp(o, "--eval-every") == 0) { VALUE(); LONG(0, 1000000000L); a->cfg.eval_every = v; }
        else if (strcmp(o, "--eval-windows") == 0) { VALUE(); LONG(1, 1000000); a->cfg.eval_windows = (int)v; }
        else if (strcmp(o, "--checkpoint-every") == 0) { VALUE(); LONG(0, 1000000000L); a->cfg.checkpoint_every = v; }
        else if (strcmp(o, "--seed") == 0) { VALUE(); LONG(0, 2147483647L); a->cfg.seed = (uint64_t)v; }
        else return cli_unknown(cmd, o);
#undef VALUE
#undef LONG
#undef DOUBLE
    }
    if (!a->lr_min_set) a->cfg.lr_min = a->cfg.lr / 10;
    if (!a->model || !a->out) {
        fprintf(stderr, "argen train: --model and --out are required (see argen train --help)\n");
        return EXIT_USAGE;
    }
    if (!a->data == !a->ids_file) {
        fprintf(stderr, "argen train: expected exactly one of --data and --ids-file\n");
        return EXIT_USAGE;
    }
    if (a->allow_changes && !a->resume) {
        fprintf(stderr, "argen train: --allow-changes: expected with --resume\n");
        return EXIT_USAGE;
    }
    if (a->cfg.lr_min > a->cfg.lr) {
        fprintf(stderr, "argen train: --lr-min: expected a number in [0, %g] (at most --lr), got %g\n", a->cfg.lr,
                a->cfg.lr_min);
        return EXIT_USAGE;
    }
    return 0;
}

/* --ids-file: little-endian int32 ids, each in [0, V). */
static int read_ids(const char *path, int V, int **ids, size_t *n, Error *err) {
    char *data;
    size_t len;
    if (read_file(path, &data, &len, err) != 0) return -1;
    if (len == 0 || len % 4 != 0) {
        free(data);
        return error_set(err, "%s: %zu bytes: expected a non-empty list of int32 token ids", path, len);
    }
    size_t count = len / 4;
    int *out = malloc(count * sizeof *out);   /* handed to *ids only when every id is valid */
    if (!out) { free(data); return error_set(err, "%s: out of memory", path); }
    for (size_t i = 0; i < count; i++) {
        const unsigned char *b = (const unsigned char *)data + 4 * i;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        if (u >= (uint32_t)V) {
            free(data);
            free(out);
            return error_set(err, "%s: token id %lu at index %zu: expected an id in [0, %d) (vocab_size)", path,
                             (unsigned long)u, i, V);
        }
        out[i] = (int)u;
    }
    free(data);
    *ids = out;
    *n = count;
    return 0;
}

/* --data: the text, tokenized with the model folder's tokenizer. */
static int read_text_ids(const char *path, const char *tok_dir, int V, int **ids, size_t *n, Error *err) {
    char *text;
    size_t len;
    Tokenizer tok;
    int count = 0;
    if (read_file(path, &text, &len, err) != 0) return -1;
    if (len == 0) { free(text); return error_set(err, "%s: empty: nothing to train on", path); }
    if (tokenizer_load(&tok, tok_dir, err) != 0) { free(text); return -1; }
    if (tokenizer_vocab_size(&tok) > V) {
        error_set(err, "%s: the tokenizer has %d tokens but the model's vocab_size is %d", tok_dir,
                  tokenizer_vocab_size(&tok), V);
        tokenizer_free(&tok);
        free(text);
        return -1;
    }
    int rc = tokenizer_encode(&tok, text, len, 1, ids, &count, err);
    tokenizer_free(&tok);
    free(text);
    *n = (size_t)count;
    return rc;
}

static void format_time(char *buf, size_t n, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

typedef struct {
    double last_print;
} ProgressPrinter;

/* One line about once a second, and on every validation or checkpoint. */
static void print_progress(void *ctx, const TrainProgress *p) {
    ProgressPrinter *pp = ctx;
    double now = now_seconds();
    if (now - pp->last_print < 1.0 && isnan(p->val_loss) && !p->checkpointed && p->step != p->steps) return;
    pp->last_print = now;
    char elapsed[32], left[32], val[32] = "";
    format_time(elapsed, sizeof elapsed, p->elapsed_s);
    format_time(left, sizeof left, p->left_s);
    if (!isnan(p->val_loss)) snprintf(val, sizeof val, " | val %.4f", p->val_loss);
    fprintf(stderr, "step %ld/%ld | loss %.4f%s | lr %.2e | norm %.2f | %.0f tok/s | %s elapsed | %s left%s\n",
            p->step, p->steps, p->loss, val, p->lr, p->grad_norm, p->tokens_per_s, elapsed, left,
            p->checkpointed ? " | checkpoint" : "");
}

int cmd_train(int argc, char **argv) {
    TrainArgs a;
    int rc = parse_args(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;

    Error err;
    GPT2 m;
    char out[4096], from[4096], changes[1024];
    int *ids = NULL, in_place = 0;
    size_t n = 0;
    long done = 0;
    /* --out first: a bad one would otherwise fail only at the first checkpoint */
    if (checkpoint_check_out(out, sizeof out, a.out, &err) != 0) {
        fprintf(stderr, "argen train: --out %s\n", err.msg);
        return EXIT_FAIL;
    }
    if (checkpoint_check_model(out, a.model, &in_place, &err) != 0) {
        fprintf(stderr, "argen train: %s\n", err.msg);
        return EXIT_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    snprintf(from, sizeof from, "%s", a.model);
    if (a.resume && checkpoint_find(from, sizeof from, out, &err) != 0) goto fail_early;
    if (gpt2_load(&m, from, 1, &err) != 0) goto fail_early;
    if (a.cfg.seq > m.config.n_positions) {
        fprintf(stderr, "argen train: --seq: expected an integer in [1, %d] (n_positions), got '%d'\n",
                m.config.n_positions, a.cfg.seq);
        gpt2_free(&m);
        return EXIT_USAGE;
    }
    char vocab[4096];
    int have_tokenizer = path_join(vocab, sizeof vocab, a.model, "vocab.json", &err) == 0 && access(vocab, F_OK) == 0;
    if (a.data && !have_tokenizer) {
        error_set(&err, "%s: no vocab.json: --data needs the model's tokenizer (or use --ids-file)", a.model);
        goto fail;
    }
    if ((a.data ? read_text_ids(a.data, a.model, m.config.vocab_size, &ids, &n, &err)
                : read_ids(a.ids_file, m.config.vocab_size, &ids, &n, &err)) != 0)
        goto fail;
    if (a.resume) {
        if (train_resume_changes(from, &a.cfg, ids, n, changes, sizeof changes, &err) != 0) goto fail;
        if (changes[0] && !a.allow_changes) {
            fprintf(stderr, "argen train: --resume: the checkpoint in %s was trained with other options or data: %s; "
                    "give the same ones, or add --allow-changes to continue with the new ones\n", from, changes);
            free(ids);
            gpt2_free(&m);
            return EXIT_USAGE;
        }
        if (changes[0]) fprintf(stderr, "argen train: --allow-changes: continuing with %s\n", changes);
    }
    if (interrupted) {
        fprintf(stderr, "argen train: interrupted before the first step; nothing written\n");
        free(ids);
        gpt2_free(&m);
        return 130;
    }
    fprintf(stderr, "argen train: %s: %zu tokens, model %s (%zu parameters), %s\n", a.data ? a.data : a.ids_file, n,
            from, m.n_floats, a.resume ? "resuming" : "from the start");
    if (in_place)
        fprintf(stderr, "argen train: --out is --model: each checkpoint replaces %s once it is fully written\n", out);

    ProgressPrinter pp = {0};
    TrainHooks hooks = {.on_step = print_progress, .ctx = &pp, .stop = &interrupted};
    if (train_run(&m, ids, n, &a.cfg, out, have_tokenizer ? a.model : NULL, a.resume ? from : NULL, &hooks, &done,
                  &err) != 0)
        goto fail;
    signal(SIGINT, SIG_DFL);
    free(ids);
    gpt2_free(&m);
    if (interrupted) {
        fprintf(stderr, "argen train: interrupted after step %ld; checkpoint in %s (continue with --resume)\n", done,
                out);
        return 130;
    }
    fprintf(stderr, "argen train: %ld steps done; checkpoint in %s\n", done, out);
    return 0;
fail:
    free(ids);
    gpt2_free(&m);
fail_early:
    fprintf(stderr, "argen train: %s\n", err.msg);
    return EXIT_FAIL;
}
