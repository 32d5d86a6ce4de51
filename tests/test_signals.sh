#!/bin/sh
# test_signals.sh - Ctrl-C (SIGINT) and a closed pipe (SIGPIPE) stop cleanly
# and leave nothing half-written:
#   generate --trace  (greedy, beam search, Jacobi) stops within seconds, exit
#                     130; the text generated so far is on stdout; the trace
#                     is complete valid JSON or absent; no temporary file left.
#   compare --json, corpus --out
#                     stop within seconds, exit 130, write nothing, leave no
#                     temporary file.
#   generate | head   exits 141 without a message; no temporary file left.
#   train             stops within seconds; --out is a checkpoint that loads
#                     (the previous one or a new one, never a mix); no
#                     temporary folder or file left.
# The signal is sent from Python: a background job of a non-interactive sh
# would start with SIGINT ignored.
BUILD=${BUILD:-build}
ARGEN=$BUILD/argen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ARGEN" generate --help >/dev/null 2>&1 || { echo "test_signals: argen generate is missing"; exit 1; }
# Slow enough to be interrupted: generate recomputes the whole context every step
# (greedy on this random model runs all 1000 steps without meeting eos: ~25 s);
# Jacobi, which keeps its prefix cached and runs 128 positions per pass, gets
# the wider model "wide" (1000 tokens: about 7 s with AVX-512 kernels).
if ! "$ARGEN" init --out "$tmp/m" --layers 2 --heads 2 --embd 64 --positions 1024 --vocab 2048 --seed 5 \
        >"$tmp/init.log" 2>&1 ||
   ! "$ARGEN" init --out "$tmp/small" --layers 1 --heads 2 --embd 16 --positions 32 --vocab 64 --seed 5 \
        >"$tmp/init.log" 2>&1 ||
   ! "$ARGEN" init --out "$tmp/wide" --layers 4 --heads 4 --embd 256 --positions 1024 --vocab 2048 --seed 5 \
        >"$tmp/init.log" 2>&1; then
    cat "$tmp/init.log"; echo "test_signals: argen init failed"; exit 1
fi
/usr/bin/python3 - "$ARGEN" "$tmp" <<'PYEOF'
import glob, json, os, random, signal, struct, subprocess, sys, time

argen, tmp = sys.argv[1], sys.argv[2]
failed = False


def interrupt(name, cmd, ready, wait_s=10):
    """Runs cmd, sends SIGINT once ready() holds; returns (how, stdout bytes) or None."""
    out = open(os.path.join(tmp, name + ".out"), "wb")
    err = open(os.path.join(tmp, name + ".err"), "wb")
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None and not ready():
        time.sleep(0.05)
    if p.poll() is not None:
        print("  %s: ended (exit %d) before it could be interrupted: make it slower" % (name, p.returncode))
        return None
    p.send_signal(signal.SIGINT)
    try:
        rc = p.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        p.kill()
        print("  %s: did not stop within %d s of SIGINT" % (name, wait_s))
        return None
    out.close(); err.close()
    how = "killed by signal %d" % -rc if rc < 0 else "exit %d" % rc
    return how, open(out.name, "rb").read()


def report(name, how, state, problems):
    global failed
    if problems:
        failed = True
        print("  %s: after SIGINT (%s, %s):" % (name, how, state))
        for m in problems:
            print("    " + m)
    else:
        print("  %s: ok (%s, %s)" % (name, how, state))


# ---- generate ----
trace = os.path.join(tmp, "t.json")
gen_out = os.path.join(tmp, "generate.out")
r = interrupt("generate", [argen, "generate", "--model", os.path.join(tmp, "m"), "--ids", "1,2,3",
                           "--max-new-tokens", "1000", "--no-kv-cache", "--strategy", "greedy",
                           "--trace", trace],
              lambda: os.path.getsize(gen_out) >= 20)
if r is None:
    failed = True
else:
    how, text = r
    problems = []
    if not text.startswith(b"1 2 3") or len(text) < 20:
        problems.append("stdout lacks the text generated so far: %r" % text[:80])
    leftovers = glob.glob(trace + ".tmp*")
    if leftovers:
        problems.append("a partial trace was left behind: %s" % ", ".join(os.path.basename(x) for x in leftovers))
    if os.path.exists(trace):
        try:
            doc = json.load(open(trace))
            if not isinstance(doc, dict):
                problems.append("the trace is not a JSON object")
            elif doc.get("result", {}).get("stop_reason") != "interrupted":
                problems.append("the trace's stop_reason is %r, expected 'interrupted'" % doc.get("result", {}).get("stop_reason"))
        except ValueError as e:
            problems.append("the trace is not valid JSON: %s" % e)
    report("generate", how, "trace %s" % ("written" if os.path.exists(trace) else "absent"), problems)

