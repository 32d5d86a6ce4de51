#!/bin/sh
# argen view: pages for every kind of trace (the example traces made afresh
# by traces/examples/make-examples.sh, plus longer sampling runs with
# temperature, min-p, plain sampling and a repetition penalty), driven in
# headless Chromium, then in headless Firefox (WebDriver BiDi), by
# tests/browser/view-test.js: they load offline with no console error, every
# view responds, the page's selection agrees with the C sampler at every step,
# a generation page opens at its most uncertain step (or at #step=N), nothing
# is pinned over the content, a hostile prompt runs nothing.  Here: bad input
# (truncated, malformed, missing options) is refused with one line and the
# reader's exit code, leaving no page and an earlier page intact.
# Screenshots of each view: $BUILD/view-screens/.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
T=$(mktemp -d /tmp/argen_test_view.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

[ -f data/tiny/config.json ] || { bad "data/tiny is missing (the shipped model)"; exit 1; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { bad "$CHROMIUM is not installed (make test installs Debian's chromium)"; exit 1; }
FIREFOX=${FIREFOX:-/usr/bin/firefox-esr}
[ -x "$FIREFOX" ] || { bad "$FIREFOX is not installed (make test installs Debian's firefox-esr)"; exit 1; }
if [ ! -d tests/browser/node_modules/puppeteer-core ]; then
    (cd tests/browser && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null 2>&1; }) ||
        { bad "npm could not install tests/browser (puppeteer-core)"; exit 1; }
fi

# ---- the traces ----
ARGEN="$ARGEN" sh traces/examples/make-examples.sh data/tiny "$T/traces" '' >/dev/null 2>"$T/err" || { bad "make-examples.sh: $(cat "$T/err")"; exit 1; }
g() { # name args...
    name=$1; shift
    "$ARGEN" generate --model data/tiny --trace "$T/traces/$name.json" "$@" >/dev/null 2>"$T/err" || bad "generate $name: $(cat "$T/err")"
}
g minp-hot --prompt "Once upon a time" --strategy min-p --min-p 0.05 --temperature 1.4 --seed 7 --max-new-tokens 30
g sample-penalty --prompt "The cat" --strategy sample --temperature 0.9 --repetition-penalty 1.3 --seed 3 --max-new-tokens 30
g topp-topk --prompt "One day" --strategy top-p --top-p 0.8 --top-k 5 --temperature 1.2 --seed 11 --max-new-tokens 30
g hostile --prompt '</script><script>alert(1)</script><img src=x onerror=alert(2)><!--' --strategy top-k --seed 1 --max-new-tokens 3
/usr/bin/python3 - "$T/traces/greedy-summary.json" "$T/traces/u2028.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["prompt"]["tokens"][0] = "a\u2028b\u2029<!--"
d["steps"][0]["context"]["tokens"][0] = d["prompt"]["tokens"][0]
open(sys.argv[2], "w", encoding="utf-8").write(json.dumps(d, ensure_ascii=False))
PY
# A trace whose recorded choice is not what its logits give: the check must see it.
/usr/bin/python3 - "$T/traces/top-k-summary.json" "$T/traces/tampered.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sel = d["steps"][2]["selection"]
sel["chosen"]["id"] = sel["table"][1]["id"] if sel["chosen"]["id"] == sel["table"][0]["id"] else sel["table"][0]["id"]
sel["n_kept"] += 1
json.dump(d, open(sys.argv[2], "w"))
PY

P="$BUILD/view-test"
rm -rf "$P"
mkdir -p "$P"
args=""
for n in greedy-summary top-k-summary top-p-summary full-2-tokens minp-hot sample-penalty topp-topk:generate \
         compare:compare beam-summary:beam score:score jacobi:jacobi hostile:hostile u2028:u2028 tampered:tampered; do
    case $n in *:*) kind=${n#*:}; n=${n%%:*} ;; *) kind=generate ;; esac
    if "$ARGEN" view "$T/traces/$n.json" --out "$P/$n.html" 2>"$T/err"; then
        args="$args $kind=$P/$n.html"
    else
        bad "argen view $n: $(cat "$T/err")"
    fi
done
ok "argen view wrote $(ls "$P" | wc -l) pages"

# ---- what the bytes say ----
if grep -q -e '<script>alert' -e '<img src=x' "$P/hostile.html"; then bad "hostile prompt is in the page unescaped"; else ok "hostile prompt escaped in the page"; fi
if [ "$(grep -c '</script>' "$P/hostile.html")" -eq 2 ]; then ok "the page has exactly its own two </script>"; else bad "the page has $(grep -c '</script>' "$P/hostile.html") </script>"; fi
if grep -q "$(printf '\342\200\250')" "$P/u2028.html" || grep -q '<!--' "$P/u2028.html"; then bad "U+2028 or <!-- left raw in the page"; else ok "U+2028, U+2029 and <!-- written as \\u escapes"; fi
if grep -q -e 'src="http' -e "src='http" -e '@import' "$P/top-k-summary.html"; then bad "the page names a network resource"; else ok "the page names no network resource"; fi

# ---- bad input ----
cp "$P/greedy-summary.html" "$T/before.html"
head -c 3000 "$T/traces/top-k-summary.json" >"$T/truncated.json"
"$ARGEN" view "$T/truncated.json" --out "$P/greedy-summary.html" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^argen view: .*truncated.json" "$T/err" && cmp -s "$T/before.html" "$P/greedy-summary.html" &&
   [ -z "$(ls "$P" | grep tmp)" ]; then
    ok "truncated trace refused (exit 1, one line), earlier page intact, no temporary left: $(cat "$T/err")"
else
    bad "truncated trace: rc $rc: $(cat "$T/err")"
fi
/usr/bin/python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); d['steps'][1]['selection']['draw']='x'; json.dump(d,open(sys.argv[2],'w'))" \
    "$T/traces/top-k-summary.json" "$T/wrong.json"
