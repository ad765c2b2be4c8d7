#!/usr/bin/env bash
# Infra checks (make test-infra): the generated files are current; cfn-lint and the SAM translator
# (`sam validate`) pass on every SAM template (template.yaml, its nested stacks infra/sam/*.yaml, and the
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
templates=(template.yaml infra/sam/*.yaml)
# A previewed template equal to its committed one (every consumer of its stack is wired) adds
# nothing to lint: only the ones that differ join the list.
for f in "$preview/template.yaml" "$preview"/infra/sam/*.yaml; do
  cmp -s "$f" "${f#"$preview"/}" || templates+=("$f")
done

# The CDK synth (node) runs beside cfn-lint and sam validate (python): one core each.
out="$PWD/target/infra/cdk.out"
rm -rf "$out"
(cd infra/cdk && npx tsc --noEmit && npx cdk synth --quiet --no-notices -c synthOnly=true -o "$out") \
  >target/infra/cdk-synth.log 2>&1 &
synth=$!
trap 'kill "$synth" 2>/dev/null || true' EXIT

step "cfn-lint (${#templates[@]} templates, one process; nested-stack parameters checked against each child)"
echo "previewed templates that differ from the committed ones: $(( ${#templates[@]} - $(ls infra/sam/*.yaml | wc -l) - 1 ))"
cfn-lint "${templates[@]}"

step "sam validate (the SAM translator, as \`sam validate\` runs it) and resource counts after the transform"
# `sam validate --lint` only runs cfn-lint (samcli/commands/validate/validate.py), which the step
# above did on every template; plain `sam validate` runs the SAM translator, asking IAM for
# managed-policy ARNs (so it needs AWS credentials). Run the same validator here, offline, with
# an empty managed-policy map (the templates name no managed policies by short name), and count
# what CloudFormation counts in each translated template.
.venv/bin/python - "$STACK_CAP" "${templates[@]}" <<'PY'
import sys, logging, yaml
from samcli.lib.translate.sam_template_validator import SamTemplateValidator
from samcli.yamlhelper import yaml_parse

logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" chatter
cap, paths = int(sys.argv[1]), sys.argv[2:]

class NoManagedPolicies:
    def load(self):
        return {}

worst, failed = 0, []
for p in paths:
    t = yaml_parse(open(p).read())
    if "Transform" in t:
        try:
            t = yaml_parse(SamTemplateValidator(t, NoManagedPolicies(), region="us-east-1").get_translated_template_if_valid())
        except Exception as e:  # InvalidSamDocumentException and friends: the translator's findings
            print(f"{p}: invalid SAM template: {e}", file=sys.stderr)
            failed.append(p)
            continue
    n = len(t["Resources"])
    worst = max(worst, n)
    print(f"  {n:4d}  {p}")
    if n >= cap:
        sys.exit(f"{p}: {n} resources after the SAM transform (cap {cap})")
if failed:
    sys.exit("sam validate failed: " + " ".join(failed))
print(f"largest stack: {worst} resources (cap {cap}; CloudFormation allows 500); sam validate: {len(paths)} templates valid")
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
