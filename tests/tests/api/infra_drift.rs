//! Infra drift: the SAM templates (template.yaml and its nested stacks under infra/sam/) and the
//! CDK app's synthesized root and nested templates declare exactly the route table's functions,
//! routes (method + path), auth (public vs JWT), triggers and queues, the table of
//! `table_definition()`, put every function in exactly one nested stack, and give each function
//! exactly the policy its grants allow.
//!
//! The SAM files are checked byte for byte against their generator, then read through the
//! generator's value trees (the files are those trees rendered; cfn-lint and `sam validate` parse
//! the files themselves). The CDK templates are synthesized fresh (`npx cdk synth -c
//! synthOnly=true`), or read from `$CDK_TEMPLATE` when scripts/check-infra.sh has just
//! synthesized them. Each tree is then flattened: every nested resource is merged into one
//! resource map with its parameters replaced by what the root passes, so a nested stack's
//! `Ref: TableArn` reads as the root's `Fn::GetAtt: [Table, Arn]` and the checks below see one
//! stack, whichever way it is split.

use clearview_aws::table::table_definition;
use clearview_http::routes::{Access, Grant, ROUTES};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use xtask::consumers::{CONSUMERS, QUEUES};
use xtask::infra::{self, FnTrigger, Infra};

/// Every stack, root or nested, stays under this many resources (CloudFormation allows 500).
const STACK_CAP: usize = 300;

fn root() -> PathBuf {
    xtask::root()
}

/// A stack tree flattened: all resources in one map, and which nested stack each came from.
struct Flat {
    t: Value,
    stack_of: BTreeMap<String, String>,
    /// Resource counts per template (root first), as CloudFormation would count them.
    counts: Vec<(String, usize)>,
}

/// Replaces a nested template's parameters with the values its parent passes.
fn substitute(v: &Value, params: &Map<String, Value>) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            if let Some(p) = m.get("Ref").and_then(Value::as_str).and_then(|p| params.get(p)) {
                return p.clone();
            }
            if let Some(text) = m.get("Fn::Sub").and_then(Value::as_str) {
                let mut out = text.to_owned();
                for (name, value) in params {
                    let with = if let Some(id) = value.get("Ref").and_then(Value::as_str) {
                        format!("${{{id}}}")
                    } else if let Some(a) = value.get("Fn::GetAtt").and_then(Value::as_array) {
                        format!("${{{}.{}}}", a[0].as_str().unwrap(), a[1].as_str().unwrap())
                    } else if let Some(s) = value.as_str() {
                        s.to_owned()
                    } else {
                        continue;
                    };
                    out = out.replace(&format!("${{{name}}}"), &with);
                }
                return serde_json::json!({ "Fn::Sub": out });
            }
            Value::Object(m.iter().map(|(k, x)| (k.clone(), substitute(x, params))).collect())
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), substitute(x, params))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, params)).collect()),
        other => other.clone(),
    }
}

/// Merges each nested stack (loaded by `child` from its root resource) into the root.
/// `child` loads a nested stack's template and its resource count from the root's resource.
fn flatten(root_t: Value, root_count: usize, child: impl Fn(&str, &Value) -> (Value, usize)) -> Flat {
    let mut merged = root_t.clone();
    let mut stack_of = BTreeMap::new();
    let mut counts = vec![("root".to_owned(), root_count)];
    let stacks: Vec<(String, Value)> = root_t["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudFormation::Stack")
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect();
    assert!(!stacks.is_empty(), "no nested stacks");
    for (id, stack) in stacks {
        let (nested, n) = child(&id, &stack);
        counts.push((id.clone(), n));
        let params = stack["Properties"]["Parameters"].as_object().cloned().unwrap_or_default();
        let declared: BTreeSet<&String> =
            nested["Parameters"].as_object().map(|p| p.keys().collect()).unwrap_or_default();
        let passed: BTreeSet<&String> = params.keys().collect();
        assert_eq!(declared, passed, "{id}: parameters declared and passed differ");
        let res = merged["Resources"].as_object_mut().unwrap();
        for (rid, r) in nested["Resources"].as_object().expect("nested Resources") {
            if r["Type"] == "AWS::CDK::Metadata" {
                continue; // CDK's version report, one per stack
            }
            let prev = res.insert(rid.clone(), substitute(r, &params));
            assert!(prev.is_none(), "{rid} is declared twice (again in {id})");
            stack_of.insert(rid.clone(), id.clone());
        }
    }
    Flat { t: merged, stack_of, counts }
}

