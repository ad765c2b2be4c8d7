use super::*;
use crate::consumers::{APPLICATION_EVENTS, Feed, Need, QueueDef, Trigger, bucket};
use std::collections::BTreeMap;

/// Every stack, counted after the SAM transform, stays under this (CloudFormation allows 500).
const STACK_CAP: usize = 300;

fn actions(f: &Function) -> Vec<String> {
    statements(f).into_iter().flat_map(|s| s.actions).collect()
}

#[test]
fn get_routes_cannot_write_the_table_or_administer_users() {
    for f in functions_with(true) {
        if let FnTrigger::Http { method, .. } = &f.trigger
            && method == "GET"
        {
            let a = actions(&f);
            assert!(!a.iter().any(|a| a.contains("PutItem") || a.contains("DeleteItem")), "{}: {a:?}", f.name);
            assert!(!a.iter().any(|a| a.starts_with("cognito-idp:")), "{}: {a:?}", f.name);
        }
    }
}

#[test]
fn cognito_actions_are_exactly_the_route_grants() {
    for rt in source::routes() {
        let f = functions().into_iter().find(|f| f.name == rt.name).unwrap();
        let mut want: Vec<String> = rt
            .needs
            .iter()
            .flat_map(|n| match n {
                Need::UserPoolAdmin(a) => a.iter().map(|a| format!("cognito-idp:{a}")).collect(),
                _ => Vec::new(),
            })
            .collect();
        want.sort();
        want.dedup();
        let got: Vec<String> = actions(&f).into_iter().filter(|a| a.starts_with("cognito-idp:")).collect();
        assert_eq!(got, want, "{}", rt.name);
    }
}

#[test]
fn only_tracing_and_ocr_use_a_wildcard_resource() {
    for f in functions_with(true) {
        for s in statements(&f) {
            assert!(s.actions.iter().all(|a| !a.contains('*')), "{}: {s:?}", f.name);
            if s.targets.contains(&Target::Any) {
                assert!(s.sid == "Tracing" || s.sid == "ReadScans", "{}: {s:?}", f.name);
                assert_eq!(s.targets, vec![Target::Any], "{}: {s:?}", f.name);
            }
        }
    }
}

#[test]
fn logical_ids_are_pascal_case_of_the_name() {
    assert_eq!(pascal("jobs-create"), "JobsCreate");
    assert_eq!(pascal("employers-job-postings-create"), "EmployersJobPostingsCreate");
    assert_eq!(pascal("hr_manager"), "HrManager");
}

#[test]
fn a_path_s_area_is_its_first_segment_after_api() {
    assert_eq!(area_of("/api/jobs/{id}/publish"), "jobs");
    assert_eq!(area_of("/api/job-board"), "job-board");
    assert_eq!(area_of("/api/users"), "users");
}

fn nested_resource<'a>(infra: &'a Infra, id: &str) -> &'a V {
    infra.nested.iter().find_map(|t| t.get("Resources").and_then(|r| r.get(id))).unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn the_templates_with_every_consumer_wire_queues_and_the_schedule() {
    let infra = Infra::current(true);
    let parse = nested_resource(&infra, "ParseFunction");
    let ev = parse.get("Properties").and_then(|p| p.get("Events")).and_then(|e| e.get("Trigger")).unwrap();
    assert_eq!(ev.get("Type"), Some(&V::from("SQS")));
    let reports = nested_resource(&infra, "ReportsFunction");
    let ev = reports.get("Properties").and_then(|p| p.get("Events")).and_then(|e| e.get("Trigger")).unwrap();
    assert_eq!(ev.get("Type"), Some(&V::from("Schedule")));
    let res = infra.root.get("Resources").unwrap();
    assert!(res.get("EmailQueueSubscription").is_some());
    for q in crate::consumers::QUEUES {
        assert!(res.get(&format!("{}DepthAlarm", dlq_id(q.name))).is_some());
    }
}

