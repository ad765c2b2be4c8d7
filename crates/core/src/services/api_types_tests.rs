//! The API's bodies as the OpenAPI document sees them: every response key is camelCase, and
//! every input type's schema states the limits its parser enforces, exactly.

use super::applications::{self, AiScore, DownloadGrant, UploadGrant};
use super::auth::{self, Me};
use super::employers::{self, Registered};
use super::users::{self, UserPermissions};
use super::{candidates, jobs};
use crate::model::application::{FileRecord, HumanDecision, ResumeFile};
use crate::model::job::{Criteria, EducationRequirement};
use crate::model::{
    Application, ApplicationStatus, AuditRecord, Candidate, Job, JobStatus, JobType, Organization, Processing, Stage,
    User, UserStatus, Weights,
};
use crate::ports::blobs::UploadTicket;
use crate::ports::identity::Tokens;
use crate::rbac::{Overrides, Permission, Role};
use crate::values::{Email, JobId, OrgId, Password, Phone, TextRule, UserId, pattern};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::{date, datetime};
use utoipa::PartialSchema;

const AT: OffsetDateTime = datetime!(2025-03-01 12:00 UTC);

fn id(n: u8) -> String {
    format!("0191e0c8-7f5a-7cc4-9d1e-2b7a1f3e4d{n:02x}")
}

fn user() -> User {
    User {
        id: UserId::trusted(id(1)),
        org_id: OrgId::trusted(id(2)),
        email: Email::trusted("ana@example.com"),
        name: Some("Ana".into()),
        role: Role::HrManager,
        status: UserStatus::Active,
        overrides: Overrides { grant: [Permission::JobsDelete].into(), deny: [Permission::AuditRead].into() },
        created_at: AT,
        updated_at: AT,
        version: 1,
    }
}

fn org() -> Organization {
    Organization {
        id: OrgId::trusted(id(2)),
        company_name: "Acme".into(),
        contact_number: Phone::parse("p", "+14155550123").unwrap(),
        contact_email: Email::trusted("ana@example.com"),
        created_at: AT,
        version: 1,
    }
}

fn job() -> Job {
    Job {
        id: JobId::trusted(id(3)),
        org_id: OrgId::trusted(id(2)),
        title: "Engineer".into(),
        department: Some("R&D".into()),
        location: Some("Austin, TX, USA".into()),
        job_type: JobType::FullTime,
        employment_type: Some(crate::model::job::EmploymentType::FixedTerm),
        salary_min: Some(1),
        salary_max: Some(2),
        salary_currency: "USD".into(),
        description: "<p>Build things with <b>Rust</b> and Kubernetes.</p>".into(),
        description_format: crate::richtext::DescriptionFormat::Html,
        description_text: Some("Build things with Rust and Kubernetes.".into()),
        requirements: Some("Rust".into()),
        nice_to_have: Some("Go".into()),
        deadline: Some(date!(2025 - 12 - 31)),
        status: JobStatus::Active,
        is_remote: false,
        experience_level: Some(crate::model::job::ExperienceLevel::Senior),
        hiring_manager: Some("Bo".into()),
        criteria: Criteria {
            weights: Weights::default(),
            required_skills: vec!["Rust".into()],
            preferred_skills: vec!["Go".into()],
            minimum_experience: 3.0,
            education_requirements: EducationRequirement {
                minimum_level: crate::model::EducationLevel::HighSchool,
                fields_of_study: vec!["Computer Science".into()],
            },
            auto_reject_threshold: Some(30),
            auto_approve_threshold: Some(80),
            related_skill_credit: false,
        },
        created_by: UserId::trusted(id(1)),
        created_at: AT,
        updated_at: AT,
        published_at: Some(AT),
        version: 2,
    }
}

fn processing() -> Processing {
    Processing {
        stage: Stage::AwaitingResume,
        reason: Some("r".into()),
        failure_code: Some("encrypted_pdf".into()),
        run_id: Some(id(5)),
        updated_at: AT,
    }
}

