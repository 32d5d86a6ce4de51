#!/bin/sh
# test_min_new_tokens.sh - --min-new-tokens and --ignore-eos (Hugging Face's
# MinNewTokensLengthLogitsProcessor): end-of-text gets logit -inf until N new
# tokens are out.  Checked against a run without the option, from the traces:
#   - the unsuppressed greedy run stops with end-of-text at step k < N;
#   - with --min-new-tokens N, steps 0..N-1 record suppressed = eos, the table
#     carries eos's row "cut by min-new-tokens" with probability 0 and a null
#     (-inf) penalized logit, and no step before N picks eos;
#   - at step k the suppressed run picks the token the free run ranked first
#     among the others (the runner-up behind eos);
#   - steps before k are the same tokens in both runs; --ignore-eos runs to
#     --max-new-tokens; 0 is the same run as without the option;
#   - bad values and beam/jacobi are refused with exit 2.
set -eu
BUILD=${BUILD:-build}
A=$BUILD/argen
PY=/usr/bin/python3
M=data/tiny
[ -f "$M/config.json" ] || { echo "test_min_new_tokens: $M is missing"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argen-mnt.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
P="There was a little"
"$A" generate --model $M --prompt "$P" --max-new-tokens 60 --trace "$tmp/free.json" >/dev/null
"$A" generate --model $M --prompt "$P" --max-new-tokens 60 --min-new-tokens 45 --trace "$tmp/min.json" >/dev/null
"$A" generate --model $M --prompt "$P" --max-new-tokens 60 --min-new-tokens 0 --trace "$tmp/zero.json" >/dev/null
"$A" generate --model $M --prompt "$P" --max-new-tokens 50 --ignore-eos --json >"$tmp/ignore.json"
"$A" render "$tmp/min.json" --out "$tmp/r" --kind probs --step 0 >/dev/null   # the reader takes the -inf row
$PY - "$tmp" <<'PYEOF'
import json, sys
d = sys.argv[1]
free, mn, zero = (json.load(open("%s/%s.json" % (d, n))) for n in ("free", "min", "zero"))
ign = json.load(open(d + "/ignore.json"))
eos = free["model"]["config"]["eos_token_id"]
fails = []
fs, ms = free["steps"], mn["steps"]
k = len(fs) - 1
if fs[-1]["selection"]["chosen"]["id"] != eos or free["result"]["stop_reason"] != "eos" or k >= 45:
    fails.append("the free run should end with end-of-text before step 45 (stop %s at %d)" % (free["result"]["stop_reason"], k))
if [s["selection"]["chosen"]["id"] for s in zero["steps"]] != [s["selection"]["chosen"]["id"] for s in fs]:
    fails.append("--min-new-tokens 0 changed the run")
for i, s in enumerate(ms):
    sel = s["selection"]
    want = eos if i < 45 else None
    if sel.get("suppressed") != want:
        fails.append("step %d: suppressed %r, want %r" % (i, sel.get("suppressed"), want))
    if i < 45:
        if sel["chosen"]["id"] == eos:
            fails.append("step %d picked end-of-text" % i)
        rows = [r for r in sel["table"] if r["id"] == eos]
        if len(rows) != 1 or rows[0]["cut_by"] != "min-new-tokens" or rows[0]["probability"] != 0 \
                or rows[0]["penalized"] is not None or rows[0]["rank"] != free["model"]["config"]["vocab_size"]:   # last of V, ranks from 1
            fails.append("step %d: eos row %r" % (i, rows))
for i in range(k):
    if ms[i]["selection"]["chosen"]["id"] != fs[i]["selection"]["chosen"]["id"]:
        fails.append("step %d: the suppressed run differs before end-of-text" % i)
runner_up = [r["id"] for r in fs[k]["selection"]["table"] if r["id"] != eos][0]
if ms[k]["selection"]["chosen"]["id"] != runner_up:
    fails.append("step %d: picked %d, the free run's runner-up is %d" % (k, ms[k]["selection"]["chosen"]["id"], runner_up))
if ign["stop_reason"] != "max_new_tokens" or len(ign["ids"]) != 50 or eos in ign["ids"]:
    fails.append("--ignore-eos: stop %s, %d new" % (ign["stop_reason"], len(ign["ids"])))
for f in fails: print("FAIL " + f)
if fails: sys.exit(1)
print("min-new-tokens: end-of-text at step %d suppressed, runner-up %d picked instead" % (k, runner_up))
PYEOF
for bad in "--min-new-tokens -1" "--min-new-tokens x" "--min-new-tokens 3 --strategy beam" "--ignore-eos --strategy jacobi"; do
    rc=0
    # shellcheck disable=SC2086
    "$A" generate --model $M --prompt "$P" $bad >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^argen generate: --" "$tmp/err" || {
        echo "FAIL generate $bad: exit $rc, stderr: $(cat "$tmp/err")"; exit 1; }
done
echo "min-new-tokens: bad values refused"
