//! Reports: the `reports` schedule fires due report schedules, and the `report-generate`
//! consumer renders each requested report.

use async_trait::async_trait;
use clearview_core::Deps;
use clearview_core::ports::queue::{Outcome, Scheduled};
use clearview_core::ports::store::Condition;
use time::OffsetDateTime;

/// The `reports` schedule (every minute): queues a report for every report schedule that has
/// come due and moves each to its next run (clearview_core::services::report_schedules).
pub struct ReportsJob(pub Deps);

#[async_trait]
impl Scheduled for ReportsJob {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        // A late firing still runs everything due by now.
        let now = self.0.clock.now().max(scheduled_at);
        match clearview_core::services::report_schedules::fire_due(&self.0, now).await {
            Ok(f) => {
                if f.queued + f.skipped > 0 {
                    tracing::info!(
                        schedule = "reports",
                        queued = f.queued,
                        skipped = f.skipped,
                        "scheduled reports queued"
                    );
                }
                Outcome::Done
            }
            Err(e @ (AppError::Unavailable(_) | AppError::TooManyRequests(_) | AppError::Conflict { .. })) => {
                Outcome::Retry(format!("firing report schedules: {e}"))
            }
            Err(e) => Outcome::Poison(format!("firing report schedules: {e}")),
        }
    }
}

// ------------------------------------------------------------------ generation on request

use crate::report_render::{self as render, Chart, ChartKind, ReportDoc, Section, int, num};
use clearview_core::AppError;
use clearview_core::keys;
use clearview_core::model::User;
use clearview_core::ports::mail::OutgoingEmail;
use clearview_core::ports::queue::{Consumer, WorkMessage, WorkQueue};
use clearview_core::record::{self, Record};
use clearview_core::services::analytics::{self as an, RangeQuery};
use clearview_core::services::reports::{self as rep, Report};
use clearview_core::services::{Actor, pipeline};
use clearview_core::values::{JobId, OrgId};

/// Consumes `report-requests`: renders the report, stores it under `reports/`, marks it
/// completed (or failed with the reason) and mails the requester a link. Idempotent: a report
/// no longer `processing` is left alone, and the mail carries the report id as its dedupe key.
pub struct ReportGenerateConsumer(pub Deps);

fn range_of(r: &Report) -> RangeQuery {
    RangeQuery { from: Some(r.from.clone()), to: Some(r.to.clone()), job_id: None }
}

async fn requester(deps: &Deps, r: &Report) -> Result<Actor, AppError> {
    let user: User = record::get(deps.store.as_ref(), &keys::user(&r.org_id, &r.requested_by))
        .await?
        .ok_or_else(|| AppError::Forbidden("the requester's account is gone".into()))?;
    if user.status == clearview_core::model::UserStatus::Disabled {
        return Err(AppError::Forbidden("the requester's account has been removed".into()));
    }
    let permissions = clearview_core::rbac::effective(user.role, &user.overrides);
    if !permissions.contains(&clearview_core::rbac::Permission::AnalyticsRead) {
        return Err(AppError::Forbidden("the requester may no longer read analytics".into()));
    }
    Ok(Actor { user, permissions })
}

fn kv(title: &str, rows: Vec<(&str, String)>) -> Section {
    Section {
        title: title.into(),
        columns: vec!["figure".into(), "value".into()],
        rows: rows.into_iter().map(|(k, v)| vec![k.to_owned(), v]).collect(),
        chart: None,
        notes: vec![],
    }
}

