#!/bin/sh
# test_walkthrough.sh - the gdb walkthrough (tools/gdb/walkthrough.gdb) in
# batch mode on the debug build: what gdb printed at each stage must equal
# what the JSON trace of the same run (same seed, written by that very
# process) says:
#   stage 1  KV cache positions after the forward pass == forward.kv_cache_positions
#   stage 2  norm of the final hidden state             == forward.final_hidden_norm (rel 1e-6:
#                                                          numpy's sum order vs the C loop)
#            the top-10 logits (ranks from 1, ids, values) == logits.top
#   stage 3  the entropy softmax left in sel->entropy_nats, printed in bits
#                                                        == selection.entropy_bits (rel 1e-6), no nats shown
#            (the stage-3 breakpoint on softmax_shifted is set once sampler_select is
#            reached: attention calls the same softmax)
#            probabilities before the sort               == selection.table[].probability
#   stage 4  the Selection table (ids, penalized, scaled, probability, cumulative, kept)
#            the draw, the chosen id/rank/probability    == selection.table, .draw, .chosen
#   stage 5  the appended token                          == appended.id == selection.chosen.id
# Numbers are compared as printed strings and as float32 values: both sides
# print the shortest decimal that reads back as the same float32.
# Also checks that gdb auto-loads build/debug/argen-gdb.py once trusted, and
# that `step` from generate_step with --trace on reaches forward_pass in
# fewer than 30 steps (argen_gdb.py skips the JSON writer and the tracers).
#
# Needs gdb (tests/install-deps.sh) and build/debug/argen (`make debug`).
# MODEL=DIR picks the model; default data/tiny, else a small random model
# made here (2 layers, n_embd 32, a 512-token BPE trained on the story corpus).
set -eu
ARGEN_DEBUG=${ARGEN_DEBUG:-build/debug/argen}
PY=/usr/bin/python3
command -v gdb >/dev/null 2>&1 || { echo "test_walkthrough: gdb is missing (sh tests/install-deps.sh)"; exit 1; }
[ -x "$ARGEN_DEBUG" ] || { echo "test_walkthrough: $ARGEN_DEBUG is missing (make debug)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argen-walk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

model=${MODEL:-data/tiny}
if [ ! -f "$model/config.json" ]; then
    model=$tmp/model
    "$ARGEN_DEBUG" corpus --out "$tmp/s.txt" --bytes 200000 >/dev/null 2>&1
    "$ARGEN_DEBUG" train-tokenizer --data "$tmp/s.txt" --vocab-size 512 --out "$tmp/tok" >/dev/null 2>&1
    V=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/tok/vocab.json")
    "$ARGEN_DEBUG" init --out "$model" --layers 2 --heads 2 --embd 32 --positions 128 --vocab "$V" \
        --tokenizer "$tmp/tok" >/dev/null 2>&1
fi

ARGEN_MODEL=$model ARGEN_TRACE=$tmp/trace.json ARGEN_SEED=42 ARGEN_PAUSE=0 \
    timeout 300 gdb -q -batch -nx -iex "set auto-load python-scripts off" -x tools/gdb/walkthrough.gdb "$ARGEN_DEBUG" </dev/null >"$tmp/gdb.out" 2>&1 || {
    echo "test_walkthrough: gdb failed:"; tail -20 "$tmp/gdb.out"; exit 1; }

$PY - "$tmp/gdb.out" "$tmp/trace.json" <<'EOF'
import json, re, struct, sys

out = open(sys.argv[1], encoding="utf-8", errors="replace").read()
trace = json.load(open(sys.argv[2]))
step = trace["steps"][0]
sel = step["selection"]
fails = []

def f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]

def same(what, printed, expected):
    """printed: the string gdb showed; expected: the trace's number."""
    if printed is None or f32(printed) != f32(expected):
        fails.append("%s: gdb printed %s, the trace has %r" % (what, printed, expected))

def stage(n):
    m = re.search(r"^==== stage %d:.*?(?=^==== stage |\Z)" % n, out, re.S | re.M)
    if not m:
        fails.append("stage %d: no banner in gdb's output" % n)
        return ""
    return m.group(0)

def one(pattern, text, what):
    m = re.search(pattern, text, re.M)
    if not m:
        fails.append("%s: not found in gdb's output" % what)
    return m

