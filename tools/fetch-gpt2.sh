#!/bin/sh
# Downloads a real GPT-2 from Hugging Face into a folder argen reads, and checks it.
#   sh tools/fetch-gpt2.sh [gpt2|gpt2-medium|gpt2-large|gpt2-xl] [OUT_DIR]
#   (make gpt2, make gpt2-medium, ... run this into models/NAME)
# Needs curl and the network once; the shipped model in data/tiny works offline.
#
# Checksums: Hugging Face keeps model.safetensors in Git LFS; the file's "raw"
# URL returns its LFS pointer, whose "oid sha256:..." line is the SHA-256 of
# the real file.  This script fetches that pointer first and refuses a
# download whose sha256sum differs.  Then `argen info` checks the header,
# the tensor table and every shape against config.json.
#
# Everything is downloaded into OUT_DIR.part/ and renamed to OUT_DIR only
# when every file is there and checked: OUT_DIR is never half-written.  An
# interrupted run keeps OUT_DIR.part/ so that the next run resumes the large
# download (curl -C -).  The first failure stops the script with one line.
set -eu
name=${1:-gpt2}
out=${2:-models/$name}
case "$name" in
    gpt2|gpt2-medium|gpt2-large|gpt2-xl) ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-gpt2: expected gpt2, gpt2-medium, gpt2-large or gpt2-xl, got '$name'" >&2; exit 2 ;;
esac
out=${out%/}
if [ -f "$out/model.safetensors" ] && [ -f "$out/config.json" ]; then
    echo "fetch-gpt2: $out already holds a model (remove it to download again)"
    exit 0
fi
[ -e "$out" ] && { echo "fetch-gpt2: $out exists but is not a complete model folder: remove it first" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "fetch-gpt2: curl not found (apt-get install curl)" >&2; exit 1; }
base="https://huggingface.co/openai-community/$name"
part="$out.part"
mkdir -p "$part"
# On failure keep $part only when it holds a partial download to resume.
trap '[ -s "$part/model.safetensors" ] || rm -rf "$part"' EXIT

# get URL FILE: one clear line and exit 1 on the first failure.
get() {
    if ! curl -fsSL --retry 2 --connect-timeout 15 ${3:-} -o "$2" "$1" 2>"$part/curl.err"; then
        echo "fetch-gpt2: could not reach $1 ($(tail -n 1 "$part/curl.err" | sed 's/^curl: ([0-9]*) //')): argen needs the network once for this; the shipped model in data/tiny works offline" >&2
        exit 1
    fi
}

for f in config.json vocab.json merges.txt; do
    echo "fetch-gpt2: $f"
    get "$base/resolve/main/$f" "$part/$f"
done
get "$base/raw/main/model.safetensors" "$part/lfs-pointer"
want=$(sed -n 's/^oid sha256:\([0-9a-f]\{64\}\)$/\1/p' "$part/lfs-pointer")
[ -n "$want" ] || { echo "fetch-gpt2: $base/raw/main/model.safetensors: expected a Git LFS pointer with an 'oid sha256:' line" >&2; exit 1; }
echo "fetch-gpt2: model.safetensors (sha256 $want; progress below)"
if ! curl -fL --retry 2 --connect-timeout 15 -C - -o "$part/model.safetensors" "$base/resolve/main/model.safetensors"; then
    echo "fetch-gpt2: could not download $base/resolve/main/model.safetensors (run again to resume)" >&2
    exit 1
fi
got=$(sha256sum "$part/model.safetensors" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
    rm -f "$part/model.safetensors"
    echo "fetch-gpt2: model.safetensors: sha256 $got, expected $want (removed; run again)" >&2
    exit 1
fi
rm -f "$part/lfs-pointer" "$part/curl.err"
ARGEN=${ARGEN:-build/argen}
if [ -x "$ARGEN" ]; then
    "$ARGEN" info --model "$part" >/dev/null || { echo "fetch-gpt2: $part: argen info refused the download" >&2; exit 1; }
fi
mv "$part" "$out"
trap - EXIT
echo "fetch-gpt2: ready: $ARGEN generate --model $out --prompt \"The quick brown fox\""
