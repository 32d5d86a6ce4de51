#!/bin/sh
# test_train_checkpoint.sh - argen train never loses a user's folder, checks
# --out before the first step, refuses a changed --resume, stops on Ctrl-C
# with exit 130 and leaves no scratch folder:
#   * --out names its scratch folders OUT.tmp.PID.N / OUT.old.PID.N, made by
#     mkdir: folders called OUT.old, OUT.tmp (or a --model with those names)
#     are never touched; a --model named like a scratch folder is refused;
#     --out equal to --model replaces it only with a complete checkpoint.
#   * --out with a trailing slash works; an unwritable --out, a missing parent
#     or a file fails at once, before any step.
#   * --ids-file with an id >= vocab_size: one line naming the file and the id.
#   * --resume with other options or data names each change, exit 2, unless
#     --allow-changes.
BUILD=${BUILD:-build}
ARGEN=$BUILD/argen
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# expect NAME CODE SUBSTRING COMMAND...: exit code CODE, last stderr line containing SUBSTRING
expect() {
    name=$1 code=$2 sub=$3
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq "$code" ] && tail -n 1 "$T/err" | grep -qF -- "$sub"; then
        ok "$name: $(tail -n 1 "$T/err")"
    else
        bad "$name: exit $rc (expected $code, message with '$sub'), stderr: $(cat "$T/err")"
    fi
}
# same_tree A B: the two folders hold the same files with the same bytes
same_tree() { diff -r "$1" "$2" >/dev/null 2>&1; }
# no_scratch DIR OUT: no OUT.tmp.* / OUT.old.* folder left in DIR
no_scratch() { [ -z "$(find "$1" -maxdepth 1 \( -name "$2.tmp.*" -o -name "$2.old.*" \) -print)" ]; }

"$ARGEN" init --out "$T/m" --layers 1 --heads 2 --embd 16 --positions 32 --vocab 64 --seed 5 >/dev/null 2>&1 ||
    { echo "test_train_checkpoint: argen init failed"; exit 1; }
/usr/bin/python3 -c "
import random, struct, sys
r = random.Random(1)
open(sys.argv[1], 'wb').write(struct.pack('<2000i', *[r.randrange(64) for _ in range(2000)]))
open(sys.argv[2], 'wb').write(struct.pack('<2000i', *[r.randrange(64) for _ in range(2000)]))
open(sys.argv[3], 'wb').write(struct.pack('<3i', 1, 2, 64))
" "$T/ids.bin" "$T/ids2.bin" "$T/badid.bin"
TRAIN="--ids-file $T/ids.bin --steps 3 --batch 1 --seq 8 --eval-every 0 --checkpoint-every 1 --warmup 0"

# ---- nothing the user owns is removed ----
cp -r "$T/m" "$T/model.old"; cp -r "$T/m" "$T/keep"
mkdir "$T/model.tmp"; echo mine >"$T/model.tmp/notes.txt"
if "$ARGEN" train --model "$T/model.old" --out "$T/model" $TRAIN >/dev/null 2>"$T/err" &&
   same_tree "$T/keep" "$T/model.old" && [ -f "$T/model.tmp/notes.txt" ] && "$ARGEN" info --model "$T/model" >/dev/null 2>&1 &&
   no_scratch "$T" model; then
    ok "--model model.old --out model: model.old and model.tmp untouched, model written"
else
    bad "--model model.old --out model: $(tail -n 1 "$T/err"); left: $(ls "$T")"
fi
cp -r "$T/m" "$T/run.tmp"
if "$ARGEN" train --model "$T/run.tmp" --out "$T/run" $TRAIN >/dev/null 2>"$T/err" &&
   same_tree "$T/keep" "$T/run.tmp" && "$ARGEN" info --model "$T/run" >/dev/null 2>&1; then
    ok "--model run.tmp --out run: the source kept, run written"
else
    bad "--model run.tmp --out run: $(tail -n 1 "$T/err"); left: $(ls "$T")"