TOKEN = r'"(?:[^"\\]|\\.)*"'
NUM = r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)"
SEL_ROW = re.compile(r"^\s+(\d+)\s+(\d+)\s+(%s)\s+(%s)\s+(%s)\s+(%s)\s+(%s)\s+(yes|-|cut by \S+)(\s+<- chosen)?$"
                     % (TOKEN, NUM, NUM, NUM, NUM), re.M)

# ---- stage 1: the forward pass ----
s1 = stage(1)
m = one(r"took (\d+) token\(s\) at positions \d+\.\.\d+; the KV cache now holds (\d+) of (\d+) positions", s1, "stage 1 KV cache")
if m and (int(m.group(2)) != step["forward"]["kv_cache_positions"] or int(m.group(1)) != step["forward"]["tokens_processed"]):
    fails.append("stage 1: %s tokens, KV cache holds %s; the trace says %d, %d" % (
        m.group(1), m.group(2), step["forward"]["tokens_processed"], step["forward"]["kv_cache_positions"]))
T0 = step["forward"]["tokens_processed"]
m = one(r"^  lnf_out\[%d\] \[(\d+)\] = .* norm (%s)$" % (T0 - 1, NUM), s1, "stage 1 last row of lnf_out")
if m and abs(float(m.group(2)) - step["forward"]["final_hidden_norm"]) > 1e-6 * step["forward"]["final_hidden_norm"]:
    fails.append("stage 1: lnf_out's last row has norm %s, the trace has %r" % (m.group(2), step["forward"]["final_hidden_norm"]))
if re.search(r"^\s*logits|att_probs|\[\d+, \d+\] =", s1, re.M):
    fails.append("stage 1: prints logits (not computed yet), attention maps or whole [T, C] buffers")
if len(s1.splitlines()) > 40:
    fails.append("stage 1: %d lines, more than a screen" % len(s1.splitlines()))

# ---- stage 2: the final hidden state and the logits ----
s2 = stage(2)
m = one(r"^final_hidden \[(\d+)\] = .* norm (%s)" % NUM, s2, "stage 2 final hidden state")
if m:
    if int(m.group(1)) != trace["model"]["config"]["n_embd"]:
        fails.append("stage 2: final hidden state has %s values, n_embd is %d" % (m.group(1), trace["model"]["config"]["n_embd"]))
    want = step["forward"]["final_hidden_norm"]
    if abs(float(m.group(2)) - want) > 1e-6 * abs(want):
        fails.append("stage 2: final hidden norm %s, the trace has %r" % (m.group(2), want))
rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(%s)\s+(%s)$" % (TOKEN, NUM), s2.split("logits [", 1)[-1] if "logits [" in s2 else "", re.M)
top = step["logits"]["top"]
if len(rows) != len(top) or len(rows) < 10:
    fails.append("stage 2: %d logit rows printed, the trace has %d (want 10)" % (len(rows), len(top)))
if rows and int(rows[0][0]) != 1:
    fails.append("stage 2: the largest logit is printed as rank %s, want rank 1" % rows[0][0])
for (rank, tid, _, logit), t in zip(rows, top):
    if int(rank) != t["rank"] or int(tid) != t["id"]:
        fails.append("stage 2: logit rank %s is id %s, the trace has id %d" % (rank, tid, t["id"]))
    same("stage 2 logit of id %s" % tid, logit, t["logit"])

table = sel["table"]
by_id = {r["id"]: r for r in table}

# ---- stage 3: the softmax ----
s3 = stage(3)
m = one(r"^entropy: (%s) bits$" % NUM, s3, "stage 3 entropy in bits")
if m:
    if abs(float(m.group(1)) - sel["entropy_bits"]) > 1e-6 * abs(sel["entropy_bits"]):
        fails.append("stage 3: entropy %s bits, the trace has %r bits" % (m.group(1), sel["entropy_bits"]))
    if abs(float(m.group(1)) * 0.6931471805599453 - sel["entropy_nats"]) > 1e-6 * abs(sel["entropy_nats"]):
        fails.append("stage 3: %s bits is not the trace's %r nats" % (m.group(1), sel["entropy_nats"]))
if re.search(r"\bnats?\b", s3 + stage(4)):
    fails.append("stage 3-4: an entropy shown in nats (people are shown bits)")
if not re.search(r"Selection over V=\d+: .* entropy %s bits$" % NUM, stage(4), re.M):
    fails.append("stage 4: the Selection's entropy is not printed in bits")
# a real branch point: several candidates above 10 %
if sum(1 for r in table if r["probability"] > 0.10) < 2:
    fails.append("step 0 is no branch point: fewer than two candidates above 10 %")
rows3 = SEL_ROW.findall(s3)
if len(rows3) < 10:
    fails.append("stage 3: %d probability rows printed, want 10" % len(rows3))
for r in rows3:
    if int(r[1]) in by_id:
        same("stage 3 probability of id %s" % r[1], r[5], by_id[int(r[1])]["probability"])
    else:
        fails.append("stage 3: id %s is not in the trace's table" % r[1])

# ---- stage 4: the selection ----
s4 = stage(4)
rows4 = SEL_ROW.findall(s4)
want_rows = [r for r in table if r["rank"] <= 10 or r["id"] == sel["chosen"]["id"]]
if rows4 and (int(rows4[0][0]) != 1 or table[0]["rank"] != 1):
    fails.append("stage 4: the most likely token has rank %s in gdb, %d in the trace; want 1" % (rows4[0][0], table[0]["rank"]))
if len(rows4) != len(want_rows):
    fails.append("stage 4: %d selection rows printed, the trace has %d" % (len(rows4), len(want_rows)))
for r, t in zip(rows4, want_rows):
    rank, tid, _, pen, scaled, prob, cum, kept, chosen = r
    if int(rank) != t["rank"] or int(tid) != t["id"]:
        fails.append("stage 4: rank %s is id %s, the trace has rank %d id %d" % (rank, tid, t["rank"], t["id"]))
    same("stage 4 penalized of id %s" % tid, pen, t["penalized"])
    same("stage 4 scaled of id %s" % tid, scaled, t["scaled"])
    same("stage 4 probability of id %s" % tid, prob, t["probability"])
    same("stage 4 cumulative of id %s" % tid, cum, t["cumulative"])
    if (kept == "yes") != t["kept_min_p"] or (kept != "yes" and kept != "cut by " + str(t["cut_by"])):
        fails.append("stage 4: id %s printed '%s', the trace has cut_by %r" % (tid, kept, t["cut_by"]))
    if bool(chosen) != (t["id"] == sel["chosen"]["id"]):
        fails.append("stage 4: the chosen mark is on the wrong row (id %s)" % tid)
m = one(r"draw u = (%s); chosen: id (\d+) (%s), rank (-?\d+), probability (%s), renormalized (%s)$"
        % (NUM, TOKEN, NUM, NUM), s4, "stage 4 chosen line")
if m:
    same("stage 4 draw", m.group(1), sel["draw"])
    if int(m.group(2)) != sel["chosen"]["id"] or int(m.group(4)) != sel["chosen"]["rank"]:
        fails.append("stage 4: chose id %s rank %s, the trace has id %d rank %d"
                     % (m.group(2), m.group(4), sel["chosen"]["id"], sel["chosen"]["rank"]))
    same("stage 4 chosen probability", m.group(5), sel["chosen"]["probability"])
    same("stage 4 renormalized", m.group(6), sel["chosen"]["renormalized"])
m = one(r"Value returned is \$\d+ = (\d+)$", s4, "stage 4 returned token")
if m and int(m.group(1)) != sel["chosen"]["id"]:
    fails.append("stage 4: select_token returned %s, the trace chose %d" % (m.group(1), sel["chosen"]["id"]))

# ---- stage 5: the append ----
s5 = stage(5)
m = one(r"^appended token: (\d+)$", s5, "stage 5 appended token")
if m and not int(m.group(1)) == step["appended"]["id"] == sel["chosen"]["id"]:
    fails.append("stage 5: appended %s, the trace appended %d (chose %d)"
                 % (m.group(1), step["appended"]["id"], sel["chosen"]["id"]))
m = one(r"Generator: step 1, (\d+) tokens", s5, "stage 5 Generator after the append")
if m and int(m.group(1)) != len(step["appended"]["ids"]):
    fails.append("stage 5: %s tokens after the append, the trace has %d" % (m.group(1), len(step["appended"]["ids"])))
# ---- stages 6-8: step 1, one token forwarded from the KV cache ----
step1 = trace["steps"][1] if len(trace["steps"]) > 1 else None
if step1 is None:
    fails.append("the trace has one step: the walkthrough should run two")
else:
    s6 = stage(6)
    m = one(r"took (\d+) token\(s\) at positions (\d+)\.\.\d+; the KV cache now holds (\d+) of", s6, "stage 6 KV cache")
    if m and (int(m.group(1)) != 1 or step1["forward"]["tokens_processed"] != 1
              or int(m.group(2)) != step1["forward"]["start_position"]
              or int(m.group(3)) != step1["forward"]["kv_cache_positions"]):
        fails.append("stage 6: %s token(s) at %s, cache %s; the trace has %d at %d, cache %d" % (
            m.group(1), m.group(2), m.group(3), step1["forward"]["tokens_processed"],
            step1["forward"]["start_position"], step1["forward"]["kv_cache_positions"]))
    s7 = stage(7)
    rows7 = re.findall(r"^\s+(\d+)\s+(\d+)\s+(%s)\s+(%s)$" % (TOKEN, NUM), s7.split("logits [", 1)[-1], re.M)
    top1 = step1["logits"]["top"]
    if len(rows7) != len(top1):
        fails.append("stage 7: %d logit rows printed, the trace has %d" % (len(rows7), len(top1)))
    for (rank, tid, _, logit), t in zip(rows7, top1):
        if int(tid) != t["id"]:
            fails.append("stage 7: logit rank %s is id %s, the trace has id %d" % (rank, tid, t["id"]))
        same("stage 7 logit of id %s" % tid, logit, t["logit"])
    m = one(r"^appended token: (\d+)$", stage(8), "stage 8 appended token")
    if m and int(m.group(1)) != step1["appended"]["id"]:
        fails.append("stage 8: appended %s, the trace appended %d" % (m.group(1), step1["appended"]["id"]))
if "exited normally" not in out:
    fails.append("the program did not exit normally under gdb")

for f in fails:
    print("FAIL " + f)
if fails:
    sys.exit(1)
print("walkthrough: %d logits, %d probability rows, the draw and token %d match the trace"
      % (len(rows), len(rows4), sel["chosen"]["id"]))
EOF

# Stepping: from generate_step, `step` must reach forward_pass in < 30 steps
# with a trace being written (the observers' files are skipped).
cat >"$tmp/steps.gdb" <<'EOF'
set pagination off
set confirm off
source tools/gdb/argen_gdb.py
break generate_step
run
python
n = 0
while gdb.selected_frame().name() != "forward_pass" and n < 200:
    gdb.execute("step", to_string=True)
    n += 1
print("steps to forward_pass: %d" % n)
end
kill
EOF
timeout 300 gdb -q -batch -nx -iex "set auto-load python-scripts off" -x "$tmp/steps.gdb" --args "$ARGEN_DEBUG" generate \
    --model "$model" --prompt "Once upon a time" --max-new-tokens 2 --trace "$tmp/steps.json" </dev/null >"$tmp/steps.out" 2>&1 || true
n=$(sed -n 's/^steps to forward_pass: \([0-9]*\)$/\1/p' "$tmp/steps.out")
[ -n "$n" ] && [ "$n" -lt 30 ] || { echo "FAIL step from generate_step to forward_pass took ${n:-?} steps (want < 30):"; tail -5 "$tmp/steps.out"; exit 1; }
echo "walkthrough: step reaches forward_pass from generate_step in $n steps with --trace"

# Auto-loading: the Makefile copies the printers next to the debug binary.
dir=$(dirname "$ARGEN_DEBUG")
if [ -f "$dir/argen-gdb.py" ]; then
    gdb -q -batch -nx -iex "add-auto-load-safe-path $(cd "$dir" && pwd)" -ex "info auto-load python-scripts" \
        "$ARGEN_DEBUG" </dev/null 2>&1 | grep -q "^Yes .*argen-gdb.py" || {
        echo "FAIL gdb did not auto-load $dir/argen-gdb.py"; exit 1; }
    echo "walkthrough: gdb auto-loads $dir/argen-gdb.py"
else
    echo "walkthrough: $dir/argen-gdb.py is missing (make debug-gdb), auto-load not checked"
fi