#[test]
fn every_function_runs_the_one_zip_with_its_name_as_handler() {
    let infra = Infra::current(true);
    for (stack, t) in infra.stacks.iter().zip(&infra.nested) {
        assert!(stack.file().starts_with("infra/sam"));
        for f in &stack.functions {
            let p =
                t.get("Resources").and_then(|r| r.get(&format!("{}Function", f.id))).and_then(|f| f.get("Properties"));
            let p = p.unwrap_or_else(|| panic!("{} not in {}", f.name, stack.name));
            assert_eq!(p.get("Handler"), Some(&V::from(f.name.as_str())));
            assert_eq!(p.get("CodeUri"), Some(&V::from("../../target/lambda/clearview/bootstrap.zip")));
        }
    }
}

/// Areas of the whole API (ARCHITECTURE.md) with a route count each: 200 routes, `jobs` big
/// enough to need two stacks.
const SYNTHETIC_AREAS: &[(&str, usize)] = &[
    ("jobs", 44),
    ("auth", 10),
    ("users", 10),
    ("employers", 8),
    ("candidates", 12),
    ("applications", 20),
    ("files", 4),
    ("job-board", 2),
    ("pipeline", 10),
    ("interviews", 10),
    ("feedback", 6),
    ("messages", 6),
    ("onboarding", 6),
    ("analytics", 10),
    ("reports", 6),
    ("integrations", 6),
    ("webhooks", 4),
    ("compliance", 6),
    ("platform", 8),
    ("career", 12),
];

const SYNTHETIC_QUEUES: [&str; 15] = [
    "parse",
    "anonymize",
    "score",
    "bias",
    "email",
    "webhooks",
    "aggregates",
    "search-index",
    "interview-reminders",
    "onboarding-tasks",
    "integrations-sync",
    "exports",
    "audit-log",
    "notifications",
    "retention",
];

const ADMIN: &[&str] = &["AdminCreateUser", "AdminAddUserToGroup", "AdminDeleteUser"];

/// 200 routes and 20 consumers (15 queues, 5 schedules) with a realistic mix of needs.
fn synthetic_model() -> Model {
    let methods = ["GET", "POST", "PUT", "DELETE", "GET", "PATCH"];
    let mut routes = Vec::new();
    for (area, n) in SYNTHETIC_AREAS {
        for i in 0..*n {
            let method = methods[i % methods.len()];
            let mut needs = vec![Need::TableRead, Need::CountRequests];
            if method != "GET" {
                needs.push(Need::TableWrite);
                match i % 7 {
                    0 => needs.push(Need::Publish(APPLICATION_EVENTS)),
                    1 => needs.push(Need::SendTo(SYNTHETIC_QUEUES[i % SYNTHETIC_QUEUES.len()])),
                    2 => needs.push(Need::WriteObjects(bucket::UPLOADS)),
                    3 => needs.push(Need::UserPoolAdmin(ADMIN)),
                    4 => needs.push(Need::SealingKey),
                    _ => {}
                }
            } else if i % 5 == 0 {
                needs.push(Need::ReadObjects(bucket::UPLOADS));
            }
            routes.push(RouteInfo {
                name: format!("{area}-op-{i}"),
                method: method.to_owned(),
                path: format!("/api/{area}/{{id}}/op-{i}"),
                public: *area == "auth" || *area == "job-board",
                permission: None,
                summary: format!("Operation {i} of {area}"),
                needs,
            });
        }
    }
    let queues: Vec<QueueDef> = SYNTHETIC_QUEUES
        .iter()
        .enumerate()
        .map(|(i, q)| QueueDef {
            name: q,
            feed: match i {
                0 => Feed::ObjectCreated(bucket::UPLOADS),
                4 => Feed::Topic(APPLICATION_EVENTS, &["application."]),
                _ => Feed::Functions,
            },
            max_receive_count: 5,
        })
        .collect();
    let mut consumers: Vec<ConsumerInfo> = SYNTHETIC_QUEUES
        .iter()
        .map(|q| ConsumerInfo {
            name: format!("{q}-consumer"),
            summary: format!("Consume {q}"),
            trigger: Trigger::Sqs { queue: q, batch_size: 10, max_batching_window_s: 0 },
            needs: vec![Need::TableRead, Need::TableWrite, Need::Mail, Need::Publish(APPLICATION_EVENTS)],
            memory_mb: 512,
            timeout_s: 30,
            wired: true,
        })
        .collect();
    for (i, expression) in
        ["cron(0 6 ? * MON *)", "rate(1 hour)", "rate(1 day)", "cron(0 2 * * ? *)", "rate(15 minutes)"]
            .into_iter()
            .enumerate()
    {
        consumers.push(ConsumerInfo {
            name: format!("schedule-{i}"),
            summary: format!("Scheduled job {i}"),
            trigger: Trigger::Schedule { expression },
            needs: vec![Need::TableRead, Need::WriteObjects(bucket::REPORTS), Need::Mail],
            memory_mb: 1024,
            timeout_s: 300,
            wired: true,
        });
    }
    Model { routes, consumers, queues, topics: vec![APPLICATION_EVENTS] }
}

