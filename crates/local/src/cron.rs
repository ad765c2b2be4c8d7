//! The embedded default's cron: runs the asynchronous-work table's scheduled jobs at the times
//! their EventBridge expressions name (`cron(m h dom mon dow year)` or `rate(n unit)`), as
//! EventBridge does in AWS, with the same retry-then-give-up behaviour.

use clearview_core::ports::clock::Clock;
use clearview_core::ports::queue::{Outcome, Scheduled};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Schedule {
    Cron(Box<Cron>),
    Rate(Duration),
}

/// Tries of one firing before it is given up (EventBridge Scheduler retries too).
pub const ATTEMPTS: u32 = 3;

impl Schedule {
    /// Parses an EventBridge schedule expression. Cron fields are EventBridge's: minutes, hours,
    /// day of month, month, day of week (1–7 = SUN–SAT, or names), year; all in UTC.
    pub fn parse(expression: &str) -> Result<Self, String> {
        let expression = expression.trim();
        if let Some(body) = expression.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
            if body.split_whitespace().count() != 6 {
                return Err(format!("{expression}: a cron has six fields (minutes hours day month weekday year)"));
            }
            // croner reads Quartz's seven fields: EventBridge's six after a seconds field.
            let parser = CronParser::builder()
                .seconds(Seconds::Required)
                .year(Year::Required)
                .alternative_weekdays(true)
                .sloppy_ranges(true)
                .build();
            return parser
                .parse(&format!("0 {body}"))
                .map(|c| Schedule::Cron(Box::new(c)))
                .map_err(|e| format!("{expression}: {e}"));
        }
        if let Some(body) = expression.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            let mut parts = body.split_whitespace();
            let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("{expression}: a rate is `rate(<n> <unit>)`"));
            };
            let n: u64 =
                n.parse().ok().filter(|n| *n > 0).ok_or(format!("{expression}: {n} is not a positive number"))?;
            let unit = match unit.trim_end_matches('s') {
                "minute" => 60,
                "hour" => 3600,
                "day" => 86_400,
                other => return Err(format!("{expression}: unknown unit {other} (minutes, hours or days)")),
            };
            return Ok(Schedule::Rate(Duration::from_secs(n * unit)));
        }
        Err(format!("{expression}: not a cron(...) or rate(...) expression"))
    }

    /// The first firing strictly after `after`.
    pub fn next_after(&self, after: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Schedule::Rate(every) => Some(after + *every),
            Schedule::Cron(cron) => {
                let start = chrono::DateTime::from_timestamp(after.unix_timestamp(), 0)?;
                let next = cron.find_next_occurrence(&start, false).ok()?;
                OffsetDateTime::from_unix_timestamp(next.timestamp()).ok()
            }
        }
    }
}

/// One scheduled job of the table.
pub struct ScheduledJob {
    pub name: &'static str,
    pub schedule: Schedule,
    pub job: Arc<dyn Scheduled>,
}

/// Runs `job` for the firing at `at`: `Retry` is tried again (up to [`ATTEMPTS`], backing off
/// from `backoff`), `Poison` and the last failure are logged as errors. Returns the outcome.
pub async fn fire(job: &ScheduledJob, at: OffsetDateTime, backoff: Duration) -> Outcome {
    let mut outcome = Outcome::Done;
    for attempt in 1..=ATTEMPTS {
        outcome = job.job.run(at).await;
        match &outcome {
            Outcome::Done => {
                tracing::info!(schedule = job.name, %at, "scheduled run done");
                return outcome;
            }
            Outcome::Poison(reason) => {
                tracing::error!(schedule = job.name, %at, %reason, "scheduled run failed for good");
                return outcome;
            }
            Outcome::Retry(reason) if attempt < ATTEMPTS => {
                tracing::warn!(schedule = job.name, %at, attempt, %reason, "scheduled run failed; retrying");
                tokio::time::sleep(backoff * 2u32.pow(attempt - 1)).await;
            }
            Outcome::Retry(reason) => {
                tracing::error!(schedule = job.name, %at, attempts = ATTEMPTS, %reason, "scheduled run given up");
            }
        }
    }
    outcome
}

/// Starts one loop per job: sleep until the next firing (by `clock`), run it, repeat, until
/// `shutdown`.
pub fn spawn_schedules(
    jobs: Vec<ScheduledJob>,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    jobs.into_iter()
        .map(|job| {
            let (clock, shutdown) = (Arc::clone(&clock), shutdown.clone());
            tokio::spawn(async move {
                let mut after = clock.now();
                while let Some(at) = job.schedule.next_after(after) {
                    let wait = (at - clock.now()).max(time::Duration::ZERO);
                    tracing::debug!(schedule = job.name, next = %at, "next scheduled run");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(wait.unsigned_abs()) => {}
                    }
                    fire(&job, at, Duration::from_secs(1)).await;
                    after = at;
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_weekly_report_schedule_fires_on_monday_at_six_utc() {
        let s = Schedule::parse("cron(0 6 ? * MON *)").unwrap();
        // 2026-11-29 is a Sunday.
        let next = s.next_after(datetime!(2026-11-29 08:00 UTC)).unwrap();
        assert_eq!(next, datetime!(2026-11-30 06:00 UTC));
        assert_eq!(s.next_after(next).unwrap(), datetime!(2026-12-07 06:00 UTC));
    }

    #[test]
    fn weekday_numbers_are_eventbridge_ones_where_one_is_sunday() {
        let s = Schedule::parse("cron(30 9 ? * 1 *)").unwrap();
        assert_eq!(s.next_after(datetime!(2026-11-29 10:00 UTC)).unwrap(), datetime!(2026-12-06 09:30 UTC));
    }

    #[test]
    fn increments_and_rates_parse() {
        let s = Schedule::parse("cron(0/15 * * * ? *)").unwrap();
        assert_eq!(s.next_after(datetime!(2026-11-29 10:01 UTC)).unwrap(), datetime!(2026-11-29 10:15 UTC));
        let r = Schedule::parse("rate(5 minutes)").unwrap();
        assert_eq!(r.next_after(datetime!(2026-11-29 10:01 UTC)).unwrap(), datetime!(2026-11-29 10:06 UTC));
        assert!(matches!(Schedule::parse("rate(1 day)"), Ok(Schedule::Rate(d)) if d == Duration::from_secs(86_400)));
    }

    #[test]
    fn bad_expressions_are_refused_with_the_reason() {
        for bad in ["0 6 * * *", "cron(0 6 * *)", "rate(0 minutes)", "rate(5 weeks)", "cron(61 6 ? * MON *)"] {
            let e = Schedule::parse(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }

    struct Flaky(std::sync::atomic::AtomicU32, u32);

    #[async_trait::async_trait]
    impl Scheduled for Flaky {
        async fn run(&self, _: OffsetDateTime) -> Outcome {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if n <= self.1 { Outcome::Retry(format!("try {n}")) } else { Outcome::Done }
        }
    }

    #[tokio::test]
    async fn a_failing_run_is_retried_then_given_up() {
        let at = datetime!(2026-11-30 06:00 UTC);
        let job = |fails| ScheduledJob {
            name: "t",
            schedule: Schedule::Rate(Duration::from_secs(60)),
            job: Arc::new(Flaky(Default::default(), fails)),
        };
        assert_eq!(fire(&job(2), at, Duration::from_millis(1)).await, Outcome::Done);
        assert_eq!(fire(&job(5), at, Duration::from_millis(1)).await, Outcome::Retry("try 3".into()));
    }
}
