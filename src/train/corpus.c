/*
 * corpus.c - the story grammar, its branch points and the corpus writer.
 *
 * A story is five parts, each drawn by one function below in story order:
 *
 *   opening   Once upon a time there was a SIZE ANIMAL named NAME.
 *   home      SUBJECT lived in a HOME near the NEAR.
 *   outing    One day, NAME went to the PLACE.
 *   plot      PLOT picks one of: meet a friend in trouble, find a thing, rain
 *   ending    one closing sentence
 *
 * Every capitalized word above is a table of (word, probability) below; the
 * same tables are listed in docs/corpus.md.  A character's name, once drawn,
 * is reused (and so are his/her pronouns): a model must learn to copy.
 * Choices are drawn in the order their words appear in the text, so a reader
 * (or a five-line Python mirror of corpus_pick) can replay a story by hand.
 */
#include "train/corpus.h"

#include <string.h>

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- the tables of the grammar ----
 * Words carry their leading space, as they appear in running text. */

static const CorpusOption SIZE[] = {{" little", 0.5}, {" big", 0.3}, {" young", 0.2}};

/* after " little" and after " young" */
static const CorpusOption ANIMAL_little[] = {
    {" cat", 0.30}, {" dog", 0.25}, {" bird", 0.20}, {" fox", 0.15}, {" mouse", 0.10}};
static const CorpusOption ANIMAL_big[] = {{" dog", 0.4}, {" bear", 0.3}, {" cat", 0.2}, {" fox", 0.1}};

static const CorpusOption NAME_cat[] = {{" Tom", 0.4}, {" Lily", 0.3}, {" Mia", 0.2}, {" Sam", 0.1}};
static const CorpusOption NAME_dog[] = {{" Max", 0.4}, {" Ben", 0.3}, {" Lucy", 0.2}, {" Anna", 0.1}};
static const CorpusOption NAME_bird[] = {{" Mia", 0.4}, {" Anna", 0.3}, {" Sam", 0.2}, {" Ben", 0.1}};
static const CorpusOption NAME_fox[] = {{" Sam", 0.4}, {" Lucy", 0.3}, {" Tom", 0.2}, {" Lily", 0.1}};
static const CorpusOption NAME_mouse[] = {{" Ben", 0.4}, {" Mia", 0.3}, {" Max", 0.2}, {" Lucy", 0.1}};
static const CorpusOption NAME_bear[] = {{" Ben", 0.5}, {" Anna", 0.3}, {" Max", 0.2}};

/* The second sentence starts with the name again or with He/She. */
static const CorpusOption SUBJECT[] = {{" NAME", 0.6}, {" He/She", 0.4}};
static const CorpusOption HOME[] = {{" house", 0.4}, {" barn", 0.3}, {" tree", 0.2}, {" hole", 0.1}};
static const CorpusOption NEAR[] = {{" river", 0.3}, {" forest", 0.3}, {" hill", 0.2}, {" lake", 0.2}};
static const CorpusOption PLACE[] = {
    {" park", 0.3}, {" beach", 0.25}, {" market", 0.2}, {" garden", 0.15}, {" forest", 0.1}};

/* The first word after the outing sentence decides the plot. */
enum { PLOT_MEET, PLOT_FIND, PLOT_RAIN };
static const CorpusOption PLOT[] = {{" There", 0.4}, {" He/She", 0.35}, {" Suddenly", 0.25}};

/* meet: a friend in trouble */
enum { TROUBLE_SAD, TROUBLE_LOST, TROUBLE_HUNGRY };
static const CorpusOption TROUBLE[] = {{" sad", 0.4}, {" lost", 0.3}, {" hungry", 0.3}};
static const CorpusOption HELP_SAD[] = {
    {" told NAME2 a funny story", 0.5}, {" sang a silly song", 0.3}, {" made a funny face", 0.2}};
static const CorpusOption HELP_LOST[] = {{" helped NAME2 find", 0.6}, {" walked with NAME2", 0.4}};
static const CorpusOption FOOD[] = {{" apple", 0.3},   {" cake", 0.2},   {" bread", 0.15},
                                    {" cookie", 0.15}, {" cheese", 0.1}, {" banana", 0.1}};
