//! The content library (issue 14): articles and resources written by editors (platform admins,
//! and non-profit members), with media uploaded through a presigned PUT (under
//! `resources/content/`), tagged by skill (names of the skills vocabulary) and occupation
//! (O*NET codes or titles O*NET knows). Drafts are seen only by editors; once published, an
//! item is listed to everyone, and filtering by a skill or an occupation reads the tag index
//! (`CONTENTTAG#…`, written in the item's own transaction), never the library.

use super::Listed;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::ports::Deps;
use crate::ports::blobs::UploadTicket;
use crate::ports::store::{Condition, Index, Key, PageToken, Query, TxWrite};
use crate::principal::Principal;
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use utoipa::openapi::schema::Object;

const TITLE: TextRule = TextRule::new(1, 200);
const SUMMARY: TextRule = TextRule::new(1, 1000);
const BODY: TextRule = TextRule::new(1, 50_000);
/// At most this many skills and occupations an item carries.
pub const MAX_TAGS: usize = 10;
/// The largest media file (checked when it is read: a presigned PUT cannot bound it).
pub const MEDIA_MAX_BYTES: u64 = 100 * 1024 * 1024;
/// What media may be.
pub const MEDIA_TYPES: &[&str] =
    &["application/pdf", "image/png", "image/jpeg", "video/mp4", "audio/mpeg", "text/plain", "text/markdown"];

/// Who writes content: platform admins and non-profit members (as for courses).
pub const EDITORS: [Role; 2] = [Role::PlatformAdmin, Role::Npo];

fn title_schema() -> Object {
    TITLE.schema()
}
fn summary_schema() -> Object {
    SUMMARY.opt_schema()
}
fn body_schema() -> Object {
    BODY.opt_schema()
}
fn url_schema() -> Object {
    TextRule::new(1, 500).opt_schema()
}
fn media_type_schema() -> Object {
    crate::values::choice_schema(MEDIA_TYPES.iter().copied())
}
fn tags_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new().items(TextRule::new(1, 150).schema()).max_items(Some(MAX_TAGS)).build()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// Written here (a body).
    Article,
    /// Somewhere else (a link) or a file (media).
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ContentStatus)]
pub enum ContentStatus {
    Draft,
    Published,
}

impl ContentStatus {
    fn as_str(self) -> &'static str {
        match self {
            ContentStatus::Draft => "draft",
            ContentStatus::Published => "published",
        }
    }
}

/// An uploaded file of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentMedia {
    pub file_name: String,
    pub content_type: String,
}

/// An O*NET occupation an item is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OccupationTag {
    /// The O*NET-SOC code (`15-1252.00`).
    pub code: String,
    pub title: String,
}

/// An article or resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentItem {
    pub id: String,
    pub kind: ContentKind,
    pub title: String,
    pub summary: Option<String>,
    /// An article's text (Markdown).
    pub body: Option<String>,
    /// A resource's link.
    pub url: Option<String>,
    /// The uploaded file (`GET /api/content/{id}/media`).
    pub media: Option<ContentMedia>,
    /// Canonical names of the skills vocabulary.
    pub skills: Vec<String>,
    pub occupations: Vec<OccupationTag>,
    pub status: ContentStatus,
    #[schema(value_type = String)]
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl ContentItem {
    pub fn media_key(&self) -> String {
        format!("resources/content/{}/media", self.id)
    }
    /// The tag index entries of the item while it is published (none for a draft).
    fn tag_keys(&self) -> BTreeSet<Key> {
        if self.status != ContentStatus::Published {
            return BTreeSet::new();
        }
        let skills = self.skills.iter().map(|s| keys::content_tag("skill", s, &self.id));
        let occs = self.occupations.iter().map(|o| keys::content_tag("occupation", &o.code, &self.id));
        skills.chain(occs).collect()
    }
}

