//! Issue 11 at the API level, the same on both adapter families.
//!
//! `analytics`: the figures the analytics consumer keeps from the application events (delivered
//! through the real queues, each event handled twice on the embedded family) equal a brute-force
//! recount over the stored applications, their history and their stage results.
//!
//! `reports`: reports asked for over the API are made by the `report-generate` consumer; the
//! PDFs are rendered to PNG with `pdftoppm` (page count) and read back with `pdftotext` (the
//! printed figures equal the analytics API's); the CSV is RFC 4180; the requester is mailed a link.

use axum::http::StatusCode;
use clearview_chain::analytics::AnalyticsConsumer;
use clearview_chain::consumers::ScoreConsumer;
use clearview_chain::models::ShadowRunConsumer;
use clearview_chain::reports::ReportGenerateConsumer;
use clearview_core::Deps;
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_core::ports::mail::OutgoingEmail;
use clearview_core::ports::queue::{Consumer, DomainEvent, WorkMessage};
use clearview_tests::api::{Admin, BoxFut, Family, candidate, job_body};
use clearview_tests::mail::Recording;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Pump = Box<dyn Fn() -> BoxFut<'static, usize> + Send + Sync>;

pub struct Env {
    family: Arc<Family>,
    deps: Deps,
    /// Delivers what is on the `analytics` queue to its consumer; returns how many.
    pump: Pump,
    /// Delivers what is on the `report-requests` queue to the report generator.
    pump_reports: Pump,
    /// Delivers shadow-run requests to the `model-shadow-run` consumer.
    pump_shadow: Pump,
    /// Delivers what is on the `score` queue to the score consumer.
    pump_score: Pump,
    sent: Arc<Recording>,
}

mod analytics {
    use super::*;
    use clearview_core::keys;
    use clearview_core::model::pipeline::HistoryEntry;
    use clearview_core::model::{Application, Job, StageResult};
    use clearview_core::ports::store::{Condition, Index, Query};
    use clearview_core::record::{self, Record};
    use clearview_core::services::analytics::{reason_label, score_bucket};
    use clearview_core::values::{JobId, OrgId};
    use std::collections::{BTreeMap, BTreeSet};
    use time::OffsetDateTime;

    const MODEL: &str = "m-test-1";

    async fn published_job(f: &Family, admin: &Admin, title: &str) -> String {
        let job = f.post("/api/jobs", Some(&admin.token), job_body(title)).await;
        assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
        let id = job.body["id"].as_str().unwrap().to_owned();
        let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
        assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
        id
    }

