#!/bin/sh
# test_docs.sh - every shell command shown in README.md and docs/*.md runs.
# tests/doc_commands.py runs each ```sh block in a scratch copy of the
# repository with $BUILD linked in as build/, and only syntax-checks
# ```sh WORD blocks (network, slow, interactive).  First the runner itself
# is checked on a small document: a failing command, a bad "sh slow" block
# and a fence without a language must each be reported, a "text" block
# must not run, and a good block must pass.
set -eu
BUILD=${BUILD:-build}
PY=/usr/bin/python3
[ -x "$BUILD/argen" ] || { echo "test_docs: $BUILD/argen is missing (make BUILD=$BUILD)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argen-docs-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

fence='```'
cat > "$tmp/good.md" <<MD
${fence}sh
build/argen tokenize --model data/tiny --text "Once upon a time" > ids.txt
test -s ids.txt
${fence}

${fence}sh network
curl -fsS https://example.org/never-run > /dev/null
${fence}

${fence}text
this is output, never run: exit 1
${fence}
MD
cat > "$tmp/bad.md" <<MD
${fence}sh
build/argen generate --model data/no-such-model --prompt "x"
${fence}

${fence}sh slow
if then fi
${fence}

${fence}
build/argen info --model data/tiny
${fence}
MD
"$PY" tests/doc_commands.py --build "$BUILD" "$tmp/good.md" > "$tmp/good.out" 2>&1 || {
    echo "test_docs: the runner failed a good document:"; cat "$tmp/good.out"; exit 1; }
grep -q "^doc commands: 1 blocks ran, 1 syntax-checked, 0 failed" "$tmp/good.out" || {
    echo "test_docs: unexpected summary:"; cat "$tmp/good.out"; exit 1; }
if "$PY" tests/doc_commands.py --build "$BUILD" "$tmp/bad.md" > "$tmp/bad.out" 2>&1; then
    echo "test_docs: the runner passed a bad document:"; cat "$tmp/bad.out"; exit 1
fi
for want in "FAIL .*bad.md:1: ran (exit 1" "FAIL .*bad.md:5: syntax only (slow)" "FAIL .*bad.md:9: a fence without a language" \
            "data/no-such-model" "3 failed"; do
    grep -q "$want" "$tmp/bad.out" || { echo "test_docs: missing '$want' in:"; cat "$tmp/bad.out"; exit 1; }
done

# The model card says which lecture phenomena the shipped model shows: the
# section is the one tools/model_card.py writes, and every example it names
# exists and is checked by tests/test_phenomena.sh.
"$PY" - <<'PYEOF' || exit 1
import re, sys
sys.path.insert(0, "tools")
import model_card
card = open("data/tiny/README.md", encoding="utf-8").read()
test = open("tests/test_phenomena.sh", encoding="utf-8").read()
fails = []
if model_card.PHENOMENA not in card:
    fails.append("data/tiny/README.md lacks the phenomena section tools/model_card.py writes")
rows = [l for l in model_card.PHENOMENA.splitlines() if l.startswith("| ") and not l.startswith("| phenomenon")]
if len(rows) != 6:
    fails.append("%d phenomena in the model card, expected 6" % len(rows))
for name in re.findall(r"`([\w-]+\.(?:json|tsv))`", model_card.PHENOMENA):
    try:
        open("traces/examples/" + name).close()
    except OSError:
        fails.append("the model card names traces/examples/%s, which is missing" % name)
    if name not in test:
        fails.append("tests/test_phenomena.sh does not check %s" % name)
for f in fails:
    print("test_docs: FAIL " + f)
sys.exit(1 if fails else 0)
PYEOF

# Every image in docs/img/ is in docs/img/README.md's table, and the
# script named for it writes its name (or its folder, for the slides).
"$PY" - <<'PYEOF' || exit 1
import os, re, subprocess, sys
table = open("docs/img/README.md", encoding="utf-8").read()
rows = [l for l in table.splitlines() if l.startswith("| `")]
files = subprocess.run(["git", "ls-files", "docs/img"], capture_output=True, text=True, check=True).stdout.split()
fails = []
for f in files:
    rel = f[len("docs/img/"):]
    if rel == "README.md":
        continue
    row = [r for r in rows if any(re.fullmatch(p.replace(".", r"\.").replace("*", ".*"), rel)
                                  for p in re.findall(r"`([^`]+)`", r.split("|")[1]))]
    if not row:
        fails.append("docs/img/%s: no producer in docs/img/README.md" % rel)
        continue
    scripts = re.findall(r"(tools/[\w.-]+|traces/examples/make-examples\.sh|make diagrams)", row[0].split("|")[2])
    texts = [open("Makefile" if s == "make diagrams" else s, encoding="utf-8").read() for s in scripts]
    key = os.path.basename(rel) if "/" not in rel else "docs/img/" + rel.split("/")[0]
    if not any(key in t for t in texts) and not (key.startswith("docs/img/slides") and any("docs/img/slides" in t for t in texts)):
        fails.append("docs/img/%s: %s does not name it" % (rel, ", ".join(scripts) or "no script"))
for f in fails:
    print("test_docs: FAIL " + f)
sys.exit(1 if fails else 0)
PYEOF

"$PY" tests/doc_commands.py --build "$BUILD"