/// The SAM templates (root and nested), flattened.
fn sam_flat() -> &'static Flat {
    static T: OnceLock<Flat> = OnceLock::new();
    T.get_or_init(|| {
        let infra = Infra::current(false);
        // Counted after the SAM transform (a function's events add resources).
        let by_path: BTreeMap<String, (Value, usize)> = infra
            .templates()
            .into_iter()
            .map(|(p, t)| (p.display().to_string(), (t.to_json(), infra::expanded_resource_count(t))))
            .collect();
        flatten(infra.root.to_json(), infra::expanded_resource_count(&infra.root), |id, r| {
            let url = r["Properties"]["TemplateURL"].as_str().unwrap_or_else(|| panic!("{id}: TemplateURL"));
            by_path.get(url).unwrap_or_else(|| panic!("{id}: {url} is not generated")).clone()
        })
    })
}

fn sam() -> &'static Value {
    &sam_flat().t
}

/// The CDK app's synthesized templates, flattened.
fn cdk_flat() -> &'static Flat {
    static T: OnceLock<Flat> = OnceLock::new();
    T.get_or_init(|| {
        let file = match std::env::var_os("CDK_TEMPLATE") {
            Some(f) => PathBuf::from(f),
            None => synth_cdk(),
        };
        let read = |file: &Path| -> Value {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()))
        };
        let dir = file.parent().unwrap().to_owned();
        let count = |t: &Value| t["Resources"].as_object().map_or(0, Map::len);
        let root_t = read(&file);
        let root_count = count(&root_t);
        flatten(root_t, root_count, |id, r| {
            let asset = r["Metadata"]["aws:asset:path"].as_str().unwrap_or_else(|| panic!("{id}: aws:asset:path"));
            let t = read(&dir.join(asset));
            let n = count(&t);
            (t, n)
        })
    })
}

fn cdk() -> &'static Value {
    &cdk_flat().t
}

fn synth_cdk() -> PathBuf {
    let dir = root().join("infra/cdk");
    assert!(
        dir.join("node_modules").is_dir(),
        "infra/cdk/node_modules is missing: run `make test-deps` (npm ci) so the CDK app can be synthesized"
    );
    let out = root().join("target/infra/cdk.out.drift");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new("npx")
        .args(["cdk", "synth", "--quiet", "--no-notices", "-c", "synthOnly=true", "-o"])
        .arg(&out)
        .current_dir(&dir)
        .env("CDK_DISABLE_CLI_TELEMETRY", "true")
        .status()
        .unwrap_or_else(|e| panic!("cannot run npx cdk synth: {e}"));
    assert!(status.success(), "npx cdk synth failed in infra/cdk (run it there to see why)");
    out.join("ClearView.template.json")
}