fn decision() -> HumanDecision {
    HumanDecision {
        decision: "advance".into(),
        reason: "strong".into(),
        decided_by: UserId::trusted(id(1)),
        recommendation: Some("review".into()),
        overrode_recommendation: true,
        decided_at: AT,
    }
}

fn application() -> Application {
    Application {
        id: id(4),
        org_id: OrgId::trusted(id(2)),
        job_id: JobId::trusted(id(3)),
        job_title: "Engineer".into(),
        candidate_id: UserId::trusted(id(6)),
        status: ApplicationStatus::PhoneScreen,
        stage_id: "phone_screen".into(),
        stage_entered_at: Some(AT),
        on_hold: None,
        alternative_review: None,
        source: Some("referral".into()),
        notes: Some("call after 5pm".into()),
        salary_expectation: Some(crate::model::application::SalaryRange {
            min: Some(1),
            max: Some(2),
            currency: "EUR".into(),
        }),
        availability: Some("soon".into()),
        ai: Some(crate::model::application::AiSummary {
            score: 80,
            recommendation: "advance".into(),
            required_missing: 0,
        }),
        revealed: Some(crate::model::application::Reveal {
            by: UserId::trusted(id(1)),
            reason: "to call".into(),
            at: AT,
        }),
        cover_letter: Some("Hi".into()),
        resume: Some(ResumeFile {
            file_id: id(5),
            key: "k".into(),
            content_type: "text/plain".into(),
            file_name: Some("cv.txt".into()),
            size: Some(10),
            version: Some("v".into()),
        }),
        processing: processing(),
        decision: Some(decision()),
        self_identified: true,
        created_at: AT,
        updated_at: AT,
        version: 3,
    }
}

const RESUME: &str = "Sam Rivera\nsam@example.com | +1 415 555 0123 | Austin, TX\n\nSUMMARY\nShe builds \
                      backend systems.\n\nEXPERIENCE\nSenior Engineer | Northwind | Mar 2018 – Present\n- Rust and \
                      Kubernetes\n\nEDUCATION\nB.S. in Computer Science, 2014\n\nSKILLS\nRust, Kubernetes, Go\n";

fn ai_score() -> AiScore {
    use clearview_screening::bias::{BiasCheck, analyze_job_ad, check};
    use clearview_screening::score::ScoringCriteria;
    let criteria = ScoringCriteria {
        required_skills: vec!["Rust".into()],
        auto_reject_below: Some(20),
        auto_advance_at: Some(90),
        ..ScoringCriteria::default()
    };
    let report = check(RESUME, &criteria, date!(2025 - 01 - 01));
    let parsed = clearview_screening::structure::parse_text_at(RESUME, date!(2025 - 01 - 01));
    let profile = clearview_screening::anonymize(&parsed, &parsed.text);
    AiScore {
        application_id: id(4),
        processing: processing(),
        score: Some(report.baseline.clone()),
        bias_check: Some(BiasCheck {
            counterfactual: report,
            ad_language: analyze_job_ad("An ambitious leader; a digital native with 10+ years. Supportive."),
        }),
        redactions: Some(profile.redactions),
        decision: Some(decision()),
    }
}

/// Every object key in `v` (free-form maps named in `free` excepted), with its path.
fn snake_keys(v: &Value, path: &str, free: &[&str], out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{path}.{k}");
                if k.contains('_') {
                    out.push(p.clone());
                }
                if !free.contains(&k.as_str()) {
                    snake_keys(v, &p, free, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| snake_keys(v, &format!("{path}[]"), free, out)),
        _ => {}
    }
}

