#!/usr/bin/env bash
# Installs the embedded OCR engine, idempotently: Debian's tesseract-ocr (with its English data,
# tesseract-ocr-eng) and poppler-utils (pdftoppm renders image-only PDF pages for it). A warm run
# asks dpkg only (no network); `apt-get update` runs only when something is missing. `make run`
# and `make test` both call it. Without apt (not Debian/Ubuntu) it says what to install and fails.
set -euo pipefail

PKGS=(tesseract-ocr tesseract-ocr-eng poppler-utils)

die() { echo "ocr-deps: $*" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  command -v apt-get >/dev/null ||
    die "no apt-get here: install ${missing[*]} (Tesseract 4+ with English data, and poppler's pdftoppm) with this system's package manager"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "installing ${missing[*]} needs root (or sudo)"
    sudo=(sudo)
  fi
  echo "ocr-deps: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi

for bin in tesseract pdftoppm; do
  command -v "$bin" >/dev/null || die "$bin is missing after install"
done
echo "ocr-deps: ok ($(tesseract --version 2>&1 | head -n1), $(pdftoppm -v 2>&1 | head -n1))"
