/*
 * cmd_corpus.c - `argen corpus`: write the story corpus, print samples, or
 * print the branch points with their true next-word distributions.
 */
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/corpus.h"
#include "train/corpus_eval.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "formats/tokenizer.h"
#include "formats/json.h"
#include "formats/files.h"

#define DEFAULT_BYTES 4000000L
#define DEFAULT_SEED 1L

static const char *USAGE =
    "usage: argen corpus --out FILE [--bytes N] [--seed S]\n"
    "       argen corpus --sample N [--seed S]\n"
    "       argen corpus --branch-points [--json] [--context TEXT]\n"
    "       argen corpus --evaluate --model DIR [--json] [--weights f32|f16|bf16]\n"
    "\n"
    "Writes short stories from a fixed probabilistic grammar (docs/corpus.md),\n"
    "each followed by \"\\n<|endoftext|>\\n\".  Same seed, same bytes on every machine.\n"
    "\n"
    "  --out FILE        write stories until at least N bytes (atomically)\n"
    "  --bytes N         target size in bytes, in [1, 1000000000] (default 4000000)\n"
    "  --seed S          PCG32 seed, in [0, 9223372036854775807] (default 1)\n"
    "  --sample N        print N stories to stdout, N in [1, 10000]\n"
    "  --branch-points   print every branch point: its context (a story prefix)\n"
    "                    and the true distribution of the next word\n"
    "  --json            with --branch-points: as JSON\n"
    "                    {\"branch_points\":[{\"name\",\"context\",\"options\":[{\"word\",\"prob\"}]}]}\n"
    "  --context TEXT    with --branch-points: only the branch point whose context is TEXT\n"
    "  --evaluate        the model's learned next-word distribution at every branch point\n"
    "                    beside the true one, with KL(true || learned) in nats\n"
    "  --model DIR       with --evaluate: a model folder with vocab.json and merges.txt\n"
    "  --weights W       with --evaluate: f32|f16|bf16, the weight matrices in memory\n"
    "                    (default: as stored)\n";

typedef struct {
    const char *out;          /* --out, or NULL */
    long bytes;               /* --bytes */
    long seed;                /* --seed */
    long sample;              /* --sample, 0 when absent */
    int branch_points;        /* --branch-points given */
    int json;                 /* --json given */
    const char *context;      /* --context, or NULL */
    int bytes_given;          /* --bytes given (only meaningful with --out) */
    int evaluate;             /* --evaluate given */
    const char *model;        /* --model, or NULL */
    const char *weights;      /* --weights, or NULL */
} CorpusArgs;

/* Returns 0, or EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, CorpusArgs *a) {
    const char *cmd = "corpus";
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        if (strcmp(opt, "--branch-points") == 0) a->branch_points = 1;
        else if (strcmp(opt, "--json") == 0) a->json = 1;
        else if (strcmp(opt, "--evaluate") == 0) a->evaluate = 1;
        else if (strcmp(opt, "--model") == 0) {
            if (!(a->model = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        }
        else if (strcmp(opt, "--weights") == 0) {
            LoadWeights unused;
            if (!(a->weights = cli_value(cmd, argc, argv, &i)) || cli_weights(cmd, a->weights, &unused)) return EXIT_USAGE;
        }
        else if (strcmp(opt, "--out") == 0) {
            if (!(a->out = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(opt, "--context") == 0) {
            if (!(a->context = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(opt, "--bytes") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)) || cli_long(cmd, opt, v, 1, 1000000000L, &a->bytes))
                return EXIT_USAGE;
            a->bytes_given = 1;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)) || cli_long(cmd, opt, v, 0, LONG_MAX, &a->seed))
                return EXIT_USAGE;
        } else if (strcmp(opt, "--sample") == 0) {
            if (!(v = cli_value(cmd, argc, argv, &i)) || cli_long(cmd, opt, v, 1, 10000, &a->sample))
                return EXIT_USAGE;
        } else return cli_unknown(cmd, opt);
    }
    int modes = (a->out != NULL) + (a->sample > 0) + a->branch_points + a->evaluate;
    if (modes != 1) {
        fprintf(stderr, "argen corpus: expected exactly one of --out, --sample, --branch-points, --evaluate (see argen corpus --help)\n");
        return EXIT_USAGE;
    }
    if (a->bytes_given && !a->out) {
        fprintf(stderr, "argen corpus: --bytes: only with --out\n");
        return EXIT_USAGE;
    }
    if (a->context && !a->branch_points) {
        fprintf(stderr, "argen corpus: --context: only with --branch-points\n");
        return EXIT_USAGE;
    }
    if (a->json && !a->branch_points && !a->evaluate) {
        fprintf(stderr, "argen corpus: --json: only with --branch-points or --evaluate\n");
        return EXIT_USAGE;
    }
    if (a->evaluate != (a->model != NULL)) {
        fprintf(stderr, "argen corpus: %s\n", a->evaluate ? "--model: expected a model folder with --evaluate"
                                                         : "--model: only with --evaluate");
        return EXIT_USAGE;
    }
    if (a->weights && !a->evaluate) {
        fprintf(stderr, "argen corpus: --weights: only with --evaluate\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- --branch-points ---- */

