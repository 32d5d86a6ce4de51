#!/bin/sh
# argen generate / compare at the command line: bad options (exit 2, one
# line naming the option, nothing written), traces that validate against
# traces/schema.json, and trace writes that fail cleanly.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/argen_test_generate.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# the GPT-2 tokenizer (gitignored), fetched as test_tokenizer.sh does
[ -f data/gpt2/vocab.json ] && [ -f data/gpt2/merges.txt ] || make -s gpt2-tokenizer >/dev/null || { echo "FAIL cannot fetch data/gpt2 (make gpt2-tokenizer)"; exit 1; }
"$ARGEN" init --out "$T/m" --layers 2 --heads 2 --embd 16 --positions 24 --seed 3 --tokenizer data/gpt2 >/dev/null 2>&1 ||
    "$ARGEN" init --out "$T/m" --layers 2 --heads 2 --embd 16 --positions 24 --seed 3 >/dev/null 2>&1 || { bad "argen init"; exit 1; }
M="$T/m"

# Each bad option: exit 2, exactly one line on stderr naming the option, no trace written.
expect_usage() {
    opt=$1; shift
    "$ARGEN" generate --model "$M" --trace "$T/never.json" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    lines=$(wc -l <"$T/err")
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$opt" "$T/err" && [ ! -e "$T/never.json" ] && [ ! -s "$T/out" ]; then
        ok "usage error $opt: $(cat "$T/err")"
    else
        bad "usage error $opt (rc $rc, $lines lines): $(cat "$T/err")"
    fi
}
expect_usage --top-k --ids 1,2 --strategy top-k --top-k 0
expect_usage --top-k --ids 1,2 --strategy top-k --top-k 2147483648
expect_usage --top-p --ids 1,2 --top-p 0
expect_usage --top-p --ids 1,2 --top-p 1.5
expect_usage --temperature --ids 1,2 --temperature -1
expect_usage --ids --ids 1,99999999
expect_usage --ids --ids 1,x
expect_usage --prompt --prompt ""
expect_usage --strategy --ids 1,2 --strategy nucleus
expect_usage --min-p --ids 1,2 --min-p 2
expect_usage --beams --ids 1,2 --beams 0
expect_usage --trace-level --ids 1,2 --trace-level everything
expect_usage --max-new-tokens --ids 1,2 --max-new-tokens -3

# Traces validate against the schema, at both levels and for every strategy.
validate() {
    $PY - "$1" <<'PYEOF'
import json, sys, jsonschema
schema = json.load(open("traces/schema.json"))
doc = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator(schema).validate(doc)
PYEOF
}
for s in greedy sample top-k top-p min-p beam; do
    for level in summary full; do
        f="$T/$s-$level.json"
        if "$ARGEN" generate --model "$M" --ids 464,2068,7586 --strategy $s --seed 1 --max-new-tokens 4 \
               --trace "$f" --trace-level $level --beams 2 >/dev/null 2>"$T/err" && validate "$f"; then
            ok "trace $s $level validates"
        else
            bad "trace $s $level: $(cat "$T/err")"
        fi
    done
done

