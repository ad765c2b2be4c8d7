//! Job alerts, asynchronously: the `job-alerts` consumer of `job.published` records which
//! candidates' alerts a job matches (once, however often the event comes), and the daily
//! `job-alerts-digest` mails each candidate their pending matches in one email — at most one a
//! day, however often the day's run is retried.

use crate::email::render;
use async_trait::async_trait;
use clearview_core::error::AppResult;
use clearview_core::keys;
use clearview_core::model::Candidate;
use clearview_core::model::job_alert::JobAlertMatch;
use clearview_core::ports::Deps;
use clearview_core::ports::mail::OutgoingEmail;
use clearview_core::ports::queue::{Consumer, Outcome, Scheduled, WorkMessage, WorkQueue};
use clearview_core::ports::store::{Condition, Item};
use clearview_core::record;
use clearview_core::services::job_alerts;
use clearview_core::values::{JobId, OrgId, UserId};
use time::OffsetDateTime;

/// The queue `job.published` events reach.
pub const QUEUE: WorkQueue = WorkQueue::named("job-alerts");
/// The event kind.
pub const JOB_PUBLISHED: &str = "job.published";

/// Records the matches of a published job.
pub struct JobAlertsConsumer(pub Deps);

#[async_trait]
impl Consumer for JobAlertsConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event = match crate::event_of(m, |k| k == JOB_PUBLISHED) {
            Ok(Some(e)) => e,
            Ok(None) => return Outcome::Done,
            Err(poison) => return poison,
        };
        let (Some(org), Some(job)) = (OrgId::parse(&event.org_id), JobId::parse(&event.subject_id)) else {
            return Outcome::Poison(format!("event {} names no job", event.id));
        };
        match job_alerts::record_matches(&self.0, &org, &job).await {
            Ok(n) => {
                tracing::info!(event = %event.id, job = %job, matched = n, "job alerts matched");
                Outcome::Done
            }
            Err(e) => crate::outcome_of(&format!("matching job {job}"), e),
        }
    }
}