fi

# In place: --out is --model; an unrelated exp.old survives; exp ends a checkpoint.
cp -r "$T/m" "$T/exp"; mkdir "$T/exp.old"; echo mine >"$T/exp.old/notes.txt"; echo readme >"$T/exp/README"
if "$ARGEN" train --model "$T/exp" --out "$T/exp/" $TRAIN >/dev/null 2>"$T/err" &&
   [ -f "$T/exp.old/notes.txt" ] && [ -f "$T/exp/optimizer.safetensors" ] && [ -f "$T/exp/README" ] &&
   grep -q "replaces" "$T/err" && no_scratch "$T" exp; then
    ok "--model exp --out exp/: exp.old untouched, exp replaced by the checkpoint, its README kept"
else
    bad "--model exp --out exp: $(tail -n 1 "$T/err"); left: $(ls "$T" "$T/exp")"
fi
# In place through a symlink to the model folder: the same folder, found by inode.
ln -s "$T/exp" "$T/exp-link"
expect "--out through a symlink is refused (it would replace the link)" 1 "symbolic link" \
    "$ARGEN" train --model "$T/exp" --out "$T/exp-link" $TRAIN

# A --model named like one of --out's scratch folders: refused, and kept.
cp -r "$T/m" "$T/ck.tmp.1.0"
expect "--model named like a scratch folder of --out" 2 "scratch names of --out" \
    "$ARGEN" train --model "$T/ck.tmp.1.0" --out "$T/ck" $TRAIN
ln -s "$T/ck.tmp.1.0" "$T/innocent"
expect "--model reaching a scratch name through a symlink" 2 "scratch names of --out" \
    "$ARGEN" train --model "$T/innocent" --out "$T/ck" $TRAIN
same_tree "$T/keep" "$T/ck.tmp.1.0" && [ ! -e "$T/ck" ] && ok "refused model kept, nothing written" ||
    bad "refused model changed or ck written"

# ---- --out checked before the first step ----
expect "--out with a missing parent" 1 "parent folder" "$ARGEN" train --model "$T/m" --out "$T/nope/ck" $TRAIN
: >"$T/afile"
expect "--out is a file" 1 "not a folder" "$ARGEN" train --model "$T/m" --out "$T/afile" $TRAIN
expect "--out under a file" 1 "not a folder" "$ARGEN" train --model "$T/m" --out "$T/afile/ck" $TRAIN
expect "--out ." 1 "expected the name of a checkpoint folder" "$ARGEN" train --model "$T/m" --out . $TRAIN
# Unwritable: a folder without write permission (root may write anyway), and
# /proc, where nobody can make a folder.
mkdir "$T/ro"
chmod a-w "$T/ro"
unwritable="/proc/argen_ck"
[ "$(id -u)" -ne 0 ] && unwritable="$unwritable $T/ro/ck"
for o in $unwritable; do
    "$ARGEN" train --model "$T/m" --out "$o" $TRAIN --steps 1000 --checkpoint-every 0 >/dev/null 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 1 ] && ! grep -q "^step" "$T/err" && tail -n 1 "$T/err" | grep -qF "$o: cannot create $o.tmp."; then
        ok "unwritable --out fails before the first step: $(tail -n 1 "$T/err")"
    else
        bad "unwritable --out $o: exit $rc: $(cat "$T/err")"
    fi
done
if "$ARGEN" train --model "$T/m" --out "$T/slash/" $TRAIN >/dev/null 2>"$T/err" &&
   "$ARGEN" info --model "$T/slash" >/dev/null 2>&1 && no_scratch "$T" slash && [ ! -e "$T/slash/.tmp" ]; then
    ok "--out with a trailing slash"
else
    bad "--out slash/: $(tail -n 1 "$T/err")"
fi

# ---- bad ids ----
expect "--ids-file with an id >= vocab_size" 1 "badid.bin: token id 64 at index 2" \
    "$ARGEN" train --model "$T/m" --out "$T/o1" --ids-file "$T/badid.bin" --steps 1 --seq 1 --val-fraction 0