/// Every template's resource count after the SAM transform, by path.
fn counts(infra: &Infra) -> BTreeMap<String, usize> {
    infra.templates().into_iter().map(|(p, t)| (p.display().to_string(), expanded_resource_count(t))).collect()
}

fn assert_stacks_fit(infra: &Infra, model: &Model, all_consumers: bool) -> BTreeMap<String, usize> {
    let counts = counts(infra);
    for (path, n) in &counts {
        assert!(*n < STACK_CAP, "{path}: {n} resources (cap {STACK_CAP})");
    }
    for (path, t) in infra.templates() {
        let params = match t.get("Parameters") {
            Some(V::Map(p)) => p.len(),
            _ => 0,
        };
        assert!(params <= 200, "{}: {params} parameters", path.display());
    }
    // Every function in exactly one stack, in its area's stack.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &infra.stacks {
        for f in &s.functions {
            *seen.entry(f.name.as_str()).or_default() += 1;
            assert!(s.name == f.area() || s.name.starts_with(&format!("{}-", f.area())), "{} in {}", f.name, s.name);
        }
    }
    let want = functions_of(model, all_consumers);
    assert_eq!(seen.len(), want.len());
    assert!(seen.values().all(|n| *n == 1));
    counts
}

#[test]
fn a_synthetic_api_of_200_routes_and_20_consumers_fits_every_stack_under_the_cap() {
    let model = synthetic_model();
    assert_eq!(model.routes.len(), 200);
    assert_eq!(model.consumers.len(), 20);
    let infra = Infra::of(&model, false);
    let counts = assert_stacks_fit(&infra, &model, false);
    let names: Vec<&str> = infra.stacks.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"jobs") && names.contains(&"jobs-2"), "jobs is chunked: {names:?}");
    assert!(names.contains(&"consumers"), "{names:?}");
    let max = counts.values().max().copied().unwrap_or_default();
    println!("synthetic 200/20: {} stacks, max {max} resources: {counts:?}", counts.len());
    // Deterministic: the same model plans the same stacks.
    assert_eq!(Infra::of(&model, false).root, infra.root);
}

#[test]
fn the_real_api_s_stacks_fit_under_the_cap() {
    let model = Model::current();
    for all in [false, true] {
        let infra = Infra::of(&model, all);
        let counts = assert_stacks_fit(&infra, &model, all);
        println!("real API (all consumers: {all}): {counts:?}");
    }
}

#[test]
fn chunking_keeps_the_area_s_first_stack_and_appends_new_ones() {
    let mut model = synthetic_model();
    model.routes.retain(|r| area_of(&r.path) == "jobs");
    let before: Vec<(String, Vec<String>)> = Infra::of(&model, false)
        .stacks
        .iter()
        .filter(|s| s.name != "consumers")
        .map(|s| (s.name.clone(), s.functions.iter().map(|f| f.name.clone()).collect()))
        .collect();
    let mut grown = model.clone();
    let mut extra = grown.routes[0].clone();
    extra.name = "jobs-op-new".into();
    extra.path = "/api/jobs/new-op".into();
    grown.routes.push(extra);
    let after = Infra::of(&grown, false);
    for (name, fns) in &before[..before.len() - 1] {
        let s = after.stacks.iter().find(|s| &s.name == name).unwrap();
        let got: Vec<String> = s.functions.iter().map(|f| f.name.clone()).collect();
        assert_eq!(&got, fns, "{name} keeps its functions");
    }
}

#[test]
fn the_resource_count_follows_sam_s_expansion() {
    let infra = Infra::current(true);
    for (stack, t) in infra.stacks.iter().zip(&infra.nested) {
        let want: usize = stack.functions.iter().map(nested::function_cost).sum();
        assert_eq!(expanded_resource_count(t), want, "{}", stack.name);
    }
}

