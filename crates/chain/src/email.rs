//! Candidate emails for application events: templates, and delivery that sends each event at
//! most once however often it is redelivered (a marker per event id in the store).

use clearview_core::error::{AppError, AppResult};
use clearview_core::keys;
use clearview_core::model::Candidate;
use clearview_core::ports::Deps;
use clearview_core::ports::mail::OutgoingEmail;
use clearview_core::ports::queue::DomainEvent;
use clearview_core::ports::store::{Condition, Item};
use clearview_core::record;
use clearview_core::values::UserId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A greeting, the paragraphs and the sign-off, as text and (escaped) HTML.
pub(crate) fn render(greeting_name: &str, subject: String, paragraphs: &[String]) -> Rendered {
    let mut text = format!("Hello {greeting_name},\n\n");
    let mut html = format!("<p>Hello {},</p>", escape(greeting_name));
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    text.push_str("— The hiring team, via ClearView\n");
    html.push_str("<p>— The hiring team, via ClearView</p>");
    Rendered { subject, text, html }
}

/// The email for an event, or `None` for kinds that send none.
pub fn template(event: &DomainEvent, candidate_name: &str) -> Option<Rendered> {
    let job = event.data["jobTitle"].as_str().unwrap_or("the role");
    match event.kind.as_str() {
        "application.received" => Some(render(
            candidate_name,
            format!("We received your application for {job}"),
            &[
                format!("Thank you for applying for {job}. Your application is in."),
                "If you have not uploaded your resume yet, do so from your application page: a PDF, DOCX or plain-text file up to 10 MB.".into(),
                "Our screening never looks at your name, contact details, age or other personal characteristics, and a person reviews every decision.".into(),
                format!(
                    "An automated tool assists the screening: it scores your anonymised resume against the job's required and preferred skills, experience, education and location. {}",
                    clearview_core::model::application::ALTERNATIVE_REVIEW_NOTICE
                ),
            ],
        )),
        "application.status_changed" => {
            // The words are the candidate's: a status, the stage's name, never a staff note or a
            // rejection's reason code.
            let to = event.data["to"].as_str().unwrap_or("updated");
            let from = event.data["from"].as_str().unwrap_or("");
            let stage = event.data["stageName"].as_str().unwrap_or("the next step");
            let line = match to {
                "withdrawn" => format!("You have withdrawn your application for {job}. We are sorry to see you go."),
                "rejected" => format!("Thank you for the time you gave to your application for {job}. After careful review, we have decided not to move forward with it this time. We appreciate your interest and encourage you to apply for other roles with us."),
                "hired" => format!("Congratulations: you have been hired for {job}!"),
                "offer" => format!("Good news: your application for {job} has reached the offer stage. We will be in touch with the details."),
                "phone_screen" | "technical_interview" | "final_interview" if from != to => {
                    format!("Good news: your application for {job} has moved on to {stage}. We will be in touch to arrange it.")
                }
                "new" | "reviewing" | "phone_screen" | "technical_interview" | "final_interview" => {
                    format!("Your application for {job} is now at {stage}.")
                }
                other => format!("The status of your application for {job} is now: {other}."),
            };
            Some(render(candidate_name, format!("Update on your application for {job}"), &[line]))
        }
        "application.message" => {
            let subject = event.data["subject"].as_str().unwrap_or("A message about your application");
            let body = event.data["body"].as_str().unwrap_or_default();
            let paragraphs: Vec<String> =
                body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
            Some(render(candidate_name, format!("{subject} ({job})"), &paragraphs))
        }
        "application.parse_failed" => {
            let why = event.data["candidateMessage"]
                .as_str()
                .unwrap_or("Please upload a text-based PDF, DOCX or plain-text resume.");
            Some(render(
                candidate_name,
                format!("We could not read your resume for {job}"),
                &[format!("We could not read the resume you uploaded for {job}."), why.to_owned()],
            ))
        }
        _ => None,
    }
}

/// The organisation's own wording of this email, if it saved one (see
/// `clearview_core::services::email_templates`). A template that no longer renders falls back
/// to the default wording, with a warning.
async fn organisation_wording(deps: &Deps, event: &DomainEvent, candidate_name: &str) -> AppResult<Option<Rendered>> {
    use clearview_core::services::email_templates::{self as tpl, Values};
    let Some(kind) = tpl::kind_of(&event.kind, event.data["to"].as_str()) else { return Ok(None) };
    let org = clearview_core::values::OrgId::trusted(event.org_id.clone());
    let Some(t) = tpl::override_for(deps, &org, kind).await? else { return Ok(None) };
    let company: Option<clearview_core::model::Organization> =
        record::get(deps.store.as_ref(), &keys::org(&org)).await?;
    let values = Values {
        candidate_name,
        job_title: event.data["jobTitle"].as_str().unwrap_or("the role"),
        stage_name: event.data["stageName"].as_str().unwrap_or("the next step"),
        company_name: company.as_ref().map(|c| c.company_name.as_str()).unwrap_or("the hiring team"),
    };
    match (tpl::render(&t.subject, &values), tpl::render(&t.body, &values)) {
        (Ok(subject), Ok(body)) => {
            let paragraphs: Vec<String> =
                body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
            Ok(Some(render(candidate_name, subject.trim().to_owned(), &paragraphs)))
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(org = %org, kind, error = %e, "email template does not render; default wording sent");
            Ok(None)
        }
    }
}

