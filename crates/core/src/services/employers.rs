//! Employer sign-up: the organisation and its first admin, created together.

use super::{Change, Who, audit_write, snapshot};
use crate::error::{AppError, AppResult};
use crate::model::{Organization, User, UserStatus};
use crate::ports::Deps;
use crate::ports::identity::NewAccount;
use crate::ports::store::Condition;
use crate::rbac::{Overrides, Role};
use crate::record::Record;
use crate::values::{Checks, Email, OrgId, Password, Phone, TextRule, UserId};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterEmployer {
    #[schema(schema_with = company_name_schema, example = "Acme Robotics")]
    pub company_name: String,
    #[schema(schema_with = Email::schema, example = "ana@acme.example")]
    pub email: String,
    #[schema(schema_with = Password::schema, example = "Str0ng!passw0rd")]
    pub password: String,
    #[schema(schema_with = Phone::schema, example = "+14155550123")]
    pub contact_number: String,
}

const COMPANY_NAME: TextRule = TextRule::new(2, 200);

fn company_name_schema() -> Object {
    COMPANY_NAME.schema()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub organization: Organization,
    pub user: User,
    /// What to do next (verify the email).
    pub next_step: String,
}

pub async fn register(deps: &Deps, input: RegisterEmployer) -> AppResult<Registered> {
    let mut checks = Checks::default();
    let company = checks.take(COMPANY_NAME.parse("companyName", &input.company_name));
    let email = checks.take(Email::parse("email", &input.email));
    let password = checks.take(Password::parse("password", &input.password));
    let phone = checks.take(Phone::parse("contactNumber", &input.contact_number));
    checks.finish()?;
    let (Some(company), Some(email), Some(password), Some(phone)) = (company, email, password, phone) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };

    let org_id = OrgId::new(deps.ids.new_id());
    let subject = deps
        .identity
        .sign_up(NewAccount { email: email.clone(), password, org_id: Some(org_id.clone()), role: Role::Admin })
        .await?;

    let now = deps.clock.now();
    let org = Organization {
        id: org_id.clone(),
        company_name: company,
        contact_number: phone,
        contact_email: email.clone(),
        created_at: now,
        version: 1,
    };
    let user = User {
        id: UserId::trusted(subject),
        org_id: org_id.clone(),
        email: email.clone(),
        name: None,
        role: Role::Admin,
        status: UserStatus::Active,
        overrides: Overrides::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let writes = (|| {
        Ok::<_, AppError>(vec![
            org.tx_put("organization", Condition::NotExists)?,
            user.tx_put("user", Condition::NotExists)?,
            audit_write(
                deps,
                Who { id: user.id.as_str(), email: Some(email.as_str()) },
                &org_id,
                Change {
                    action: "organization.register",
                    target_type: "organization",
                    target_id: org_id.as_str(),
                    before: None,
                    after: Some(snapshot(&org)?),
                },
            )?,
        ])
    })();
    let written = match writes {
        Ok(w) => deps.store.transact(w).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        // Do not leave a sign-in without an organisation behind it.
        if let Err(undo) = deps.identity.delete(&email).await {
            return Err(AppError::Internal(format!("{e}; and undoing the sign-up failed: {undo}")));
        }
        return Err(e);
    }
    Ok(Registered {
        organization: org,
        user,
        next_step: "We emailed a verification code: confirm it with POST /api/auth/confirm, then sign in.".into(),
    })
}