static const CorpusOption FRIENDS[] = {{" From that day on", 0.6}, {" NAME and NAME2 played", 0.4}};

/* find: a thing, then either its owner turns up or the hero uses it */
static const CorpusOption COLOR[] = {{" red", 0.25},   {" blue", 0.2},  {" shiny", 0.15}, {" green", 0.15},
                                     {" yellow", 0.1}, {" pink", 0.1},  {" purple", 0.05}};
static const CorpusOption OBJECT[] = {{" ball", 0.2},   {" kite", 0.15},  {" hat", 0.15}, {" box", 0.15},
                                      {" book", 0.1},   {" flower", 0.1}, {" shell", 0.1}, {" drum", 0.05}};
static const CorpusOption WHERE[] = {{" under a tree", 0.4}, {" behind a rock", 0.3}, {" in the grass", 0.3}};
static const CorpusOption FEEL[] = {{" happy", 0.5}, {" surprised", 0.3}, {" excited", 0.2}};
enum { FOUND_OWNER, FOUND_KEEP };
static const CorpusOption FOUND[] = {{" Then", 0.4}, {" He/She", 0.6}};

/* rain */
static const CorpusOption SHELTER[] = {
    {" under a big tree", 0.5}, {" into a small cave", 0.3}, {" under an old bridge", 0.2}};
static const CorpusOption STORM[] = {{" The wind blew", 0.5}, {" (nothing)", 0.5}};
static const CorpusOption AFTER_RAIN[] = {{" NAME saw a beautiful rainbow", 0.6}, {" NAME jumped", 0.4}};

/* A lesson, said before the ending, in half of the stories. */
static const CorpusOption MORAL[] = {{" NAME learned that", 0.5}, {" (nothing)", 0.5}};

static const CorpusOption ENDING[] = {{" That night", 0.4}, {" NAME went home", 0.3}, {" It was", 0.3}};

/* What the hero does with a found OBJECT (same order as OBJECT), after He/She;
 * HIS stands for the hero's possessive pronoun (his/her). */
static const char *const OBJECT_USE[] = {
    " kicked the ball and ran after it all day.",
    " flew the kite high up in the sky.",
    " put the hat on HIS head and danced.",
    " opened the box and found a shiny coin inside.",
    " sat down and read the book until it was dark.",
    " took the flower home and gave it to HIS mom.",
    " held the shell to HIS ear and listened to the sea.",
    " played the drum and sang a happy song.",
};

static const CorpusRule RULES[] = {
    {"SIZE", SIZE, COUNT(SIZE)},
    {"ANIMAL_little", ANIMAL_little, COUNT(ANIMAL_little)},
    {"ANIMAL_big", ANIMAL_big, COUNT(ANIMAL_big)},
    {"NAME_cat", NAME_cat, COUNT(NAME_cat)},
    {"NAME_dog", NAME_dog, COUNT(NAME_dog)},
    {"NAME_bird", NAME_bird, COUNT(NAME_bird)},
    {"NAME_fox", NAME_fox, COUNT(NAME_fox)},
    {"NAME_mouse", NAME_mouse, COUNT(NAME_mouse)},
    {"NAME_bear", NAME_bear, COUNT(NAME_bear)},
    {"SUBJECT", SUBJECT, COUNT(SUBJECT)},
    {"HOME", HOME, COUNT(HOME)},
    {"NEAR", NEAR, COUNT(NEAR)},
    {"PLACE", PLACE, COUNT(PLACE)},
    {"PLOT", PLOT, COUNT(PLOT)},
    {"TROUBLE", TROUBLE, COUNT(TROUBLE)},
    {"HELP_SAD", HELP_SAD, COUNT(HELP_SAD)},
    {"HELP_LOST", HELP_LOST, COUNT(HELP_LOST)},
    {"FOOD", FOOD, COUNT(FOOD)},
    {"FRIENDS", FRIENDS, COUNT(FRIENDS)},
    {"COLOR", COLOR, COUNT(COLOR)},
    {"OBJECT", OBJECT, COUNT(OBJECT)},
    {"WHERE", WHERE, COUNT(WHERE)},
    {"FEEL", FEEL, COUNT(FEEL)},
    {"FOUND", FOUND, COUNT(FOUND)},
    {"SHELTER", SHELTER, COUNT(SHELTER)},
    {"STORM", STORM, COUNT(STORM)},
    {"AFTER_RAIN", AFTER_RAIN, COUNT(AFTER_RAIN)},
    {"MORAL", MORAL, COUNT(MORAL)},
    {"ENDING", ENDING, COUNT(ENDING)},
};

