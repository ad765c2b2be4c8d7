#!/usr/bin/env bash
# Builds every Lambda (the clearview-functions binaries) with cargo lambda, release, zipped:
# target/lambda/<name>/bootstrap.zip. Then prints each zip's size, the largest and the median.
#
#   ARCH=arm64 (default) | x86_64   — arm64 cross-builds through zig (installed into .venv with
#                                     cargo-lambda); use ARCH=x86_64 if your toolchain cannot,
#                                     and deploy with Architecture=x86_64 to match.
#   BINS="auth-login jobs-get"       — build only these.
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

bins=()
if [[ -n "${BINS:-}" ]]; then
  read -r -a bins <<<"$BINS"
else
  # Every [[bin]] of the functions crate (generated from the route table).
  mapfile -t bins < <(sed -n 's/^name = "\(.*\)"$/\1/p' functions/Cargo.toml | grep -vx clearview-functions)
fi
[[ ${#bins[@]} -gt 0 ]] || die "no function binaries found in functions/Cargo.toml"
bin_flags=()
for b in "${bins[@]}"; do bin_flags+=(--bin "$b"); done

echo "build-lambdas: ${#bins[@]} functions, $ARCH, release"
start=$(date +%s)
cargo lambda build --release "$arch_flag" --output-format zip -p clearview-functions "${bin_flags[@]}" \
  || die "cargo lambda build failed (on a cross-compile error, try ARCH=x86_64)"
echo "build-lambdas: built in $(( $(date +%s) - start )) s"

sizes=()
for b in "${bins[@]}"; do
  zip="target/lambda/$b/bootstrap.zip"
  [[ -f "$zip" ]] || die "missing $zip"
  s=$(stat -c %s "$zip")
  sizes+=("$s $b")
  printf '  %-34s %8s\n' "$b" "$(mb "$s")"
done
mapfile -t sorted < <(printf '%s\n' "${sizes[@]}" | sort -n)
n=${#sorted[@]}
largest=${sorted[$((n - 1))]}
median=${sorted[$((n / 2))]}
echo "build-lambdas: $n zips; largest ${largest#* } ($(mb "${largest%% *}")); median $(mb "${median%% *}")"