"$ARGEN" view "$T/wrong.json" --out "$T/wrong.html" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "steps\[1\].selection.draw" "$T/err" && [ ! -e "$T/wrong.html" ]; then ok "a wrong field is named and no page written: $(cat "$T/err")"; else bad "wrong field: rc $rc: $(cat "$T/err")"; fi
sed 's/"version":2/"version":1/' "$T/traces/greedy-summary.json" >"$T/v1.json"
"$ARGEN" view "$T/v1.json" --out "$T/v1.html" 2>"$T/err"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "v1.json: version: expected 2 (a version 1 trace counts ranks from 0" "$T/err" &&
   [ ! -e "$T/v1.html" ]; then ok "a version 1 trace (ranks from 0) is refused, not read one off: $(cat "$T/err")"; else bad "version 1 trace: rc $rc: $(cat "$T/err")"; fi
"$ARGEN" view "$T/missing.json" --out "$T/m.html" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -e "$T/m.html" ] && ok "missing trace: exit 1: $(cat "$T/err")" || bad "missing trace: rc $rc"
"$ARGEN" view "$T/traces/compare.json" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q "^argen view: --out" "$T/err" && ok "no --out: exit 2" || bad "no --out: rc $rc: $(cat "$T/err")"
"$ARGEN" view "$T/traces/compare.json" --out "$T/x.html" --bogus 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && [ ! -e "$T/x.html" ] && ok "unknown option: exit 2" || bad "unknown option: rc $rc"
"$ARGEN" view "$T/traces/compare.json" --out "$T/traces/compare.json" 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && ok "--out over the trace refused: exit 2" || bad "--out over the trace: rc $rc"
"$ARGEN" view "$T/traces/compare.json" --out /nonexistent-dir/x.html 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok "unwritable --out: exit 1: $(cat "$T/err")" || bad "unwritable --out: rc $rc: $(cat "$T/err")"
"$ARGEN" view --help | grep -q "usage: argen view" && ok "--help" || bad "--help"

# ---- the browser ----
# shellcheck disable=SC2086
if CHROMIUM="$CHROMIUM" node tests/browser/view-test.js "$BUILD/view-screens" $args; then :; else fail=1; fi
# shellcheck disable=SC2086
if BROWSER=firefox FIREFOX="$FIREFOX" node tests/browser/view-test.js "$BUILD/view-screens" $args; then :; else fail=1; fi
exit $fail