int corpus_rules(const CorpusRule **out) {
    *out = RULES;
    return COUNT(RULES);
}

/* ---- branch points ----
 * Each context is a whole story prefix, so the grammar reaches it by exactly
 * one path and the next word is drawn from exactly one table.  The option
 * lists restate those tables with the symbolic words filled in for the path
 * (NAME = Tom, He/She = He); the Check suite verifies them by sampling. */

#define OPENING_TOM "Once upon a time there was a little cat named Tom."
#define HOME_TOM OPENING_TOM " Tom lived in a house near the river."
#define OUTING_TOM HOME_TOM " One day, Tom went to the"

static const CorpusOption SUBJECT_tom[] = {{" Tom", 0.6}, {" He", 0.4}};
static const CorpusOption SUBJECT_lily[] = {{" Lily", 0.6}, {" She", 0.4}};
static const CorpusOption PLOT_tom[] = {{" There", 0.4}, {" He", 0.35}, {" Suddenly", 0.25}};

static const BranchPoint BRANCH_POINTS[] = {
    {"size", "Once upon a time there was a", SIZE, COUNT(SIZE)},
    {"animal_little", "Once upon a time there was a little", ANIMAL_little, COUNT(ANIMAL_little)},
    {"animal_young", "Once upon a time there was a young", ANIMAL_little, COUNT(ANIMAL_little)},
    {"animal_big", "Once upon a time there was a big", ANIMAL_big, COUNT(ANIMAL_big)},
    {"name_cat", "Once upon a time there was a little cat named", NAME_cat, COUNT(NAME_cat)},
    {"name_dog", "Once upon a time there was a big dog named", NAME_dog, COUNT(NAME_dog)},
    {"subject_he", OPENING_TOM, SUBJECT_tom, COUNT(SUBJECT_tom)},
    {"subject_she", "Once upon a time there was a little cat named Lily.", SUBJECT_lily, COUNT(SUBJECT_lily)},
    {"home", OPENING_TOM " Tom lived in a", HOME, COUNT(HOME)},
    {"near", OPENING_TOM " Tom lived in a house near the", NEAR, COUNT(NEAR)},
    {"place", OUTING_TOM, PLACE, COUNT(PLACE)},
    {"plot", OUTING_TOM " park.", PLOT_tom, COUNT(PLOT_tom)},
};

int corpus_branch_points(const BranchPoint **out) {
    *out = BRANCH_POINTS;
    return COUNT(BRANCH_POINTS);
}

const BranchPoint *corpus_find_branch_point(const char *context) {
    for (int i = 0; i < COUNT(BRANCH_POINTS); i++)
        if (strcmp(BRANCH_POINTS[i].context, context) == 0) return &BRANCH_POINTS[i];
    return NULL;
}

/* ---- drawing a choice ---- */

/* Uniform integer in [0, CORPUS_PROB_UNIT), exactly: values of rng_u32 at or
 * above the largest multiple of the unit below 2^32 are drawn again, so that
 * `r % unit` has no bias. */
static uint32_t uniform_unit(Rng *rng) {
    const uint32_t limit = (uint32_t)(4294967296ULL - 4294967296ULL % CORPUS_PROB_UNIT);
    uint32_t r;
    do r = rng_u32(rng);
    while (r >= limit);
    return r % CORPUS_PROB_UNIT;
}

/* prob as whole units (0.35 -> 350); tables hold multiples of 0.001 */
static uint32_t prob_units(double prob) { return (uint32_t)(prob * CORPUS_PROB_UNIT + 0.5); }

int corpus_pick(Rng *rng, const CorpusOption *opts, int n) {
    uint32_t u = uniform_unit(rng);
    uint32_t cum = 0;
    for (int i = 0; i < n; i++) {
        cum += prob_units(opts[i].prob);
        if (u < cum) return i;
    }
    return n - 1;   /* unreachable when the table sums to 1 (checked by the tests) */
}

