#!/bin/sh
# Downloads a real GPT-2 from Hugging Face into a folder argen reads, and checks it.
#   sh tools/fetch-gpt2.sh [gpt2|gpt2-medium|gpt2-large|gpt2-xl] [OUT_DIR]
# Needs curl and a network (not used by any make target or test).
#
# Checksums: Hugging Face keeps model.safetensors in Git LFS; the file's "raw"
# URL returns its LFS pointer, whose "oid sha256:..." line is the SHA-256 of
# the real file.  This script fetches that pointer first and refuses a
# download whose sha256sum differs.  Then `argen info` checks the header,
# the tensor table and every shape against config.json.
set -eu
name=${1:-gpt2}
out=${2:-models/$name}
case "$name" in
    gpt2|gpt2-medium|gpt2-large|gpt2-xl) ;;
    *) echo "fetch-gpt2: expected gpt2, gpt2-medium, gpt2-large or gpt2-xl, got '$name'" >&2; exit 2 ;;
esac
base="https://huggingface.co/openai-community/$name"
mkdir -p "$out"
for f in config.json vocab.json merges.txt; do
    echo "fetch-gpt2: $f"
    curl -fL --retry 3 -o "$out/$f.part" "$base/resolve/main/$f" && mv "$out/$f.part" "$out/$f"
done
want=$(curl -fsL "$base/raw/main/model.safetensors" | sed -n 's/^oid sha256:\([0-9a-f]*\)$/\1/p')
[ -n "$want" ] || { echo "fetch-gpt2: could not read the LFS pointer of model.safetensors" >&2; exit 1; }
echo "fetch-gpt2: model.safetensors (sha256 $want)"
curl -fL --retry 3 -C - -o "$out/model.safetensors.part" "$base/resolve/main/model.safetensors"
got=$(sha256sum "$out/model.safetensors.part" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
    echo "fetch-gpt2: model.safetensors: sha256 $got, expected $want (download again)" >&2
    exit 1
fi
mv "$out/model.safetensors.part" "$out/model.safetensors"
ARGEN=${ARGEN:-build/argen}
[ -x "$ARGEN" ] && "$ARGEN" info --model "$out"
echo "fetch-gpt2: ready: $ARGEN generate --model $out --prompt \"The quick brown fox\""
