//! What a handler answers, as types: the status, the body's schema and the headers come from
//! the type, so the OpenAPI document says exactly what the handler sends.

use crate::request::Reply;
use crate::routes::{Defs, OperationDoc, schema};
use clearview_core::AppError;
use http::StatusCode;
use serde::Serialize;

pub use crate::extract::Json;

/// A handler's answer type.
pub trait Responds {
    fn into_reply(self) -> Result<Reply, AppError>;
    fn describe(doc: &mut OperationDoc, defs: &mut Defs);
}

const ETAG: (&str, &str) = ("ETag", "the version, for If-Match on the next edit");
const LOCATION: (&str, &str) = ("Location", "where the new resource is");

/// 200 with `T`.
impl<T: Serialize + utoipa::ToSchema> Responds for Json<T> {
    fn into_reply(self) -> Result<Reply, AppError> {
        Reply::ok(&self.0)
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        doc.status = 200;
        doc.response = Some(schema::<T>(defs));
    }
}

/// 200 with `T` once what it describes is ready; 409 while it is not (a resume still being
/// parsed, a score not computed yet, a report still being written), or when it never will be.
pub struct WhenReady<T>(pub T);

impl<T: Serialize + utoipa::ToSchema> Responds for WhenReady<T> {
    fn into_reply(self) -> Result<Reply, AppError> {
        Reply::ok(&self.0)
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        Json::<T>::describe(doc, defs);
        doc.errors.push((
            409,
            "not ready: it is still being produced, or could not be (the problem's type and detail say which)",
        ));
    }
}

/// 200 with `T` and its version as the `ETag`.
pub struct Tagged<T>(pub T, pub u64);

impl<T: Serialize + utoipa::ToSchema> Responds for Tagged<T> {
    fn into_reply(self) -> Result<Reply, AppError> {
        Ok(Reply::ok(&self.0)?.with_etag(self.1))
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        doc.status = 200;
        doc.response = Some(schema::<T>(defs));
        doc.response_headers.push(ETAG);
    }
}

/// 201 with `T`, its `Location` and (when it has one) its version as the `ETag`.
pub struct Created<T> {
    pub body: T,
    pub location: String,
    pub version: Option<u64>,
}

impl<T: Serialize + utoipa::ToSchema> Responds for Created<T> {
    fn into_reply(self) -> Result<Reply, AppError> {
        let reply = Reply::created(&self.body, self.location)?;
        Ok(match self.version {
            Some(v) => reply.with_etag(v),
            None => reply,
        })
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        doc.status = 201;
        doc.response = Some(schema::<T>(defs));
        doc.response_headers.extend([LOCATION, ETAG]);
    }
}

/// 202: the work was accepted and goes on asynchronously; `T` says where it stands.
pub struct Accepted<T>(pub T, pub Option<u64>);

impl<T: Serialize + utoipa::ToSchema> Responds for Accepted<T> {
    fn into_reply(self) -> Result<Reply, AppError> {
        let reply = Reply::json(StatusCode::ACCEPTED, &self.0)?;
        Ok(match self.1 {
            Some(v) => reply.with_etag(v),
            None => reply,
        })
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        doc.status = 202;
        doc.response = Some(schema::<T>(defs));
        doc.response_headers.push(ETAG);
    }
}

/// 200 with an XML document (`application/xml`), such as the job feed.
pub struct XmlText(pub String);

impl Responds for XmlText {
    fn into_reply(self) -> Result<Reply, AppError> {
        Ok(Reply::text("application/xml; charset=utf-8", self.0))
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        doc.status = 200;
        doc.response_media = Some("application/xml");
        let schema = utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("<source> with one <job> per active job (CDATA fields)"));
        doc.response = Some(utoipa::openapi::RefOr::T(schema.into()));
    }
}

/// 200 with JSON-LD (`application/ld+json`), such as a schema.org JobPosting.
pub struct JsonLd(pub serde_json::Value);

impl Responds for JsonLd {
    fn into_reply(self) -> Result<Reply, AppError> {
        Ok(Reply::text("application/ld+json", self.0.to_string()))
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        doc.status = 200;
        doc.response_media = Some("application/ld+json");
        let schema = utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some("A schema.org JobPosting (@context https://schema.org/)"));
        doc.response = Some(utoipa::openapi::RefOr::T(schema.into()));
    }
}

/// 200 with RFC 4180 CSV (`text/csv`, UTF-8, a header row), such as the audit export.
pub struct CsvText(pub String);

impl Responds for CsvText {
    fn into_reply(self) -> Result<Reply, AppError> {
        Ok(Reply::text("text/csv; charset=utf-8", self.0))
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        doc.status = 200;
        doc.response_media = Some("text/csv");
        let schema = utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("RFC 4180 CSV, UTF-8, a header row, one row per record"));
        doc.response = Some(utoipa::openapi::RefOr::T(schema.into()));
    }
}

/// 200 with an RFC 5545 calendar (`text/calendar`), such as a private interview feed.
pub struct CalendarText(pub String);

impl Responds for CalendarText {
    fn into_reply(self) -> Result<Reply, AppError> {
        Ok(Reply::text("text/calendar; charset=utf-8", self.0))
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        doc.status = 200;
        doc.response_media = Some("text/calendar");
        let schema = utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("An RFC 5545 VCALENDAR (METHOD:PUBLISH), one VEVENT per interview"));
        doc.response = Some(utoipa::openapi::RefOr::T(schema.into()));
    }
}

/// 204, no body.
pub struct NoContent;

impl Responds for NoContent {
    fn into_reply(self) -> Result<Reply, AppError> {
        Ok(Reply::no_content())
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        doc.status = 204;
    }
}

/// A message for a person (`202 Accepted` answers that reveal nothing else).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub message: String,
}