fn resources<'a>(t: &'a Value, kind: &str) -> BTreeMap<&'a str, &'a Value> {
    t["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// `{Ref: X}` / `{Fn::GetAtt: [X, _]}` → X.
fn referenced(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str).or_else(|| v.get("Fn::GetAtt").and_then(|a| a[0].as_str()))
}

/// What the route table says every HTTP function is: (logical-id stem, method, path, public).
fn expected_http() -> BTreeSet<(String, String, String, bool)> {
    ROUTES
        .iter()
        .map(|r| (infra::pascal(r.name), r.method.to_owned(), r.path.to_owned(), r.access == Access::Public))
        .collect()
}

#[test]
fn generated_files_match_the_route_table() {
    let drift = xtask::drift();
    assert!(drift.is_empty(), "out of date (run `cargo xtask gen`): {drift:?}");
}

#[test]
fn cursor_secret_variable_is_the_one_the_functions_read() {
    let lib = std::fs::read_to_string(root().join("functions/src/lib.rs")).expect("functions/src/lib.rs");
    let decl = format!("pub const CURSOR_SECRET: &str = \"{}\";", infra::CURSOR_SECRET_ENV);
    assert!(lib.contains(&decl), "functions/src/lib.rs must declare `{decl}`");
}

/// The HTTP routes a template declares (explicit `AWS::ApiGatewayV2::Route`s, in SAM as in CDK):
/// (function logical-id stem, method, path, public).
fn http_routes(name: &str, t: &Value) -> BTreeSet<(String, String, String, bool)> {
    let integrations = resources(t, "AWS::ApiGatewayV2::Integration");
    let mut http = BTreeSet::new();
    for (rid, r) in resources(t, "AWS::ApiGatewayV2::Route") {
        let p = &r["Properties"];
        assert_eq!(referenced(&p["ApiId"]), Some("HttpApi"), "{name}: {rid}");
        let (method, path) = p["RouteKey"].as_str().unwrap().split_once(' ').unwrap();
        // `Fn::Sub: integrations/${X}` (SAM) or `Fn::Join: ["", ["integrations/", {Ref: X}]]` (CDK).
        let integration = match p["Target"].get("Fn::Sub").and_then(Value::as_str) {
            Some(s) => s.strip_prefix("integrations/${").and_then(|s| s.strip_suffix('}')).expect("target"),
            None => p["Target"]["Fn::Join"][1][1]["Ref"].as_str().expect("route target integration"),
        };
        let ip = &integrations[integration]["Properties"];
        assert_eq!(ip["IntegrationType"], "AWS_PROXY", "{name}: {rid}");
        assert_eq!(ip["PayloadFormatVersion"], "2.0", "{name}: {rid}");
        let function = referenced(&ip["IntegrationUri"]).unwrap();
        let id = function.strip_suffix("Function").expect("function logical id");
        let public = match p["AuthorizationType"].as_str() {
            Some("NONE") => {
                assert!(p["AuthorizerId"].is_null(), "{name}: {rid}");
                true
            }
            Some("JWT") => {
                assert_eq!(referenced(&p["AuthorizerId"]), Some("CognitoJwtAuthorizer"), "{name}: {rid}");
                false
            }
            other => panic!("{name}: {method} {path}: authorization {other:?}"),
        };
        // API Gateway may invoke the function, through this API only.
        let invoke = resources(t, "AWS::Lambda::Permission")
            .into_values()
            .filter(|perm| {
                let pp = &perm["Properties"];
                pp["Principal"] == "apigateway.amazonaws.com" && referenced(&pp["FunctionName"]) == Some(function)
            })
            .count();
        assert_eq!(invoke, 1, "{name}: {function} invoke permission");
        http.insert((id.to_owned(), method.to_owned(), path.to_owned(), public));
    }
    http
}

#[test]
fn both_declare_one_function_per_route_with_its_method_path_and_auth() {
    for (name, t) in [("sam", sam()), ("cdk", cdk())] {
        assert_eq!(http_routes(name, t), expected_http(), "{name}");
        let auth = &resources(t, "AWS::ApiGatewayV2::Authorizer")["CognitoJwtAuthorizer"]["Properties"];
        assert_eq!(auth["AuthorizerType"], "JWT", "{name}");
        assert_eq!(referenced(&auth["ApiId"]), Some("HttpApi"), "{name}");
        assert_eq!(referenced(&auth["JwtConfiguration"]["Audience"][0]), Some("UserPoolClient"), "{name}");
        let issuer = auth["JwtConfiguration"]["Issuer"].to_string();
        assert!(issuer.contains("cognito-idp.") && issuer.contains("UserPool"), "{name}: issuer {issuer}");
    }
    let sam_fns = resources(sam(), "AWS::Serverless::Function");
    let cdk_fns = resources(cdk(), "AWS::Lambda::Function");
    let wired = CONSUMERS.len();
    assert_eq!(sam_fns.len(), ROUTES.len() + wired);
    for (id, f) in &sam_fns {
        let handler = f["Properties"]["Handler"].as_str().expect("Handler");
        assert_eq!(*id, format!("{}Function", infra::pascal(handler)));
        // One artifact for all, named relative to the template that declares the function.
        let code = f["Properties"]["CodeUri"].as_str().expect("CodeUri");
        let stack = &sam_flat().stack_of[*id];
        let template = sam()["Resources"][stack]["Properties"]["TemplateURL"].as_str().expect("TemplateURL");
        let mut file = PathBuf::new();
        for part in Path::new(template).parent().unwrap().join(code).components() {
            match part {
                std::path::Component::ParentDir => assert!(file.pop(), "{id}: {code} leaves the repository"),
                other => file.push(other),
            }
        }
        assert_eq!(file, Path::new("target/lambda/clearview/bootstrap.zip"), "{id}: {code} from {template}");
    }
    let sam_ids: BTreeSet<&str> = sam_fns.keys().copied().collect();
    let cdk_ids: BTreeSet<&str> = cdk_fns.keys().copied().collect();
    assert_eq!(cdk_ids, sam_ids, "functions differ between the CDK app and the SAM templates");
    for (id, f) in &cdk_fns {
        let handler = f["Properties"]["Handler"].as_str().expect("Handler");
        assert_eq!(*id, format!("{}Function", infra::pascal(handler)), "cdk");
        assert_eq!(f["Properties"]["Runtime"], infra::RUNTIME, "{id}");
        assert_eq!(f["Properties"]["TracingConfig"]["Mode"], "Active", "{id}");
        assert!(f["Properties"]["LoggingConfig"]["LogGroup"].is_object(), "{id}: explicit log group");
    }
}

#[test]
fn every_function_is_in_exactly_one_nested_stack_the_same_in_sam_and_cdk() {
    let infra = Infra::current(false);
    for (name, flat, kind) in
        [("sam", sam_flat(), "AWS::Serverless::Function"), ("cdk", cdk_flat(), "AWS::Lambda::Function")]
    {
        let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for id in resources(&flat.t, kind).keys() {
            let stack = flat.stack_of.get(*id).unwrap_or_else(|| panic!("{name}: {id} is in the root stack"));
            got.entry(stack.clone()).or_default().insert((*id).to_owned());
        }
        let want: BTreeMap<String, BTreeSet<String>> = infra
            .stacks
            .iter()
            .map(|s| (s.id.clone(), s.functions.iter().map(|f| format!("{}Function", f.id)).collect()))
            .collect();
        assert_eq!(got, want, "{name}: functions by nested stack");
        // Each route's integration, route and permission live beside its function.
        for r in ROUTES.iter() {
            let id = infra::pascal(r.name);
            for part in [
                "Role",
                "LogGroup",
                "ErrorsAlarm",
                "LatencyAlarm",
                "ThrottlesAlarm",
                "Integration",
                "Route",
                "Permission",
            ] {
                assert_eq!(
                    flat.stack_of.get(&format!("{id}{part}")),
                    flat.stack_of.get(&format!("{id}Function")),
                    "{name}: {id}{part}"
                );
            }
        }
    }
}

#[test]
fn every_stack_stays_under_the_resource_cap_in_sam_and_cdk() {
    for (name, flat) in [("sam", sam_flat()), ("cdk", cdk_flat())] {
        for (stack, n) in &flat.counts {
            assert!(*n < STACK_CAP, "{name}: {stack} has {n} resources (cap {STACK_CAP})");
        }
        println!("{name}: {:?}", flat.counts);
    }
}

#[test]
fn both_templates_declare_the_same_queues_with_dead_letter_queues_and_alarms() {
    for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
        let queues = resources(t, "AWS::SQS::Queue");
        let want: BTreeSet<String> =
            QUEUES.iter().flat_map(|q| [infra::queue_id(q.name), infra::dlq_id(q.name)]).collect();
        let got: BTreeSet<String> = queues.keys().map(|k| (*k).to_owned()).collect();
        assert_eq!(got, want, "{name}: queues");
        let alarms = resources(t, "AWS::CloudWatch::Alarm");
        for q in QUEUES {
            let main = &queues[infra::queue_id(q.name).as_str()]["Properties"];
            assert_eq!(referenced(&main["RedrivePolicy"]["deadLetterTargetArn"]), Some(infra::dlq_id(q.name).as_str()));
            assert_eq!(main["RedrivePolicy"]["maxReceiveCount"], q.max_receive_count, "{name}: {}", q.name);
            assert_eq!(main["SqsManagedSseEnabled"], true, "{name}: {}", q.name);
            let dlq_alarm = alarms.values().any(|a| {
                let dims = &a["Properties"]["Dimensions"];
                a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
                    && referenced(&dims[0]["Value"]) == Some(infra::dlq_id(q.name).as_str())
            });
            assert!(dlq_alarm, "{name}: no depth alarm on the {} dead-letter queue", q.name);
        }
        let functions = ROUTES.len() + CONSUMERS.iter().filter(|c| xtask::functions::names().contains(&c.name)).count();
        // Each function: errors (page), p99 duration and throttles (ticket).
        for metric in ["Errors", "Duration", "Throttles"] {
            let n = alarms.values().filter(|a| a["Properties"]["MetricName"] == metric).count();
            assert_eq!(n, functions, "{name}: function {metric} alarms");
        }
        let p99 = alarms.values().filter(|a| a["Properties"]["ExtendedStatistic"] == "p99").count();
        assert_eq!(p99, functions, "{name}: p99 duration alarms");
        let rate = &alarms.get("ApiServerErrorRateAlarm").unwrap_or_else(|| panic!("{name}: API 5xx rate alarm"))["Properties"];
        let expression = rate["Metrics"].as_array().unwrap().iter().find_map(|m| m["Expression"].as_str());
        assert!(expression.is_some_and(|e| e.contains("100 * errors / requests")), "{name}: {rate}");
    }
}

