//! Candidates: self sign-up and profile. Staff see a candidate only through an application to
//! one of their own jobs.

use super::{Caller, check_version};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::application::SalaryRange;
use crate::model::{Candidate, Education, Experience, Proficiency, ProfileSkill, SkillOrigin};
use crate::ports::Deps;
use crate::ports::identity::NewAccount;
use crate::ports::store::Condition;
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, Email, Password, Phone, TextRule, UserId};
use serde::Deserialize;
use utoipa::openapi::schema::Object;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterCandidate {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = Password::schema)]
    pub password: String,
    #[schema(schema_with = name_schema, example = "Sam Rivera")]
    pub name: String,
    #[schema(schema_with = Phone::opt_schema)]
    pub phone: Option<String>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = headline_schema)]
    pub headline: Option<String>,
}

const NAME: TextRule = TextRule::new(1, 200);
const LOCATION: TextRule = TextRule::new(1, 200);
const HEADLINE: TextRule = TextRule::new(1, 300);

pub(crate) fn name_schema() -> Object {
    NAME.schema()
}
pub(crate) fn location_schema() -> Object {
    LOCATION.opt_schema()
}
pub(crate) fn headline_schema() -> Object {
    HEADLINE.opt_schema()
}

/// `PUT /api/candidates/{id}`: the profile, replaced. `skills`, `education` and `experience`
/// are kept as they are when absent (the parser fills them from the resume); sending them, even
/// empty, replaces them and confirms the profile.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCandidate {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[schema(schema_with = Phone::opt_schema)]
    pub phone: Option<String>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = headline_schema)]
    pub headline: Option<String>,
    /// An `https://` (or `http://`) URL.
    #[schema(schema_with = url_schema)]
    pub linkedin_url: Option<String>,
    #[schema(schema_with = url_schema)]
    pub portfolio_url: Option<String>,
    #[schema(schema_with = short_schema)]
    pub current_title: Option<String>,
    #[schema(schema_with = short_schema)]
    pub current_company: Option<String>,
    #[schema(minimum = 0, maximum = 60)]
    pub years_experience: Option<u8>,
    pub salary_expectation: Option<SalaryRange>,
    #[schema(schema_with = availability_schema)]
    pub availability: Option<String>,
    #[schema(schema_with = super::applications::source_schema)]
    pub source: Option<String>,
    #[schema(schema_with = short_schema)]
    pub referrer: Option<String>,
    #[schema(max_items = 100)]
    pub skills: Option<Vec<SkillInput>>,
    #[schema(max_items = 20)]
    pub education: Option<Vec<EducationInput>>,
    #[schema(max_items = 50)]
    pub experience: Option<Vec<ExperienceInput>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillInput {
    #[schema(schema_with = skill_name_schema)]
    pub name: String,
    pub proficiency: Option<Proficiency>,
    #[schema(minimum = 0, maximum = 60)]
    pub years: Option<u8>,
    /// Default `manual`.
    pub origin: Option<SkillOrigin>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EducationInput {
    #[schema(schema_with = required_short_schema)]
    pub institution: String,
    #[schema(schema_with = short_schema)]
    pub degree: Option<String>,
    #[schema(schema_with = short_schema)]
    pub field: Option<String>,
    #[schema(minimum = 1900, maximum = 2100)]
    pub end_year: Option<u16>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExperienceInput {
    #[schema(schema_with = required_short_schema)]
    pub company: String,
    #[schema(schema_with = required_short_schema)]
    pub title: String,
    /// `YYYY-MM` or `YYYY`.
    #[schema(schema_with = month_schema)]
    pub start: Option<String>,
    #[schema(schema_with = month_schema)]
    pub end: Option<String>,
    #[serde(default)]
    pub current: bool,
}

const SHORT: TextRule = TextRule::new(1, 200);
const URL_MAX: usize = 300;
const AVAILABILITY: TextRule = TextRule::new(1, 200);
const SKILL_NAME: TextRule = TextRule::new(1, 100);

pub(crate) fn short_schema() -> Object {
    SHORT.opt_schema()
}
fn required_short_schema() -> Object {
    SHORT.schema()
}
fn skill_name_schema() -> Object {
    SKILL_NAME.schema()
}
fn availability_schema() -> Object {
    AVAILABILITY.opt_schema()
}
pub(crate) fn url_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .format(Some(utoipa::openapi::SchemaFormat::Custom("uri".into())))
        .max_length(Some(URL_MAX))
        .build()
}
fn month_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .pattern(Some("^[0-9]{4}(-(0[1-9]|1[0-2]))?$"))
        .build()
}

fn parse_url(c: &mut Checks, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > URL_MAX {
        c.push(field, format!("must be at most {URL_MAX} characters"));
        return None;
    }
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => Some(u.to_string()),
        _ => {
            c.push(field, "must be an http(s) URL such as https://example.com/you");
            None
        }
    }
}