static void print_branch_point_text(const BranchPoint *bp) {
    printf("%s: \"%s\"\n", bp->name, bp->context);
    for (int j = 0; j < bp->n_options; j++) {
        /* quoted, so that the leading space shows: " cat" */
        int w = printf("    \"%s\"", bp->options[j].word);
        printf("%*s%.3f\n", w < 20 ? 20 - w : 1, "", bp->options[j].prob);
    }
}

static void print_branch_point_json(JsonWriter *w, const BranchPoint *bp) {
    jw_object_begin(w);
    jw_key(w, "name");
    jw_string(w, bp->name);
    jw_key(w, "context");
    jw_string(w, bp->context);
    jw_key(w, "options");
    jw_array_begin(w);
    for (int j = 0; j < bp->n_options; j++) {
        jw_object_begin(w);
        jw_key(w, "word");
        jw_string(w, bp->options[j].word);
        jw_key(w, "prob");
        jw_float(w, bp->options[j].prob);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_object_end(w);
}

static int show_branch_points(const CorpusArgs *a) {
    const BranchPoint *all;
    int n = corpus_branch_points(&all);
    if (a->context) {
        const BranchPoint *bp = corpus_find_branch_point(a->context);
        if (!bp) {
            fprintf(stderr, "argen corpus: --context: expected the context of a branch point "
                            "(see argen corpus --branch-points), got '%s'\n", a->context);
            return EXIT_USAGE;
        }
        all = bp;
        n = 1;
    }
    if (!a->json) {
        printf("# contexts are story prefixes; in the corpus a story follows \"<|endoftext|>\\n\"\n");
        for (int i = 0; i < n; i++) print_branch_point_text(&all[i]);
        return 0;
    }
    JsonWriter w;
    jw_init(&w, stdout, 2);
    jw_object_begin(&w);
    jw_key(&w, "separator");
    jw_string(&w, CORPUS_SEPARATOR);
    jw_key(&w, "branch_points");
    jw_array_begin(&w);
    for (int i = 0; i < n; i++) print_branch_point_json(&w, &all[i]);
    jw_array_end(&w);
    jw_object_end(&w);   /* the writer ends the document with a newline */
    return 0;
}

/* ---- --evaluate ---- */

static void print_eval_text(const BranchEval *e) {
    const BranchPoint *bp = e->bp;
    printf("%s: \"...%s\"  KL %.4f nats, mass on options %.3f\n", bp->name,
           strlen(bp->context) > 40 ? bp->context + strlen(bp->context) - 40 : bp->context, e->kl, e->mass);
    printf("    %-14s %8s %8s\n", "word", "true", "learned");
    for (int j = 0; j < bp->n_options; j++)
        printf("    %-14s %8.3f %8.3f\n", bp->options[j].word, bp->options[j].prob, e->learned[j]);
}

static void print_eval_json(JsonWriter *w, const BranchEval *e) {
    const BranchPoint *bp = e->bp;
    jw_object_begin(w);
    jw_key(w, "name"); jw_string(w, bp->name);
    jw_key(w, "context"); jw_string(w, bp->context);
    jw_key(w, "kl"); jw_float(w, e->kl);
    jw_key(w, "mass"); jw_float(w, e->mass);
    jw_key(w, "options");
    jw_array_begin(w);
    for (int j = 0; j < bp->n_options; j++) {
        jw_object_begin(w);
        jw_key(w, "word"); jw_string(w, bp->options[j].word);
        jw_key(w, "true"); jw_float(w, bp->options[j].prob);
        jw_key(w, "learned"); jw_float(w, e->learned[j]);
        jw_key(w, "raw"); jw_float(w, e->raw[j]);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_object_end(w);
}

static int evaluate_model(const CorpusArgs *a) {
    GPT2 m;
    Tokenizer tok;
    Error err;
    LoadWeights weights = LOAD_AS_STORED;
    if (a->weights) cli_weights("corpus", a->weights, &weights);   /* checked by parse_args */
    if (gpt2_load_weights(&m, a->model, weights, &err)) { fprintf(stderr, "argen corpus: %s\n", err.msg); return EXIT_FAIL; }
    if (tokenizer_load(&tok, a->model, &err)) {
        fprintf(stderr, "argen corpus: %s\n", err.msg);
        gpt2_free(&m);
        return EXIT_FAIL;
    }
    const BranchPoint *all;
    int n = corpus_branch_points(&all), rc = 0;
    JsonWriter w;
    jw_init(&w, stdout, 2);
    if (a->json) { jw_object_begin(&w); jw_key(&w, "branch_points"); jw_array_begin(&w); }
    double total = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        BranchEval e;
        if (corpus_eval_branch(&m, &tok, &all[i], &e, &err)) {
            fprintf(stderr, "argen corpus: %s\n", err.msg);
            rc = EXIT_FAIL;
            break;
        }
        total += e.kl;
        if (a->json) print_eval_json(&w, &e);
        else print_eval_text(&e);
    }
    if (a->json) {
        jw_array_end(&w);
        jw_key(&w, "mean_kl"); jw_float(&w, total / n);
        jw_object_end(&w);
    } else if (rc == 0) printf("mean KL over %d branch points: %.4f nats\n", n, total / n);
    tokenizer_free(&tok);
    gpt2_free(&m);
    return rc;
}

/* ---- --sample ---- */

static int print_samples(const CorpusArgs *a) {
    Rng rng;
    Error err;
    char story[CORPUS_STORY_MAX];
    size_t len;
    rng_seed(&rng, (uint64_t)a->seed, CORPUS_RNG_SEQ);
    for (long i = 0; i < a->sample && !*cli_stop_flag(); i++) {
        if (corpus_story(&rng, story, sizeof story, &len, &err) != 0) {
            fprintf(stderr, "argen corpus: %s\n", err.msg);
            return EXIT_FAIL;
        }
        fputs(story, stdout);
        fputs(CORPUS_SEPARATOR, stdout);
    }
    return 0;
}

/* ---- --out ---- */

typedef struct {
    double start;      /* now_seconds() when writing began */
    double last;       /* when the last progress line was printed */
} Progress;

/* Prints a progress line at most twice a second; stops the writing on Ctrl-C. */
static int progress_line(void *ctx, size_t written, size_t target) {
    Progress *p = ctx;
    if (*cli_stop_flag()) return 1;
    double now = now_seconds();
    if (now - p->last < 0.5 && written < target) return 0;
    p->last = now;
    fprintf(stderr, "\rcorpus: %zu / %zu bytes (%.0f%%), %.1f s", written, target,
            100.0 * (double)(written < target ? written : target) / (double)target, now - p->start);
    return 0;
}

static int write_corpus(const CorpusArgs *a) {
    AtomicFile af;
    Error err;
    double start = now_seconds();
    Progress p = {.start = start, .last = start};
    if (atomic_open(&af, a->out, &err) != 0) {
        fprintf(stderr, "argen corpus: %s\n", err.msg);
        return EXIT_FAIL;
    }
    if (corpus_write_progress(af.f, (uint64_t)a->seed, (size_t)a->bytes, progress_line, &p, &err) != 0) {
        atomic_abort(&af);
        if (*cli_stop_flag()) {   /* the partial corpus is gone with its temporary */
            if (*cli_stop_flag() == SIGINT) fprintf(stderr, "\nargen corpus: interrupted: %s not written\n", a->out);
            return EXIT_SIGINT;
        }
        fprintf(stderr, "\nargen corpus: %s: %s\n", a->out, err.msg);
        return EXIT_FAIL;
    }
    if (atomic_commit(&af, &err) != 0) {
        fprintf(stderr, "\nargen corpus: %s\n", err.msg);
        return EXIT_FAIL;
    }
    fprintf(stderr, "\ncorpus: wrote %s (seed %ld)\n", a->out, a->seed);
    return 0;
}

int cmd_corpus(int argc, char **argv) {
    CorpusArgs a = {.out = NULL, .bytes = DEFAULT_BYTES, .seed = DEFAULT_SEED, .context = NULL, .model = NULL,
                    .weights = NULL};
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) { fputs(USAGE, stdout); return 0; }
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) return rc;
    const NamedPath inputs[] = {{"--model", a.model}};
    const NamedPath outputs[] = {{"--out", a.out}};
    if (cli_check_outputs(argv[0], inputs, 1, outputs, 1) != 0) return EXIT_USAGE;
    if (a.branch_points) return show_branch_points(&a);
    if (a.evaluate) return evaluate_model(&a);
    if (a.sample > 0) return print_samples(&a);
    return write_corpus(&a);
}
