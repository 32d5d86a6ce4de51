#!/bin/sh
# Installs what `make test` needs and is missing, with apt-get (through sudo
# when not root).  Prints nothing when everything is already there.
set -e
need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in check pkg-config graphviz gifsicle qpdf gdb valgrind clang clang-tidy libclang-rt-14-dev cppcheck unicode-data \
         python3-numpy python3-jsonschema python3-matplotlib python3-nbclient python3-nbformat python3-ipykernel \
         chromium firefox-esr; do
    have_pkg "$p" || need="$need $p"
done
# Node.js may come from elsewhere than Debian (then its npm is not a Debian package).
command -v node >/dev/null 2>&1 || need="$need nodejs"
command -v npm >/dev/null 2>&1 || need="$need npm"
[ -z "$need" ] && exit 0
echo "installing:$need"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