fn parse_month(c: &mut Checks, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    let ok = match v.split_once('-') {
        None => v.len() == 4 && v.chars().all(|c| c.is_ascii_digit()),
        Some((y, m)) => {
            y.len() == 4
                && y.chars().all(|c| c.is_ascii_digit())
                && m.len() == 2
                && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        }
    };
    if ok {
        Some(v.to_owned())
    } else {
        c.push(field, "must be YYYY-MM or YYYY");
        None
    }
}

/// The profile fields of an update, checked, applied to `to`.
pub(crate) fn apply_profile(c: &mut Checks, input: &UpdateCandidate, to: &mut Candidate) {
    let p = profile(c, &input.name, input.phone.as_deref(), input.location.as_deref(), input.headline.as_deref());
    to.name = p.name;
    to.phone = p.phone;
    to.location = p.location;
    to.headline = p.headline;
    to.linkedin_url = parse_url(c, "linkedinUrl", input.linkedin_url.as_deref());
    to.portfolio_url = parse_url(c, "portfolioUrl", input.portfolio_url.as_deref());
    to.current_title = c.take(SHORT.parse_opt("currentTitle", input.current_title.as_deref())).flatten();
    to.current_company = c.take(SHORT.parse_opt("currentCompany", input.current_company.as_deref())).flatten();
    if input.years_experience.is_some_and(|y| y > 60) {
        c.push("yearsExperience", "must be from 0 to 60");
    }
    to.years_experience = input.years_experience;
    if let Some(s) = &input.salary_expectation {
        super::review::check_salary(c, s);
    }
    to.salary_expectation = input.salary_expectation.clone();
    to.availability = c.take(AVAILABILITY.parse_opt("availability", input.availability.as_deref())).flatten();
    to.source = c.take(super::applications::parse_source("source", input.source.as_deref())).flatten();
    to.referrer = c.take(SHORT.parse_opt("referrer", input.referrer.as_deref())).flatten();
    let mut confirmed = false;
    if let Some(skills) = &input.skills {
        confirmed = true;
        if skills.len() > 100 {
            c.push("skills", "must have at most 100 items");
        }
        let mut seen = std::collections::BTreeSet::new();
        to.skills = Vec::new();
        for (i, s) in skills.iter().enumerate() {
            let Some(name) = c.take(SKILL_NAME.parse(&format!("skills[{i}].name"), &s.name)) else { continue };
            if !seen.insert(name.to_lowercase()) {
                c.push(format!("skills[{i}].name"), "is listed twice");
                continue;
            }
            if s.years.is_some_and(|y| y > 60) {
                c.push(format!("skills[{i}].years"), "must be from 0 to 60");
            }
            to.skills.push(ProfileSkill {
                name,
                proficiency: s.proficiency,
                years: s.years,
                verified: false,
                origin: s.origin.unwrap_or(SkillOrigin::Manual),
            });
        }
    }
    if let Some(education) = &input.education {
        confirmed = true;
        if education.len() > 20 {
            c.push("education", "must have at most 20 items");
        }
        to.education = education
            .iter()
            .enumerate()
            .map(|(i, e)| {
                if e.end_year.is_some_and(|y| !(1900..=2100).contains(&y)) {
                    c.push(format!("education[{i}].endYear"), "must be from 1900 to 2100");
                }
                Education {
                    institution: c
                        .take(SHORT.parse(&format!("education[{i}].institution"), &e.institution))
                        .unwrap_or_default(),
                    degree: c.take(SHORT.parse_opt(&format!("education[{i}].degree"), e.degree.as_deref())).flatten(),
                    field: c.take(SHORT.parse_opt(&format!("education[{i}].field"), e.field.as_deref())).flatten(),
                    end_year: e.end_year,
                }
            })
            .collect();
    }
    if let Some(experience) = &input.experience {
        confirmed = true;
        if experience.len() > 50 {
            c.push("experience", "must have at most 50 items");
        }
        to.experience = experience
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let start = parse_month(c, &format!("experience[{i}].start"), e.start.as_deref());
                let end = parse_month(c, &format!("experience[{i}].end"), e.end.as_deref());
                if let (Some(s), Some(en)) = (&start, &end)
                    && en < s
                {
                    c.push(format!("experience[{i}].end"), "must not be before start");
                }
                if e.current && end.is_some() {
                    c.push(format!("experience[{i}].end"), "must be absent for a current position");
                }
                Experience {
                    company: c.take(SHORT.parse(&format!("experience[{i}].company"), &e.company)).unwrap_or_default(),
                    title: c.take(SHORT.parse(&format!("experience[{i}].title"), &e.title)).unwrap_or_default(),
                    start,
                    end,
                    current: e.current,
                }
            })
            .collect();
    }
    if confirmed {
        to.profile_confirmed = true;
    }
    to.verify_skills();
}

struct Profile {
    name: String,
    phone: Option<String>,
    location: Option<String>,
    headline: Option<String>,
}

fn profile(c: &mut Checks, name: &str, phone: Option<&str>, location: Option<&str>, headline: Option<&str>) -> Profile {
    Profile {
        name: c.take(NAME.parse("name", name)).unwrap_or_default(),
        phone: match phone.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => c.take(Phone::parse("phone", p)).map(|p| p.as_str().to_owned()),
            None => None,
        },
        location: c.take(LOCATION.parse_opt("location", location)).flatten(),
        headline: c.take(HEADLINE.parse_opt("headline", headline)).flatten(),
    }
}