#[test]
fn every_response_body_uses_camel_case_keys() {
    let ticket = UploadTicket {
        url: "https://u".into(),
        method: "PUT".into(),
        headers: [("content-type".to_owned(), "text/plain".to_owned())].into(),
        expires_at: AT,
        max_bytes: 1,
    };
    let audit = AuditRecord {
        id: id(7),
        org_id: OrgId::trusted(id(2)),
        actor_id: id(1),
        actor_email: Some("ana@example.com".into()),
        action: "job.create".into(),
        target_type: "job".into(),
        target_id: id(3),
        before: None,
        after: Some(serde_json::to_value(job()).unwrap()),
        at: AT,
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0".into()),
    };
    let bodies: Vec<(&str, Value)> = vec![
        ("Job", serde_json::to_value(job()).unwrap()),
        ("Application", serde_json::to_value(application()).unwrap()),
        ("User", serde_json::to_value(user()).unwrap()),
        ("Organization", serde_json::to_value(org()).unwrap()),
        (
            "Candidate",
            serde_json::to_value({
                let mut c = Candidate::new(UserId::trusted(id(6)), Email::trusted("sam@example.com"), "Sam".into(), AT);
                c.phone = Some("+14155550123".into());
                c.location = Some("Austin".into());
                c.headline = Some("Engineer".into());
                c
            })
            .unwrap(),
        ),
        ("AuditRecord", serde_json::to_value(audit).unwrap()),
        (
            "FileRecord",
            serde_json::to_value(FileRecord {
                id: id(5),
                org_id: OrgId::trusted(id(2)),
                application_id: id(4),
                candidate_id: UserId::trusted(id(6)),
                key: "k".into(),
                content_type: "text/plain".into(),
                file_name: Some("cv.txt".into()),
                created_at: AT,
            })
            .unwrap(),
        ),
        (
            "Me",
            serde_json::to_value(Me { user: user(), organization: org(), permissions: vec![Permission::JobsRead] })
                .unwrap(),
        ),
        (
            "Registered",
            serde_json::to_value(Registered { organization: org(), user: user(), next_step: "verify".into() }).unwrap(),
        ),
        ("UserPermissions", serde_json::to_value::<UserPermissions>(users::permissions_of(&user())).unwrap()),
        ("UploadGrant", serde_json::to_value(UploadGrant { file_id: id(5), upload: ticket }).unwrap()),
        (
            "DownloadGrant",
            serde_json::to_value(DownloadGrant { file_id: id(5), url: "https://d".into(), expires_at: AT }).unwrap(),
        ),
        (
            "Tokens",
            serde_json::to_value(Tokens {
                id_token: "i".into(),
                access_token: "a".into(),
                refresh_token: Some("r".into()),
                expires_in: 3600,
                token_type: "Bearer".into(),
            })
            .unwrap(),
        ),
        ("AiScore", serde_json::to_value(ai_score()).unwrap()),
        (
            "LanguageReport",
            serde_json::to_value(clearview_screening::bias::analyze_job_ad("ambitious leader")).unwrap(),
        ),
        (
            "AuditReport",
            serde_json::to_value(clearview_screening::bias::cohort_audit(
                &[clearview_screening::bias::CohortRecord {
                    sex: Some(clearview_screening::bias::Sex::Female),
                    race_ethnicity: None,
                    selected: true,
                    score: Some(80.0),
                }],
                Default::default(),
            ))
            .unwrap(),
        ),
    ];
    let mut bad = Vec::new();
    for (name, body) in &bodies {
        // Header names and audit snapshots are data, not schema keys.
        snake_keys(body, name, &["headers", "before", "after"], &mut bad);
    }
    assert!(bad.is_empty(), "snake_case keys in response bodies: {bad:#?}");
    // The representative AI score is complete: nothing above was checked vacuously.
    let s = &bodies.iter().find(|(n, _)| *n == "AiScore").unwrap().1;
    for p in [
        "/score/subScores",
        "/biasCheck/counterfactual/variants/0",
        "/biasCheck/adLanguage/ageCoded/0",
        "/redactions/0",
    ] {
        assert!(s.pointer(p).is_some(), "{p} missing in {s}");
    }
}