    /// A candidate's application to `job` from `source`: (candidate token, application id).
    async fn apply(f: &Family, job: &str, name: &str, source: Option<&str>) -> (String, String) {
        let (token, _, _) = candidate(f, name).await;
        // Voluntary self-identification, for the bias audit report.
        let sex = if name.len().is_multiple_of(2) { "female" } else { "male" };
        let race = if name.starts_with(['A', 'C', 'E']) { "asian" } else { "white" };
        let sid = json!({"sex": sex, "raceEthnicity": race});
        let body = json!({"jobId": job, "source": source, "selfIdentification": sid});
        let a = f.post("/api/applications", Some(&token), body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        (token, a.body["id"].as_str().unwrap().to_owned())
    }

    /// Writes what the scoring chain would (the current run's score and bias results, the
    /// application's summary) and announces the bias check as the bias consumer does.
    async fn scored(e: &Env, org: &OrgId, app: &str, score: u8, recommendation: &str, flagged: bool) {
        let store = &e.family.store;
        let run = format!("run-{app}");
        let key = keys::application(org, app);
        let mut item = store.get(&key).await.unwrap().unwrap();
        item.data["processing"]["runId"] = json!(run);
        item.data["processing"]["stage"] = json!("checked");
        item.data["ai"] = json!({"score": score, "recommendation": recommendation, "requiredMissing": 0});
        store.put(item.clone(), Condition::None).await.unwrap();
        for (stage, body) in [
            ("score", json!({"recommendation": recommendation, "modelVersion": MODEL, "score": score})),
            ("bias", json!({"counterfactual": {"flagged": flagged, "modelVersion": MODEL}})),
        ] {
            let r = StageResult {
                application_id: app.to_owned(),
                org_id: org.clone(),
                stage: stage.into(),
                run_id: run.clone(),
                produced_by: "test".into(),
                body,
                at: OffsetDateTime::now_utc(),
            };
            store.put(r.to_item().unwrap(), Condition::None).await.unwrap();
        }
        let job = item.data["jobId"].as_str().unwrap();
        e.deps
            .events
            .publish(&DomainEvent {
                id: format!("application.screened:{app}:{run}"),
                kind: "application.screened".into(),
                org_id: org.to_string(),
                subject_id: app.to_owned(),
                occurred_at: OffsetDateTime::now_utc(),
                data: json!({"jobId": job, "biasFlagged": flagged, "modelVersion": MODEL}),
                correlation_id: None,
            })
            .await
            .unwrap();
    }

    async fn ok(f: &Family, path: &str, token: &str, body: Value) -> Value {
        let a = f.post(path, Some(token), body).await;
        assert_eq!(a.status, StatusCode::OK, "[{}] {path}: {:?}", f.name, a.body);
        a.body
    }

    async fn get(f: &Family, path: &str, token: &str) -> Value {
        let a = f.get(path, token).await;
        assert_eq!(a.status, StatusCode::OK, "[{}] {path}: {:?}", f.name, a.body);
        a.body
    }

    /// The expected figures, recounted from the stored applications, their history and stage
    /// results (and the client events the test sent).
    #[derive(Debug, Default)]
    struct Recount {
        applied: BTreeMap<String, i64>,
        reached: BTreeMap<&'static str, i64>,
        interviews: i64,
        closed: BTreeMap<String, i64>,
        tth_seconds: Vec<i64>,
        ttf_seconds: Vec<i64>,
        by_source: BTreeMap<String, (i64, i64)>,
        offers: (i64, i64),
        matrix: [[i64; 3]; 3],
        overrides: BTreeMap<String, i64>,
        scores: BTreeMap<String, BTreeMap<String, i64>>,
        screened: i64,
        flagged: i64,
    }

    async fn recount(f: &Family, org: &OrgId, jobs: &[String]) -> Recount {
        let store = f.store.as_ref();
        let mut r = Recount::default();
        let labels = ["advance", "review", "reject"];
        for job in jobs {
            let job_id = JobId::parse(job).unwrap();
            let posted: Job = record::get(store, &keys::job(org, &job_id)).await.unwrap().unwrap();
            let q = Query::index(Index::Gsi1, keys::application_by_job_pk(org, &job_id)).limit(1000);
            let (apps, _) = record::query::<Application>(store, &q).await.unwrap();
            let mut first_hire: Option<OffsetDateTime> = None;
            for a in &apps {
                *r.applied.entry(job.clone()).or_default() += 1;
                let source = a.source.clone().unwrap_or_else(|| "unspecified".into());
                r.by_source.entry(source.clone()).or_default().0 += 1;
                let hq = Query::table(keys::org_pk(org)).prefix(keys::history_prefix(&a.id)).limit(1000);
                let (history, _) = record::query::<HistoryEntry>(store, &hq).await.unwrap();
                let mut statuses: BTreeSet<&str> = history.iter().map(|h| h.status.as_str()).collect();
                statuses.insert(a.status.as_str());
                for s in clearview_core::services::analytics::FUNNEL_STATUSES {
                    if statuses.contains(s) {
                        *r.reached.entry(s).or_default() += 1;
                    }
                }
                if ["phone_screen", "technical_interview", "final_interview"].iter().any(|s| statuses.contains(s)) {
                    r.interviews += 1;
                }
                let score: Option<StageResult> =
                    record::get(store, &keys::stage_result(org, &a.id, "score")).await.unwrap();
                let model = score.as_ref().and_then(|s| s.body["modelVersion"].as_str()).unwrap_or("unknown");
                assert!(score.is_none() || model == MODEL);
                if a.status.is_final() {
                    *r.closed.entry(a.status.as_str().to_owned()).or_default() += 1;
                    if let Some(ai) = &a.ai {
                        *r.scores
                            .entry(a.status.as_str().to_owned())
                            .or_default()
                            .entry(score_bucket(ai.score.into()))
                            .or_default() += 1;
                    }
                    let last = history.iter().rfind(|h| h.status == a.status).expect("the closing entry");
                    if last.stage == "offer" {
                        if a.status.as_str() == "hired" {
                            r.offers.0 += 1;
                        } else {
                            r.offers.1 += 1;
                        }
                    }
                    if a.status.as_str() == "hired" {
                        let at = a.entered_stage_at();
                        r.tth_seconds.push((at - a.created_at).whole_seconds());
                        r.by_source.entry(source).or_default().1 += 1;
                        first_hire = Some(first_hire.map_or(at, |f| f.min(at)));
                    }
                }
                if let Some(d) = &a.decision
                    && let Some(rec) = &d.recommendation
                {
                    let i = labels.iter().position(|l| l == rec).unwrap();
                    let j = labels.iter().position(|l| *l == d.decision).unwrap();
                    r.matrix[i][j] += 1;
                    if i != j {
                        *r.overrides.entry(reason_label(&d.reason)).or_default() += 1;
                    }
                }
                let bias: Option<StageResult> =
                    record::get(store, &keys::stage_result(org, &a.id, "bias")).await.unwrap();
                if let Some(b) = bias {
                    r.screened += 1;
                    r.flagged += i64::from(b.body["counterfactual"]["flagged"] == json!(true));
                }
            }
            if let (Some(h), Some(p)) = (first_hire, posted.published_at) {
                r.ttf_seconds.push((h - p).whole_seconds());
            }
        }
        r
    }

    fn kappa(m: &[[i64; 3]; 3]) -> f64 {
        let n: i64 = m.iter().flatten().sum();
        let n = n as f64;
        let po = (m[0][0] + m[1][1] + m[2][2]) as f64 / n;
        let mut pe = 0.0;
        for (i, r) in m.iter().enumerate() {
            let row: i64 = r.iter().sum();
            let col: i64 = m.iter().map(|k| k[i]).sum();
            pe += row as f64 * col as f64 / (n * n);
        }
        (po - pe) / (1.0 - pe)
    }

    fn close(a: &Value, b: f64) -> bool {
        a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
    }

    fn mean_days(v: &[i64]) -> f64 {
        v.iter().sum::<i64>() as f64 / v.len() as f64 / 86400.0
    }

    pub async fn every_figure_equals_a_brute_force_recount_and_a_redelivered_event_counts_once(e: &Env) {
        let f = e.family.as_ref();
        let admin = f.employer_admin("AnalyticsCo").await;
        let org = OrgId::trusted(&admin.org);
        let job_a = published_job(f, &admin, "Platform Engineer").await;
        let job_b = published_job(f, &admin, "Data Engineer").await;

        let (_, c1) = apply(f, &job_a, "Ana Ortiz", Some("linkedin")).await;
        let (c2_token, c2) = apply(f, &job_a, "Bo Chen", Some("referral")).await;
        let (_, c3) = apply(f, &job_a, "Cy Diaz", Some("indeed")).await;
        let (_, c4) = apply(f, &job_a, "Di Evans", Some("referral")).await;
        let (_, _c5) = apply(f, &job_a, "Ed Fox", None).await;
        let (_, c6) = apply(f, &job_b, "Fay Gul", Some("linkedin")).await;
        let (_, c7) = apply(f, &job_b, "Gus Hale", Some("company_website")).await;

        scored(e, &org, &c1, 91, "advance", false).await;
        scored(e, &org, &c2, 45, "reject", false).await;
        scored(e, &org, &c3, 70, "review", true).await;
        scored(e, &org, &c4, 85, "advance", false).await;
        scored(e, &org, &c6, 30, "reject", false).await;

        let t = &admin.token;
        let decide = |app: &str, decision: &str, reason: &str| {
            let (path, body) =
                (format!("/api/applications/{app}/decision"), json!({"decision": decision, "reason": reason}));
            async move { ok(f, &path, t, body).await }
        };
        decide(&c1, "advance", "Strong fit").await;
        decide(&c2, "advance", "Referral vouches for her work").await;
        decide(&c3, "reject", "Missing  the required certification").await;
        decide(&c4, "review", "Need more information").await;
        decide(&c6, "reject", "Too junior").await;

        let to_stage = |app: &str, stage: Option<&str>| {
            let path = format!("/api/applications/{app}/advance-stage");
            let body = json!({"toStage": stage, "note": "moved"});
            async move { ok(f, &path, t, body).await }
        };
        to_stage(&c1, Some("offer")).await;
        let hired = to_stage(&c1, None).await;
        assert_eq!(hired["status"], "hired", "{hired:?}");
        to_stage(&c2, Some("phone_screen")).await;
        to_stage(&c2, Some("offer")).await;
        let w = f.post(&format!("/api/applications/{c2}/withdraw"), Some(&c2_token), json!(null)).await;
        assert!(w.status.is_success(), "{:?}", w.body);
        to_stage(&c4, Some("technical_interview")).await;
        ok(f, &format!("/api/applications/{c7}/reject"), t, json!({"reasonCode": "skills_mismatch"})).await;

        // Client events: an event id sent twice counts once; bad input names its field.
        let mut views = 0;
        for (job, kind, id) in [
            (&job_a, "job_viewed", Some("view-0001")),
            (&job_a, "job_viewed", Some("view-0002")),
            (&job_a, "job_viewed", Some("view-0001")),
            (&job_a, "job_viewed", None),
            (&job_a, "apply_started", Some("start-0001")),
            (&job_b, "job_viewed", Some("view-0003")),
        ] {
            let a = f.post("/api/analytics/event", None, json!({"type": kind, "jobId": job, "eventId": id})).await;
            assert_eq!(a.status, StatusCode::ACCEPTED, "{:?}", a.body);
            if kind == "job_viewed" && a.body["counted"] == json!(true) {
                views += 1;
            }
        }
        assert_eq!(views, 4);
        let bad = f.post("/api/analytics/event", None, json!({"type": "clicked", "jobId": job_a})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "type", "{:?}", bad.body);
        let unknown = json!({"type": "job_viewed", "jobId": "00000000-0000-7000-8000-000000000000"});
        let unknown = f.post("/api/analytics/event", None, unknown).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(unknown.body["errors"][0]["field"], "jobId", "{:?}", unknown.body);

        let handled = (e.pump)().await;
        assert!(handled >= 7 + 5 + 5 + 2, "[{}] {handled} events", f.name);

        let dash = get(f, "/api/analytics/dashboard", t).await;
        // A redelivered event (the same id) counts nothing twice.
        let received = DomainEvent {
            id: format!("application.received:{c1}"),
            kind: "application.received".into(),
            org_id: admin.org.clone(),
            subject_id: c1.clone(),
            occurred_at: OffsetDateTime::now_utc(),
            data: json!({"jobId": job_a, "source": "linkedin"}),
            correlation_id: None,
        };
        let again = WorkMessage { id: received.id.clone(), kind: "application-event".into(), body: json!(received) };
        let consumer = AnalyticsConsumer(e.deps.clone());
        assert_eq!(consumer.handle(&again).await, clearview_core::ports::queue::Outcome::Done);
        assert_eq!(get(f, "/api/analytics/dashboard", t).await, dash, "[{}] a redelivery changed the figures", f.name);

        // The brute-force recount.
        let r = recount(f, &org, &[job_a.clone(), job_b.clone()]).await;
        let applications: i64 = r.applied.values().sum();
        assert_eq!(dash["applications"], applications, "{dash:?}");
        assert_eq!(applications, 7);
        assert_eq!(dash["jobsPublished"], 2);
        assert_eq!(dash["activeJobs"], 2);
        assert_eq!(dash["jobViews"], views);
        assert_eq!(dash["interviews"], r.interviews);
        assert_eq!(dash["offers"], r.reached["offer"]);
        assert_eq!(dash["hires"], r.closed["hired"]);
        assert_eq!(dash["rejected"], r.closed["rejected"]);
        assert_eq!(dash["withdrawn"], r.closed["withdrawn"]);
        assert!(close(&dash["interviewRate"], r.interviews as f64 / applications as f64));
        assert!(close(&dash["viewToApplyRate"], applications as f64 / views as f64));
        assert!(close(&dash["timeToHire"]["meanDays"], mean_days(&r.tth_seconds)), "{dash:?}");

        let m = get(f, "/api/analytics/recruitment-metrics", t).await;
        assert_eq!(m["timeToHire"]["count"], r.tth_seconds.len() as i64);
        assert_eq!(m["timeToFill"]["count"], r.ttf_seconds.len() as i64);
        assert!(close(&m["timeToFill"]["meanDays"], mean_days(&r.ttf_seconds)), "{m:?}");
        for j in m["applicationsPerJob"]["jobs"].as_array().unwrap() {
            assert_eq!(j["applications"], r.applied[j["jobId"].as_str().unwrap()]);
        }
        assert!(close(&m["applicationsPerJob"]["mean"], applications as f64 / r.applied.len() as f64));
        let sources: BTreeMap<String, (i64, i64)> = m["sourceEffectiveness"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["source"].as_str().unwrap().to_owned(),
                    (s["applications"].as_i64().unwrap(), s["hires"].as_i64().unwrap()),
                )
            })
            .collect();
        assert_eq!(sources, r.by_source);
        assert_eq!(m["offerAcceptance"]["accepted"], r.offers.0);
        assert_eq!(m["offerAcceptance"]["declined"], r.offers.1);
        assert_eq!((r.offers.0, r.offers.1), (1, 1));
        assert!(close(&m["offerAcceptance"]["acceptanceRate"], 0.5));

