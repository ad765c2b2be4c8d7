//! Every answer the API tests receive is held to the contract: `docs/openapi.json`, the document
//! the SPA and mobile teams build against. For each answer to an operation the document lists,
//! the status must be one the operation declares, the media type one declared for that status,
//! and a JSON body must validate against the declared schema (JSON Schema 2020-12, formats
//! checked). Schemathesis checks the same, but only for the answers it can provoke with
//! generated ids; the API tests reach every route with real data.
//!
//! Paths the document does not list (the presigned upload endpoint, the hosted UI, `/health`) and
//! methods a path does not have are not judged here.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

struct Operation {
    method: String,
    /// The template's segments; `None` where the template has a `{parameter}`.
    segments: Vec<Option<String>>,
    template: String,
}

struct Contract {
    doc: Value,
    operations: Vec<Operation>,
    /// Validators by (template, method, status, media type), built on first use.
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("docs/openapi.json is JSON");
    let mut operations = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            let segments = template
                .split('/')
                .map(|s| if s.starts_with('{') && s.ends_with('}') { None } else { Some(s.to_owned()) })
                .collect();
            operations.push(Operation { method: method.to_uppercase(), segments, template: template.clone() });
        }
    }
    Contract { doc, operations, validators: Mutex::new(HashMap::new()) }
});

impl Contract {
    /// The operation a request reached: the template that matches the path with the most
    /// literal segments (`/api/jobs/board` before `/api/jobs/{id}`).
    fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let path = path.split('?').next().unwrap_or(path);
        let parts: Vec<&str> = path.split('/').collect();
        self.operations
            .iter()
            .filter(|o| o.method == method && o.segments.len() == parts.len())
            .filter(|o| {
                o.segments.iter().zip(&parts).all(|(s, p)| match s {
                    Some(lit) => lit == p,
                    None => !p.is_empty(),
                })
            })
            .max_by_key(|o| o.segments.iter().filter(|s| s.is_some()).count())
    }

    fn validator(&self, op: &Operation, status: &str, media: &str, schema: &Value) -> Arc<jsonschema::Validator> {
        let key = format!("{} {} {status} {media}", op.method, op.template);
        let mut cache = self.validators.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(&key) {
            return v.clone();
        }
        // The declared schema, with the document's components beside it so that its
        // `#/components/schemas/…` references resolve.
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            other => Map::from_iter([("allOf".to_owned(), Value::Array(vec![other.clone()]))]),
        };
        root.insert("components".into(), self.doc["components"].clone());
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("the schema of {key} in docs/openapi.json does not compile: {e}"));
        let validator = Arc::new(validator);
        cache.insert(key, validator.clone());
        validator
    }
}

/// Fails the test when an answer breaks the contract (see [`check`]); `who` names the family.
pub fn assert_conforms(who: &str, method: &str, path: &str, status: u16, content_type: Option<&str>, body: &Value) {
    if let Err(broken) = check(method, path, status, content_type, body) {
        panic!("[{who}] the answer breaks the contract: {broken}");
    }
}

/// With `CLEARVIEW_CONFORMANCE_LOG=FILE`, each answer checked adds a line `METHOD TEMPLATE STATUS`
/// to FILE: which operations and statuses the API tests reach (`sort -u FILE`).
fn record(op: &Operation, status: u16) {
    static LOG: LazyLock<Option<Mutex<std::fs::File>>> = LazyLock::new(|| {
        let path = std::env::var_os("CLEARVIEW_CONFORMANCE_LOG")?;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path).ok()?;
        Some(Mutex::new(file))
    });
    if let Some(file) = LOG.as_ref() {
        use std::io::Write;
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(f, "{} {} {status}", op.method, op.template);
    }
}

