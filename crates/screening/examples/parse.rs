//! Prints the parse (and anonymized profile) of a resume file as JSON:
//! `cargo run -p clearview-screening --example parse -- FILE [CONTENT_TYPE] [AS_OF]`.

use clearview_screening::{anonymize, structure};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse FILE [CONTENT_TYPE] [YYYY-MM-DD]");
        std::process::exit(2);
    };
    let ct = args.next().filter(|c| !c.is_empty());
    let as_of = args
        .next()
        .and_then(|d| time::Date::parse(&d, time::macros::format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or(time::macros::date!(2025 - 01 - 15));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    match structure::parse_resume_at(&bytes, ct.as_deref(), as_of) {
        Ok(p) => {
            let profile = anonymize(&p, &p.text);
            let out = serde_json::json!({ "parsed": p, "anonymized": profile });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Err(e) => {
            println!(
                "{}",
                serde_json::json!({ "code": e.code(), "error": e.to_string(), "recruiter": e.recruiter_message() })
            );
        }
    }
}