#[test]
fn both_templates_wire_the_same_consumer_triggers() {
    // SAM: SQS/Schedule events; CDK: event source mappings and rules. Today's wired consumers.
    let mut sam_triggers = BTreeSet::new();
    for (id, f) in resources(sam(), "AWS::Serverless::Function") {
        let ev = &f["Properties"]["Events"]["Trigger"];
        match ev["Type"].as_str() {
            Some("SQS") => {
                assert_eq!(ev["Properties"]["FunctionResponseTypes"][0], "ReportBatchItemFailures", "{id}");
                sam_triggers.insert((id.to_owned(), referenced(&ev["Properties"]["Queue"]).unwrap().to_owned()));
            }
            Some("Schedule") => {
                sam_triggers.insert((id.to_owned(), ev["Properties"]["Schedule"].as_str().unwrap().to_owned()));
            }
            _ => {}
        }
    }
    let mut cdk_triggers = BTreeSet::new();
    for m in resources(cdk(), "AWS::Lambda::EventSourceMapping").values() {
        let p = &m["Properties"];
        assert_eq!(p["FunctionResponseTypes"][0], "ReportBatchItemFailures");
        cdk_triggers.insert((
            referenced(&p["FunctionName"]).unwrap().to_owned(),
            referenced(&p["EventSourceArn"]).unwrap().to_owned(),
        ));
    }
    for rule in resources(cdk(), "AWS::Events::Rule").values() {
        let p = &rule["Properties"];
        let target = referenced(&p["Targets"][0]["Arn"]).unwrap().to_owned();
        cdk_triggers.insert((target, p["ScheduleExpression"].as_str().unwrap().to_owned()));
    }
    let want: BTreeSet<(String, String)> = infra::functions()
        .iter()
        .filter_map(|f| match f.trigger {
            FnTrigger::Sqs { queue, .. } => Some((format!("{}Function", f.id), infra::queue_id(queue))),
            FnTrigger::Schedule { expression } => Some((format!("{}Function", f.id), expression.to_owned())),
            FnTrigger::Http { .. } => None,
        })
        .collect();
    assert_eq!(sam_triggers, want, "template.yaml consumer triggers");
    assert_eq!(cdk_triggers, want, "CDK consumer triggers");
}

