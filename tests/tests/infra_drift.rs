//! Infra drift: template.yaml and the CDK app's synthesized template declare exactly the route
//! table's functions, routes (method + path), auth (public vs JWT), triggers and queues, the
//! table of `table_definition()`, and give each function exactly the policy its grants allow.
//!
//! template.yaml is checked byte for byte against its generator, then read through the
//! generator's value tree (the file is that tree rendered; cfn-lint and `sam validate` parse the
//! file itself). The CDK template is synthesized fresh (`npx cdk synth -c synthOnly=true`), or
//! read from `$CDK_TEMPLATE` when scripts/check-infra.sh has just synthesized it.

use clearview_aws::table::table_definition;
use clearview_http::routes::{Access, Grant, ROUTES};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use xtask::consumers::{CONSUMERS, QUEUES};
use xtask::infra::{self, FnTrigger};

fn root() -> PathBuf {
    xtask::root()
}

/// template.yaml as JSON (the generator's tree, which the file is the rendering of).
fn sam() -> &'static Value {
    static T: OnceLock<Value> = OnceLock::new();
    T.get_or_init(|| infra::template_with(false).to_json())
}

/// The CDK app's synthesized template.
fn cdk() -> &'static Value {
    static T: OnceLock<Value> = OnceLock::new();
    T.get_or_init(|| {
        let file = match std::env::var_os("CDK_TEMPLATE") {
            Some(f) => PathBuf::from(f),
            None => synth_cdk(),
        };
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()))
    })
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

#[test]
fn sam_declares_one_function_per_route_with_its_method_path_and_auth() {
    let fns = resources(sam(), "AWS::Serverless::Function");
    let mut http = BTreeSet::new();
    for (id, f) in &fns {
        let binary = f["Metadata"]["BuildProperties"]["Binary"].as_str().expect("Binary");
        assert_eq!(*id, format!("{}Function", infra::pascal(binary)));
        let ev = &f["Properties"]["Events"]["Trigger"];
        if ev["Type"] == "HttpApi" {
            let p = &ev["Properties"];
            assert_eq!(referenced(&p["ApiId"]), Some("HttpApi"), "{id}");
            let public = p["Auth"]["Authorizer"] == "NONE";
            http.insert((
                infra::pascal(binary),
                p["Method"].as_str().unwrap().to_owned(),
                p["Path"].as_str().unwrap().to_owned(),
                public,
            ));
        }
    }
    assert_eq!(http, expected_http());
    let wired = CONSUMERS.iter().filter(|c| xtask::functions::names().contains(&c.name)).count();
    assert_eq!(fns.len(), ROUTES.len() + wired);
    let api = &resources(sam(), "AWS::Serverless::HttpApi")["HttpApi"]["Properties"]["Auth"];
    assert_eq!(api["DefaultAuthorizer"], "CognitoJwt");
    let jwt = &api["Authorizers"]["CognitoJwt"]["JwtConfiguration"];
    assert_eq!(jwt["issuer"]["Fn::Sub"], "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}");
    assert_eq!(referenced(&jwt["audience"][0]), Some("UserPoolClient"));
}

#[test]
fn cdk_declares_the_same_functions_routes_and_auth() {
    let t = cdk();
    let fns = resources(t, "AWS::Lambda::Function");
    let integrations = resources(t, "AWS::ApiGatewayV2::Integration");
    let mut http = BTreeSet::new();
    for r in resources(t, "AWS::ApiGatewayV2::Route").values() {
        let p = &r["Properties"];
        let (method, path) = p["RouteKey"].as_str().unwrap().split_once(' ').unwrap();
        let integration = p["Target"]["Fn::Join"][1][1]["Ref"].as_str().expect("route target integration");
        let function = referenced(&integrations[integration]["Properties"]["IntegrationUri"]).unwrap();
        let id = function.strip_suffix("Function").expect("function logical id");
        let public = match p["AuthorizationType"].as_str() {
            Some("NONE") => true,
            Some("JWT") => false,
            other => panic!("{method} {path}: authorization {other:?}"),
        };
        http.insert((id.to_owned(), method.to_owned(), path.to_owned(), public));
    }
    assert_eq!(http, expected_http());
    let sam_ids: BTreeSet<&str> = resources(sam(), "AWS::Serverless::Function").into_keys().collect();
    let cdk_ids: BTreeSet<&str> = fns.keys().copied().collect();
    assert_eq!(cdk_ids, sam_ids, "functions differ between the CDK app and template.yaml");
    for (id, f) in &fns {
        assert_eq!(f["Properties"]["Runtime"], infra::RUNTIME, "{id}");
        assert_eq!(f["Properties"]["TracingConfig"]["Mode"], "Active", "{id}");
        assert!(f["Properties"]["LoggingConfig"]["LogGroup"].is_object(), "{id}: explicit log group");
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
        let errors = alarms.values().filter(|a| a["Properties"]["MetricName"] == "Errors").count();
        assert_eq!(
            errors,
            ROUTES.len() + CONSUMERS.iter().filter(|c| xtask::functions::names().contains(&c.name)).count(),
            "{name}: function error alarms"
        );
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

#[test]
fn no_function_is_granted_more_than_its_route_needs() {
    for route in ROUTES {
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
        for g in route.grants {
            match g {
                Grant::TableRead => allow(&["dynamodb:GetItem", "dynamodb:Query"], &["Table", "Table/index/*"]),
                Grant::TableWrite => {
                    allow(&["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"], &["Table"])
                }
                Grant::UserPoolAdmin(actions) => {
                    let full: Vec<String> = actions.iter().map(|a| format!("cognito-idp:{a}")).collect();
                    allow(&full.iter().map(String::as_str).collect::<Vec<_>>(), &["UserPool"]);
                }
                Grant::PublishEvents => allow(&["sns:Publish"], &["ApplicationEventsTopic"]),
                Grant::SendQueue(q) => allow(&["sqs:SendMessage"], &[infra::queue_id(q).as_str()]),
                Grant::ResumesWrite => allow(&["s3:PutObject"], &["ResumeBucket/uploads/*"]),
                Grant::ResumesRead => allow(&["s3:GetObject"], &["ResumeBucket/uploads/*"]),
                // Resolved into SEALING_KEY at deploy time (checked below): no IAM action.
                Grant::SealingKey => {}
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
    for route in ROUTES {
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
        assert_eq!(groups, ["admin", "candidate", "hr_manager", "recruiter", "viewer"].into_iter().collect(), "{name}");
    }
}

#[test]
fn manifest_lists_every_function_the_templates_declare() {
    let text = std::fs::read_to_string(root().join("infra/manifest.json")).expect("infra/manifest.json");
    let m: Value = serde_json::from_str(&text).expect("manifest JSON");
    let names: BTreeSet<&str> = m["functions"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
    let bins = std::fs::read_to_string(root().join("functions/Cargo.toml")).expect("functions/Cargo.toml");
    for n in &names {
        assert!(bins.contains(&format!("name = \"{n}\"")), "manifest names {n}, which functions/ does not build");
        assert!(Path::new(&root().join(format!("functions/src/bin/{n}.rs"))).is_file(), "{n}");
    }
    assert_eq!(names.len(), infra::functions().len());
}