/// An input type's schema as JSON.
fn schema_of<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap()
}

fn prop<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema.pointer(&format!("/properties/{name}")).unwrap_or_else(|| panic!("no property {name} in {schema}"))
}

/// The limits a property declares: `minLength`, `maxLength`, `minimum` … as found.
fn has(schema: &Value, name: &str, keyword: &str) -> bool {
    let p = prop(schema, name);
    p.get(keyword).is_some() || p.pointer(&format!("/items/{keyword}")).is_some()
}

#[test]
fn every_input_schema_declares_the_limits_its_parser_enforces() {
    let job = schema_of::<jobs::JobInput>();
    assert_eq!(prop(&job, "title")["maxLength"], 200);
    assert_eq!(prop(&job, "title")["minLength"], 3);
    for f in ["department", "location", "hiringManager", "description", "requirements", "niceToHave"] {
        assert!(has(&job, f, "maxLength") && has(&job, f, "pattern"), "JobInput.{f}: {}", prop(&job, f));
    }
    for f in ["salaryMin", "salaryMax"] {
        assert_eq!(prop(&job, f)["minimum"], 0, "{f}");
        assert_eq!(prop(&job, f)["maximum"], 4_294_967_295_u64, "{f}");
    }
    assert_eq!(prop(&job, "salaryCurrency")["pattern"], "^[A-Z]{3}$");
    assert_eq!(job["additionalProperties"], false, "deny_unknown_fields is declared");
    assert!(prop(&job, "location")["description"].as_str().unwrap().contains("isRemote"));

    let criteria = schema_of::<jobs::CriteriaInput>();
    for f in ["requiredSkills", "preferredSkills"] {
        assert_eq!(prop(&criteria, f)["maxItems"], 50);
        assert_eq!(prop(&criteria, f)["items"]["maxLength"], 80);
    }
    assert_eq!(prop(&criteria, "minimumExperience")["maximum"], 60);
    for f in ["autoRejectThreshold", "autoApproveThreshold"] {
        assert_eq!(prop(&criteria, f)["maximum"], 100);
        assert_eq!(prop(&criteria, f)["minimum"], 0);
    }
    let weights = schema_of::<Weights>();
    for f in ["skills", "experience", "education", "location"] {
        assert_eq!(prop(&weights, f)["maximum"], 100);
    }
    assert_eq!(prop(&schema_of::<EducationRequirement>(), "fieldsOfStudy")["maxItems"], 50);

    let invite = schema_of::<users::InviteInput>();
    assert!(prop(&invite, "email")["pattern"].as_str().is_some_and(|p| p.contains("@")));
    assert_eq!(prop(&invite, "email")["maxLength"], 254);
    assert_eq!(prop(&invite, "role")["enum"], json!(["admin", "hr_manager", "recruiter", "viewer", "dei_consultant"]));
    assert_eq!(prop(&invite, "name")["maxLength"], 200);
    assert_eq!(prop(&schema_of::<users::UpdateUserInput>(), "name")["maxLength"], 200);
    assert!(prop(&schema_of::<users::RoleInput>(), "role")["enum"].is_array());
    let perms = schema_of::<users::PermissionsInput>();
    assert_eq!(prop(&perms, "grant")["items"]["enum"].as_array().unwrap().len(), Permission::ALL.len());
    assert!(prop(&perms, "deny")["items"]["enum"].is_array());

    let employer = schema_of::<employers::RegisterEmployer>();
    assert_eq!(prop(&employer, "companyName")["minLength"], 2);
    assert_eq!(prop(&employer, "password")["minLength"], 8);
    assert_eq!(prop(&employer, "password")["maxLength"], 256);
    assert!(has(&employer, "contactNumber", "pattern"));
    for s in [schema_of::<candidates::RegisterCandidate>(), schema_of::<candidates::UpdateCandidate>()] {
        assert_eq!(prop(&s, "name")["maxLength"], 200);
        assert_eq!(prop(&s, "headline")["maxLength"], 300);
        assert!(has(&s, "phone", "pattern"));
    }

    assert!(has(&schema_of::<auth::ConfirmInput>(), "code", "pattern"));
    assert_eq!(prop(&schema_of::<auth::LoginInput>(), "password")["minLength"], 1);
    assert_eq!(prop(&schema_of::<auth::RefreshInput>(), "refreshToken")["maxLength"], 8192);
    assert_eq!(prop(&schema_of::<auth::ResetInput>(), "newPassword")["minLength"], 8);
    assert_eq!(prop(&schema_of::<auth::CompleteInviteInput>(), "temporaryPassword")["minLength"], 1);
    assert!(has(&schema_of::<auth::ForgotInput>(), "email", "pattern"));

    let apply = schema_of::<applications::ApplyInput>();
    assert!(prop(&apply, "jobId")["pattern"].as_str().is_some_and(|p| p.contains("[0-9a-f]{8}")));
    assert_eq!(prop(&apply, "coverLetter")["maxLength"], 10_000);
    let sid = schema_of::<applications::SelfIdentification>();
    assert!(prop(&sid, "sex")["enum"].as_array().unwrap().contains(&Value::Null));
    assert!(has(&schema_of::<applications::UploadInput>(), "contentType", "pattern"));
    assert_eq!(prop(&schema_of::<applications::FileUploadInput>(), "fileName")["maxLength"], 200);
    let decision = schema_of::<applications::DecisionInput>();
    assert_eq!(prop(&decision, "reason")["minLength"], 3);
    assert_eq!(prop(&decision, "reason")["maxLength"], 2000);
    assert!(has(&decision, "decision", "pattern"));
}