        let c = get(f, "/api/analytics/pipeline-conversion", t).await;
        let funnel: BTreeMap<String, i64> = c["funnel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["step"].as_str().unwrap().to_owned(), s["count"].as_i64().unwrap()))
            .collect();
        assert_eq!(funnel["job_viewed"], views);
        assert_eq!(funnel["apply_started"], 1);
        assert_eq!(funnel["applied"], applications);
        for s in clearview_core::services::analytics::FUNNEL_STATUSES {
            assert_eq!(funnel[s], *r.reached.get(s).unwrap_or(&0), "{s}: {c:?}");
        }
        assert!(!c["byStage"].as_array().unwrap().is_empty(), "the pipeline's stage figures: {c:?}");

        let ai = get(f, "/api/analytics/ai-performance", t).await;
        let o = &ai["overall"];
        let matrix: Vec<Vec<i64>> = r.matrix.iter().map(|row| row.to_vec()).collect();
        assert_eq!(o["confusionMatrix"]["counts"], json!(matrix), "{ai:?}");
        assert_eq!(o["confusionMatrix"]["labels"], json!(["advance", "review", "reject"]));
        let decisions: i64 = r.matrix.iter().flatten().sum();
        let agree = r.matrix[0][0] + r.matrix[1][1] + r.matrix[2][2];
        assert_eq!(o["decisions"], decisions);
        assert!(close(&o["agreementRate"], agree as f64 / decisions as f64));
        assert!(close(&o["cohensKappa"], kappa(&r.matrix)), "{o:?}");
        assert_eq!(o["overrides"], decisions - agree);
        assert_eq!(o["overridesByReason"], json!(r.overrides));
        assert_eq!(o["scoreDistributionByOutcome"], json!(r.scores));
        assert_eq!(o["screened"], r.screened);
        assert_eq!(o["counterfactualFlagged"], r.flagged);
        assert_eq!((r.screened, r.flagged), (5, 1));
        assert_eq!(ai["byModelVersion"][0]["modelVersion"], MODEL);
        assert_eq!(ai["byModelVersion"][0]["figures"], *o);
        let per_job: i64 =
            ai["byJob"].as_array().unwrap().iter().map(|j| j["figures"]["decisions"].as_i64().unwrap()).sum();
        assert_eq!(per_job, decisions);

        let ja = get(f, &format!("/api/jobs/{job_a}/analytics"), t).await;
        assert_eq!(ja["funnel"][2]["count"], r.applied[&job_a]);
        assert_eq!(ja["funnel"][0]["count"], 3, "three views of job A: {ja:?}");
        assert_eq!(ja["ai"]["decisions"], 4);

        let emp = get(f, &format!("/api/employers/{}/analytics", admin.org), t).await;
        assert_eq!(emp["jobPostings"], json!({"total": 2, "active": 2, "applications": applications}));
        assert!(close(&emp["candidateEngagement"]["interviewRate"], r.interviews as f64 / applications as f64));
        assert!(close(&emp["candidateEngagement"]["viewRate"], applications as f64 / views as f64));

        // A range before anything happened holds nothing; bad ranges name the field.
        let y = (OffsetDateTime::now_utc() - time::Duration::days(2)).date();
        let old = get(f, &format!("/api/analytics/dashboard?from={y}&to={y}"), t).await;
        assert_eq!(old["applications"], 0);
        let bad = f.get("/api/analytics/recruitment-metrics?from=2026-02-30", t).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "from", "{:?}", bad.body);

        // A viewer reads analytics; a candidate does not; another organisation sees nothing.
        let (viewer, _) = f.staff(&admin, "viewer").await;
        assert_eq!(get(f, "/api/analytics/ai-performance", &viewer).await["overall"], *o);
        let (cand, _, _) = candidate(f, "Hal Ive").await;
        assert_eq!(f.get("/api/analytics/dashboard", &cand).await.status, StatusCode::FORBIDDEN);
        let other = f.employer_admin("OtherCo").await;
        assert_eq!(f.get(&format!("/api/jobs/{job_a}/analytics"), &other.token).await.status, StatusCode::NOT_FOUND);
        let theirs = f.get(&format!("/api/employers/{}/analytics", admin.org), &other.token).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        assert_eq!(get(f, "/api/analytics/dashboard", &other.token).await["applications"], 0);

        // Platform admins read every organisation's figures together, from the platform-wide
        // counters (only this organisation has any here); staff of an organisation may not.
        let (root, _, _) = clearview_tests::api::platform_admin(f, &e.deps).await;
        let p = get(f, "/api/analytics/metrics", &root).await;
        assert_eq!(p["applications"], applications, "{p:?}");
        assert_eq!(p["jobsPublished"], 2);
        assert_eq!(p["jobViews"], views);
        assert_eq!(p["applyStarts"], 1);
        assert_eq!(p["interviews"], r.interviews);
        assert_eq!(p["offers"], m["offerAcceptance"]);
        assert_eq!(p["hires"], r.closed["hired"]);
        assert_eq!(p["timeToHire"], dash["timeToHire"]);
        assert_eq!(p["timeToFill"], m["timeToFill"]);
        assert_eq!(p["sources"], m["sourceEffectiveness"]);
        assert_eq!(p["funnel"], c["funnel"]);
        assert_eq!(p["ai"], *o, "the tool's figures, every organisation together");
        let today = OffsetDateTime::now_utc().date();
        let (from, to) = (today - time::Duration::days(1), today);
        let rep = get(f, &format!("/api/analytics/reports?period=day&from={from}&to={to}"), &root).await;
        let periods = rep["periods"].as_array().unwrap();
        assert_eq!(periods.len(), 2, "{rep:?}");
        assert_eq!(periods[1]["start"], to.to_string());
        let total: i64 = periods.iter().map(|d| d["applications"].as_i64().unwrap()).sum();
        assert_eq!(total, applications);
        let month = get(f, "/api/analytics/reports", &root).await;
        assert_eq!(month["period"], "month");
        let total: i64 = month["periods"].as_array().unwrap().iter().map(|d| d["hires"].as_i64().unwrap()).sum();
        assert_eq!(total, r.closed["hired"]);
        let bad = f.get("/api/analytics/reports?period=year", &root).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "period", "{:?}", bad.body);
        assert_eq!(f.get("/api/analytics/metrics", t).await.status, StatusCode::FORBIDDEN);
        assert_eq!(f.get("/api/analytics/reports", &cand).await.status, StatusCode::FORBIDDEN);

        // The same figures, as reports.
        super::reports::reports_print_the_analytics_apis_figures(e, &admin, &other, &job_a).await;
    }
}

