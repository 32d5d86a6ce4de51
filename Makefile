# argen - GPT-2 autoregressive generation in C99, built to be read and traced.
#
#   make            build/argen (C99 compiler + libc/libm, nothing else)
#   make run        tell a story with the shipped model in data/tiny
#   make test       install test dependencies (apt-get) and run every test
#   make debug      build/debug/argen, -O0 -g3, no inlining: for gdb
#   make OMP=1      opt-in OpenMP (same numbers at any thread count)
#   make fast       -march=native (same numbers: sums run in a fixed order)

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
CFLAGS  += -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas -ffp-contract=off $(OPT) -MMD -MP
LDLIBS  += -lm
ifeq ($(OMP),1)
CFLAGS  += -fopenmp
LDLIBS  += -fopenmp
endif

SRC      := $(wildcard src/*.c)
OBJ      := $(SRC:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJ  := $(filter-out $(BUILD)/obj/main.o,$(OBJ))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/check_*.c))
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lpthread -lm)

MODEL   ?= data/tiny
PROMPT  ?= Once upon a time
ARGEN   := $(BUILD)/argen

.PHONY: all run test tests debug fast clean bench tiny-model gpt2-tokenizer diagrams notebooks walkthrough fuzz

all: $(ARGEN)

$(ARGEN): $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(CHECK_LIBS) $(LDLIBS)

tests: $(ARGEN) $(TESTS)

run: $(ARGEN)
	$(ARGEN) generate --model $(MODEL) --prompt "$(PROMPT)" --max-new-tokens 120 --strategy top-k --top-k 40 --seed 42

test:
	sh tests/install-deps.sh
	$(MAKE) tests
	$(MAKE) debug
	sh tests/run-tests.sh $(BUILD)

debug:
	$(MAKE) BUILD=build/debug OPT="-O0 -g3 -fno-inline" build/debug/argen

fast:
	$(MAKE) BUILD=build/fast OPT="-O3 -march=native" build/fast/argen

clean:
	rm -rf build

-include $(OBJ:.o=.d)
-include $(wildcard $(BUILD)/tests/*.d)