/// The schema's pattern (as Rust `regex`, which reads these ECMA patterns the same way; the
/// password's lookaheads are checked separately) agrees with the parser on tricky inputs.
fn agrees(property: &Value, parses: impl Fn(&str) -> bool, samples: &[&str]) {
    let re = regex::Regex::new(property["pattern"].as_str().unwrap()).unwrap();
    let max = property.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
    let min = property.get("minLength").and_then(Value::as_u64).map_or(0, |m| m as usize);
    for s in samples {
        let n = s.chars().count();
        let valid = re.is_match(s) && max.is_none_or(|m| n <= m) && n >= min;
        assert_eq!(valid, parses(s), "{s:?} against {property}");
    }
}

const TEXT_SAMPLES: &[&str] = &[
    "",
    " ",
    "a",
    "ab",
    "abc",
    " abc ",
    "\tabc\n",
    "a\u{0}b",
    "\u{b}abc",
    "abc\u{b}",
    "a\u{b}bc",
    "\u{85}abc",
    "a\u{85}bc",
    "\u{a0}abc\u{3000}",
    "a\u{1f}c",
    "a\tb\r\nc",
    "\u{feff}abc",
    "  a  ",
    "ab ",
    "a b",
    "\u{7f}ab",
    "ééé",
    "abcdefghijk",
    " abcdefghij",
    "abcdefghij ",
    "\u{2028}x\u{2029}",
    "a\u{9f}c",
    "\u{1c}ab",
];

#[test]
fn text_patterns_are_exactly_as_strict_as_the_parser() {
    for rule in [TextRule::new(1, 10), TextRule::new(2, 10), TextRule::new(3, 10)] {
        let req = serde_json::to_value(rule.schema()).unwrap();
        agrees(&req, |s| rule.parse("f", s).is_ok(), TEXT_SAMPLES);
        let opt = serde_json::to_value(rule.opt_schema()).unwrap();
        agrees(&opt, |s| rule.parse_opt("f", Some(s)).is_ok(), TEXT_SAMPLES);
    }
    assert_eq!(pattern::W, format!("[{}]", pattern::WS));
}