#[test]
fn both_templates_declare_the_table_of_table_definition() {
    let def = table_definition();
    for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
        let table = &resources(t, "AWS::DynamoDB::Table")["Table"]["Properties"];
        let attrs: BTreeSet<(String, String)> = table["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["AttributeName"].as_str().unwrap().to_owned(), a["AttributeType"].as_str().unwrap().to_owned()))
            .collect();
        let want: BTreeSet<(String, String)> =
            def.attribute_definitions.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
        assert_eq!(attrs, want, "{name}: attribute definitions");
        let key = |ks: &Value| {
            (ks[0]["AttributeName"].as_str().map(str::to_owned), ks[1]["AttributeName"].as_str().map(str::to_owned))
        };
        assert_eq!(key(&table["KeySchema"]), (Some(def.key.partition.into()), Some(def.key.sort.into())), "{name}");
        assert_eq!(table["KeySchema"][0]["KeyType"], "HASH");
        let gsis: BTreeMap<String, &Value> = table["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["IndexName"].as_str().unwrap().to_owned(), g))
            .collect();
        assert_eq!(gsis.len(), def.global_secondary_indexes.len(), "{name}: GSIs");
        for g in &def.global_secondary_indexes {
            let got = gsis.get(g.name).unwrap_or_else(|| panic!("{name}: GSI {} missing", g.name));
            assert_eq!(
                key(&got["KeySchema"]),
                (Some(g.key.partition.into()), Some(g.key.sort.into())),
                "{name}: {}",
                g.name
            );
            assert_eq!(got["Projection"]["ProjectionType"], g.projection, "{name}: {}", g.name);
        }
        assert_eq!(table["BillingMode"], def.billing_mode, "{name}");
        assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], def.ttl_attribute, "{name}");
        assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true, "{name}");
        assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true, "{name}");
        assert_eq!(table["SSESpecification"]["SSEEnabled"], true, "{name}");
        assert_eq!(table["DeletionProtectionEnabled"], true, "{name}");
    }
}

