#!/bin/sh
# viewer-screenshots.sh - copies three of the screenshots that tests/test_view.sh
# writes into docs/img/: the Step view of a min-p run at T = 1.4 (opened at its
# most uncertain step) and the What-if view of a top-p + top-k run for the
# README, the Attention view of the min-p run for docs/viewer.md.  Run after
# the test:
#   BUILD=build sh tests/test_view.sh && sh tools/viewer-screenshots.sh [BUILD [IMG]]
set -e
BUILD=${1:-build}
IMG=${2:-docs/img}
S="$BUILD/view-screens"
for f in minp-hot-step topp-topk-whatif minp-hot-attention; do
    [ -f "$S/$f.png" ] || { echo "viewer-screenshots.sh: $S/$f.png is missing (run tests/test_view.sh first)" >&2; exit 1; }
done
mkdir -p "$IMG"
cp "$S/minp-hot-step.png" "$IMG/viewer-step.png"
cp "$S/topp-topk-whatif.png" "$IMG/viewer-whatif.png"
cp "$S/minp-hot-attention.png" "$IMG/viewer-attention.png"
ls -l "$IMG/viewer-step.png" "$IMG/viewer-whatif.png" "$IMG/viewer-attention.png"