pub async fn register(deps: &Deps, input: RegisterCandidate) -> AppResult<Candidate> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    let password = c.take(Password::parse("password", &input.password));
    let p = profile(&mut c, &input.name, input.phone.as_deref(), input.location.as_deref(), input.headline.as_deref());
    c.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let subject = deps
        .identity
        .sign_up(NewAccount { email: email.clone(), password, org_id: None, role: Role::Candidate })
        .await?;
    let mut candidate = Candidate::new(UserId::trusted(subject), email.clone(), p.name, deps.clock.now());
    candidate.phone = p.phone;
    candidate.location = p.location;
    candidate.headline = p.headline;
    if let Err(e) = deps.store.put(candidate.to_item()?, Condition::NotExists).await {
        let _ = deps.identity.delete(&email).await;
        return Err(e.into());
    }
    Ok(candidate)
}

pub async fn update(
    deps: &Deps,
    caller: &Caller,
    id: &UserId,
    if_match: Option<u64>,
    input: UpdateCandidate,
) -> AppResult<Candidate> {
    match caller {
        Caller::Candidate(p) if &p.user_id == id => {}
        _ => return Err(AppError::NotFound("candidate")),
    }
    let before: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(id)).await?.ok_or(AppError::NotFound("candidate"))?;
    let mut after = before.clone();
    let mut c = Checks::default();
    apply_profile(&mut c, &input, &mut after);
    c.finish()?;
    check_version(if_match, before.version, true)?;
    after.version += 1;
    after.updated_at = deps.clock.now();
    super::talent::save_profile(deps, &before, &after, Vec::new()).await?;
    // Who the profile says the candidate is feeds the anonymiser: a change re-runs it (and the
    // score after it) for every open application whose resume was screened.
    if (&before.name, &before.linkedin_url, &before.portfolio_url)
        != (&after.name, &after.linkedin_url, &after.portfolio_url)
    {
        let who = super::Who { id: after.id.as_str(), email: Some(after.email.as_str()) };
        for app in super::talent::applications_of(deps, &after.id).await? {
            super::applications::rerun_anonymisation(deps, who, &app).await?;
        }
    }
    Ok(after)
}

/// After the parser read an application's resume: the file joins the candidate's resumes, the
/// skills it shows become the ones `verified` is checked against, and — until the candidate
/// confirms their profile — skills, education, experience and years are filled from it. The
/// candidate corrects them with `PUT /api/candidates/{id}`. Runs again harmlessly on a
/// redelivered message (nothing changes, nothing is written).
pub async fn prefill_from_resume(
    deps: &Deps,
    app: &crate::model::Application,
    parsed: &clearview_screening::ParsedResume,
) -> AppResult<()> {
    let Some(before) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&app.candidate_id)).await? else {
        return Ok(());
    };
    let mut after = before.clone();
    if let Some(r) = &app.resume
        && !after.resumes.iter().any(|x| x.file_id == r.file_id)
    {
        after.resumes.push(crate::model::ProfileResume {
            file_id: r.file_id.clone(),
            file_name: r.file_name.clone(),
            content_type: r.content_type.clone(),
            application_id: app.id.clone(),
            org_id: app.org_id.clone(),
            added_at: deps.clock.now(),
        });
    }
    after.resume_skills = parsed.skills.clone();
    if !after.profile_confirmed {
        after.skills = parsed
            .skills
            .iter()
            .take(100)
            .map(|s| ProfileSkill {
                name: s.chars().take(100).collect(),
                proficiency: None,
                years: None,
                verified: true,
                origin: SkillOrigin::Resume,
            })
            .collect();
        let date = |year: i32, month: Option<u8>| match month {
            Some(m) => format!("{year:04}-{m:02}"),
            None => format!("{year:04}"),
        };
        after.experience = parsed
            .experience
            .iter()
            .take(50)
            .filter_map(|e| {
                Some(Experience {
                    company: e.company.clone().or_else(|| e.title.clone())?.chars().take(200).collect(),
                    title: e.title.clone().unwrap_or_default().chars().take(200).collect(),
                    start: e.start.map(|d| date(d.year, d.month)),
                    end: if e.current { None } else { e.end.map(|d| date(d.year, d.month)) },
                    current: e.current,
                })
            })
            .collect();
        after.education = parsed
            .education
            .iter()
            .take(20)
            .filter_map(|e| {
                Some(Education {
                    institution: e.institution.clone()?.chars().take(200).collect(),
                    degree: e.degree.clone(),
                    field: e.field.clone(),
                    end_year: e.end.and_then(|d| u16::try_from(d.year).ok()),
                })
            })
            .collect();
        if after.years_experience.is_none() {
            after.years_experience = Some(parsed.total_experience_years.round().clamp(0.0, 60.0) as u8);
        }
    }
    after.verify_skills();
    if after == before {
        return Ok(());
    }
    after.version += 1;
    after.updated_at = deps.clock.now();
    super::talent::save_profile(deps, &before, &after, Vec::new()).await
}