/* ---- story text ---- */

/* The story being written: a bounded buffer that remembers an overflow
 * instead of failing at every append. */
typedef struct {
    char *buf;      /* [cap] */
    size_t cap;
    size_t len;     /* bytes written, buf[len] == '\0' while no overflow */
    int overflow;   /* 1 once something did not fit */
} Text;

/* Appends s[0..n). */
static void put_n(Text *t, const char *s, size_t n) {
    if (t->overflow || t->len + n + 1 > t->cap) { t->overflow = 1; return; }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void put(Text *t, const char *s) { put_n(t, s, strlen(s)); }

typedef struct {
    const char *He;    /* " He" / " She", starting a sentence */
    const char *he;    /* " he" / " she" */
    const char *his;   /* " his" / " her", before a noun */
    const char *hers;  /* " his" / " hers", on its own */
} Pronouns;

static const Pronouns PRONOUNS_HE = {" He", " he", " his", " his"};
static const Pronouns PRONOUNS_SHE = {" She", " she", " her", " hers"};

static const Pronouns *pronouns_of(const char *name) {
    static const char *const female[] = {" Lily", " Mia", " Lucy", " Anna"};
    for (int i = 0; i < COUNT(female); i++)
        if (strcmp(name, female[i]) == 0) return &PRONOUNS_SHE;
    return &PRONOUNS_HE;
}

/* A character: its name (with leading space) and pronouns. */
typedef struct {
    const char *name;
    const Pronouns *pro;
} Character;

/* Everything a story's parts share. */
typedef struct {
    Text text;
    Rng *rng;
    Character hero;
    Character other;   /* the friend met, or the owner of the found thing */
    const char *lesson; /* what the plot teaches, after " NAME learned that" */
} Story;

static const char *draw(Story *s, const CorpusOption *opts, int n) {
    return opts[corpus_pick(s->rng, opts, n)].word;
}

static const CorpusOption *animal_table(const char *size, int *n) {
    if (strcmp(size, " big") == 0) { *n = COUNT(ANIMAL_big); return ANIMAL_big; }
    *n = COUNT(ANIMAL_little);
    return ANIMAL_little;
}

static const CorpusOption *name_table(const char *animal, int *n) {
    static const struct { const char *animal; const CorpusOption *names; int n; } by_animal[] = {
        {" cat", NAME_cat, COUNT(NAME_cat)},       {" dog", NAME_dog, COUNT(NAME_dog)},
        {" bird", NAME_bird, COUNT(NAME_bird)},    {" fox", NAME_fox, COUNT(NAME_fox)},
        {" mouse", NAME_mouse, COUNT(NAME_mouse)}, {" bear", NAME_bear, COUNT(NAME_bear)},
    };
    for (int i = 0; i < COUNT(by_animal); i++)
        if (strcmp(animal, by_animal[i].animal) == 0) { *n = by_animal[i].n; return by_animal[i].names; }
    *n = COUNT(NAME_cat);
    return NAME_cat;   /* unreachable: every animal has a table */
}

/* " a SIZE ANIMAL named NAME" for a new character; a name equal to `not_name`
 * is drawn again, so two characters of a story never share a name. */
static Character animal_named(Story *s, const char *not_name) {
    int n_animals, n_names;
    const char *size = draw(s, SIZE, COUNT(SIZE));
    const CorpusOption *animals = animal_table(size, &n_animals);
    const char *animal = draw(s, animals, n_animals);
    const CorpusOption *names = name_table(animal, &n_names);
    const char *name;
    do name = draw(s, names, n_names);
    while (not_name && strcmp(name, not_name) == 0);
    put(&s->text, " a");
    put(&s->text, size);
    put(&s->text, animal);
    put(&s->text, " named");
    put(&s->text, name);
    Character c = {.name = name, .pro = pronouns_of(name)};
    return c;
}

/* ---- the parts of a story, in order ---- */

static void opening(Story *s) {
    put(&s->text, "Once upon a time there was");
    s->hero = animal_named(s, NULL);
    put(&s->text, ".");
}

static void home(Story *s) {
    int use_name = corpus_pick(s->rng, SUBJECT, COUNT(SUBJECT)) == 0;
    put(&s->text, use_name ? s->hero.name : s->hero.pro->He);
    put(&s->text, " lived in a");
    put(&s->text, draw(s, HOME, COUNT(HOME)));
    put(&s->text, " near the");
    put(&s->text, draw(s, NEAR, COUNT(NEAR)));
    put(&s->text, ".");
}

static void outing(Story *s) {
    put(&s->text, " One day,");
    put(&s->text, s->hero.name);
    put(&s->text, " went to the");
    put(&s->text, draw(s, PLACE, COUNT(PLACE)));
    put(&s->text, ".");
}

/* "NAME2 said thank you" - shared by the meet and find plots. */
static void thanks(Story *s) {
    put(&s->text, " \"Thank you,");
    put(&s->text, s->hero.name);
    put(&s->text, "!\" said");
    put(&s->text, s->other.name);
    put(&s->text, ".");
}

static void help_friend(Story *s) {
    Text *t = &s->text;
    int trouble = corpus_pick(s->rng, TROUBLE, COUNT(TROUBLE));
    put(t, s->other.name);
    put(t, " was");
    put(t, TROUBLE[trouble].word);
    put(t, ".");
    put(t, s->hero.name);
    if (trouble == TROUBLE_SAD) {
        int how = corpus_pick(s->rng, HELP_SAD, COUNT(HELP_SAD));
        if (how == 0) {
            put(t, " told");
            put(t, s->other.name);
            put(t, " a funny story");
        } else {
            put(t, how == 1 ? " sang a silly song" : " made a funny face");
        }
        put(t, ", and soon");
        put(t, s->other.pro->he);
        put(t, " began to laugh.");
    } else if (trouble == TROUBLE_LOST) {
        int how = corpus_pick(s->rng, HELP_LOST, COUNT(HELP_LOST));
        put(t, how == 0 ? " helped" : " walked with");
        put(t, s->other.name);
        if (how == 0) {
            put(t, " find the way back home.");
        } else {
            put(t, " all the way to");
            put(t, s->other.pro->his);
            put(t, " mom.");
        }
    } else {
        put(t, " shared");
        put(t, s->hero.pro->his);
        put(t, draw(s, FOOD, COUNT(FOOD)));
        put(t, " with");
        put(t, s->other.name);
        put(t, ".");
    }
}

static void plot_meet(Story *s) {
    Text *t = &s->text;
    put(t, " There");
    put(t, s->hero.pro->he);
    put(t, " met");
    s->other = animal_named(s, s->hero.name);
    put(t, ".");
    help_friend(s);
    thanks(s);
    s->lesson = " helping a friend feels good.";
    if (corpus_pick(s->rng, FRIENDS, COUNT(FRIENDS)) == 0) {
        put(t, " From that day on,");
        put(t, s->hero.name);
        put(t, " and");
        put(t, s->other.name);
        put(t, " were best friends.");
    } else {
        put(t, s->hero.name);
        put(t, " and");
        put(t, s->other.name);
        put(t, " played together until the sun went down.");
    }
}

/* OBJECT_USE with HIS replaced by the hero's possessive pronoun. */
static void use_object(Story *s, int object) {
    const char *use = OBJECT_USE[object];
    const char *his = strstr(use, " HIS");
    put(&s->text, s->hero.pro->He);
    if (!his) { put(&s->text, use); return; }
    put_n(&s->text, use, (size_t)(his - use));
    put(&s->text, s->hero.pro->his);
    put(&s->text, his + 4);
}

static void plot_find(Story *s) {
    Text *t = &s->text;
    put(t, s->hero.pro->He);
    put(t, " found a");
    put(t, draw(s, COLOR, COUNT(COLOR)));
    int object = corpus_pick(s->rng, OBJECT, COUNT(OBJECT));   /* kept: the thing comes back later */
    put(t, OBJECT[object].word);
    put(t, draw(s, WHERE, COUNT(WHERE)));
    put(t, ".");
    put(t, s->hero.name);
    put(t, " was very");
    put(t, draw(s, FEEL, COUNT(FEEL)));
    put(t, ".");
    if (corpus_pick(s->rng, FOUND, COUNT(FOUND)) == FOUND_OWNER) {
        put(t, " Then");
        put(t, s->hero.pro->he);
        put(t, " heard someone crying. It was");
        s->other = animal_named(s, s->hero.name);
        put(t, ". The");
        put(t, OBJECT[object].word);
        put(t, " was");
        put(t, s->other.pro->hers);
        put(t, "!");
        put(t, s->hero.name);
        put(t, " gave it back.");
        thanks(s);
        s->lesson = " it is kind to give things back.";
    } else {
        use_object(s, object);
        s->lesson = " little things can make a day special.";
    }
}

static void plot_rain(Story *s) {
    Text *t = &s->text;
    put(t, " Suddenly, it started to rain.");
    put(t, s->hero.name);
    put(t, " did not want to get wet.");
    put(t, s->hero.pro->He);
    put(t, " ran");
    put(t, draw(s, SHELTER, COUNT(SHELTER)));
    put(t, " and waited.");
    if (corpus_pick(s->rng, STORM, COUNT(STORM)) == 0) put(t, " The wind blew and the thunder went boom.");
    put(t, " Soon the rain stopped and the sun came out.");
    s->lesson = " the sun always comes back after the rain.";
    put(t, s->hero.name);
    if (corpus_pick(s->rng, AFTER_RAIN, COUNT(AFTER_RAIN)) == 0)
        put(t, " saw a beautiful rainbow in the sky.");
    else
        put(t, " jumped in the puddles and laughed.");
}

static void moral(Story *s) {
    if (corpus_pick(s->rng, MORAL, COUNT(MORAL)) != 0) return;
    put(&s->text, s->hero.name);
    put(&s->text, " learned that");
    put(&s->text, s->lesson);
}

static void ending(Story *s) {
    Text *t = &s->text;
    int e = corpus_pick(s->rng, ENDING, COUNT(ENDING));
    if (e == 0) {
        put(t, " That night,");
        put(t, s->hero.name);
        put(t, " went to bed with a big smile.");
    } else if (e == 1) {
        put(t, s->hero.name);
        put(t, " went home and told");
        put(t, s->hero.pro->his);
        put(t, " mom all about");
        put(t, s->hero.pro->his);
        put(t, " day.");
    } else {
        put(t, " It was the best day ever.");
    }
}

int corpus_story(Rng *rng, char *buf, size_t cap, size_t *len, Error *err) {
    Story s = {{buf, cap, 0, 0}, rng, {NULL, NULL}, {NULL, NULL}, ""};
    if (cap > 0) buf[0] = '\0';
    opening(&s);
    home(&s);
    outing(&s);
    int plot = corpus_pick(rng, PLOT, COUNT(PLOT));
    if (plot == PLOT_MEET) plot_meet(&s);
    else if (plot == PLOT_FIND) plot_find(&s);
    else plot_rain(&s);
    moral(&s);
    ending(&s);
    if (s.text.overflow)
        return error_set(err, "corpus: a story does not fit in %zu bytes (CORPUS_STORY_MAX is %d)", cap,
                         CORPUS_STORY_MAX);
    *len = s.text.len;
    return 0;
}

/* ---- the corpus file ---- */

int corpus_write_progress(FILE *f, uint64_t seed, size_t bytes, CorpusProgress progress, void *ctx,
                          Error *err) {
    Rng rng;
    char story[CORPUS_STORY_MAX];
    size_t written = 0, len = 0;
    const size_t sep_len = strlen(CORPUS_SEPARATOR);
    rng_seed(&rng, seed, CORPUS_RNG_SEQ);
    while (written < bytes) {
        if (corpus_story(&rng, story, sizeof story, &len, err) != 0) return -1;
        if (fwrite(story, 1, len, f) != len || fwrite(CORPUS_SEPARATOR, 1, sep_len, f) != sep_len)
            return error_set(err, "corpus: write failed after %zu bytes", written);
        written += len + sep_len;
        if (progress && progress(ctx, written, bytes) != 0)
            return error_set(err, "corpus: stopped after %zu bytes", written);
    }
    return 0;
}

int corpus_write(FILE *f, uint64_t seed, size_t bytes, Error *err) {
    return corpus_write_progress(f, seed, bytes, NULL, NULL, err);
}
