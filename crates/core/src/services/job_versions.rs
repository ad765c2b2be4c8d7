//! A job's history: list its earlier versions, read one, and restore one. Restoring writes the
//! old content over the current job as a new version (the current one is kept like any other
//! change's), and is audited.
//!
//! Deletion is recoverable because versions outlive the job: deleting a draft keeps its last
//! version, and restoring any version of a deleted job recreates it as a draft. DELETE on a
//! published job cancels it; restoring a version of a cancelled job brings it back as a draft.

use super::{Actor, Change, Listed, check_version, jobs, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{Job, JobContent, JobStatus, JobVersion};
use crate::ports::Deps;
use crate::ports::store::{Condition, PageToken, Query, StoreError, TxWrite};
use crate::record::{self, Record};
use crate::values::JobId;

/// A job's earlier versions, newest first. A job that never changed has none; a job id that
/// names neither a job nor a history is 404.
pub async fn list(
    deps: &Deps,
    actor: &Actor,
    id: &JobId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<JobVersion>> {
    let first_page = after.is_none();
    let q = Query::table(keys::org_pk(actor.org()))
        .prefix(keys::job_version_prefix(id))
        .limit(limit)
        .after(after)
        .descending();
    let (items, page) = record::query::<JobVersion>(deps.store.as_ref(), &q).await?;
    if items.is_empty() && first_page {
        jobs::get(deps, actor, id).await?;
    }
    Ok(Listed { items, next: page.next })
}

pub async fn get(deps: &Deps, actor: &Actor, id: &JobId, version: u64) -> AppResult<JobVersion> {
    record::get(deps.store.as_ref(), &keys::job_version(actor.org(), id, version))
        .await?
        .ok_or(AppError::NotFound("job version"))
}

async fn newest(deps: &Deps, actor: &Actor, id: &JobId) -> AppResult<Option<JobVersion>> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::job_version_prefix(id)).limit(1).descending();
    let (mut items, _) = record::query::<JobVersion>(deps.store.as_ref(), &q).await?;
    Ok(items.pop())
}

/// Restores `version`'s content. `if_match` must name the job's current version, or for a
/// deleted job the version it had when it was deleted.
pub async fn restore(deps: &Deps, actor: &Actor, id: &JobId, version: u64, if_match: Option<u64>) -> AppResult<Job> {
    let old = get(deps, actor, id, version).await?;
    let content = JobContent::of(&old.job);
    let now = deps.clock.now();
    let Some(before) = record::get::<Job>(deps.store.as_ref(), &keys::job(actor.org(), id)).await? else {
        return undelete(deps, actor, id, version, content, if_match).await;
    };
    check_version(if_match, before.version, true)?;
    if before.status == JobStatus::Closed {
        return Err(AppError::conflict(
            "job-not-editable",
            "a closed job cannot be restored: save the version as a template and create a new job from it",
        ));
    }
    let mut after = before.clone();
    content.apply(&mut after);
    if before.status == JobStatus::Cancelled {
        // DELETE cancels a job that was published: restoring it undoes that, as a draft.
        after.status = JobStatus::Draft;
        after.published_at = None;
    }
    if matches!(after.status, JobStatus::Active | JobStatus::Paused) && after.deadline.is_some_and(|d| d < now.date()) {
        return Err(AppError::field(
            "deadline",
            format!("version {version}'s deadline is in the past: pause and edit the job instead"),
        ));
    }
    after.version += 1;
    after.updated_at = now;
    let mut audited = snapshot(&after)?;
    audited["restoredFromVersion"] = version.into();
    jobs::save_as(deps, actor, "job.restore", &before, &after, audited).await?;
    Ok(after)
}

/// Recreates a deleted job, as a draft, from one of its versions.
async fn undelete(
    deps: &Deps,
    actor: &Actor,
    id: &JobId,
    version: u64,
    content: JobContent,
    if_match: Option<u64>,
) -> AppResult<Job> {
    let last = newest(deps, actor, id).await?.ok_or(AppError::NotFound("job"))?;
    check_version(if_match, last.version, true)?;
    let mut job = last.job;
    content.apply(&mut job);
    job.status = JobStatus::Draft;
    job.published_at = None;
    job.version = last.version + 1;
    job.updated_at = deps.clock.now();
    let mut audited = snapshot(&job)?;
    audited["restoredFromVersion"] = version.into();
    let audit = actor.audit(
        deps,
        Change {
            action: "job.restore",
            target_type: "job",
            target_id: id.as_str(),
            before: None,
            after: Some(audited),
        },
    )?;
    let writes = vec![
        job.tx_put("version", Condition::NotExists)?,
        TxWrite::put("job-locator", jobs::locator(&job), Condition::None),
        jobs::identity_marker(&job),
        audit,
    ];
    match deps.store.transact(writes).await {
        Ok(()) => Ok(job),
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "version") => Err(
            AppError::conflict("concurrent-update", "the job was restored by another request meanwhile: read it again"),
        ),
        Err(e) => Err(e.into()),
    }
}