/// Every action a function's role allows, with the logical ids of what it names.
fn role_actions(t: &Value, role: &str) -> BTreeMap<String, BTreeSet<String>> {
    let r = &t["Resources"][role];
    assert_eq!(r["Type"], "AWS::IAM::Role", "{role}");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let policies = r["Properties"]["Policies"].as_array().cloned().unwrap_or_default();
    assert!(r["Properties"]["ManagedPolicyArns"].is_null(), "{role}: no managed policies");
    for p in policies {
        for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(s["Effect"], "Allow");
            let resources: Vec<Value> = match &s["Resource"] {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let actions: Vec<String> = match &s["Action"] {
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                Value::String(a) => vec![a.clone()],
                other => panic!("{role}: action {other}"),
            };
            for a in actions {
                assert!(!a.contains('*'), "{role}: wildcard action {a}");
                for res in &resources {
                    out.entry(a.clone()).or_default().insert(resource_name(res));
                }
            }
        }
    }
    out
}

/// A statement resource reduced to what it names: `*`, `Table`, `Table/index/*`, `UserPool`, ...
fn resource_name(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_owned();
    }
    if let Some(id) = referenced(v) {
        return id.to_owned();
    }
    if let Some(s) = v.get("Fn::Sub").and_then(Value::as_str) {
        return s.replace("${", "").replace(".Arn}", "").replace('}', "");
    }
    if let Some(parts) = v.get("Fn::Join").and_then(|j| j[1].as_array()) {
        return parts.iter().map(|p| p.as_str().map(str::to_owned).unwrap_or_else(|| resource_name(p))).collect();
    }
    panic!("unexpected resource {v}")
}

/// This deployment's integration secrets (named under the table's name), as `resource_name` reads them.
const INTEGRATION_SECRETS_ARN: &str =
    "arn:AWS::Partition:secretsmanager:AWS::Region:AWS::AccountId:secret:Table/integrations/*";