impl Record for ContentItem {
    const ENTITY: &'static str = "ContentItem";
    fn key(&self) -> Key {
        keys::content(&self.id)
    }
    /// gsi1: the library by status.
    fn gsi1(&self) -> Option<Key> {
        Some(keys::content_by_status(self.status.as_str(), &self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A body of the content routes: the fields every item has, written once for both bodies, and
/// `$extra` fields before them.
macro_rules! content_body {
    ($(#[$doc:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($extra)*
            pub kind: ContentKind,
            #[schema(schema_with = title_schema, example = "Writing a resume that gets read")]
            pub title: String,
            #[schema(schema_with = summary_schema)]
            pub summary: Option<String>,
            /// An article's text (Markdown); required of an article.
            #[schema(schema_with = body_schema)]
            pub body: Option<String>,
            /// An http(s) link; a resource has a link, a media file or both.
            #[schema(schema_with = url_schema)]
            pub url: Option<String>,
            /// A file to upload: the answer carries a presigned PUT for it (15 minutes).
            pub media: Option<MediaInput>,
            /// Up to 10 skills, each one the skills vocabulary knows.
            #[schema(schema_with = tags_schema, example = json!(["PostgreSQL"]))]
            #[serde(default)]
            pub skills: Vec<String>,
            /// Up to 10 occupations: O*NET-SOC codes (`15-1252.00`) or titles O*NET knows.
            #[schema(schema_with = tags_schema, example = json!(["15-1252.00"]))]
            #[serde(default)]
            pub occupations: Vec<String>,
            /// `draft` (editors only see it) or `published` (listed to everyone); a published item
            /// stays published.
            pub status: ContentStatus,
        }
    };
}

content_body!(
    /// `POST /api/content/create`, and the fields `PUT /api/content/update` replaces.
    ContentInput {}
);

content_body!(
    /// `PUT /api/content/update`: the item to change and every field of a new item, all replaced.
    ContentUpdate {
        /// The item to change.
        #[schema(schema_with = crate::values::id_schema)]
        pub id: String,
    }
);

impl ContentUpdate {
    fn split(self) -> (String, ContentInput) {
        let ContentUpdate { id, kind, title, summary, body, url, media, skills, occupations, status } = self;
        (id, ContentInput { kind, title, summary, body, url, media, skills, occupations, status })
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MediaInput {
    #[schema(schema_with = title_schema, example = "resume-checklist.pdf")]
    pub file_name: String,
    #[schema(schema_with = media_type_schema)]
    pub content_type: String,
}

/// A saved item and, when it has new media, where to upload it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContentSaved {
    pub content: ContentItem,
    pub upload: Option<UploadTicket>,
}

struct Parsed {
    title: String,
    summary: Option<String>,
    body: Option<String>,
    url: Option<String>,
    media: Option<ContentMedia>,
    skills: Vec<String>,
    occupations: Vec<OccupationTag>,
}

fn parse(c: &mut Checks, input: &ContentInput) -> Parsed {
    let title = c.take(TITLE.parse("title", &input.title)).unwrap_or_default();
    let summary = c.take(SUMMARY.parse_opt("summary", input.summary.as_deref())).flatten();
    let body = c.take(BODY.parse_opt("body", input.body.as_deref())).flatten();
    let url = super::platform::parse_url(c, "url", input.url.as_deref(), false);
    let media = input.media.as_ref().and_then(|m| {
        let file_name = c.take(TITLE.parse("media.fileName", &m.file_name));
        let content_type = m.content_type.trim().to_owned();
        if !MEDIA_TYPES.contains(&content_type.as_str()) {
            c.push("media.contentType", format!("must be one of {}", MEDIA_TYPES.join(", ")));
            return None;
        }
        Some(ContentMedia { file_name: file_name?, content_type })
    });
    match input.kind {
        ContentKind::Article if input.body.is_none() => c.push("body", "an article needs its text"),
        ContentKind::Resource if input.url.is_none() && input.media.is_none() => {
            c.push("url", "a resource needs a link, a media file or both")
        }
        _ => {}
    }
    let skills = if input.skills.is_empty() {
        Vec::new()
    } else {
        super::learning::vocabulary_skills(c, "skills", &input.skills, MAX_TAGS)
    };
    if input.occupations.len() > MAX_TAGS {
        c.push("occupations", format!("name at most {MAX_TAGS} occupations"));
    }
    let onet = clearview_screening::careers::Occupations::global();
    let mut occupations: Vec<OccupationTag> = Vec::new();
    for (i, o) in input.occupations.iter().enumerate().take(MAX_TAGS) {
        match onet.resolve(o) {
            Some(o) if !occupations.iter().any(|x| x.code == o.code) => {
                occupations.push(OccupationTag { code: o.code.clone(), title: o.title.clone() })
            }
            Some(_) => {}
            None => c.push(format!("occupations[{i}]"), "is not an O*NET-SOC code (15-1252.00) or a title O*NET knows"),
        }
    }
    Parsed { title, summary, body, url, media, skills, occupations }
}

async fn upload_for(deps: &Deps, item: &ContentItem, new_media: bool) -> AppResult<Option<UploadTicket>> {
    match (&item.media, new_media) {
        (Some(m), true) => Ok(Some(
            deps.blobs
                .presign_put(
                    &item.media_key(),
                    &m.content_type,
                    MEDIA_MAX_BYTES,
                    std::time::Duration::from_secs(15 * 60),
                )
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?,
        )),
        _ => Ok(None),
    }
}

/// The writes that move the tag index from `before`'s entries to `after`'s (with the item).
fn tag_writes(before: Option<&ContentItem>, after: &ContentItem) -> Vec<TxWrite> {
    let old = before.map(ContentItem::tag_keys).unwrap_or_default();
    let new = after.tag_keys();
    let mut out = Vec::new();
    for k in old.difference(&new) {
        out.push(TxWrite::delete("tag-index", k.clone(), Condition::None));
    }
    for k in &new {
        let entry = crate::ports::store::Item {
            key: k.clone(),
            gsi1: None,
            gsi2: None,
            entity: "ContentTag".into(),
            version: 1,
            expires_at: None,
            data: serde_json::json!({"contentId": after.id}),
        };
        out.push(TxWrite::put("tag-index", entry, Condition::None));
    }
    out
}

pub async fn create(deps: &Deps, p: &Principal, input: ContentInput) -> AppResult<ContentSaved> {
    let mut c = Checks::default();
    let v = parse(&mut c, &input);
    c.finish()?;
    let now = deps.clock.now();
    let item = ContentItem {
        id: deps.ids.new_id().to_string(),
        kind: input.kind,
        title: v.title,
        summary: v.summary,
        body: v.body,
        url: v.url,
        media: v.media,
        skills: v.skills,
        occupations: v.occupations,
        status: input.status,
        created_by: p.user_id.clone(),
        created_at: now,
        published_at: (input.status == ContentStatus::Published).then_some(now),
        version: 1,
    };
    let mut writes = vec![item.tx_put("content", Condition::NotExists)?];
    writes.extend(tag_writes(None, &item));
    deps.store.transact(writes).await?;
    let upload = upload_for(deps, &item, true).await?;
    Ok(ContentSaved { content: item, upload })
}

fn is_editor_of(p: &Principal, item: &ContentItem) -> bool {
    p.has(Role::PlatformAdmin) || item.created_by == p.user_id
}

/// An item as the caller may see it: a draft is 404 to anyone but its editors.
pub async fn load_for(deps: &Deps, p: &Principal, id: &str) -> AppResult<ContentItem> {
    let item: ContentItem =
        record::get(deps.store.as_ref(), &keys::content(id)).await?.ok_or(AppError::NotFound("content"))?;
    if item.status == ContentStatus::Draft && !is_editor_of(p, &item) {
        return Err(AppError::NotFound("content"));
    }
    Ok(item)
}

/// Replaces an item's fields (If-Match required): its author or a platform admin; publishing a
/// draft lists it (and writes its tag index); a published item stays published.
pub async fn update(
    deps: &Deps,
    p: &Principal,
    if_match: Option<u64>,
    input: ContentUpdate,
) -> AppResult<ContentSaved> {
    let mut c = Checks::default();
    let (id, input) = input.split();
    let id = match id.trim() {
        id if crate::values::JobId::parse(id).is_some() => Some(id.to_owned()),
        _ => {
            c.push("id", "must be the id of the item to change");
            None
        }
    };
    let v = parse(&mut c, &input);
    c.finish()?;
    let id = id.ok_or(AppError::NotFound("content"))?;
    let before = load_for(deps, p, &id).await?;
    if !is_editor_of(p, &before) {
        return Err(AppError::Forbidden("only its author and platform admins change an item".into()));
    }
    if before.status == ContentStatus::Published && input.status == ContentStatus::Draft {
        return Err(AppError::field("status", "a published item stays published"));
    }
    super::check_version(if_match, before.version, true)?;
    let now = deps.clock.now();
    let new_media = v.media.is_some() && v.media != before.media;
    let after = ContentItem {
        kind: input.kind,
        title: v.title,
        summary: v.summary,
        body: v.body,
        url: v.url,
        media: v.media.or_else(|| before.media.clone()),
        skills: v.skills,
        occupations: v.occupations,
        status: input.status,
        published_at: before.published_at.or((input.status == ContentStatus::Published).then_some(now)),
        version: before.version + 1,
        ..before.clone()
    };
    let mut writes = vec![after.tx_put("version", Condition::VersionIs(before.version))?];
    writes.extend(tag_writes(Some(&before), &after));
    deps.store.transact(writes).await.map_err(super::lost_update(before.version))?;
    let upload = upload_for(deps, &after, new_media).await?;
    Ok(ContentSaved { content: after, upload })
}

/// `GET /api/content/resources`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// Only items tagged with this skill (a name of the skills vocabulary).
    #[param(min_length = 1, max_length = 100)]
    pub skill: Option<String>,
    /// Only items about this occupation (an O*NET-SOC code or a title O*NET knows).
    #[param(min_length = 1, max_length = 150)]
    pub occupation: Option<String>,
    /// `draft`: the drafts (editors only: platform admins see every draft, others their own).
    pub status: Option<ContentStatus>,
    /// Page size (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `nextCursor` from the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

/// Published items (oldest first), or one tag's (a page of the tag index, each item read once);
/// with `status=draft`, the drafts an editor may see.
pub async fn list(
    deps: &Deps,
    p: &Principal,
    q: &ContentQuery,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<ContentItem>> {
    let mut c = Checks::default();
    let tag = match (&q.skill, &q.occupation) {
        (Some(_), Some(_)) => {
            c.push("occupation", "filter by a skill or an occupation, not both");
            None
        }
        (Some(s), None) => {
            let names = super::learning::vocabulary_skills(&mut c, "skill", std::slice::from_ref(s), 1);
            names.into_iter().next().map(|n| keys::content_tag_pk("skill", &n))
        }
        (None, Some(o)) => match clearview_screening::careers::Occupations::global().resolve(o) {
            Some(o) => Some(keys::content_tag_pk("occupation", &o.code)),
            None => {
                c.push("occupation", "is not an O*NET-SOC code (15-1252.00) or a title O*NET knows");
                None
            }
        },
        (None, None) => None,
    };
    let drafts = q.status == Some(ContentStatus::Draft);
    if drafts && tag.is_some() {
        c.push("status", "drafts are not in the tag index: list them without skill or occupation");
    }
    if drafts && !EDITORS.iter().any(|r| p.has(*r)) {
        c.push("status", "only editors (platform admins, non-profit members) see drafts");
    }
    c.finish()?;
    if let Some(pk) = tag {
        let tq = Query::table(pk).limit(limit).after(after);
        let page = deps.store.query(&tq).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for entry in &page.items {
            let Some(id) = entry.data["contentId"].as_str() else { continue };
            if let Some(item) = record::get::<ContentItem>(deps.store.as_ref(), &keys::content(id)).await? {
                items.push(item);
            }
        }
        return Ok(Listed { items, next: page.next });
    }
    let status = if drafts { ContentStatus::Draft } else { ContentStatus::Published };
    let q = Query::index(Index::Gsi1, keys::contents_pk(status.as_str())).limit(limit).after(after);
    let (items, page) = record::query::<ContentItem>(deps.store.as_ref(), &q).await?;
    // Non-admin editors see their own drafts only (a page may come back shorter).
    let items = if drafts && !p.has(Role::PlatformAdmin) {
        items.into_iter().filter(|i| i.created_by == p.user_id).collect()
    } else {
        items
    };
    Ok(Listed { items, next: page.next })
}

/// Where to download an item's media: a presigned GET of five minutes (404 until uploaded).
pub async fn media_download(deps: &Deps, p: &Principal, id: &str) -> AppResult<super::platform::ResourceDownload> {
    let item = load_for(deps, p, id).await?;
    let m = item.media.as_ref().ok_or(AppError::NotFound("media"))?;
    let key = item.media_key();
    match deps.blobs.head(&key).await.map_err(|e| AppError::Unavailable(e.to_string()))? {
        Some(meta) if meta.size <= MEDIA_MAX_BYTES => {}
        Some(_) => return Err(AppError::conflict("media-too-large", "the uploaded file is larger than 100 MB")),
        None => return Err(AppError::NotFound("media (not uploaded yet)")),
    }
    let (url, expires_at) = deps
        .blobs
        .presign_get(&key, std::time::Duration::from_secs(300), Some(&m.file_name))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(super::platform::ResourceDownload { url, expires_at })
}
