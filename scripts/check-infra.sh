#!/usr/bin/env bash
# Infra checks (make test-infra): the generated files are current; cfn-lint and `sam validate
# --lint` pass on every SAM template (template.yaml, its nested stacks infra/sam/*.yaml, and the
# same set previewed with every planned consumer wired); every stack, counted after the SAM
# transform, stays under the resource cap; the CDK app (root and nested stacks) synthesizes
# offline with cdk-nag AwsSolutions clean (every acknowledgement carries a reason); and
# tests/tests/api/infra_drift.rs compares both stack trees with the route table and checks each
# function's policy is exactly what its grants allow.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" SAM_CLI_TELEMETRY=0 CDK_DISABLE_CLI_TELEMETRY=true
for tool in cfn-lint sam; do
  command -v "$tool" >/dev/null || { echo "check-infra: $tool not found: run 'make test-deps'" >&2; exit 1; }
done
[[ -d infra/cdk/node_modules ]] || { echo "check-infra: infra/cdk/node_modules missing: run 'make test-deps'" >&2; exit 1; }

# Every stack (root or nested) stays under this many resources; CloudFormation allows 500.
STACK_CAP=300

step() { printf '\n== %s\n' "$*"; }
t0=$(date +%s)

step "generated files are current (cargo xtask check)"
cargo xtask check

mkdir -p target/infra
preview=target/infra/preview
rm -rf "$preview"
cargo run -q -p xtask --bin template-preview "$preview" >/dev/null
templates=(template.yaml infra/sam/*.yaml "$preview/template.yaml" "$preview"/infra/sam/*.yaml)

# The CDK synth (node) runs beside cfn-lint and sam validate (python): one core each.
out="$PWD/target/infra/cdk.out"
rm -rf "$out"
(cd infra/cdk && npx tsc --noEmit && npx cdk synth --quiet --no-notices -c synthOnly=true -o "$out") \
  >target/infra/cdk-synth.log 2>&1 &
synth=$!
trap 'kill "$synth" 2>/dev/null || true' EXIT

step "cfn-lint (${#templates[@]} templates, one process; nested-stack parameters checked against each child)"
cfn-lint "${templates[@]}"

step "sam validate --lint and resource counts after the SAM transform (two interpreters)"
# `sam validate --lint` per template, in two forked Python processes (SAM CLI's start-up
# dominates a process per template; by now the CDK synth is done, so both cores are free);
# then each template through the SAM translator, counting what CloudFormation counts.
.venv/bin/python - "$STACK_CAP" "${templates[@]}" <<'PY'
import sys, copy, logging, yaml
from multiprocessing import Pool
from samcli.cli.main import cli
from samtranslator.translator.transform import transform

cap, paths = int(sys.argv[1]), sys.argv[2:]

def validate(p):
    """The template's path if `sam validate --lint` refused it, else None."""
    try:
        cli.main(["validate", "--lint", "-t", p], prog_name="sam", standalone_mode=False)
    except SystemExit as e:
        return p if e.code else None
    except Exception as e:  # click/sam user errors
        print(f"{p}: {e}", file=sys.stderr)
        return p
    return None

with Pool(2) as pool:
    failed = [p for p in pool.map(validate, paths, chunksize=1) if p]
if failed:
    sys.exit("sam validate --lint failed: " + " ".join(failed))

logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" chatter

class NoManagedPolicies:
    def load(self):
        return {}

worst = 0
for p in paths:
    t = yaml.safe_load(open(p))
    if "Transform" in t:
        t = copy.deepcopy(t)
        for r in t["Resources"].values():
            if r["Type"] == "AWS::Serverless::Function":
                r["Properties"]["CodeUri"] = "s3://bucket/bootstrap.zip"  # as sam package rewrites it
        t = transform(t, {}, NoManagedPolicies())
    n = len(t["Resources"])
    worst = max(worst, n)
    print(f"  {n:4d}  {p}")
    if n >= cap:
        sys.exit(f"{p}: {n} resources after the SAM transform (cap {cap})")
print(f"largest stack: {worst} resources (cap {cap}; CloudFormation allows 500)")
PY

step "cdk synth with cdk-nag AwsSolutions (root and nested stacks; synthOnly: no function zip needed)"
rc=0
wait "$synth" || rc=$?
grep -v 'Unknown user config "nodedir"' target/infra/cdk-synth.log || true
[[ $rc -eq 0 ]] || { echo "check-infra: cdk synth failed (cdk-nag findings above)" >&2; exit 1; }
# Every acknowledgement must say why, in the root stack and in every nested stack. Nested stacks
# are not artifacts of their own: their constructs' metadata sits in the root's, under the nested
# stack's path (/ClearView/JobsStack/...); read every artifact's metadata, inline or in its file.
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1], stacks = process.argv.slice(2);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  const md = {};
  for (const a of Object.values(manifest.artifacts || {})) {
    Object.assign(md, a.metadata || {});
    if (a.additionalMetadataFile) Object.assign(md, JSON.parse(fs.readFileSync(path.join(dir, a.additionalMetadataFile), "utf8")));
  }
  const seen = new Map(), bad = [], perStack = new Map(stacks.map((s) => [s, 0]));
  for (const [p, entries] of Object.entries(md)) {
    for (const e of entries) {
      if (e.type !== "aws:cdk:acknowledged-rules") continue;
      const stack = p.split("/")[2];
      for (const [id, reason] of Object.entries(e.data || {})) {
        if (!reason || String(reason).trim().length < 30) bad.push(`${p} ${id}`);
        const key = id.replace(/^Annotation::/, "");
        seen.set(key, (seen.get(key) || 0) + 1);
        if (perStack.has(stack)) perStack.set(stack, perStack.get(stack) + 1);
      }
    }
  }
  if (bad.length) { console.error("acknowledgements without a specific reason:\n" + bad.join("\n")); process.exit(1); }
  // Every nested stack has IAM5 (X-Ray) acknowledgements at least: none means its metadata was not read.
  const unread = [...perStack].filter(([, n]) => n === 0).map(([s]) => s);
  if (unread.length) { console.error("no acknowledgements found in nested stacks: " + unread.join(", ")); process.exit(1); }
  console.log(`cdk-nag AwsSolutions: no unacknowledged findings in the root and ${perStack.size} nested stacks; acknowledgements (each with a reason):`);
  for (const [id, n] of [...seen].sort()) console.log(`  ${n} x ${id}`);
' "$out" $(node -e 'for (const s of require("./infra/manifest.json").stacks) console.log(s.id)')

step "drift and least privilege (tests/tests/api/infra_drift.rs)"
CDK_TEMPLATE="$out/ClearView.template.json" cargo test -q -p clearview-tests --test api infra_drift::

echo
echo "check-infra: all infra checks passed in $(( $(date +%s) - t0 )) s"
