//! Job templates: a job's content saved under a name (per organisation), listed, read, deleted,
//! and used to start new draft jobs.

use super::{Actor, Change, Listed, jobs, lost_update, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{Job, JobContent, JobTemplate};
use crate::ports::Deps;
use crate::ports::store::{Condition, PageToken, Query, TxWrite};
use crate::record::{self, Record};
use crate::values::{JobId, TextRule};
use serde::Deserialize;
use utoipa::openapi::schema::Object;

const NAME: TextRule = TextRule::new(1, 200);

fn name_schema() -> Object {
    NAME.schema()
}

/// `POST /api/jobs/{id}/save-as-template`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveAsTemplate {
    /// What the template is called in the list.
    #[schema(schema_with = name_schema, example = "Backend engineer (standard)")]
    pub name: String,
}

/// Saves the job's content (without its deadline) as a template.
pub async fn save_from_job(deps: &Deps, actor: &Actor, job: &JobId, input: SaveAsTemplate) -> AppResult<JobTemplate> {
    let name = NAME.parse("name", &input.name).map_err(|e| AppError::Validation(vec![e]))?;
    let job = jobs::get(deps, actor, job).await?;
    let mut content = JobContent::of(&job);
    content.deadline = None;
    let template = JobTemplate {
        id: deps.ids.new_id().to_string(),
        org_id: actor.org().clone(),
        name,
        source_job_id: Some(job.id.to_string()),
        content,
        created_by: actor.user.id.clone(),
        created_at: deps.clock.now(),
        version: 1,
    };
    let audit = actor.audit(
        deps,
        Change {
            action: "job_template.create",
            target_type: "job_template",
            target_id: &template.id,
            before: None,
            after: Some(snapshot(&template)?),
        },
    )?;
    deps.store.transact(vec![template.tx_put("template", Condition::NotExists)?, audit]).await?;
    Ok(template)
}

/// The organisation's templates, newest first.
pub async fn list(
    deps: &Deps,
    actor: &Actor,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<JobTemplate>> {
    let q = Query::table(keys::org_pk(actor.org()))
        .prefix(keys::JOB_TEMPLATE_PREFIX)
        .limit(limit)
        .after(after)
        .descending();
    let (items, page) = record::query::<JobTemplate>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

pub async fn get(deps: &Deps, actor: &Actor, id: &str) -> AppResult<JobTemplate> {
    record::get(deps.store.as_ref(), &keys::job_template(actor.org(), id))
        .await?
        .ok_or(AppError::NotFound("job template"))
}

pub async fn delete(deps: &Deps, actor: &Actor, id: &str) -> AppResult<()> {
    let template = get(deps, actor, id).await?;
    let audit = actor.audit(
        deps,
        Change {
            action: "job_template.delete",
            target_type: "job_template",
            target_id: id,
            before: Some(snapshot(&template)?),
            after: None,
        },
    )?;
    deps.store
        .transact(vec![TxWrite::delete("version", template.key(), Condition::VersionIs(template.version)), audit])
        .await
        .map_err(lost_update(template.version))
}

/// A new draft job with the template's content.
pub async fn create_job(deps: &Deps, actor: &Actor, id: &str) -> AppResult<Job> {
    let template = get(deps, actor, id).await?;
    let mut job = jobs::blank(deps, actor);
    template.content.apply(&mut job);
    job.deadline = None;
    deps.store.transact(jobs::creation_writes(deps, actor, &job, "job.create_from_template")?).await?;
    Ok(job)
}
