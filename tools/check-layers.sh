#!/bin/sh
# check-layers.sh - each folder of src/ may include only itself and the
# layers below it:
#
#   core  <  formats  <  decode  <  trace  <  train  <  cli
#
# core knows no file format, JSON, CLI or clock; formats reads and writes
# bytes; decode holds the other ways to choose tokens; trace observes runs
# (the JSON sink, the reader, the renderers); train learns; cli is main and
# the commands.  Prints every include that points upward (or into an unknown
# folder) as FILE:LINE and exits 1 if there is one.
#
#   sh tools/check-layers.sh [SRC_DIR]      (default src)
SRC=${1:-src}
ORDER="core formats decode trace train cli"
rank() { i=0; for l in $ORDER; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo -1; }
bad=0
for f in "$SRC"/*/*.c "$SRC"/*/*.h; do
    [ -f "$f" ] || continue
    layer=$(basename "$(dirname "$f")")
    me=$(rank "$layer")
    [ "$me" -ge 0 ] || { echo "$f: folder '$layer' is not a layer ($ORDER)"; bad=1; continue; }
    # #include "LAYER/file.h": the layer named in the path
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
        n=${line%%:*}
        inc=$(printf '%s\n' "$line" | sed 's/.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/')
        case "$inc" in
        */*) to=${inc%%/*} ;;
        *) to="" ;;   # generated headers (viewer_assets.h) live in the build folder
        esac
        [ -n "$to" ] || continue
        them=$(rank "$to")
        if [ "$them" -lt 0 ] || [ "$them" -gt "$me" ]; then
            echo "$f:$n: $layer includes $inc (a higher layer: $ORDER)"
        fi
    done
done >"${TMPDIR:-/tmp}/argen-layers.$$"
# The core has no clock and opens no file: timing and I/O are observers' work.
grep -n -E '\b(clock_gettime|gettimeofday|now_seconds|fopen|mmap)\b|#[[:space:]]*include[[:space:]]*<(time|sys/time|sys/mman)\.h>' \
    "$SRC"/core/*.c "$SRC"/core/*.h 2>/dev/null | sed 's/$/  (core: no clock, no files)/' >>"${TMPDIR:-/tmp}/argen-layers.$$"
if [ -s "${TMPDIR:-/tmp}/argen-layers.$$" ]; then cat "${TMPDIR:-/tmp}/argen-layers.$$"; bad=1; fi
rm -f "${TMPDIR:-/tmp}/argen-layers.$$"
[ "$bad" -eq 0 ] && echo "check-layers: every include points down ($ORDER)"
exit $bad
