#!/usr/bin/env bash
# Installs the Debian packages the embedded default runs, idempotently: `dpkg -s` first, and
# `apt-get update` + install only for what is missing (a warm run takes milliseconds, no
# network). `make run` and `make test` (scripts/test-deps.sh) both call it.
#   clamav                          clamscan: every upload is scanned before it is parsed
#   tesseract-ocr tesseract-ocr-eng OCR of scanned resumes (PNG, JPEG, image-only PDFs)
#   poppler-utils                   pdftoppm renders an image-only PDF's pages for Tesseract
# Usage: bash scripts/system-deps.sh [PACKAGE...]   (no arguments: the list above)
# Without apt (not Debian/Ubuntu) it says what to install and fails.
set -euo pipefail

if (($#)); then PKGS=("$@"); else PKGS=(clamav tesseract-ocr tesseract-ocr-eng poppler-utils); fi

die() { echo "system-deps: $*" >&2; exit 1; }
missing=()
for pkg in "${PKGS[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null ||
    die "missing ${missing[*]}, and apt-get is not available: install them (ClamAV, Tesseract 4+ with English data, poppler's pdftoppm) with this system's package manager"
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
fi
if ((! $#)); then
  for bin in clamscan tesseract pdftoppm; do
    command -v "$bin" >/dev/null || die "$bin is missing after install"
  done
fi