#[test]
fn no_function_is_granted_more_than_its_route_needs() {
    for route in ROUTES.iter() {
        let id = infra::pascal(route.name);
        let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut allow = |actions: &[&str], on: &[&str]| {
            for a in actions {
                want.entry((*a).to_owned()).or_default().extend(on.iter().map(|r| (*r).to_owned()));
            }
        };
        let log_group = format!("{id}LogGroup");
        allow(&["logs:CreateLogStream", "logs:PutLogEvents"], &[log_group.as_str()]);
        allow(&["xray:PutTraceSegments", "xray:PutTelemetryRecords"], &["*"]);
        // Every route counts its request in the caller's rate-limit window (one UpdateItem … ADD).
        allow(&["dynamodb:UpdateItem"], &["Table"]);
        for g in route.grants {
            match g {
                Grant::TableRead => allow(&["dynamodb:GetItem", "dynamodb:Query"], &["Table", "Table/index/*"]),
                Grant::TableWrite => allow(
                    &["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:UpdateItem"],
                    &["Table"],
                ),
                Grant::UserPoolAdmin(actions) => {
                    let full: Vec<String> = actions.iter().map(|a| format!("cognito-idp:{a}")).collect();
                    allow(&full.iter().map(String::as_str).collect::<Vec<_>>(), &["UserPool"]);
                }
                Grant::PublishEvents => allow(&["sns:Publish"], &["ApplicationEventsTopic"]),
                Grant::SendQueue(q) => allow(&["sqs:SendMessage"], &[infra::queue_id(q).as_str()]),
                Grant::ResumesWrite => allow(&["s3:PutObject"], &["ResumeBucket/uploads/*"]),
                Grant::ResumesRead => allow(&["s3:GetObject"], &["ResumeBucket/uploads/*"]),
                Grant::ResumeScanTags => allow(&["s3:GetObjectTagging"], &["ResumeBucket/uploads/*"]),
                Grant::ReportsRead => allow(&["s3:GetObject"], &["ResumeBucket/reports/*"]),
                Grant::ResourcesWrite => allow(&["s3:PutObject"], &["ResumeBucket/resources/*"]),
                Grant::ResourcesRead => allow(&["s3:GetObject"], &["ResumeBucket/resources/*"]),
                Grant::ExportsRead => allow(&["s3:GetObject"], &["ResumeBucket/exports/*"]),
                Grant::ResumesDelete => {
                    allow(&["s3:DeleteObject", "s3:DeleteObjectVersion"], &["ResumeBucket/uploads/*"]);
                    allow(&["s3:ListBucketVersions"], &["ResumeBucket"]);
                }
                // Resolved into SEALING_KEY at deploy time (checked below): no IAM action.
                Grant::SealingKey => {}
                // A parameter's value in the environment (checked below): no IAM action.
                Grant::PlatformAdminEmails => {}
                // Textract has no resource-level permissions.
                Grant::Ocr => allow(&["textract:DetectDocumentText"], &["*"]),
                Grant::IntegrationSecretsWrite => allow(
                    &[
                        "secretsmanager:CreateSecret",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:TagResource",
                        "secretsmanager:DeleteSecret",
                    ],
                    &[INTEGRATION_SECRETS_ARN],
                ),
                Grant::IntegrationSecretsRead => allow(&["secretsmanager:GetSecretValue"], &[INTEGRATION_SECRETS_ARN]),
            }
        }
        let role = format!("{id}Role");
        for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
            assert_eq!(role_actions(t, &role), want, "{name}: {} ({} {})", route.name, route.method, route.path);
            let fn_role = &t["Resources"][format!("{id}Function")]["Properties"]["Role"];
            assert_eq!(referenced(fn_role), Some(role.as_str()), "{name}: {} runs as its own role", route.name);
        }
        if route.method == "GET" {
            assert!(
                want.keys()
                    .all(|a| !a.contains("PutItem") && !a.contains("DeleteItem") && !a.starts_with("cognito-idp:"))
            );
        }
    }
}

#[test]
fn only_functions_granted_the_sealing_key_receive_it() {
    let lib = std::fs::read_to_string(root().join("functions/src/lib.rs")).expect("functions/src/lib.rs");
    assert!(lib.contains("pub const SEALING_KEY: &str = \"SEALING_KEY\";"), "functions read SEALING_KEY");
    for route in ROUTES.iter() {
        let granted = route.grants.contains(&Grant::SealingKey);
        let id = format!("{}Function", infra::pascal(route.name));
        for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
            let var = &t["Resources"][&id]["Properties"]["Environment"]["Variables"]["SEALING_KEY"];
            assert_eq!(!var.is_null(), granted, "{name}: {} SEALING_KEY", route.name);
            if granted {
                assert!(var.to_string().contains("resolve:secretsmanager"), "{name}: {var}");
                assert!(var.to_string().contains("SealingKeySecret"), "{name}: {var}");
            }
        }
    }
}

#[test]
fn only_the_register_function_is_told_who_may_bootstrap_platform_admins() {
    let mut granted_any = false;
    for route in ROUTES.iter() {
        let granted = route.grants.contains(&Grant::PlatformAdminEmails);
        granted_any |= granted;
        let id = format!("{}Function", infra::pascal(route.name));
        for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
            let var = &t["Resources"][&id]["Properties"]["Environment"]["Variables"]["PLATFORM_ADMIN_EMAILS"];
            assert_eq!(!var.is_null(), granted, "{name}: {} PLATFORM_ADMIN_EMAILS", route.name);
            if granted && name == "template.yaml" {
                assert!(var.to_string().contains("PlatformAdminEmails"), "{name}: {var}");
            }
        }
    }
    assert!(granted_any, "auth-register reads PLATFORM_ADMIN_EMAILS");
    let p = &sam()["Parameters"]["PlatformAdminEmails"];
    assert_eq!(p["Default"], "", "empty by default, nobody bootstraps: {p}");
}

