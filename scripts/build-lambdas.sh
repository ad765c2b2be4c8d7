#!/usr/bin/env bash
# Builds the Lambda bootstrap (one binary for every route and consumer) with cargo lambda,
# release, zipped: target/lambda/clearview/bootstrap.zip, which every function of the stack
# deploys with its own name as its Handler. Prints the build time and the zip's size.
#
#   ARCH=arm64 (default) | x86_64   — arm64 cross-builds through zig (installed into .venv with
#                                     cargo-lambda); use ARCH=x86_64 if your toolchain cannot,
#                                     and deploy with Architecture=x86_64 to match.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH="${ARCH:-arm64}"
CARGO_LAMBDA_PIN="cargo-lambda==1.9.2"
ZIG_PIN="ziglang==0.13.0"

die() { echo "build-lambdas: $*" >&2; exit 1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1048576 }'; }
case "$ARCH" in
  arm64) arch_flag=--arm64 ;;
  x86_64) arch_flag=--x86-64 ;;
  *) die "ARCH must be arm64 or x86_64 (got $ARCH)" ;;
esac

# cargo-lambda and zig (its cross linker) live in the project venv, like the test tools.
if [[ ! -x .venv/bin/cargo-lambda ]] || [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c "import ziglang" 2>/dev/null; then
  [[ -x .venv/bin/python ]] || python3 -m venv .venv || die "python3 -m venv failed"
  echo "build-lambdas: installing $CARGO_LAMBDA_PIN $ZIG_PIN into .venv"
  .venv/bin/python -m pip install --disable-pip-version-check -q "$CARGO_LAMBDA_PIN" "$ZIG_PIN" || die "pip install cargo-lambda failed"
fi
export PATH="$PWD/.venv/bin:$PATH"

# One build: the multi-call bootstrap serves every route and consumer (each function's Handler
# names which), so every function deploys the same zip.
echo "build-lambdas: one bootstrap for every function, $ARCH, release"
start=$(date +%s)
cargo lambda build --release "$arch_flag" --output-format zip -p clearview-functions --bin bootstrap \
  || die "cargo lambda build failed (on a cross-compile error, try ARCH=x86_64)"
echo "build-lambdas: built in $(( $(date +%s) - start )) s"
mkdir -p target/lambda/clearview
cp target/lambda/bootstrap/bootstrap.zip target/lambda/clearview/bootstrap.zip
size=$(stat -c %s target/lambda/clearview/bootstrap.zip)
n=$(cargo run -q -p xtask --bin function-count 2>/dev/null || echo "?")
echo "build-lambdas: target/lambda/clearview/bootstrap.zip $(mb "$size"), shared by $n functions"