mod reports {
    use super::*;
    use std::process::Command;

    async fn get(f: &Family, path: &str, token: &str) -> Value {
        let a = f.get(path, token).await;
        assert_eq!(a.status, StatusCode::OK, "[{}] {path}: {:?}", f.name, a.body);
        a.body
    }

    fn tool(name: &str, args: &[&str]) -> String {
        let out = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Renders every page to PNG (the page count) and reads the text back. With
    /// `CLEARVIEW_KEEP_REPORTS=<dir>` the PDFs and PNGs are kept there to look at.
    fn pages_and_text(bytes: &[u8], name: &str) -> (usize, String) {
        let dir = std::env::temp_dir().join(format!("clearview-report-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pdf = dir.join(format!("{name}.pdf"));
        std::fs::write(&pdf, bytes).unwrap();
        let prefix = dir.join(name);
        tool("pdftoppm", &["-r", "60", "-png", pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
        let pngs = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
            .count();
        if let Ok(keep) = std::env::var("CLEARVIEW_KEEP_REPORTS") {
            let _ = std::fs::create_dir_all(&keep);
            for e in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
                let _ = std::fs::copy(e.path(), std::path::Path::new(&keep).join(e.file_name()));
            }
        }
        let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
        let _ = std::fs::remove_dir_all(&dir);
        (pngs, text)
    }

    /// `label` followed (after spaces) by `value` on one line of the text.
    fn printed(text: &str, label: &str, value: &str) -> bool {
        text.lines().any(|l| {
            l.trim_start().strip_prefix(label).is_some_and(|rest| rest.split_whitespace().next() == Some(value))
        })
    }

    fn fmt(v: &Value) -> String {
        v.as_f64().map(|x| format!("{x:.3}")).unwrap_or_else(|| "-".into())
    }

    pub async fn reports_print_the_analytics_apis_figures(e: &Env, admin: &Admin, other: &Admin, job: &str) {
        let f = e.family.as_ref();
        let t = &admin.token;
        let ask = |body: Value| async move {
            let a = f.post("/api/reports/generate", Some(t), body).await;
            assert_eq!(a.status, StatusCode::ACCEPTED, "[{}] {:?}", f.name, a.body);
            assert_eq!(a.body["status"], "processing");
            a.body["id"].as_str().unwrap().to_owned()
        };
        let recruitment = ask(json!({"type": "recruitment", "format": "pdf"})).await;
        let ai = ask(json!({"type": "ai_performance", "format": "pdf"})).await;
        let bias = ask(json!({"type": "bias_audit", "format": "pdf", "jobIds": [job]})).await;
        let pipeline = ask(json!({"type": "pipeline", "format": "pdf"})).await;
        let csv = ask(json!({"type": "candidate_analytics", "format": "csv"})).await;
        let json_id = ask(json!({"type": "recruitment", "format": "json"})).await;

        let early = f.get(&format!("/api/reports/{recruitment}/download"), t).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
        let bad = f.post("/api/reports/generate", Some(t), json!({"type": "weekly", "format": "pdf"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "type", "{:?}", bad.body);
        let (viewer, _) = f.staff(admin, "viewer").await;
        let v = f.post("/api/reports/generate", Some(&viewer), json!({"type": "pipeline", "format": "csv"})).await;
        assert_eq!(v.status, StatusCode::FORBIDDEN);

        assert_eq!((e.pump_reports)().await, 6, "[{}] six reports made", f.name);
        let list = get(f, "/api/reports", &viewer).await;
        let items = list["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 6);
        assert!(items.iter().all(|r| r["status"] == "completed"), "{items:?}");
        let theirs = f.get(&format!("/api/reports/{recruitment}/download"), &other.token).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        let seed = get(f, &format!("/api/employers/{}/reports", admin.org), t).await;
        assert_eq!(seed["items"].as_array().unwrap().len(), 6);
        let not_theirs = f.get(&format!("/api/employers/{}/reports", admin.org), &other.token).await;
        assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
        assert_eq!(get(f, "/api/reports", &other.token).await["items"], json!([]));

        let object = |id: String| {
            let r = items.iter().find(|r| r["id"] == id.as_str()).unwrap().clone();
            async move {
                let d = get(f, &format!("/api/reports/{id}/download"), t).await;
                assert!(d["url"].as_str().unwrap().starts_with("http"), "{d:?}");
                let key = r["objectKey"].as_str().unwrap();
                let bytes = e.deps.blobs.get(key, 20_000_000).await.unwrap().bytes;
                (r, bytes)
            }
        };

        let dash = get(f, "/api/analytics/dashboard", t).await;
        let metrics = get(f, "/api/analytics/recruitment-metrics", t).await;
        let (r, bytes) = object(recruitment).await;
        let (pages, text) = pages_and_text(&bytes, "recruitment");
        assert_eq!(pages as u64, r["pages"].as_u64().unwrap(), "[{}] {r:?}", f.name);
        assert!(pages >= 4, "a title page and three sections: {pages}");
        assert!(text.contains("ClearView recruitment report"), "{text}");
        for (label, key) in
            [("Applications", "applications"), ("Hires", "hires"), ("Offers", "offers"), ("Job views", "jobViews")]
        {
            assert!(printed(&text, label, &dash[key].to_string()), "[{}] {label} {}: {text}", f.name, dash[key]);
        }
        assert!(printed(&text, "Time to hire (mean days)", &fmt(&metrics["timeToHire"]["meanDays"])), "{text}");
        assert!(printed(&text, "Offer acceptance rate", &fmt(&metrics["offerAcceptance"]["acceptanceRate"])), "{text}");

        let perf = get(f, "/api/analytics/ai-performance", t).await;
        let (r, bytes) = object(ai).await;
        let (pages, text) = pages_and_text(&bytes, "ai_performance");
        assert_eq!(pages as u64, r["pages"].as_u64().unwrap());
        assert!(printed(&text, "Agreement rate", &fmt(&perf["overall"]["agreementRate"])), "{text}");
        assert!(printed(&text, "Cohen's kappa", &fmt(&perf["overall"]["cohensKappa"])), "{text}");
        assert!(printed(&text, "Decisions", &perf["overall"]["decisions"].to_string()), "{text}");

        let (r, bytes) = object(bias.clone()).await;
        let (pages, text) = pages_and_text(&bytes, "bias_audit");
        assert_eq!(pages as u64, r["pages"].as_u64().unwrap());
        assert!(text.contains("LL144 impact ratios") && text.contains("four-fifths"), "{text}");

        let conv = get(f, "/api/analytics/pipeline-conversion", t).await;
        let (_, bytes) = object(pipeline).await;
        let (_, text) = pages_and_text(&bytes, "pipeline");
        for s in conv["funnel"].as_array().unwrap() {
            assert!(printed(&text, s["step"].as_str().unwrap(), &s["count"].to_string()), "{s:?}: {text}");
        }

        let (_, bytes) = object(csv).await;
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("section,row,column,value\r\n"), "{text}");
        for s in metrics["sourceEffectiveness"].as_array().unwrap() {
            let row = format!(
                "Source effectiveness,{},applications,{}\r\n",
                s["source"].as_str().unwrap(),
                s["applications"]
            );
            assert!(text.contains(&row), "{row}: {text}");
        }

        let (_, bytes) = object(json_id).await;
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["figures"]["dashboard"], dash);
        assert_eq!(body["figures"]["recruitmentMetrics"], metrics);

        let mails: Vec<OutgoingEmail> =
            e.sent.sent.lock().unwrap().iter().filter(|m| m.to == admin.email).cloned().collect();
        let ready = mails.iter().filter(|m| m.subject.contains("report is ready")).count();
        assert_eq!(ready, 6, "[{}] one mail per report", f.name);
        assert!(mails.iter().any(|m| m.text_body.contains(&format!("/api/reports/{bias}/download"))));
    }
}

mod schedules {
    //! Scheduled reports: a schedule's cron is read in its time zone; the `reports` schedule
    //! (fired here by hand at the times EventBridge or the local cron would) queues one report
    //! per due run, a repeated firing none, and the report is mailed to its owner and recipients.
    use super::*;
    use clearview_chain::reports::ReportsJob;
    use clearview_core::ports::queue::{Outcome, Scheduled};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub async fn a_scheduled_report_runs_once_per_due_time_and_is_mailed_to_owner_and_recipients(e: &Env) {
        let f = &*e.family;
        let admin = f.employer_admin("Scheduled").await;
        let other = f.employer_admin("Elsewhere").await;
        let (_, viewer) = f.staff(&admin, "viewer").await;
        let (_, outsider) = f.staff(&other, "viewer").await;
        let t = admin.token.as_str();

        // Refusals name their field.
        for (body, field) in [
            (json!({"type": "recruitment", "format": "csv", "cron": "61 * * * *"}), "cron"),
            (json!({"type": "recruitment", "format": "csv", "cron": "0 0 8 * * MON"}), "cron"),
            (
                json!({"type": "recruitment", "format": "csv", "cron": "0 8 * * MON", "timeZone": "Mars/Olympus"}),
                "timeZone",
            ),
            (json!({"type": "recruitment", "format": "csv", "cron": "0 8 * * MON", "rangeDays": 0}), "rangeDays"),
            (
                json!({"type": "recruitment", "format": "csv", "cron": "0 8 * * MON", "recipientIds": [outsider]}),
                "recipientIds[0]",
            ),
        ] {
            let a = f.post("/api/reports/schedule", Some(t), body.clone()).await;
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}] {body}: {:?}", f.name, a.body);
            assert!(a.body["errors"].as_array().unwrap().iter().any(|x| x["field"] == field), "{field}: {:?}", a.body);
        }

        let body = json!({"type": "recruitment", "format": "csv", "cron": "* * * * *", "timeZone": "Europe/Berlin",
                          "rangeDays": 7, "recipientIds": [viewer]});
        let made = f.post("/api/reports/schedule", Some(t), body).await;
        assert_eq!(made.status, StatusCode::CREATED, "[{}] {:?}", f.name, made.body);
        let s = made.body.clone();
        let id = s["id"].as_str().unwrap().to_owned();
        let next = OffsetDateTime::parse(s["nextRunAt"].as_str().unwrap(), &Rfc3339).unwrap();
        let now = OffsetDateTime::now_utc();
        assert!(next > now && next <= now + time::Duration::seconds(61), "every minute: {next} after {now}");
        let listed = f.get("/api/reports/schedules", t).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{:?}", listed.body);
        assert_eq!(f.get("/api/reports/schedules", &other.token).await.body["items"], json!([]));

        let job = ReportsJob(e.deps.clone());
        let reports =
            |tok: String| async move { f.get("/api/reports", &tok).await.body["items"].as_array().unwrap().clone() };
        // Not due yet: nothing made.
        assert_eq!(job.run(now).await, Outcome::Done);
        assert!(reports(t.to_owned()).await.is_empty());
        // Due: one report; the same firing again (EventBridge delivers at least once) none.
        let at = next + time::Duration::seconds(1);
        assert_eq!(job.run(at).await, Outcome::Done);
        assert_eq!(job.run(at).await, Outcome::Done);
        let made = reports(t.to_owned()).await;
        assert_eq!(made.len(), 1, "[{}] {made:?}", f.name);
        let r = &made[0];
        assert_eq!(r["scheduleId"], json!(id));
        let day = clearview_core::calendar::local_date(next, "Europe/Berlin");
        let to = day.previous_day().unwrap();
        assert_eq!(r["to"], json!(to.to_string()));
        assert_eq!(r["from"], json!((to - time::Duration::days(6)).to_string()));
        let moved = f.get("/api/reports/schedules", t).await.body["items"][0].clone();
        let later = OffsetDateTime::parse(moved["nextRunAt"].as_str().unwrap(), &Rfc3339).unwrap();
        assert_eq!(later, next + time::Duration::minutes(1), "{moved:?}");
        assert_eq!(moved["lastReportId"], r["id"]);
        assert_eq!(moved["runs"], json!(1));

        // The generator makes it and mails owner and recipient, each once.
        assert!((e.pump_reports)().await >= 1);
        let done = f.get("/api/reports", t).await.body["items"][0].clone();
        assert_eq!(done["status"], json!("completed"), "{done:?}");
        let sent = e.sent.sent.lock().unwrap().clone();
        let link = format!("/api/reports/{}/download", done["id"].as_str().unwrap());
        let viewer_email = f.get(&format!("/api/users/{viewer}"), t).await.body["email"].as_str().unwrap().to_owned();
        for to in [&admin.email, &viewer_email] {
            let n = sent.iter().filter(|m| &m.to == to && m.text_body.contains(&link)).count();
            assert_eq!(n, 1, "[{}] {to}: {:?}", f.name, sent.iter().map(|m| &m.to).collect::<Vec<_>>());
        }

        // Stopped: another organisation cannot see it; its owner's organisation can delete it once.
        assert_eq!(f.delete(&format!("/api/reports/schedules/{id}"), &other.token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(f.delete(&format!("/api/reports/schedules/{id}"), t).await.status, StatusCode::NO_CONTENT);
        assert_eq!(f.delete(&format!("/api/reports/schedules/{id}"), t).await.status, StatusCode::NOT_FOUND);
        assert_eq!(job.run(later + time::Duration::seconds(1)).await, Outcome::Done);
        assert_eq!(f.get("/api/reports", t).await.body["items"].as_array().unwrap().len(), 1, "no run after deletion");
    }
}

mod onboarding {
    //! Onboarding: templates instantiate a new hire's tasks (due from the start date, assigned by
    //! role), status and completion follow the dates and tasks, the daily schedule reports each
    //! overdue task once, and the figures equal a recount over the new hires.
    use super::*;
    use axum::http::Method;
    use clearview_chain::onboarding::OnboardingOverdue;
    use clearview_core::ports::queue::{Outcome, Scheduled};
    use clearview_tests::api::{Answer, Call};
    use std::collections::BTreeMap;
    use time::{Date, OffsetDateTime};

    async fn put(f: &Family, path: &str, token: &str, body: Value, if_match: Option<String>) -> Answer {
        let headers = if_match.map(|v| vec![("if-match", v)]).unwrap_or_default();
        f.send(Call { method: Method::PUT, path: path.into(), token: Some(token), body: Some(body), headers }).await
    }

    fn date(v: &Value) -> Date {
        Date::parse(v.as_str().unwrap(), time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    }

    async fn hired_application(f: &Family, admin: &Admin) -> (String, String) {
        let job = f.post("/api/jobs", Some(&admin.token), job_body("Site Reliability Engineer")).await;
        let job = job.body["id"].as_str().unwrap().to_owned();
        f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await;
        let mut apps = Vec::new();
        for name in ["Noor Haddad", "Ines Duarte"] {
            let (token, _, _) = candidate(f, name).await;
            let a = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
            assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
            apps.push(a.body["id"].as_str().unwrap().to_owned());
        }
        for _ in 0..6 {
            let moved =
                f.post(&format!("/api/applications/{}/advance-stage", apps[0]), Some(&admin.token), json!({})).await;
            assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        }
        let app = f.get(&format!("/api/applications/{}", apps[0]), &admin.token).await;
        assert_eq!(app.body["status"], "hired", "{:?}", app.body);
        (apps[0].clone(), apps[1].clone())
    }

    pub async fn new_hires_follow_their_template_dates_and_tasks_and_the_figures_equal_a_recount(e: &Env) {
        let f = &*e.family;
        let admin = f.employer_admin("Onboarders").await;
        let other = f.employer_admin("Strangers").await;
        let t = admin.token.as_str();
        let (manager, manager_id) = f.staff(&admin, "recruiter").await;
        let (bystander, _) = f.staff(&admin, "recruiter").await;
        let (hired, open) = hired_application(f, &admin).await;

        let bad = f
            .post(
                "/api/onboarding/templates",
                Some(t),
                json!({"name": "x", "tasks": [
                {"title": "Party", "kind": "party", "dueDays": 999, "assignee": "ceo"}]}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
        let fields: Vec<&str> =
            bad.body["errors"].as_array().unwrap().iter().map(|x| x["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["tasks[0].kind", "tasks[0].assignee", "tasks[0].dueDays"], "{:?}", bad.body);
        let eng = f
            .post("/api/onboarding/templates", Some(t), json!({"name": "Senior engineers", "department": "Engineering",
                "level": "senior", "tasks": [
                {"title": "Sign the contract", "kind": "document", "dueDays": -3, "assignee": "hr", "priority": "high"},
                {"title": "Production access", "kind": "system_access", "dueDays": 2, "assignee": "manager"},
                {"title": "Meet the team", "kind": "meeting", "dueDays": 5, "assignee": "new_hire", "required": false}]}))
            .await;
        assert_eq!(eng.status, StatusCode::CREATED, "{:?}", eng.body);
        let any = f
            .post(
                "/api/onboarding/templates",
                Some(t),
                json!({"name": "Everyone", "tasks": [
                {"title": "Security training", "kind": "compliance", "dueDays": 1, "assignee": "hr"}]}),
            )
            .await;
        assert_eq!(any.status, StatusCode::CREATED, "{:?}", any.body);
        assert_eq!(f.get("/api/onboarding/templates", t).await.body["items"].as_array().unwrap().len(), 2);

        let today = OffsetDateTime::now_utc().date();
        let start = today + time::Duration::days(2);
        let body = |app: &str| {
            json!({"applicationId": app, "startDate": start.to_string(), "managerId": manager_id,
                                      "department": "Engineering", "level": "Senior"})
        };
        let not_hired = f.post("/api/onboarding/new-hires", Some(t), body(&open)).await;
        assert_eq!(not_hired.status, StatusCode::CONFLICT, "{:?}", not_hired.body);
        let made = f.post("/api/onboarding/new-hires", Some(t), body(&hired)).await;
        assert_eq!(made.status, StatusCode::CREATED, "[{}] {:?}", f.name, made.body);
        let h = made.body.clone();
        let id = h["id"].as_str().unwrap().to_owned();
        assert_eq!(h["templateId"], eng.body["id"]);
        assert_eq!(h["status"], "pre_boarding");
        assert_eq!(h["completionPercent"], 0);
        let tasks = h["tasks"].as_array().unwrap().clone();
        let dues: Vec<Date> = tasks.iter().map(|t| date(&t["dueDate"])).collect();
        assert_eq!(
            dues,
            [start - time::Duration::days(3), start + time::Duration::days(2), start + time::Duration::days(5)]
        );
        let manager_email =
            f.get(&format!("/api/users/{manager_id}"), t).await.body["email"].as_str().unwrap().to_owned();
        assert_eq!(tasks[0]["assigneeEmail"], json!(admin.email));
        assert_eq!(tasks[1]["assigneeEmail"], json!(manager_email));
        assert_eq!(tasks[2]["assigneeEmail"], h["email"]);
        let again = f.post("/api/onboarding/new-hires", Some(t), body(&hired)).await;
        assert_eq!(again.problem_type(), "/problems/already-onboarding", "{:?}", again.body);

        // The manager sees their new hire; another recruiter and another organisation do not.
        let path = format!("/api/onboarding/new-hires/{id}");
        assert_eq!(f.get(&path, &manager).await.status, StatusCode::OK);
        assert_eq!(f.get(&path, &bystander).await.status, StatusCode::NOT_FOUND);
        assert_eq!(f.get(&path, &other.token).await.status, StatusCode::NOT_FOUND);
        assert_eq!(f.get("/api/onboarding/new-hires", &manager).await.status, StatusCode::FORBIDDEN);

        // The contract was due yesterday: reported once, to HR, however often the schedule runs.
        let overdue = OnboardingOverdue(e.deps.clone());
        let at = OffsetDateTime::now_utc();
        assert_eq!(overdue.run(at).await, Outcome::Done);
        assert_eq!(overdue.run(at).await, Outcome::Done);
        let told: Vec<OutgoingEmail> = e
            .sent
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.subject == "Overdue onboarding task: Sign the contract" && m.to == admin.email)
            .cloned()
            .collect();
        assert_eq!(told.len(), 1, "[{}] {told:?}", f.name);
        let now = f.get(&path, t).await.body.clone();
        assert_eq!(now["overdueTasks"], 1);
        assert!(now["tasks"][0]["overdueNotifiedAt"].is_string());

        // Done by the manager; done again changes nothing.
        let task = |i: usize| format!("/api/onboarding/tasks/{}/complete", tasks[i]["id"].as_str().unwrap());
        let one = put(f, &task(0), &manager, json!(null), None).await;
        assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
        assert_eq!(one.body["completionPercent"], 33);
        assert_eq!(put(f, &task(0), &bystander, json!(null), None).await.status, StatusCode::NOT_FOUND);
        let two = put(f, &task(1), &manager, json!(null), None).await;
        assert_eq!(two.body["status"], "completed", "every required task is done: {:?}", two.body);
        let repeat = put(f, &task(1), &manager, json!(null), None).await;
        assert_eq!(repeat.body["version"], two.body["version"]);

        // Moving the start moves the open task; If-Match is required.
        let later = start + time::Duration::days(7);
        let moved = put(f, &path, t, json!({"startDate": later.to_string()}), None).await;
        assert_eq!(moved.status, StatusCode::PRECONDITION_REQUIRED, "{:?}", moved.body);
        let v = format!("\"{}\"", repeat.body["version"]);
        let moved = put(f, &path, t, json!({"startDate": later.to_string()}), Some(v)).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        assert_eq!(date(&moved.body["tasks"][2]["dueDate"]), later + time::Duration::days(5));

        // The figures equal a recount over every new hire.
        let figures = f.get("/api/onboarding/analytics", t).await;
        assert_eq!(figures.status, StatusCode::OK, "{:?}", figures.body);
        let hires = f.get("/api/onboarding/new-hires", t).await.body["items"].as_array().unwrap().clone();
        let mut recount: BTreeMap<String, [i64; 5]> = BTreeMap::new();
        for h in &hires {
            let tpl = h["templateId"].as_str().unwrap_or("none").to_owned();
            let r = recount.entry(tpl).or_default();
            let ts = h["tasks"].as_array().unwrap();
            r[0] += 1;
            r[1] += i64::from(h["completedAt"].is_string());
            r[2] += ts.len() as i64;
            r[3] += ts.iter().filter(|t| t["completedAt"].is_string()).count() as i64;
            r[4] +=
                ts.iter().filter(|t| t["completedAt"].is_null() && t["overdueNotifiedAt"].is_string()).count() as i64;
        }
        for row in figures.body["templates"].as_array().unwrap() {
            let tpl = row["templateId"].as_str().unwrap_or("none");
            let r = recount[tpl];
            let got =
                ["newHires", "completed", "tasks", "tasksCompleted", "overdueTasks"].map(|k| row[k].as_i64().unwrap());
            assert_eq!(got, r, "[{}] {tpl}: {row:?}", f.name);
        }
        let eng_row = &figures.body["templates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["templateId"] == eng.body["id"])
            .unwrap()
            .clone();
        assert_eq!(eng_row["completionRate"], json!(1.0));
        assert_eq!(eng_row["medianDaysToComplete"], json!(0.0), "completed before the start: 0 days");
        assert_eq!(eng_row["templateName"], "Senior engineers");
        assert_eq!(f.get("/api/onboarding/analytics", &other.token).await.body["templates"], json!([]));
    }
}

mod models {
    //! AI models: a shadow run scores the same applications with the candidate version without
    //! effect, its comparison equals a brute-force rescoring, and only then may an admin switch
    //! the organisation's scoring version, after which the chain scores with it.
    use super::*;
    use clearview_core::keys;
    use clearview_core::model::{Job, StageResult};
    use clearview_core::ports::store::Condition;
    use clearview_core::record::{self, Record};
    use clearview_core::services::criteria::scoring_criteria;
    use clearview_core::values::{JobId, OrgId};
    use clearview_screening::models::{CV_SCORE_1_0_0, CV_SCORE_1_1_0};
    use clearview_screening::score::Recommendation;
    use time::OffsetDateTime;

    fn resume(name: &str, city: &str, years: i32, skills: &str) -> String {
        let start = 2026 - years;
        format!(
            "{name}\n{}@mail.example | +49 30 5550 {years:04} | {city}, Germany\n\nEXPERIENCE\n\
             Software Engineer | Northwind | Jan {start} – Present\n- Built {skills} services\n\n\
             EDUCATION\nTechnical University\nB.Sc. in Computer Science, 2012\n\nSKILLS\n{skills}\n",
            name.split(' ').next().unwrap().to_lowercase()
        )
    }

    /// Stores what the chain would have for an application: the parsed and anonymised resume and
    /// a score under the default version, on a finished run.
    async fn screened(e: &Env, org: &OrgId, app: &str, text: &str, criteria: &clearview_screening::ScoringCriteria) {
        let store = &e.family.store;
        let run = format!("run-{app}");
        let key = keys::application(org, app);
        let mut item = store.get(&key).await.unwrap().unwrap();
        item.data["processing"]["runId"] = json!(run);
        item.data["processing"]["stage"] = json!("checked");
        store.put(item, Condition::None).await.unwrap();
        let parsed = clearview_screening::structure::parse_text_at(text, time::macros::date!(2026 - 11 - 01));
        let profile = clearview_screening::anonymize(&parsed, &parsed.text);
        let score = clearview_screening::score(&profile, criteria);
        for (stage, body) in [("parsed", json!(parsed)), ("anonymized", json!(profile)), ("score", json!(score))] {
            let r = StageResult {
                application_id: app.to_owned(),
                org_id: org.clone(),
                stage: stage.into(),
                run_id: run.clone(),
                produced_by: "test".into(),
                body,
                at: OffsetDateTime::now_utc(),
            };
            store.put(r.to_item().unwrap(), Condition::None).await.unwrap();
        }
    }

    fn rec(r: Recommendation) -> usize {
        match r {
            Recommendation::Advance => 0,
            Recommendation::Review => 1,
            Recommendation::Reject => 2,
        }
    }

    pub async fn a_scoring_version_is_switched_only_after_a_shadow_run_that_changed_nothing(e: &Env) {
        let f = e.family.as_ref();
        let admin = f.employer_admin("ModelCo").await;
        let org = OrgId::trusted(&admin.org);
        let t = &admin.token;
        let mut body = job_body("Backend Engineer");
        body["criteria"]["autoApproveThreshold"] = json!(80);
        body["criteria"]["autoRejectThreshold"] = json!(50);
        let job = f.post("/api/jobs", Some(t), body).await;
        assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
        let job_id = job.body["id"].as_str().unwrap().to_owned();
        let p = f.post(&format!("/api/jobs/{job_id}/publish"), Some(t), json!(null)).await;
        assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
        let stored: Job =
            record::get(f.store.as_ref(), &keys::job(&org, &JobId::parse(&job_id).unwrap())).await.unwrap().unwrap();
        let criteria = scoring_criteria(&stored);

        // The models in use: every type, the default scoring version active.
        let list = f.get("/api/ai-models", t).await;
        assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
        let models = list.body["models"].as_array().unwrap();
        let types: std::collections::BTreeSet<&str> = models.iter().map(|m| m["modelType"].as_str().unwrap()).collect();
        assert_eq!(types.len(), 4, "{types:?}");
        let active: Vec<&str> = models
            .iter()
            .filter(|m| m["modelType"] == "candidate_scoring" && m["active"] == json!(true))
            .map(|m| m["version"].as_str().unwrap())
            .collect();
        assert_eq!(active, ["cv-score-1.0.0"]);

        let people = [
            ("Ada Berg", "Berlin", 6, "Rust, PostgreSQL, Kubernetes"),
            ("Ben Kurz", "Munich", 2, "Rust, PostgreSQL"),
            ("Cem Yilmaz", "Hamburg", 1, "Rust"),
            ("Dana Roth", "Berlin", 2, "Rust, PostgreSQL, Kubernetes"),
            ("Eli Stern", "Cologne", 4, "PostgreSQL, Kubernetes"),
        ];
        let mut apps = Vec::new();
        let mut texts = Vec::new();
        for (name, city, years, skills) in people {
            let (token, _, _) = candidate(f, name).await;
            let a = f.post("/api/applications", Some(&token), json!({"jobId": job_id})).await;
            assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
            let id = a.body["id"].as_str().unwrap().to_owned();
            let text = resume(name, city, years, skills);
            screened(e, &org, &id, &text, &criteria).await;
            apps.push(id);
            texts.push(text);
        }
        let before: Vec<Value> = {
            let mut v = Vec::new();
            for a in &apps {
                v.push(f.store.get(&keys::stage_result(&org, a, "score")).await.unwrap().unwrap().data);
            }
            v
        };

        // Bad asks name their field; a recruiter may not ask.
        for (body, field) in [
            (json!({"candidateVersion": "cv-score-1.0.0", "jobIds": [job_id]}), "candidateVersion"),
            (json!({"candidateVersion": "cv-score-7", "jobIds": [job_id]}), "candidateVersion"),
            (json!({"candidateVersion": "cv-score-1.1.0", "jobIds": []}), "jobIds"),
        ] {
            let bad = f.post("/api/ai-models/shadow-runs", Some(t), body).await;
            assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
            assert_eq!(bad.body["errors"][0]["field"], field, "{:?}", bad.body);
        }
        let (recruiter, _) = f.staff(&admin, "recruiter").await;
        let ask = json!({"candidateVersion": "cv-score-1.1.0", "jobIds": [job_id]});
        assert_eq!(
            f.post("/api/ai-models/shadow-runs", Some(&recruiter), ask.clone()).await.status,
            StatusCode::FORBIDDEN
        );

        // Activation before any shadow run is refused.
        let missing = json!({"version": "cv-score-1.1.0", "shadowRunId": "00000000-0000-7000-8000-000000000000"});
        assert_eq!(f.post("/api/ai-models/activate", Some(t), missing).await.status, StatusCode::NOT_FOUND);

        let run = f.post("/api/ai-models/shadow-runs", Some(t), ask).await;
        assert_eq!(run.status, StatusCode::ACCEPTED, "{:?}", run.body);
        assert_eq!(run.body["status"], "processing");
        assert_eq!(run.body["activeVersion"], "cv-score-1.0.0");
        let run_id = run.body["id"].as_str().unwrap().to_owned();
        let early = json!({"version": "cv-score-1.1.0", "shadowRunId": run_id});
        let early = f.post("/api/ai-models/activate", Some(t), early).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "a run still processing: {:?}", early.body);

        assert_eq!((e.pump_shadow)().await, 1);
        let done = f.get(&format!("/api/ai-models/shadow-runs/{run_id}"), t).await;
        assert_eq!(done.status, StatusCode::OK);
        assert_eq!(done.body["status"], "completed", "{:?}", done.body);
        let c = &done.body["comparison"];

        // The brute force: rescore every stored profile with both versions.
        let mut matrix = vec![vec![0i64; 3]; 3];
        let (mut raised, mut lowered, mut max) = (0, 0, 0u8);
        for a in &apps {
            let profile = f.store.get(&keys::stage_result(&org, a, "anonymized")).await.unwrap().unwrap();
            let profile: clearview_screening::AnonymizedProfile =
                serde_json::from_value(profile.data["body"].clone()).unwrap();
            let x = clearview_screening::score_with(&CV_SCORE_1_0_0, &profile, &criteria);
            let y = clearview_screening::score_with(&CV_SCORE_1_1_0, &profile, &criteria);
            matrix[rec(x.recommendation)][rec(y.recommendation)] += 1;
            let d = i16::from(y.overall) - i16::from(x.overall);
            raised += i64::from(d > 0);
            lowered += i64::from(d < 0);
            max = max.max(d.unsigned_abs() as u8);
        }
        assert_eq!(c["applications"], 5, "{c:?}");
        assert_eq!(c["recommendations"]["counts"], json!(matrix));
        assert_eq!(c["scoreShift"]["raised"], raised);
        assert_eq!(c["scoreShift"]["lowered"], lowered);
        assert_eq!(c["scoreShift"]["maxAbsolute"], max);
        assert!(raised > 0, "1.1.0 is gentler on near misses: {c:?}");
        let agree = (0..3).map(|i| matrix[i][i]).sum::<i64>() as f64 / 5.0;
        assert!((c["agreementRate"].as_f64().unwrap() - agree).abs() < 1e-9);
        assert_eq!(c["activeAudit"]["totalRecords"], 5);

        // Shadow: nothing about the applications changed.
        for (a, b) in apps.iter().zip(&before) {
            let now = f.store.get(&keys::stage_result(&org, a, "score")).await.unwrap().unwrap().data;
            assert_eq!(&now, b, "a shadow run wrote a score");
        }
        let list = f.get("/api/ai-models/shadow-runs", t).await;
        assert_eq!(list.body["items"][0]["id"], run_id.as_str(), "{:?}", list.body);

        // The switch, acknowledging any category newly below four-fifths.
        let flags = c["newFourFifthsFlags"].as_array().unwrap().len();
        let mut switch = json!({"version": "cv-score-1.1.0", "shadowRunId": run_id});
        if flags > 0 {
            let unread = f.post("/api/ai-models/activate", Some(t), switch.clone()).await;
            assert_eq!(unread.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(unread.body["errors"][0]["field"], "acknowledgeFourFifths");
            switch["acknowledgeFourFifths"] = json!(true);
        }
        let (viewer, _) = f.staff(&admin, "viewer").await;
        assert_eq!(
            f.post("/api/ai-models/activate", Some(&viewer), switch.clone()).await.status,
            StatusCode::FORBIDDEN
        );
        let on = f.post("/api/ai-models/activate", Some(t), switch.clone()).await;
        assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
        assert_eq!(on.body["modelVersion"], "cv-score-1.1.0");
        let again = f.post("/api/ai-models/activate", Some(t), switch).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "already active: {:?}", again.body);
        let audit = f.get("/api/audit?action=ai_model.activated", t).await;
        assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
        assert_eq!(audit.body["items"][0]["after"]["modelVersion"], "cv-score-1.1.0", "{:?}", audit.body);
        let list = f.get("/api/ai-models", t).await;
        let active: Vec<&str> = list.body["models"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["modelType"] == "candidate_scoring" && m["active"] == json!(true))
            .map(|m| m["version"].as_str().unwrap())
            .collect();
        assert_eq!(active, ["cv-score-1.1.0"]);

        // From now on the chain scores with it: a reprocessed application's new score says so
        // and equals the brute-force score with 1.1.0. Another organisation still uses 1.0.0.
        let re = f.post(&format!("/api/applications/{}/reprocess-ai", apps[1]), Some(t), json!(null)).await;
        assert!(re.status.is_success(), "{:?}", re.body);
        assert!((e.pump_score)().await >= 1);
        let now = f.store.get(&keys::stage_result(&org, &apps[1], "score")).await.unwrap().unwrap();
        assert_eq!(now.data["body"]["modelVersion"], "cv-score-1.1.0", "{:?}", now.data);
        let parsed = clearview_screening::structure::parse_text_at(&texts[1], time::macros::date!(2026 - 11 - 01));
        let expected = clearview_screening::score_with(
            &CV_SCORE_1_1_0,
            &clearview_screening::anonymize(&parsed, &parsed.text),
            &criteria,
        );
        assert_eq!(now.data["body"]["overall"], expected.overall);
        let other = f.employer_admin("OtherModelCo").await;
        let theirs = f.get("/api/ai-models", &other.token).await;
        assert!(
            theirs.body["models"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["version"] == "cv-score-1.0.0" && m["active"] == json!(true))
        );
        let hidden = f.get(&format!("/api/ai-models/shadow-runs/{run_id}"), &other.token).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    }
}

macro_rules! analytics_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn every_figure_equals_a_brute_force_recount_and_a_redelivered_event_counts_once() {
            super::analytics::every_figure_equals_a_brute_force_recount_and_a_redelivered_event_counts_once(
                &$env().await,
            )
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_scoring_version_is_switched_only_after_a_shadow_run_that_changed_nothing() {
            super::models::a_scoring_version_is_switched_only_after_a_shadow_run_that_changed_nothing(&$env().await)
                .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn new_hires_follow_their_template_dates_and_tasks_and_the_figures_equal_a_recount() {
            super::onboarding::new_hires_follow_their_template_dates_and_tasks_and_the_figures_equal_a_recount(
                &$env().await,
            )
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_scheduled_report_runs_once_per_due_time_and_is_mailed_to_owner_and_recipients() {
            super::schedules::a_scheduled_report_runs_once_per_due_time_and_is_mailed_to_owner_and_recipients(
                &$env().await,
            )
            .await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-analytics-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let sent = Arc::new(Recording { inner: local.mailer.clone(), sent: Mutex::new(Vec::new()) });
        let mut deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
        deps.mail = sent.clone();
        let family = Arc::new(clearview_tests::families::embedded(&local, deps.clone()));
        let pump = pump_of(&local, Arc::new(AnalyticsConsumer(deps.clone())));
        let pump_reports = pump_of(&local, Arc::new(ReportGenerateConsumer(deps.clone())));
        let pump_shadow = pump_of(&local, Arc::new(ShadowRunConsumer(deps.clone())));
        let pump_score = pump_of(&local, Arc::new(ScoreConsumer(deps.clone())));
        Env { family, deps, pump, pump_reports, pump_shadow, pump_score, sent }
    }

    fn pump_of(local: &LocalFamily, consumer: Arc<dyn Consumer>) -> Pump {
        let queues = local.queues.clone();
        Box::new(move || -> BoxFut<'static, usize> {
            let (queues, consumer) = (queues.clone(), consumer.clone());
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        })
    }

    analytics_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::{Moto, TestChain};
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::ports::queue::Queues;
    use std::time::Duration;

    async fn env() -> Env {
        let moto = Moto::pick().await;
        let store = Arc::new(moto.store().await);
        let p = clearview_tests::families::moto_pool(moto).await;
        let chain = moto.chain().await;
        let sent = Arc::new(Recording { inner: Arc::new(moto.mailer().await), sent: Mutex::new(Vec::new()) });
        let deps = Deps::new(store, Arc::new(p.pool.identity), sent.clone(), Arc::new(SystemClock), Arc::new(UuidV7))
            .with_queues(Arc::new(chain.queues.clone()))
            .with_events(Arc::new(chain.events.clone()))
            .with_blobs(Arc::new(chain.blobs.clone()))
            .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])));
        let family = Arc::new(clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks));
        let pump = pump_of(&chain, Arc::new(AnalyticsConsumer(deps.clone())));
        let pump_reports = pump_of(&chain, Arc::new(ReportGenerateConsumer(deps.clone())));
        let pump_shadow = pump_of(&chain, Arc::new(ShadowRunConsumer(deps.clone())));
        let pump_score = pump_of(&chain, Arc::new(ScoreConsumer(deps.clone())));
        Env { family, deps, pump, pump_reports, pump_shadow, pump_score, sent }
    }

    fn pump_of(chain: &TestChain, consumer: Arc<dyn Consumer>) -> Pump {
        let chain = chain.clone();
        Box::new(move || -> BoxFut<'static, usize> {
            let (chain, consumer) = (chain.clone(), consumer.clone());
            Box::pin(async move {
                let queues: &dyn Queues = &chain.queues;
                let mut handled = 0;
                loop {
                    let report = chain.pump(consumer.queue(), consumer.as_ref(), queues, Duration::from_secs(1)).await;
                    assert!(report.failed().is_empty(), "{report:?}");
                    if report.received() == 0 {
                        return handled;
                    }
                    handled += report.received();
                }
            })
        })
    }

    analytics_tests!(env);
}