#[test]
fn public_routes_are_the_only_ones_without_the_jwt_authorizer_and_org_id_is_not_client_writable() {
    for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
        let client = &resources(t, "AWS::Cognito::UserPoolClient")["UserPoolClient"]["Properties"];
        let writes: Vec<&str> =
            client["WriteAttributes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(!writes.iter().any(|w| w.contains("org_id")), "{name}: client can write {writes:?}");
        let flows: BTreeSet<&str> =
            client["ExplicitAuthFlows"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for f in ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"] {
            assert!(flows.contains(f), "{name}: {f} missing from {flows:?}");
        }
        assert_eq!(client["GenerateSecret"], false, "{name}");
        assert_eq!(client["PreventUserExistenceErrors"], "ENABLED", "{name}");
        let groups: BTreeSet<&str> = resources(t, "AWS::Cognito::UserPoolGroup")
            .values()
            .filter_map(|g| g["Properties"]["GroupName"].as_str())
            .collect();
        assert_eq!(
            groups,
            [
                "admin",
                "candidate",
                "career_mentor",
                "community_leader",
                "dei_consultant",
                "hr_manager",
                "npo",
                "platform_admin",
                "recruiter",
                "viewer"
            ]
            .into_iter()
            .collect(),
            "{name}"
        );
    }
}

#[test]
fn manifest_lists_every_function_the_templates_declare() {
    let text = std::fs::read_to_string(root().join("infra/manifest.json")).expect("infra/manifest.json");
    let m: Value = serde_json::from_str(&text).expect("manifest JSON");
    let names: BTreeSet<&str> = m["functions"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
    // Every function runs the one bootstrap, which serves exactly the routes and consumers.
    for n in &names {
        let known = clearview_http::routes::by_name(n).is_some() || clearview_chain::table::by_name(n).is_some();
        assert!(known, "manifest names {n}, which the bootstrap does not serve");
    }
    assert_eq!(names.len(), infra::functions().len());
}

#[test]
fn both_templates_protect_the_uploads_with_a_guardduty_plan_that_tags_and_parse_may_read_the_tag() {
    for (name, t) in [("template.yaml", sam()), ("cdk", cdk())] {
        let plans = resources(t, "AWS::GuardDuty::MalwareProtectionPlan");
        assert_eq!(plans.keys().collect::<Vec<_>>(), vec![&"MalwareProtectionPlan"], "{name}: one plan");
        let p = &plans["MalwareProtectionPlan"]["Properties"];
        assert_eq!(referenced(&p["ProtectedResource"]["S3Bucket"]["BucketName"]), Some("ResumeBucket"), "{name}");
        assert_eq!(p["ProtectedResource"]["S3Bucket"]["ObjectPrefixes"], serde_json::json!(["uploads/"]), "{name}");
        assert_eq!(p["Actions"]["Tagging"]["Status"], "ENABLED", "{name}: verdicts are tags");
        assert_eq!(referenced(&p["Role"]), Some("MalwareProtectionRole"), "{name}");
        let role = &t["Resources"]["MalwareProtectionRole"]["Properties"];
        let principal = &role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"];
        assert_eq!(principal, "malware-protection-plan.guardduty.amazonaws.com", "{name}");
        let bucket = &t["Resources"]["ResumeBucket"]["Properties"]["NotificationConfiguration"];
        assert_eq!(bucket["EventBridgeConfiguration"]["EventBridgeEnabled"], true, "{name}: kept on across updates");
        let parse = role_actions(t, &format!("{}Role", infra::pascal("parse")));
        assert_eq!(
            parse.get("s3:GetObjectTagging").map(|r| r.iter().cloned().collect::<Vec<_>>()),
            Some(vec!["ResumeBucket/uploads/*".to_owned()]),
            "{name}: {parse:?}"
        );
    }
}
