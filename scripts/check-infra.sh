#!/usr/bin/env bash
# Infra checks (make test-infra): the generated files are current, cfn-lint and `sam validate
# --lint` pass on template.yaml (and on its preview with every planned consumer wired), the CDK
# app synthesizes offline with cdk-nag AwsSolutions clean (every acknowledgement carries a
# reason), and tests/tests/infra_drift.rs compares both templates with the route table and
# checks each function's policy is exactly what its grants allow.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" SAM_CLI_TELEMETRY=0 CDK_DISABLE_CLI_TELEMETRY=true
for tool in cfn-lint sam; do
  command -v "$tool" >/dev/null || { echo "check-infra: $tool not found: run 'make test-deps'" >&2; exit 1; }
done
[[ -d infra/cdk/node_modules ]] || { echo "check-infra: infra/cdk/node_modules missing: run 'make test-deps'" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }
t0=$(date +%s)

step "generated files are current (cargo xtask check)"
cargo xtask check

step "cfn-lint"
mkdir -p target/infra
cargo run -q -p xtask --bin template-preview >target/infra/template-all-consumers.yaml
cfn-lint template.yaml target/infra/template-all-consumers.yaml

step "sam validate --lint"
sam validate --lint -t template.yaml
sam validate --lint -t target/infra/template-all-consumers.yaml

step "cdk synth with cdk-nag AwsSolutions (synthOnly: no function zips needed)"
out="$PWD/target/infra/cdk.out"
rm -rf "$out"
rc=0
(cd infra/cdk && npx tsc --noEmit && npx cdk synth --quiet --no-notices -c synthOnly=true -o "$out") \
  >target/infra/cdk-synth.log 2>&1 || rc=$?
grep -v 'Unknown user config "nodedir"' target/infra/cdk-synth.log || true
[[ $rc -eq 0 ]] || { echo "check-infra: cdk synth failed (cdk-nag findings above)" >&2; exit 1; }
# Every acknowledgement must say why.
node -e '
  const fs = require("fs");
  const md = JSON.parse(fs.readFileSync(process.argv[1] + "/ClearView.metadata.json", "utf8"));
  const seen = new Map(), bad = [];
  for (const [path, entries] of Object.entries(md)) {
    for (const e of entries) {
      if (e.type !== "aws:cdk:acknowledged-rules") continue;
      for (const [id, reason] of Object.entries(e.data || {})) {
        if (!reason || String(reason).trim().length < 30) bad.push(`${path} ${id}`);
        const key = id.replace(/^Annotation::/, "");
        seen.set(key, (seen.get(key) || 0) + 1);
      }
    }
  }
  if (bad.length) { console.error("acknowledgements without a specific reason:\n" + bad.join("\n")); process.exit(1); }
  console.log("cdk-nag AwsSolutions: no unacknowledged findings; acknowledgements (each with a reason):");
  for (const [id, n] of [...seen].sort()) console.log(`  ${n} x ${id}`);
' "$out"

step "drift and least privilege (tests/tests/infra_drift.rs)"
CDK_TEMPLATE="$out/ClearView.template.json" cargo test -q -p clearview-tests --test infra_drift

echo
echo "check-infra: all infra checks passed in $(( $(date +%s) - t0 )) s"
