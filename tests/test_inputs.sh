#!/bin/sh
# test_inputs.sh - generate, score, tokenize and logits take their input the
# same way: --prompt TEXT and --text TEXT (one option, two names), --file
# FILE, --file - and stdin, or --ids LIST.  For each command every form of
# one text must give the same output; two inputs at once, an empty text and
# a missing file are refused with one line.  And every text output ends
# with a newline: generate (sampling, beam, jacobi, whose summary on stderr
# starts a line of its own) and make run.
set -eu
BUILD=${BUILD:-build}
A=$BUILD/argen
M=data/tiny
fail() { echo "test_inputs: FAIL: $*"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argen-inputs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
T="Once upon a time there was a little"
printf '%s' "$T" > "$tmp/text"
ids=$("$A" tokenize --model $M --json --text "$T" | sed 's/.*\[//; s/\].*//')
[ -n "$ids" ] || fail "tokenize --text gave no ids"

# The same output from every form of the input.  $1: command, $2: options.
same() {
    cmd=$1; shift
    "$A" $cmd --model $M "$@" --prompt "$T" > "$tmp/prompt.out" || fail "$cmd --prompt"
    "$A" $cmd --model $M "$@" --text "$T" > "$tmp/text.out" || fail "$cmd --text"
    "$A" $cmd --model $M "$@" --file "$tmp/text" > "$tmp/file.out" || fail "$cmd --file"
    "$A" $cmd --model $M "$@" --file - < "$tmp/text" > "$tmp/dash.out" || fail "$cmd --file -"
    "$A" $cmd --model $M "$@" < "$tmp/text" > "$tmp/stdin.out" || fail "$cmd with stdin"
    "$A" $cmd --model $M "$@" --ids "$ids" > "$tmp/ids.out" || fail "$cmd --ids"
    [ -s "$tmp/prompt.out" ] || fail "$cmd printed nothing"
    for f in text file dash stdin ids; do
        cmp -s "$tmp/prompt.out" "$tmp/$f.out" || fail "$cmd: --prompt and $f differ"
    done
    "$A" $cmd --model $M "$@" --text "$T" --ids "$ids" > /dev/null 2> "$tmp/err" && fail "$cmd took two inputs"
    [ $? -eq 2 ] || fail "$cmd with two inputs: expected exit 2"
    grep -q "^argen $cmd: --text: expected one of" "$tmp/err" || fail "$cmd two inputs: $(cat "$tmp/err")"
    "$A" $cmd --model $M "$@" --file "$tmp/missing" > /dev/null 2> "$tmp/err" && fail "$cmd read a missing file"
    grep -q "^argen $cmd: --file: .*missing" "$tmp/err" || fail "$cmd missing file: $(cat "$tmp/err")"
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "$cmd missing file: more than one line"
}
same generate --max-new-tokens 8
same score
same tokenize
same logits
"$A" tokenize --model $M --ids "$ids" --json > "$tmp/ids.json"
[ "$(cat "$tmp/ids.json")" = "{\"ids\":[$ids]}" ] || fail "tokenize --ids --json: $(cat "$tmp/ids.json")"

# An empty prompt is refused; an empty text to tokenize is no tokens.
for cmd in generate logits; do
    "$A" $cmd --model $M < /dev/null > /dev/null 2> "$tmp/err" && fail "$cmd took an empty stdin"
    [ $? -eq 2 ] && grep -q "^argen $cmd: stdin: expected a non-empty text" "$tmp/err" || fail "$cmd empty: $(cat "$tmp/err")"
    "$A" $cmd --model $M --text "" > /dev/null 2> "$tmp/err" && fail "$cmd took --text ''"
    grep -q "^argen $cmd: --text: expected a non-empty text" "$tmp/err" || fail "$cmd --text '': $(cat "$tmp/err")"
done
[ "$("$A" tokenize --model $M --json < /dev/null)" = '{"ids":[]}' ] || fail "tokenize of nothing"
"$A" tokenize --model $M --ids "$ids" --trace "$tmp/t.json" > /dev/null 2> "$tmp/err" && fail "tokenize --ids --trace"
grep -q "^argen tokenize: --trace: " "$tmp/err" || fail "tokenize --ids --trace: $(cat "$tmp/err")"

# A final newline on every text output.
ends_nl() { [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || fail "$2: no final newline"; }
for s in "--strategy greedy" "--strategy top-k --seed 3" "--strategy beam --beams 3" "--strategy jacobi --block 4"; do
    "$A" generate --model $M --prompt "Once upon a time" --max-new-tokens 12 $s > "$tmp/out" 2> /dev/null
    ends_nl "$tmp/out" "generate $s"
done
"$A" generate --model $M --prompt "Once upon a time" --max-new-tokens 12 --strategy jacobi --block 4 > "$tmp/both" 2>&1
[ "$(grep -c '^jacobi: 12 tokens in ' "$tmp/both")" -eq 1 ] || fail "jacobi's summary does not start a line: $(cat "$tmp/both")"
make -s BUILD="$BUILD" run > "$tmp/run" 2>&1 || fail "make run"
ends_nl "$tmp/run" "make run"
echo "test_inputs: ok"
