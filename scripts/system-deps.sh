#!/usr/bin/env bash
# Installs Debian packages the project needs, idempotently: `dpkg -s` first, and `apt-get
# update` + install only for what is missing (a warm run takes milliseconds).
# Usage: bash scripts/system-deps.sh PACKAGE...   (e.g. clamav: the embedded malware scanner)
set -euo pipefail

die() { echo "system-deps: $*" >&2; exit 1; }
missing=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command -v apt-get >/dev/null || die "missing ${missing[*]}, and apt-get is not available: install them by hand"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "missing ${missing[*]}: run as root or install sudo"
  sudo=(sudo)
fi
echo "system-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq || die "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || die "apt-get install ${missing[*]} failed"
for pkg in "${missing[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || die "$pkg is still not installed"
done