# Tracing and the KV cache never change the tokens.
a=$("$ARGEN" generate --model "$M" --ids 464,2068 --strategy top-k --seed 7 --max-new-tokens 8 --json)
b=$("$ARGEN" generate --model "$M" --ids 464,2068 --strategy top-k --seed 7 --max-new-tokens 8 --json --trace "$T/x.json" --trace-level full)
c=$("$ARGEN" generate --model "$M" --ids 464,2068 --strategy top-k --seed 7 --max-new-tokens 8 --json --no-kv-cache)
[ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "same tokens with --trace and --no-kv-cache" || bad "tokens differ: $a / $b / $c"

# A window overrun is not an error: it stops with context_full (24 positions).
out=$("$ARGEN" generate --model "$M" --ids 1,2,3 --max-new-tokens 100 --json 2>&1)
echo "$out" | grep -q '"stop_reason":"context_full"' && ok "context_full" || bad "context_full: $out"

# Write failures: /dev/full, a missing folder, a file-size limit; an earlier trace stays intact.
"$ARGEN" generate --model "$M" --ids 1,2 --max-new-tokens 2 --trace /dev/full >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q "/dev/full" "$T/err" && ok "/dev/full fails: $(cat "$T/err")" || bad "/dev/full: $(cat "$T/err")"
"$ARGEN" generate --model "$M" --ids 1,2 --max-new-tokens 2 --trace "$T/no/such/dir/t.json" >/dev/null 2>"$T/err"
[ $? -eq 1 ] && ok "missing folder fails: $(cat "$T/err")" || bad "missing folder"
"$ARGEN" generate --model "$M" --ids 1,2 --max-new-tokens 2 --trace "$T/keep.json" >/dev/null 2>&1
cp "$T/keep.json" "$T/keep.orig"
( trap '' XFSZ; ulimit -f 4; "$ARGEN" generate --model "$M" --ids 1,2 --max-new-tokens 6 --trace "$T/keep.json" --trace-level full >/dev/null 2>"$T/err" )
rc=$?
if [ $rc -eq 1 ] && cmp -s "$T/keep.json" "$T/keep.orig" && [ -z "$(ls "$T" | grep 'keep.json.tmp')" ]; then
    ok "a write error leaves the earlier trace intact: $(cat "$T/err")"
else
    bad "write error (rc $rc): $(cat "$T/err")"
fi

# compare: one column per strategy, and its JSON and Markdown.
if "$ARGEN" compare --model "$M" --ids 464,2068 --strategies greedy,top-k=40,top-p=0.9,beam=2 --seed 3 \
       --max-new-tokens 5 --shared-draws --json "$T/c.json" --markdown "$T/c.md" >"$T/out" 2>"$T/err" &&
   $PY -c "import json,sys; d=json.load(open('$T/c.json')); assert len(d['strategies'])==4" && grep -q '| token |' "$T/c.md"; then
    ok "compare"
else
    bad "compare: $(cat "$T/err")"
fi

# --profile: every stage is listed, the shares of a run add up to 100 %, and the
# tokens are the same as without it; with a trace too (the trace's time is
# its own row, not a stage's), and the trace is the one written without --profile.
"$ARGEN" generate --model "$M" --ids 464,2068 --max-new-tokens 6 --seed 5 --strategy top-k --json >"$T/plain" 2>/dev/null
"$ARGEN" generate --model "$M" --ids 464,2068 --max-new-tokens 6 --seed 5 --strategy top-k --json --profile >"$T/prof" 2>"$T/err"
"$ARGEN" generate --model "$M" --ids 464,2068 --max-new-tokens 6 --seed 5 --strategy top-k --json \
    --trace "$T/plain-trace.json" >/dev/null 2>&1
"$ARGEN" generate --model "$M" --ids 464,2068 --max-new-tokens 6 --seed 5 --strategy top-k --json --profile \
    --trace "$T/prof-trace.json" >"$T/prof2" 2>"$T/err2"
profile_rows() {  # FILE: the stage rows listed, shares adding up to 100 %
    $PY - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
names = ["embedding + blocks", "final layer norm", "unembedding", "softmax + selection", "trace, printed text", "the rest"]
rows = [l for l in lines if any(l.strip().startswith(n) for n in names)]
assert len(rows) == len(names), rows
shares = [float(re.search(r"(-?[0-9.]+)%", r).group(1)) for r in rows]
assert abs(sum(shares) - 100) < 1.0, shares
PY
}
if cmp -s "$T/plain" "$T/prof" && cmp -s "$T/plain" "$T/prof2" && cmp -s "$T/plain-trace.json" "$T/prof-trace.json" &&
   profile_rows "$T/err" && profile_rows "$T/err2"; then
    ok "--profile lists every stage (the trace's own row), the shares add up, the tokens and the trace do not change"
else
    bad "--profile: $(cat "$T/err" "$T/err2")"
fi

# logits --prompt: the same numbers as --ids with the ids the tokenizer gives.
if [ -f data/tiny/vocab.json ]; then
    ids=$(printf 'Once upon a time' | "$ARGEN" tokenize --model data/tiny --json | $PY -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['ids'])))")
    "$ARGEN" logits --model data/tiny --prompt "Once upon a time" --all-positions >"$T/lp" 2>"$T/err"
    "$ARGEN" logits --model data/tiny --ids "$ids" --all-positions >"$T/li" 2>>"$T/err"
    if [ -n "$ids" ] && cmp -s "$T/lp" "$T/li"; then ok "logits --prompt equals --ids $ids"; else bad "logits --prompt: $(cat "$T/err")"; fi
fi

exit $fail