# ---- beam search and Jacobi: the search stops at its next step ----
for strategy, extra in (("beam", ["--beams", "8"]), ("jacobi", ["--block", "128"])):
    name = "generate-" + strategy
    trace = os.path.join(tmp, name + ".json")
    r = interrupt(name, [argen, "generate", "--model", os.path.join(tmp, "m" if strategy == "beam" else "wide"), "--ids", "1,2,3",
                         "--max-new-tokens", "1000", "--strategy", strategy, "--trace", trace] + extra +
                        (["--no-kv-cache"] if strategy == "beam" else []),
                  lambda: time.sleep(1.0) or True, wait_s=5)
    if r is None:
        failed = True
        continue
    how, text = r
    problems = []
    if how != "exit 130":
        problems.append("expected exit 130")
    if not text.strip():
        problems.append("stdout lacks the text generated so far")
    leftovers = glob.glob(trace + ".tmp*")
    if leftovers:
        problems.append("left behind: %s" % ", ".join(os.path.basename(x) for x in leftovers))
    if os.path.exists(trace):
        try:
            json.load(open(trace))
        except ValueError as e:
            problems.append("the trace is not valid JSON: %s" % e)
    report(name, how, "trace %s" % ("written" if os.path.exists(trace) else "absent"), problems)

# ---- compare and corpus: interrupted, they write nothing ----
runs = [("compare", [argen, "compare", "--model", os.path.join(tmp, "m"), "--ids", "1,2,3", "--max-new-tokens", "1000",
                     "--strategies", "beam=8,beam=8,beam=8,greedy,sample", "--json", os.path.join(tmp, "c.json")],
         os.path.join(tmp, "c.json")),
        ("corpus", [argen, "corpus", "--out", os.path.join(tmp, "corpus.txt"), "--bytes", "1000000000"],
         os.path.join(tmp, "corpus.txt"))]
for name, cmd, out in runs:
    r = interrupt(name, cmd, lambda: time.sleep(1.0) or True, wait_s=5)
    if r is None:
        failed = True
        continue
    how = r[0]
    problems = []
    if how != "exit 130":
        problems.append("expected exit 130")
    leftovers = glob.glob(out + "*")
    if leftovers:
        problems.append("left behind: %s" % ", ".join(os.path.basename(x) for x in leftovers))
    report(name, how, "nothing written" if not leftovers else "files left", problems)

# ---- a closed pipe: generate | head ----
trace = os.path.join(tmp, "p.json")
p = subprocess.Popen([argen, "generate", "--model", os.path.join(tmp, "m"), "--ids", "1,2,3", "--max-new-tokens", "1000",
                      "--no-kv-cache", "--trace", trace], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.read(10)
p.stdout.close()   # the reader goes away, as head does
try:
    rc = p.wait(timeout=10)
    err = p.stderr.read().decode(errors="replace")
    problems = []
    if rc != 141:
        problems.append("expected exit 141, got %d" % rc)
    if err.strip():
        problems.append("expected no message, got %r" % err.strip()[:200])
    leftovers = glob.glob(trace + ".tmp*")
    if leftovers:
        problems.append("left behind: %s" % ", ".join(os.path.basename(x) for x in leftovers))
    report("generate | head", "exit %d" % rc, "SIGPIPE", problems)
except subprocess.TimeoutExpired:
    p.kill()
    failed = True
    print("  generate | head: did not stop within 10 s of the pipe closing")

# ---- train ----
ids = os.path.join(tmp, "ids.bin")
rng = random.Random(1)
with open(ids, "wb") as f:
    f.write(struct.pack("<4000i", *[rng.randrange(64) for _ in range(4000)]))
ck = os.path.join(tmp, "ck")
log = os.path.join(ck, "train_log.tsv")
r = interrupt("train", [argen, "train", "--model", os.path.join(tmp, "small"), "--out", ck, "--ids-file", ids,
                        "--steps", "100000000", "--batch", "2", "--seq", "16", "--checkpoint-every", "3",
                        "--eval-every", "0", "--warmup", "0"],
              lambda: os.path.isfile(os.path.join(ck, "model.safetensors")), wait_s=30)
if r is None:
    failed = True
else:
    how = r[0]
    problems = []
    leftovers = [x for x in glob.glob(os.path.join(tmp, "ck*")) + glob.glob(os.path.join(ck, "*"))
                 if ".tmp" in os.path.basename(x)]
    if leftovers:
        problems.append("left behind: %s" % ", ".join(os.path.basename(x) for x in leftovers))
    info = subprocess.run([argen, "info", "--model", ck], capture_output=True)
    if info.returncode != 0:
        problems.append("the checkpoint does not load: %s" % info.stderr.decode(errors="replace").strip())
    report("train", how, "checkpoint loads" if info.returncode == 0 else "checkpoint broken", problems)

print("test_signals: %s" % ("FAILED" if failed else "ok"))
sys.exit(1 if failed else 0)
PYEOF
