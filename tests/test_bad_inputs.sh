#!/bin/sh
# test_bad_inputs.sh - runs every row of tests/bad_inputs.tsv (the table of
# bad inputs, see its header and docs/hardening.md): builds the bad input in
# a fresh folder, runs the command, and checks its exit code and its message
# (the last line on stderr).  Rows marked "xfail" are known bugs: reported, not failed,
# until they pass (then the row must be updated).  Every scenario must also
# be a row of the table in docs/hardening.md.
#
#   sh tests/test_bad_inputs.sh --doc   prints that table (markdown), with
#                                       the message argen gives for each row
BUILD=${BUILD:-build}
ARGEN=$(cd "$(dirname "$BUILD/argen")" && pwd)/argen
ROOT=$(pwd)
TABLE="$ROOT/tests/bad_inputs.tsv"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ARGEN

# A valid model with the small committed tokenizer; V = its vocabulary size.
V=$(grep -o '": [0-9]*' tests/fuzz/tokenizer/vocab.json | wc -l)
M="$tmp/model"
if ! "$ARGEN" init --out "$M" --layers 2 --heads 2 --embd 16 --positions 32 --vocab "$V" \
        --tokenizer tests/fuzz/tokenizer --seed 11 >"$tmp/init.log" 2>&1; then
    cat "$tmp/init.log"; echo "test_bad_inputs: argen init failed"; exit 1
fi
export M V

# st_edit FILE 'PYTHON': h = header dict, d = data bytes; the file is rewritten.
st_edit() {
    "$PY" - "$1" "$2" <<'PYEOF'
import json, struct, sys
path, code = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
d = raw[8 + n:]
env = {"h": h, "d": d}
exec(code, env)
hb = json.dumps(env["h"], separators=(",", ":")).encode()
hb += b" " * ((8 - (len(hb) + 8) % 8) % 8)
open(path, "wb").write(struct.pack("<Q", len(hb)) + hb + env["d"])
PYEOF
}
# cfg_edit FILE 'PYTHON': c = the config dict.
cfg_edit() {
    "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
path, code = sys.argv[1], sys.argv[2]
env = {"c": json.load(open(path))}
exec(code, env)
json.dump(env["c"], open(path, "w"), indent=2)
PYEOF
}

doc=""; [ "$1" = "--doc" ] && doc=1
[ -n "$doc" ] && printf '| scenario | command | exit | message argen gives |\n|---|---|---|---|\n'
passed=0; failed=0; xfailed=0; row=0
tab=$(printf '\t')
while IFS="$tab" read -r name setup cmd want msg note; do
    case "$name" in ''|'#'*) continue ;; esac
    row=$((row + 1))
    d="$tmp/row$row"
    mkdir "$d"
    (cd "$d" && eval "$setup") >"$d.setup" 2>&1 || { echo "  FAIL $name: setup failed: $(cat "$d.setup")"; failed=$((failed + 1)); continue; }
    (cd "$d" && eval "$cmd") >"$d.out" 2>"$d.err" </dev/null
    got=$?
    if [ -n "$doc" ]; then
        shown=$(printf '%s' "$cmd" | sed -e 's/\$ARGEN/argen/g' -e 's/\$M/MODEL/g' -e 's/|/\\|/g')
        if [ "$got" -ne 0 ]; then said=$(tail -1 "$d.err")
        elif [ -n "$note" ]; then said="(exits 0, no message)"
        else said="(works: prints the text)"; fi
        said=$(printf '%s' "$said" | sed -e "s|$tmp/model|MODEL|g" -e 's/|/\\|/g')
        case "$note" in xfail*) said="$said — **known bug**: ${note#xfail: }" ;; esac
        printf '| %s | `%s` | %s | %s |\n' "$name" "$shown" "$got" "$said"
        continue
    fi
    grep -qF -e "| $name |" "$ROOT/docs/hardening.md" 2>/dev/null || echo "  note: '$name' is not in docs/hardening.md's table"
    why=""
    if [ "$got" -ne "$want" ]; then
        why="exit $got, expected $want"
    elif [ "$want" -eq 0 ]; then
        grep -qF -e "$msg" "$d.out" || why="stdout lacks '$msg'"
    elif [ ! -s "$d.err" ]; then
        why="no message on stderr"
    elif ! tail -1 "$d.err" | grep -qF -e "$msg"; then
        why="message lacks '$msg'"
    elif grep -q -e "Sanitizer" -e "runtime error" "$d.err"; then
        why="sanitizer report"
    fi
    case "$note" in
    xfail*)
        if [ -n "$why" ]; then
            xfailed=$((xfailed + 1)); echo "  xfail $name ($why): ${note#xfail: }"
        else
            failed=$((failed + 1)); echo "  FAIL $name: passes now: remove its xfail note"
        fi ;;
    *)
        if [ -z "$why" ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1)); echo "  FAIL $name: $why"; echo "    stderr: $(head -3 "$d.err")"
        fi ;;
    esac
done <"$TABLE"
[ -n "$doc" ] && exit 0
echo "test_bad_inputs: $passed passed, $xfailed known failures, $failed failed"
[ "$failed" -eq 0 ]
