#!/bin/sh
# argen compare in the terminal, checked against its JSON by an independent
# Python reading: no Markdown escapes on the terminal; per strategy its whole
# text, its total log-probability (labelled, = the sum of ln p of its steps)
# and its first divergence from greedy by text position; the tokens that
# differ marked [like this] when stdout is not a terminal, in ANSI colour
# when it is (and plain again with NO_COLOR), and in the Markdown file;
# every number labelled; a repetition loop marked {like this} where it
# occurs, also when it does not run to the end.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
M=data/tiny
T=$(mktemp -d /tmp/argen_test_compare.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# "Tom said": greedy loops over tokens 24-50 (period 13) and then ends the
# story with <|endoftext|>; top-k=3 leaves greedy's text at once.
run() { "$ARGEN" compare --model "$M" --prompt "Tom said" --max-new-tokens 80 --strategies greedy,top-k=3,top-p=0.9,beam=2 --seed 1 "$@"; }
run --json "$T/c.json" --markdown "$T/c.md" >"$T/out" 2>"$T/err" || { bad "compare: $(cat "$T/err")"; exit 1; }

grep -q '<|endoftext|>' "$T/out" && ! grep -q '\\|' "$T/out" && ok "terminal: <|endoftext|> without Markdown escapes" \
    || bad "terminal: Markdown escapes or no <|endoftext|>: $(grep -m1 'endoftext' "$T/out")"
grep -q 'endoftext\\|' "$T/c.md" && ok "Markdown table cells escape |" || bad "Markdown: | not escaped in a cell"

# The expected summary and marked text of each strategy, from the JSON alone.
$PY - "$T/c.json" "$T/out" "$T/c.md" <<'EOF' || fail=1
import json, math, re, sys
doc = json.load(open(sys.argv[1]))
out = open(sys.argv[2], encoding="utf-8").read()
md = open(sys.argv[3], encoding="utf-8").read()
strats = doc["strategies"]
ref = "".join(strats[0]["tokens"])
failed = 0

def check(cond, msg):
    global failed
    print(("ok   " if cond else "FAIL ") + msg)
    failed |= not cond

def loops_of(ids, least=3):
    """Maximal runs repeating with period L, >= 2 periods and >= 3 tokens, scanned left to right."""
    found, s, n = [], 0, len(ids)
    while s < n:
        for L in range(1, (n - s) // 2 + 1):
            e = s + L
            while e < n and ids[e] == ids[e - L]:
                e += 1
            if e - s >= 2 * L and e - s >= least:
                found.append((s, e, L))
                s = e
                break
        else:
            s += 1
    return found

def visible(t):
    return t.replace("\n", "\\n").replace("\t", "\\t")

for c, st in enumerate(strats):
    toks = st["tokens"]
    ids = [x["id"] for x in st["steps"]]
    at, differs = 0, []
    for t in toks:
        differs.append(c > 0 and ref[at:at + len(t)] != t)
        at += len(t)
    loops = loops_of(ids)
    starts = {s for s, e, L in loops}
    inloop = [any(s <= i < e for s, e, L in loops) for i in range(len(ids))]
    # expected text line: difference runs in [], loops in {}, a run cut at a loop's edge
    text = ""
    for i, t in enumerate(toks):
        lb = inloop[i] and (i == 0 or not inloop[i - 1] or i in starts)
        le = inloop[i] and (i + 1 == len(toks) or not inloop[i + 1] or i + 1 in starts)
        edge_next = i + 1 < len(toks) and (inloop[i + 1] != inloop[i] or i + 1 in starts)
        db = differs[i] and (i == 0 or not differs[i - 1] or lb or inloop[i] != inloop[i - 1])
        de = differs[i] and (i + 1 == len(toks) or not differs[i + 1] or le or edge_next)
        text += ("{" if lb else "") + ("[" if db else "") + visible(t) + ("]" if de else "") + ("}" if le else "")
    check("\n  text: " + text + "\n" in out, f"{st['name']}: whole text, differing tokens and loops marked")
    check("text: `" + text + "`" in md, f"{st['name']}: the same marked text in Markdown")
    # the summary line
    m = re.search(r"^" + re.escape(st["name"]) + r": (\d+) tokens, stop: (\w+), total log p = (-?[0-9.]+) nats(.*)$", out, re.M)
    check(m is not None, f"{st['name']}: a summary line")
    if not m:
        continue
    logp = sum(math.log(x["probability"]) for x in st["steps"])
    check(int(m.group(1)) == len(ids) and m.group(2) == st["stop_reason"], f"{st['name']}: {len(ids)} tokens, stop {st['stop_reason']}")
    check(abs(float(m.group(3)) - logp) < 2e-3, f"{st['name']}: total log p {m.group(3)} = sum of ln p {logp:.3f}")
    first = next((i for i, d in enumerate(differs) if d), None)
    check(st["first_divergence"] == first, f"{st['name']}: JSON first_divergence {st['first_divergence']} = {first}")
    if first is None:
        check(c == 0 or "same text as greedy" in m.group(4), f"{st['name']}: no divergence")
    else:
        check(f"first divergence from greedy: token {first + 1} '{visible(toks[first])}'" in m.group(4),
              f"{st['name']}: first divergence at token {first + 1}")
    for s, e, L in loops:
        check(f"repetition loop: tokens {s + 1}-{e}, cycle length {L}" in m.group(4), f"{st['name']}: loop {s + 1}-{e} named")
    check([(l["start_step"], l["end_step"], l["length"]) for l in st["loops"]] == loops, f"{st['name']}: JSON loops {loops}")
    # the table: a cell per token, marked when it differs, ~ inside a loop
    rows = {int(r.split()[0]): r for r in out.splitlines() if re.match(r"^\d+ ", r)}
    cells_ok = all((("~" if inloop[i] else "") + ("['" if differs[i] else "'") + visible(toks[i]) + ("']" if differs[i] else "'") + " p=") in rows[i + 1]
                   for i in range(len(toks)))
    check(cells_ok, f"{st['name']}: every table cell marked as its text")

greedy = strats[0]
check(greedy["loops"] and greedy["loops"][0]["end_step"] < len(greedy["steps"]) and greedy["loop"] is None,
      "greedy's loop ends before the output does, and is still found")
# Every number is labelled: no bare "(0.477)" and each cell's probability says p=.
check(not re.search(r"\(\s*-?[0-9.]+\s*\)", out), "no unlabelled number in parentheses")
sys.exit(failed)
EOF

# A terminal gets colour (bold red differences, underlined loops) instead of brackets; NO_COLOR turns it off.
if command -v script >/dev/null 2>&1; then
    script -qec "$(printf '%s ' "$ARGEN" compare --model "$M" --prompt "'Tom said'" --max-new-tokens 80 --strategies greedy,top-k=3 --seed 1)" /dev/null >"$T/tty" 2>&1
    esc=$(printf '\033')
    grep -q "${esc}\[1;31m" "$T/tty" && grep -q "${esc}\[4m" "$T/tty" && ! grep -q 'text: \[' "$T/tty" \
        && ok "terminal: differences in colour, loops underlined, no brackets" || bad "terminal: no colour marks on a tty"
    NO_COLOR=1 script -qec "$(printf '%s ' "$ARGEN" compare --model "$M" --prompt "'Tom said'" --max-new-tokens 80 --strategies greedy,top-k=3 --seed 1)" /dev/null >"$T/tty" 2>&1
    ! grep -q "$esc" "$T/tty" && grep -q 'text: \[' "$T/tty" && ok "NO_COLOR: brackets on a terminal" || bad "NO_COLOR: colour on a terminal"
    grep -q "$esc" "$T/out" && bad "a pipe gets ANSI escapes" || ok "a pipe gets no ANSI escapes"
else
    echo "skip terminal colour: util-linux script is not installed"
fi

[ $fail -eq 0 ] && echo "test_compare: all passed" || echo "test_compare: FAILED"
exit $fail