#[test]
fn email_phone_id_and_choice_patterns_match_their_parsers() {
    let email = serde_json::to_value(Email::schema()).unwrap();
    let long_local = format!("{}@example.com", "a".repeat(65));
    let long = format!("a@{}.com", "b".repeat(250));
    agrees(
        &email,
        |s| Email::parse("e", s).is_ok(),
        &[
            "ana@example.com",
            " Ana@Example.COM ",
            "ana@localhost",
            "a@b.c",
            "a@.b.c",
            "a@b..c",
            "a@b.c.",
            "@b.c",
            "a b@c.d",
            "a@b@c.d",
            "é@b.co",
            "a@b_c.d",
            &long_local,
            &long,
            "a\u{0}@b.cd",
            "ana@exa-mple.com",
        ],
    );
    let phone = serde_json::to_value(Phone::schema()).unwrap();
    let phone_samples = [
        "+14155550123",
        "+1 (415) 555-0123",
        "555-0123",
        "+0123456789",
        "+1234567",
        "+12345678",
        "+1234567890123456",
        "+123456789012345",
        " +14155550123",
        "+1415555012a",
        "++14155550123",
        "(+1) 415.555.0123",
        "",
    ];
    agrees(&phone, |s| Phone::parse("p", s).is_ok(), &phone_samples);
    let opt_phone = serde_json::to_value(Phone::opt_schema()).unwrap();
    let candidate_phone = |s: &str| match s.trim() {
        "" => true,
        t => Phone::parse("p", t).is_ok(),
    };
    agrees(&opt_phone, candidate_phone, &phone_samples);
    agrees(&opt_phone, candidate_phone, &["\t+14155550123\u{a0}", "  "]);

    let ids = serde_json::to_value(crate::values::id_schema()).unwrap();
    agrees(
        &ids,
        |s| JobId::parse(s.trim()).is_some(),
        &[&id(1), &format!(" {} ", id(1)), &id(1).to_uppercase(), "../etc", &id(1).replace('-', ""), ""],
    );

    let decision = serde_json::to_value(crate::values::ascii_ci_choice_schema(&applications::DECISIONS)).unwrap();
    agrees(
        &decision,
        |s| applications::DECISIONS.contains(&s.trim().to_ascii_lowercase().as_str()),
        &["advance", " Reject ", "REVIEW", "advanced", "", "rejec", "review\u{0}"],
    );
    let types =
        serde_json::to_value(crate::values::ascii_ci_choice_schema(&applications::RESUME_CONTENT_TYPES)).unwrap();
    agrees(
        &types,
        |s| applications::RESUME_CONTENT_TYPES.contains(&s.trim().to_ascii_lowercase().as_str()),
        &[
            "application/pdf",
            "Application/PDF ",
            "text/plain",
            "text/plainx",
            "application/pdfx",
            "application.pdf",
            "IMAGE/PNG",
            "image/jpeg",
            "image/jpg",
            "image/gif",
        ],
    );
}

#[test]
fn password_schema_states_the_policy() {
    let p = serde_json::to_value(Password::schema()).unwrap();
    let pattern = p["pattern"].as_str().unwrap();
    // Rust's regex has no lookahead: check each class lookahead by hand against the parser.
    for class in ["[A-Z]", "[a-z]", "[0-9]"] {
        assert!(pattern.contains(&format!("(?=[\\s\\S]*{class})")), "{pattern}");
    }
    let symbols = regex::Regex::new(&pattern[pattern.rfind("(?=[\\s\\S]*").unwrap() + 10..pattern.len() - 1]).unwrap();
    for c in Password::SYMBOLS.chars() {
        assert!(symbols.is_match(&c.to_string()), "symbol {c:?} in {symbols}");
    }
    for c in ['a', 'Z', '0', '€', '\t'] {
        assert!(!symbols.is_match(&c.to_string()), "{c:?} is not a symbol");
    }
    assert_eq!(p["minLength"], Password::MIN_LEN);
    assert_eq!(p["maxLength"], Password::MAX_LEN);
}