#[test]
fn every_dead_letter_queue_and_function_has_its_alarms_in_its_tier_and_every_function_is_traced() {
    use super::alarms::{API_5XX_PERCENT, latency_target_ms};
    use serde_json::json;
    for all_consumers in [false, true] {
        let infra = Infra::current(all_consumers);
        let root = infra.root.to_json();
        let res = &root["Resources"];
        let page = json!([{ "Ref": "AlarmTopic" }]);
        for q in crate::consumers::QUEUES {
            let a = &res[format!("{}DepthAlarm", dlq_id(q.name))]["Properties"];
            assert_eq!(a["MetricName"], "ApproximateNumberOfMessagesVisible", "{}", q.name);
            assert_eq!(a["Dimensions"][0]["Value"]["Fn::GetAtt"][0], dlq_id(q.name), "{}", q.name);
            assert_eq!(
                (&a["Threshold"], &a["ComparisonOperator"]),
                (&json!(1), &json!("GreaterThanOrEqualToThreshold"))
            );
            assert_eq!(a["AlarmActions"], page, "{}: a dead letter pages", q.name);
        }
        let api = &res["ApiServerErrorRateAlarm"]["Properties"];
        assert_eq!(api["AlarmActions"], page);
        assert_eq!(api["Threshold"], API_5XX_PERCENT);
        let rate = api["Metrics"].as_array().unwrap().iter().find(|m| m["ReturnData"] == true).unwrap();
        assert!(rate["Expression"].as_str().unwrap().contains("100 * errors / requests"), "{rate}");
        for topic in ["AlarmTopic", "TicketTopic"] {
            assert_eq!(res[topic]["Properties"]["KmsMasterKeyId"], json!({ "Ref": "AlarmKey" }), "{topic}");
        }
        let mut seen = 0;
        for (stack, t) in infra.stacks.iter().zip(&infra.nested) {
            let t = t.to_json();
            assert_eq!(t["Globals"]["Function"]["Tracing"], "Active", "{}", stack.name);
            for f in &stack.functions {
                seen += 1;
                let props = &t["Resources"][format!("{}Function", f.id)]["Properties"];
                assert!(props.get("Tracing").is_none(), "{}: the global tracing is not overridden", f.name);
                let xray =
                    statements(f).into_iter().find(|s| s.sid == "Tracing").unwrap_or_else(|| panic!("{}", f.name));
                assert_eq!(xray.actions, ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "{}", f.name);
                for (suffix, metric, stat, tier) in [
                    ("ErrorsAlarm", "Errors", "Statistic", "AlarmTopicArn"),
                    ("LatencyAlarm", "Duration", "ExtendedStatistic", "TicketTopicArn"),
                    ("ThrottlesAlarm", "Throttles", "Statistic", "TicketTopicArn"),
                ] {
                    let a = &t["Resources"][format!("{}{suffix}", f.id)]["Properties"];
                    assert_eq!(a["MetricName"], metric, "{}{suffix}", f.id);
                    assert_eq!(a["Dimensions"][0]["Value"], json!({ "Ref": format!("{}Function", f.id) }), "{}", f.id);
                    assert!(a.get(stat).is_some(), "{}{suffix}: {stat}", f.id);
                    assert_eq!(a["AlarmActions"], json!([{ "Ref": tier }]), "{}{suffix}", f.id);
                }
                let latency = &t["Resources"][format!("{}LatencyAlarm", f.id)]["Properties"];
                assert_eq!(
                    (&latency["ExtendedStatistic"], &latency["Threshold"]),
                    (&json!("p99"), &json!(latency_target_ms(f)))
                );
            }
            // The root passes each tier's topic to the stack.
            let passed = &res[&stack.id]["Properties"]["Parameters"];
            assert_eq!(passed["AlarmTopicArn"], json!({ "Ref": "AlarmTopic" }), "{}", stack.name);
            assert_eq!(passed["TicketTopicArn"], json!({ "Ref": "TicketTopic" }), "{}", stack.name);
        }
        assert_eq!(seen, functions_with(all_consumers).len());
    }
}