async fn recruitment_sections(deps: &Deps, a: &Actor, r: &Report, jobs: &[JobId]) -> Result<Vec<Section>, AppError> {
    let q = range_of(r);
    let d = an::dashboard(deps, a, q.clone()).await?;
    let m = an::recruitment_metrics(deps, a, q).await?;
    let mut head = kv(
        "Headline figures",
        vec![
            ("Jobs published", int(d.jobs_published)),
            ("Active jobs", int(d.active_jobs)),
            ("Job views", int(d.job_views)),
            ("Applications", int(d.applications)),
            ("Reached an interview", int(d.interviews)),
            ("Offers", int(d.offers)),
            ("Hires", int(d.hires)),
            ("Rejected", int(d.rejected)),
            ("Withdrawn", int(d.withdrawn)),
            ("Interview rate", num(d.interview_rate)),
            ("Time to hire (mean days)", num(m.time_to_hire.mean_days)),
            ("Time to fill (mean days)", num(m.time_to_fill.mean_days)),
            ("Offer acceptance rate", num(m.offer_acceptance.acceptance_rate)),
        ],
    );
    let from = time::Date::parse(&r.from, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let to = time::Date::parse(&r.to, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let series = an::daily(deps, a.org(), from, to, "APPLIED", jobs).await?;
    head.chart = Some(Chart {
        kind: ChartKind::Line,
        title: "Applications per day".into(),
        labels: series.iter().map(|(d, _)| d.clone()).collect(),
        values: series.iter().map(|(_, n)| *n as f64).collect(),
        reference: None,
    });
    let per_job = Section {
        title: "Applications per job".into(),
        columns: vec!["job".into(), "applications".into()],
        rows: m.applications_per_job.jobs.iter().map(|j| vec![j.job_id.clone(), int(j.applications)]).collect(),
        chart: Some(Chart {
            kind: ChartKind::Bar,
            title: "Applications per job".into(),
            labels: m.applications_per_job.jobs.iter().map(|j| j.job_id[..8].to_owned()).collect(),
            values: m.applications_per_job.jobs.iter().map(|j| j.applications as f64).collect(),
            reference: None,
        }),
        notes: vec![format!("Mean per job: {}", num(m.applications_per_job.mean))],
    };
    Ok(vec![head, per_job, sources_section(&m.source_effectiveness)])
}

fn sources_section(s: &[an::SourceFigures]) -> Section {
    Section {
        title: "Source effectiveness".into(),
        columns: vec!["source".into(), "applications".into(), "hires".into(), "hire rate".into()],
        rows: s.iter().map(|s| vec![s.source.clone(), int(s.applications), int(s.hires), num(s.hire_rate)]).collect(),
        chart: Some(Chart {
            kind: ChartKind::Bar,
            title: "Applications by source".into(),
            labels: s.iter().map(|s| s.source.clone()).collect(),
            values: s.iter().map(|s| s.applications as f64).collect(),
            reference: None,
        }),
        notes: vec![],
    }
}

fn funnel_section(f: &[an::FunnelStep]) -> Section {
    Section {
        title: "Funnel: job view to hire".into(),
        columns: vec!["step".into(), "count".into(), "from previous".into(), "from applied".into()],
        rows: f.iter().map(|s| vec![s.step.clone(), int(s.count), num(s.from_previous), num(s.from_applied)]).collect(),
        chart: Some(Chart {
            kind: ChartKind::Funnel,
            title: "Funnel".into(),
            labels: f.iter().map(|s| s.step.clone()).collect(),
            values: f.iter().map(|s| s.count as f64).collect(),
            reference: None,
        }),
        notes: vec!["Each status counts once per application, whatever moves came between.".into()],
    }
}

async fn pipeline_sections(deps: &Deps, a: &Actor, r: &Report) -> Result<Vec<Section>, AppError> {
    let c = an::pipeline_conversion(deps, a, range_of(r)).await?;
    let stages = Section {
        title: "Pipeline stages".into(),
        columns: vec!["stage".into(), "entered".into(), "conversion".into(), "drop-off".into(), "median h <=".into()],
        rows: c
            .by_stage
            .iter()
            .map(|s: &pipeline::StageFigures| {
                vec![
                    s.stage_id.clone(),
                    int(s.entered),
                    num(s.conversion_rate),
                    num(s.drop_off_rate),
                    s.median_hours_at_most.map(|h| h.to_string()).unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
        chart: Some(Chart {
            kind: ChartKind::Bar,
            title: "Entries per stage".into(),
            labels: c.by_stage.iter().map(|s| s.stage_id.clone()).collect(),
            values: c.by_stage.iter().map(|s| s.entered as f64).collect(),
            reference: None,
        }),
        notes: vec![],
    };
    Ok(vec![funnel_section(&c.funnel), stages])
}

async fn ai_sections(deps: &Deps, a: &Actor, r: &Report) -> Result<Vec<Section>, AppError> {
    let p = an::ai_performance(deps, a, range_of(r)).await?;
    let o = &p.overall;
    let mut out = vec![kv(
        "The tool against people's decisions",
        vec![
            ("Decisions", int(o.decisions)),
            ("Agreement rate", num(o.agreement_rate)),
            ("Cohen's kappa", num(o.cohens_kappa)),
            ("Overrides", int(o.overrides)),
            ("Screened", int(o.screened)),
            ("Counterfactual flags", int(o.counterfactual_flagged)),
            ("Counterfactual flag rate", num(o.counterfactual_flag_rate)),
        ],
    )];
    let labels = &o.confusion_matrix.labels;
    let mut columns = vec!["recommended / decided".to_owned()];
    columns.extend(labels.iter().cloned());
    out.push(Section {
        title: "Confusion matrix".into(),
        columns,
        rows: labels
            .iter()
            .zip(&o.confusion_matrix.counts)
            .map(|(l, row)| std::iter::once(l.clone()).chain(row.iter().map(|n| int(*n))).collect())
            .collect(),
        chart: None,
        notes: vec!["Rows: the tool's recommendation; columns: the person's decision.".into()],
    });
    out.push(Section {
        title: "Overrides by reason".into(),
        columns: vec!["reason".into(), "overrides".into()],
        rows: o.overrides_by_reason.iter().map(|(k, v)| vec![k.clone(), int(*v)]).collect(),
        chart: Some(Chart {
            kind: ChartKind::Bar,
            title: "Overrides by reason".into(),
            labels: o.overrides_by_reason.keys().cloned().collect(),
            values: o.overrides_by_reason.values().map(|v| *v as f64).collect(),
            reference: None,
        }),
        notes: vec![],
    });
    out.push(Section {
        title: "Per model version".into(),
        columns: vec!["model".into(), "decisions".into(), "agreement".into(), "kappa".into(), "flag rate".into()],
        rows: p
            .by_model_version
            .iter()
            .map(|m| {
                let f = &m.figures;
                vec![
                    m.model_version.clone(),
                    int(f.decisions),
                    num(f.agreement_rate),
                    num(f.cohens_kappa),
                    num(f.counterfactual_flag_rate),
                ]
            })
            .collect(),
        chart: None,
        notes: vec![],
    });
    Ok(out)
}

async fn bias_sections(deps: &Deps, a: &Actor, jobs: &[JobId]) -> Result<Vec<Section>, AppError> {
    let mut out = Vec::new();
    for job in jobs {
        let audit = crate::audit::job_bias_audit(deps, a, job).await?;
        let mut rows = Vec::new();
        let (mut labels, mut values) = (Vec::new(), Vec::new());
        for dim in [&audit.report.sex, &audit.report.race_ethnicity, &audit.report.intersectional] {
            for c in &dim.categories {
                let count = c.count.map(|n| n.to_string()).unwrap_or_else(|| "withheld".into());
                let flag = match (c.below_four_fifths, c.selection_impact_ratio.or(c.scoring_impact_ratio)) {
                    (Some(true), _) => "BELOW 4/5",
                    (Some(false), Some(_)) => "ok",
                    _ => "-",
                };
                rows.push(vec![
                    dim.dimension.clone(),
                    c.category.clone(),
                    count,
                    num(c.selection_rate),
                    num(c.selection_impact_ratio),
                    num(c.scoring_rate),
                    num(c.scoring_impact_ratio),
                    flag.into(),
                ]);
                if let Some(ir) = c.selection_impact_ratio
                    && dim.dimension != "intersectional"
                {
                    labels.push(c.category.clone());
                    values.push(ir);
                }
            }
        }
        out.push(Section {
            title: format!("LL144 impact ratios, job {}", &job.as_str()[..8]),
            columns: vec![
                "dimension".into(),
                "category".into(),
                "n".into(),
                "sel. rate".into(),
                "sel. IR".into(),
                "score rate".into(),
                "score IR".into(),
                "4/5 rule".into(),
            ],
            rows,
            chart: Some(Chart {
                kind: ChartKind::Bar,
                title: "Selection impact ratio by category (red: the four-fifths threshold)".into(),
                labels,
                values,
                reference: Some(0.8),
            }),
            notes: vec![
                format!("Job {job}. {}", audit.method),
                "IR: impact ratio (the category's rate / the highest category's rate); BELOW 4/5: under 0.8 (the EEOC four-fifths rule).".into(),
                audit.report.suppression.rule.clone(),
            ],
        });
    }
    Ok(out)
}

/// The report's document (and its figures as JSON).
pub async fn build(deps: &Deps, r: &Report) -> Result<(ReportDoc, serde_json::Value), AppError> {
    let a = requester(deps, r).await?;
    let jobs: Vec<JobId> = r.job_ids.iter().filter_map(|j| JobId::parse(j)).collect();
    let q = range_of(r);
    let (sections, json) = match r.kind.as_str() {
        "recruitment" => (
            recruitment_sections(deps, &a, r, &jobs).await?,
            serde_json::json!({
                "dashboard": an::dashboard(deps, &a, q.clone()).await?,
                "recruitmentMetrics": an::recruitment_metrics(deps, &a, q).await?,
            }),
        ),
        "pipeline" => (
            pipeline_sections(deps, &a, r).await?,
            serde_json::json!({"pipelineConversion": an::pipeline_conversion(deps, &a, q).await?}),
        ),
        "ai_performance" => (
            ai_sections(deps, &a, r).await?,
            serde_json::json!({"aiPerformance": an::ai_performance(deps, &a, q).await?}),
        ),
        "candidate_analytics" => {
            let m = an::recruitment_metrics(deps, &a, q.clone()).await?;
            let c = an::pipeline_conversion(deps, &a, q).await?;
            (
                vec![sources_section(&m.source_effectiveness), funnel_section(&c.funnel)],
                serde_json::json!({"sourceEffectiveness": m.source_effectiveness, "funnel": c.funnel}),
            )
        }
        "bias_audit" => {
            let jobs = if jobs.is_empty() {
                an::recruitment_metrics(deps, &a, q)
                    .await?
                    .applications_per_job
                    .jobs
                    .iter()
                    .filter_map(|j| JobId::parse(&j.job_id))
                    .collect()
            } else {
                jobs.clone()
            };
            let mut audits = Vec::new();
            for j in &jobs {
                audits.push(crate::audit::job_bias_audit(deps, &a, j).await?);
            }
            (bias_sections(deps, &a, &jobs).await?, serde_json::json!({"biasAudits": audits}))
        }
        _ => {
            let mut s = recruitment_sections(deps, &a, r, &jobs).await?;
            s.extend(pipeline_sections(deps, &a, r).await?);
            s.extend(ai_sections(deps, &a, r).await?);
            (s, serde_json::json!({"dashboard": an::dashboard(deps, &a, q).await?}))
        }
    };
    let title = format!("ClearView {} report", r.kind.replace('_', " "));
    let doc = ReportDoc {
        title: title.clone(),
        lines: vec![
            format!("From {} to {} (UTC days, inclusive)", r.from, r.to),
            format!("Organisation {}", r.org_id),
            format!("Requested by {} on {}", r.requested_email, r.created_at.date()),
            if r.job_ids.is_empty() { "All jobs".into() } else { format!("Jobs: {}", r.job_ids.join(", ")) },
        ],
        sections,
    };
    let json = serde_json::json!({"report": title, "from": r.from, "to": r.to, "type": r.kind, "figures": json});
    Ok((doc, json))
}

async fn save(deps: &Deps, before: &Report, after: &Report) -> Result<(), AppError> {
    deps.store.put(after.to_item()?, Condition::VersionIs(before.version)).await.map_err(AppError::from)
}

#[async_trait]
impl Consumer for ReportGenerateConsumer {
    fn queue(&self) -> WorkQueue {
        rep::QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let deps = &self.0;
        let (Some(org), Some(id)) = (m.body["orgId"].as_str().and_then(OrgId::parse), m.body["reportId"].as_str())
        else {
            return Outcome::Poison("not a report request".into());
        };
        let report = match rep::get(deps, &org, id).await {
            Ok(r) => r,
            // A scheduled run queues its report before storing it (report_schedules::fire_due):
            // wait for it; a report that never appears ends in the dead-letter queue.
            Err(AppError::NotFound(_)) => return Outcome::Retry(format!("report {id} is not stored (yet)")),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        if report.status == "completed" {
            // A redelivery after the report was made: announce it again (the event's id is the
            // report's, so webhooks deliver it once), in case the first delivery stopped before.
            return match deps.events.publish(&rep::ready_event(&report, deps.clock.now())).await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(format!("announcing report {}: {e}", report.id)),
            };
        }
        if report.status != "processing" {
            return Outcome::Done;
        }
        let rendered = match build(deps, &report).await {
            Ok((doc, json)) => match report.format.as_str() {
                "pdf" => render::pdf(&doc).map(|(b, n)| (b, Some(n))),
                "csv" => render::csv(&doc).map(|b| (b, None)),
                _ => serde_json::to_vec_pretty(&json).map(|b| (b, None)).map_err(|e| e.to_string()),
            },
            Err(e @ (AppError::Unavailable(_) | AppError::TooManyRequests(_))) => return Outcome::Retry(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut after = report.clone();
        after.version += 1;
        after.completed_at = Some(deps.clock.now());
        match rendered {
            Ok((bytes, pages)) => {
                let key = keys::report_object(&org, &report.id, report.extension());
                let size = bytes.len() as u64;
                if let Err(e) = deps.blobs.put(&key, bytes, report.content_type()).await {
                    return Outcome::Retry(format!("storing the report: {e}"));
                }
                after.status = "completed".into();
                after.object_key = Some(key);
                after.size = Some(size);
                after.pages = pages;
            }
            Err(reason) => {
                after.status = "failed".into();
                after.error = Some(reason);
            }
        }
        if let Err(e) = save(deps, &report, &after).await {
            return match e {
                // Another delivery finished it first.
                AppError::PreconditionFailed { .. } | AppError::Conflict { .. } => Outcome::Done,
                other => Outcome::Retry(other.to_string()),
            };
        }
        if after.status == "completed"
            && let Err(e) = deps.events.publish(&rep::ready_event(&after, deps.clock.now())).await
        {
            // Made and stored: the redelivery announces it (see above).
            return Outcome::Retry(format!("announcing report {}: {e}", after.id));
        }
        let (subject, text) = if after.status == "completed" {
            let link =
                rep::download_of(deps, &after, time::Duration::hours(1)).await.map(|d| d.url).unwrap_or_default();
            (
                format!("Your {} report is ready", after.kind.replace('_', " ")),
                format!(
                    "Your report for {} to {} is ready.\n\nDownload (this link works for an hour): {link}\n\nOr sign in and use GET /api/reports/{}/download.\n",
                    after.from, after.to, after.id
                ),
            )
        } else {
            (
                format!("Your {} report could not be made", after.kind.replace('_', " ")),
                format!("Your report {} failed: {}\n", after.id, after.error.clone().unwrap_or_default()),
            )
        };
        // The requester, then a scheduled report's recipients: one mail each (nobody sees who
        // else got it), each with its own dedupe key.
        let mut to = vec![after.requested_email.clone()];
        to.extend(after.recipients.iter().filter(|r| **r != after.requested_email).cloned());
        for (i, address) in to.into_iter().enumerate() {
            let mail = OutgoingEmail {
                to: address,
                subject: subject.clone(),
                text_body: text.clone(),
                html_body: None,
                dedupe_key: Some(if i == 0 {
                    format!("report:{}", after.id)
                } else {
                    format!("report:{}:{i}", after.id)
                }),
                calendar: None,
            };
            if let Err(e) = deps.mail.send(mail).await {
                tracing::warn!(report = %after.id, error = %e, "the report is made but a mail was not sent");
            }
        }
        tracing::info!(report = %after.id, status = %after.status, "report generated");
        Outcome::Done
    }
}