/// The day a firing is for, `YYYY-MM-DD` (UTC).
pub fn day_of(at: OffsetDateTime) -> String {
    let d = at.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The digest email of a candidate's matches.
pub fn digest_email(name: &str, matches: &[JobAlertMatch]) -> crate::email::Rendered {
    let count = matches.len();
    let subject = if count == 1 {
        format!("A new job matches your alerts: {}", matches[0].title)
    } else {
        format!("{count} new jobs match your alerts")
    };
    let mut lines = vec!["These jobs were published since your last digest and match your job alerts:".to_owned()];
    for m in matches {
        let mut line = format!("• {}", m.title);
        if !m.company_name.is_empty() {
            line.push_str(&format!(" — {}", m.company_name));
        }
        match (&m.location, m.is_remote) {
            (Some(l), true) => line.push_str(&format!(" ({l}, remote possible)")),
            (Some(l), false) => line.push_str(&format!(" ({l})")),
            (None, true) => line.push_str(" (remote)"),
            (None, false) => {}
        }
        line.push_str(&format!(" — job id {}", m.job_id));
        lines.push(line);
    }
    lines.push(
        "Find them on the job board and apply with the job id. Manage your alerts under /api/job-alerts.".to_owned(),
    );
    render(name, subject, &lines)
}

/// Sends one candidate's digest for `day`, at most once: a marker per candidate and day is
/// written `sending` (with the jobs it covers) before the send and `sent` after it.
pub async fn send_digest(deps: &Deps, candidate_id: &UserId, day: &str, pending: Vec<JobAlertMatch>) -> AppResult<()> {
    let marker_key = keys::job_alert_digest(candidate_id, day);
    let marker = deps.store.get(&marker_key).await?;
    let covered = |m: &Item| -> Vec<String> {
        m.data["jobIds"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
    };
    if let Some(m) = &marker
        && m.data["state"] == "sent"
    {
        // Today's digest went out: take what it covered off the pending list; the rest waits
        // for tomorrow.
        let done = covered(m);
        for p in pending.iter().filter(|p| done.contains(&p.job_id.to_string())) {
            job_alerts::mark_mailed(deps, p, day).await?;
        }
        return Ok(());
    }
    let alerts = job_alerts::alert_ids(deps, candidate_id).await?;
    let mut wanted = Vec::new();
    for p in pending {
        if job_alerts::still_wanted(deps, &p, &alerts).await? {
            wanted.push(p);
        } else {
            job_alerts::mark_mailed(deps, &p, "skipped").await?;
        }
    }
    // A send that was cut short covers the same jobs when it is tried again.
    if let Some(m) = &marker {
        let before = covered(m);
        if !before.is_empty() {
            wanted.retain(|p| before.contains(&p.job_id.to_string()));
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let Some(candidate) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(candidate_id)).await? else {
        for p in &wanted {
            job_alerts::mark_mailed(deps, p, "skipped").await?;
        }
        return Ok(());
    };
    let job_ids: Vec<String> = wanted.iter().map(|p| p.job_id.to_string()).collect();
    let item = |state: &str, message_id: Option<&str>| Item {
        key: marker_key.clone(),
        gsi1: None,
        gsi2: None,
        entity: "JobAlertDigest".into(),
        version: 1,
        expires_at: Some(deps.clock.now().unix_timestamp() + 90 * 24 * 3600),
        data: serde_json::json!({"state": state, "day": day, "jobIds": job_ids, "messageId": message_id}),
    };
    deps.store.put(item("sending", None), Condition::None).await?;
    let mail = digest_email(&candidate.name, &wanted);
    let id = deps
        .mail
        .send(OutgoingEmail {
            to: candidate.email.to_string(),
            subject: mail.subject,
            text_body: mail.text,
            html_body: Some(mail.html),
            dedupe_key: Some(format!("job-alert-digest:{candidate_id}:{day}")),
            calendar: None,
        })
        .await?;
    deps.store.put(item("sent", Some(&id)), Condition::None).await?;
    for p in &wanted {
        job_alerts::mark_mailed(deps, p, day).await?;
    }
    tracing::info!(candidate = %candidate_id, day, jobs = wanted.len(), message_id = %id, "job alert digest sent");
    Ok(())
}

/// The daily digest run.
pub struct JobAlertsDigest(pub Deps);

impl JobAlertsDigest {
    /// Mails every candidate with pending matches their digest for the day of `at`.
    pub async fn run_for(&self, at: OffsetDateTime) -> AppResult<usize> {
        let deps = &self.0;
        let day = day_of(at);
        let mut failed = None;
        let mut candidates = 0;
        for (candidate, matches) in job_alerts::pending(deps).await? {
            candidates += 1;
            // One candidate's failure must not keep the others' digests back.
            if let Err(e) = send_digest(deps, &candidate, &day, matches).await {
                tracing::warn!(candidate = %candidate, error = %e, "job alert digest failed");
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(candidates),
        }
    }
}

#[async_trait]
impl Scheduled for JobAlertsDigest {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        match self.run_for(scheduled_at).await {
            Ok(n) => {
                tracing::info!(schedule = "job-alerts-digest", candidates = n, "job alert digests done");
                Outcome::Done
            }
            Err(e) => crate::outcome_of("sending job alert digests", e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_lists_each_job_and_escapes_its_html() {
        let m = |title: &str| JobAlertMatch {
            candidate_id: UserId::trusted("c"),
            job_id: JobId::trusted("j"),
            org_id: OrgId::trusted("o"),
            title: title.into(),
            company_name: "Acme".into(),
            location: Some("Berlin".into()),
            is_remote: false,
            alert_ids: vec!["a".into()],
            matched_at: OffsetDateTime::UNIX_EPOCH,
            mailed: None,
        };
        let r = digest_email("Sam", &[m("Rust <Engineer>"), m("SRE")]);
        assert_eq!(r.subject, "2 new jobs match your alerts");
        assert!(r.text.contains("• Rust <Engineer> — Acme (Berlin)"), "{}", r.text);
        assert!(r.html.contains("Rust &lt;Engineer&gt;") && !r.html.contains("<Engineer>"));
    }

    #[test]
    fn a_firing_is_for_its_utc_day() {
        assert_eq!(day_of(time::macros::datetime!(2026-03-01 23:30 -02:00)), "2026-03-02");
    }
}