/// Checks one answer against the contract; `Err` says what broke it.
pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &Value) -> Result<(), String> {
    let contract = &*CONTRACT;
    let Some(op) = contract.operation(method, path) else { return Ok(()) };
    record(op, status);
    let what = format!("{method} {path} (operation {} {}) answered {status}", op.method, op.template);
    let responses = &contract.doc["paths"][&op.template][op.method.to_lowercase()]["responses"];
    let Some(response) = responses.get(status.to_string()) else {
        let declared: Vec<&String> = responses.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        return Err(format!("{what}, a status the contract does not declare (it declares {declared:?})"));
    };
    let content = response.get("content").and_then(Value::as_object);
    let media = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_owned());
    let (media, declared) = match (content, media) {
        (None, _) if body.is_null() => return Ok(()),
        (None, m) => {
            return Err(format!("{what} with a body ({}) where the contract declares none", m.unwrap_or_default()));
        }
        (Some(_), None) => return Err(format!("{what} without a body where the contract declares one")),
        (Some(c), Some(m)) => match c.get(&m) {
            Some(d) => (m, d),
            None => {
                let declared: Vec<&String> = c.keys().collect();
                return Err(format!("{what} as {m}; the contract declares {declared:?}"));
            }
        },
    };
    if !media.ends_with("json") {
        return Ok(());
    }
    let Some(schema) = declared.get("schema") else { return Ok(()) };
    let validator = contract.validator(op, &status.to_string(), &media, schema);
    let errors: Vec<String> =
        validator.iter_errors(body).take(5).map(|e| format!("at {}: {}", e.instance_path(), e)).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        let shown = body.to_string();
        let shown = if shown.len() > 600 { format!("{}…", &shown[..shown.floor_char_boundary(600)]) } else { shown };
        Err(format!(
            "{what}, a body that does not match the contract's schema:\n  {}\n  body: {shown}",
            errors.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use serde_json::json;

    const PROBLEM: Option<&str> = Some("application/problem+json");
    const JSON: Option<&str> = Some("application/json");

    fn problem(status: u16) -> serde_json::Value {
        json!({"type": "/problems/not-found", "title": "Not Found", "status": status, "detail": "no such job"})
    }

    #[test]
    fn a_declared_refusal_with_a_problem_body_is_accepted() {
        check("GET", "/api/jobs/7f0c", 404, PROBLEM, &problem(404)).unwrap();
    }

    #[test]
    fn a_status_the_operation_does_not_declare_is_refused() {
        let e = check("GET", "/api/jobs/7f0c", 418, PROBLEM, &problem(418)).unwrap_err();
        assert!(e.contains("does not declare"), "{e}");
    }

    #[test]
    fn a_media_type_the_status_does_not_declare_is_refused() {
        let e = check("GET", "/api/jobs/7f0c", 404, JSON, &problem(404)).unwrap_err();
        assert!(e.contains("application/json"), "{e}");
    }

    #[test]
    fn a_success_body_that_misses_required_fields_is_refused() {
        let e = check("GET", "/api/jobs/7f0c", 200, JSON, &json!({"title": "Engineer"})).unwrap_err();
        assert!(e.contains("does not match the contract's schema"), "{e}");
    }

    #[test]
    fn types_and_formats_are_checked() {
        let download = |expires: &str| json!({"url": "https://x.example/r.pdf", "expiresAt": expires, "fileName": "r.pdf", "contentType": "application/pdf"});
        check("GET", "/api/reports/7f0c/download", 200, JSON, &download("2026-12-01T10:00:00Z")).unwrap();
        let e = check("GET", "/api/reports/7f0c/download", 200, JSON, &download("tomorrow")).unwrap_err();
        assert!(e.contains("date-time"), "{e}");
        let mut p = problem(404);
        p["status"] = json!("404");
        assert!(check("GET", "/api/jobs/7f0c", 404, PROBLEM, &p).is_err(), "a string where an integer is declared");
    }

    #[test]
    fn paths_and_methods_the_contract_does_not_list_are_not_judged() {
        check("GET", "/health", 200, JSON, &json!({"anything": true})).unwrap();
        check("PATCH", "/api/jobs/7f0c", 405, None, &serde_json::Value::Null).unwrap();
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let e = check("GET", "/api/jobs/matches?limit=1", 200, JSON, &json!(42)).unwrap_err();
        assert!(e.contains("operation GET /api/jobs/matches)"), "{e}");
    }
}