# ---- resume ----
"$ARGEN" train --model "$T/m" --out "$T/r" $TRAIN >/dev/null 2>&1
expect "--resume with the same options" 0 "steps done" "$ARGEN" train --model "$T/m" --out "$T/r" $TRAIN --resume
expect "--resume with other --batch and --seed" 2 "--seed 1 (now 9), --batch 1 (now 2)" \
    "$ARGEN" train --model "$T/m" --out "$T/r" $TRAIN --batch 2 --seed 9 --resume
expect "--resume with other data" 2 "data ids (FNV-1a)" \
    "$ARGEN" train --model "$T/m" --out "$T/r" $TRAIN --ids-file "$T/ids2.bin" --resume
expect "--resume with other --seq" 2 "--seq 8 (now 4)" \
    "$ARGEN" train --model "$T/m" --out "$T/r" $TRAIN --seq 4 --resume
expect "--resume --allow-changes" 0 "steps done" \
    "$ARGEN" train --model "$T/m" --out "$T/r" $TRAIN --steps 5 --resume --allow-changes
grep -q "continuing with --steps 3 (now 5)" "$T/err" && ok "--allow-changes names the change" ||
    bad "--allow-changes does not name the change: $(cat "$T/err")"
expect "--allow-changes without --resume" 2 "--allow-changes" \
    "$ARGEN" train --model "$T/m" --out "$T/r2" $TRAIN --allow-changes

# ---- Ctrl-C: exit 130, a checkpoint that loads, no scratch folder, resumable ----
/usr/bin/python3 - "$ARGEN" "$T" <<'PYEOF' || fail=1
import os, signal, subprocess, sys, time
argen, t = sys.argv[1], sys.argv[2]
ck = os.path.join(t, "sig")
cmd = [argen, "train", "--model", os.path.join(t, "m"), "--out", ck, "--ids-file", os.path.join(t, "ids.bin"),
       "--steps", "100000000", "--batch", "2", "--seq", "16", "--checkpoint-every", "2", "--eval-every", "0",
       "--warmup", "0"]
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
deadline = time.time() + 30
while time.time() < deadline and p.poll() is None and not os.path.isfile(os.path.join(ck, "model.safetensors")):
    time.sleep(0.02)
time.sleep(0.1)
p.send_signal(signal.SIGINT)
try:
    err = p.communicate(timeout=30)[1].decode(errors="replace")
except subprocess.TimeoutExpired:
    p.kill(); print("FAIL Ctrl-C: did not stop"); sys.exit(1)
left = [x for x in os.listdir(t) if x.startswith("sig.")]
info = subprocess.run([argen, "info", "--model", ck], capture_output=True)
problems = []
if p.returncode != 130: problems.append("exit %d, expected 130" % p.returncode)
if "interrupted after step" not in err: problems.append("no 'interrupted' line: %r" % err[-200:])
if left: problems.append("left behind: %s" % left)
if info.returncode != 0: problems.append("checkpoint does not load")
if problems:
    print("FAIL Ctrl-C: " + "; ".join(problems)); sys.exit(1)
print("ok   Ctrl-C: exit 130, checkpoint loads, no scratch folder left")
PYEOF
# The interrupted run resumes (two steps more: a shorter schedule is a change).
SIGOPTS="--ids-file $T/ids.bin --batch 2 --seq 16 --checkpoint-every 2 --eval-every 0 --warmup 0"
step=$(tail -n 1 "$T/sig/train_log.tsv" | cut -f 1)
expect "resume after Ctrl-C" 0 "$((step + 2)) steps done" "$ARGEN" train --model "$T/m" --out "$T/sig" $SIGOPTS \
    --steps $((step + 2)) --resume --allow-changes

[ "$fail" -eq 0 ] && echo "test_train_checkpoint: ok"
exit "$fail"
