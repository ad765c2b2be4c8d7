#!/usr/bin/env bash
# Installs the test toolchain, idempotently: the Debian packages the embedded default runs
# (scripts/system-deps.sh: ClamAV, Tesseract, poppler), a Python venv at .venv with pinned
# moto[server], cfn-lint and aws-sam-cli, and the CDK app's node modules (npm ci). A warm run only compares
# versions and a lockfile hash, so it takes seconds. Fails loudly if anything cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pins: bump here (one place). pip's "==" pins the tool; its own deps resolve at install time.
PY_PINS=(
  "moto[server]==5.2.5"
  "cfn-lint==1.58.0"
  "aws-sam-cli==1.170.0"
  "schemathesis==4.32.5"
)
VENV=.venv
CDK_DIR=infra/cdk

die() { echo "test-deps: $*" >&2; exit 1; }
# Debian packages (dpkg -s first, apt-get only if missing): the malware scanner and the OCR engine.
bash scripts/system-deps.sh || die "the Debian packages could not be installed (scripts/system-deps.sh, above)"
command -v python3 >/dev/null || die "python3 is required (3.9+)"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "test-deps: creating $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi
py="$VENV/bin/python"

# Which pins are not installed at exactly that version? (one interpreter start, no network)
missing=$("$py" - "${PY_PINS[@]}" <<'PY'
import sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    dist = name.split("[")[0]
    try:
        have = metadata.version(dist)
    except metadata.PackageNotFoundError:
        have = None
    if have != want:
        print(spec)
PY
)
if [[ -n "$missing" ]]; then
  mapfile -t todo <<<"$missing"
  echo "test-deps: installing ${todo[*]}"
  "$py" -m pip install --disable-pip-version-check -q --upgrade pip >/dev/null || die "cannot upgrade pip"
  "$py" -m pip install --disable-pip-version-check -q "${todo[@]}" || die "pip install ${todo[*]} failed"
fi
for bin in moto_server cfn-lint sam; do
  [[ -x "$VENV/bin/$bin" ]] || die "$VENV/bin/$bin is missing after install"
done

# CDK node modules: npm ci when node_modules is missing or package-lock.json changed since.
if [[ -f "$CDK_DIR/package-lock.json" ]]; then
  command -v npm >/dev/null || die "npm is required for the CDK app ($CDK_DIR)"
  stamp="$CDK_DIR/node_modules/.clearview-lock.sha256"
  want=$(sha256sum "$CDK_DIR/package-lock.json" | cut -d' ' -f1)
  if [[ ! -d "$CDK_DIR/node_modules" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "test-deps: npm ci in $CDK_DIR"
    (cd "$CDK_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $CDK_DIR"
    echo "$want" >"$stamp"
  fi
fi
echo "test-deps: ok (moto $("$py" -c 'from importlib.metadata import version; print(version("moto"))'), $("$VENV/bin/cfn-lint" --version), $("$VENV/bin/sam" --version))"