/// Sends the event's email once. The marker is written as `sending` before the send and
/// `sent` after it, so a redelivery after a successful send sends nothing.
pub async fn deliver(deps: &Deps, event: &DomainEvent) -> AppResult<()> {
    let marker_key = keys::email_sent(&event.id);
    if let Some(m) = deps.store.get(&marker_key).await?
        && m.data["state"] == "sent"
    {
        tracing::info!(event = %event.id, "email already sent; redelivery ignored");
        return Ok(());
    }
    let Some(candidate_id) = event.data["candidateId"].as_str() else {
        tracing::info!(event = %event.id, kind = %event.kind, "event names no candidate; no email");
        return Ok(());
    };
    let candidate: Candidate = record::get(deps.store.as_ref(), &keys::candidate(&UserId::trusted(candidate_id)))
        .await?
        .ok_or(AppError::NotFound("candidate"))?;
    let Some(mut mail) = template(event, &candidate.name) else {
        tracing::info!(event = %event.id, kind = %event.kind, "this event sends no email");
        return Ok(());
    };
    if let Some(custom) = organisation_wording(deps, event, &candidate.name).await? {
        mail = custom;
    }
    let marker = |state: &str, message_id: Option<&str>| Item {
        key: marker_key.clone(),
        gsi1: None,
        gsi2: None,
        entity: "EmailSent".into(),
        version: 1,
        expires_at: Some(deps.clock.now().unix_timestamp() + 90 * 24 * 3600),
        data: serde_json::json!({"state": state, "eventId": event.id, "kind": event.kind, "messageId": message_id}),
    };
    deps.store.put(marker("sending", None), Condition::None).await?;
    let id = deps
        .mail
        .send(OutgoingEmail {
            to: candidate.email.to_string(),
            subject: mail.subject,
            text_body: mail.text,
            html_body: Some(mail.html),
            dedupe_key: Some(event.id.clone()),
            calendar: None,
        })
        .await?;
    deps.store.put(marker("sent", Some(&id)), Condition::None).await?;
    tracing::info!(event = %event.id, kind = %event.kind, message_id = %id, "email sent");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: serde_json::Value) -> DomainEvent {
        DomainEvent {
            id: "e1".into(),
            kind: kind.into(),
            org_id: "o".into(),
            subject_id: "a".into(),
            occurred_at: time::OffsetDateTime::UNIX_EPOCH,
            data,
            correlation_id: None,
        }
    }

    #[test]
    fn parse_failure_email_tells_the_candidate_what_to_upload() {
        let e = event(
            "application.parse_failed",
            serde_json::json!({"jobTitle": "Engineer", "candidateMessage": "Upload a text-based PDF."}),
        );
        let r = template(&e, "Sam").unwrap();
        assert!(r.subject.contains("could not read"));
        assert!(r.text.contains("Upload a text-based PDF."));
    }

    #[test]
    fn html_escapes_what_the_text_carries() {
        let e = event("application.received", serde_json::json!({"jobTitle": "<script>"}));
        let r = template(&e, "Sam").unwrap();
        assert!(!r.html.contains("<script>"));
    }

    #[test]
    fn a_rejection_is_kind_and_says_nothing_of_the_reason_or_note() {
        // The move's event carries statuses and the stage name only; even if a reason or a note
        // were added to it, the template would not show them.
        let e = event(
            "application.status_changed",
            serde_json::json!({"jobTitle": "Engineer", "from": "reviewing", "to": "rejected",
                "reasonCode": "skills_mismatch", "note": "internal: weak Spark"}),
        );
        let r = template(&e, "Sam").unwrap();
        assert!(r.text.contains("Thank you"), "{}", r.text);
        for hidden in ["skills", "Spark", "internal", "mismatch"] {
            assert!(!r.text.contains(hidden) && !r.html.contains(hidden), "{hidden} in {}", r.text);
        }
    }

    #[test]
    fn a_move_names_the_stage_it_reached() {
        let e = event(
            "application.status_changed",
            serde_json::json!({"jobTitle": "Engineer", "from": "reviewing", "to": "phone_screen", "stageName": "Phone Screen"}),
        );
        assert!(template(&e, "Sam").unwrap().text.contains("moved on to Phone Screen"));
    }

    #[test]
    fn unknown_kinds_send_nothing() {
        assert!(template(&event("application.screened", serde_json::json!({})), "Sam").is_none());
    }
}
