//! Roles and the permission matrix that decides every route.
//!
//! Staff roles: admin, hr_manager, recruiter, viewer, and dei_consultant: an outside DEI
//! consultant invited into the organisation, who reads bias audits, job-ad language reports and
//! aggregate analytics and talks with staff in message threads, and never reads a candidate's
//! personal data or self-identification. A candidate is a separate kind of user with no staff
//! permissions. An admin may grant or deny single permissions per user on top of the
//! role (see [`Overrides`]); permissions reserved to admins can never be granted to others.
//!
//! Platform roles (people outside an employer, issue 13): candidate, npo (a non-profit's
//! member), community_leader, career_mentor and platform_admin. They hold no staff permission;
//! one person may hold several, all ride in the token (`cognito:groups`) and routes open to
//! platform users name the roles they accept ([`Role::PLATFORM`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    HrManager,
    Recruiter,
    Viewer,
    DeiConsultant,
    Candidate,
    Npo,
    CommunityLeader,
    CareerMentor,
    PlatformAdmin,
}

impl Role {
    pub const STAFF: [Role; 5] = [Role::Admin, Role::HrManager, Role::Recruiter, Role::Viewer, Role::DeiConsultant];
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::HrManager,
        Role::Recruiter,
        Role::Viewer,
        Role::DeiConsultant,
        Role::Candidate,
        Role::Npo,
        Role::CommunityLeader,
        Role::CareerMentor,
        Role::PlatformAdmin,
    ];
    /// People outside an employer: any mix of these may ride in one token.
    pub const PLATFORM: [Role; 5] =
        [Role::Candidate, Role::Npo, Role::CommunityLeader, Role::CareerMentor, Role::PlatformAdmin];
    /// What a person may pick at `POST /api/auth/register` (platform admins are made by one).
    pub const SELF_REGISTERED: [Role; 4] = [Role::Candidate, Role::Npo, Role::CommunityLeader, Role::CareerMentor];

    /// The identity provider's group name (Cognito group, `cognito:groups` claim).
    pub fn group(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::HrManager => "hr_manager",
            Role::Recruiter => "recruiter",
            Role::Viewer => "viewer",
            Role::DeiConsultant => "dei_consultant",
            Role::Candidate => "candidate",
            Role::Npo => "npo",
            Role::CommunityLeader => "community_leader",
            Role::CareerMentor => "career_mentor",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    pub fn is_staff(self) -> bool {
        Role::STAFF.contains(&self)
    }

    /// When a token carries several groups, the most privileged wins (staff roles before
    /// platform roles: a staff member who is also a candidate acts as staff on staff routes).
    pub fn highest(groups: impl IntoIterator<Item = Role>) -> Option<Role> {
        groups.into_iter().min()
    }

    pub fn permissions(self) -> BTreeSet<Permission> {
        Permission::ALL.iter().copied().filter(|p| p.allowed_for(self)).collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.group())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.group() == s).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.group()).collect();
            format!("must be one of {} (got {s:?})", names.join(", "))
        })
    }
}

/// What a route needs. Names are `resource:action`, stable, and shown to admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Permission {
    #[serde(rename = "jobs:read")]
    JobsRead,
    #[serde(rename = "jobs:write")]
    JobsWrite,
    #[serde(rename = "jobs:publish")]
    JobsPublish,
    #[serde(rename = "jobs:delete")]
    JobsDelete,
    #[serde(rename = "jobs:criteria")]
    JobsCriteria,
    #[serde(rename = "applications:read")]
    ApplicationsRead,
    #[serde(rename = "applications:write")]
    ApplicationsWrite,
    #[serde(rename = "applications:override")]
    ApplicationsOverride,
    #[serde(rename = "applications:reveal")]
    ApplicationsReveal,
    #[serde(rename = "applications:delete")]
    ApplicationsDelete,
    #[serde(rename = "candidates:write")]
    CandidatesWrite,
    #[serde(rename = "candidates:delete")]
    CandidatesDelete,
    #[serde(rename = "email_templates:manage")]
    EmailTemplatesManage,
    #[serde(rename = "messages:send")]
    MessagesSend,
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
    #[serde(rename = "reports:manage")]
    ReportsManage,
    /// Onboarding templates and new hires (a manager reads and completes their own hires' tasks).
    #[serde(rename = "onboarding:manage")]
    OnboardingManage,
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Publish the employer's NYC LL144 bias-audit summary (a public statement).
    #[serde(rename = "audit:publish")]
    AuditPublish,
    /// Integrations and outbound webhook subscriptions (their secrets reach other systems).
    #[serde(rename = "integrations:manage")]
    IntegrationsManage,
    /// Personal-data requests made to the organisation: export and erase a candidate's data
    /// held by it (GDPR articles 15, 17 and 20), run retention dry runs.
    #[serde(rename = "privacy:manage")]
    PrivacyManage,
    /// Organisation settings (`system_settings`): reveal stage, default thresholds, retention
    /// rules, notices.
    #[serde(rename = "settings:manage")]
    SettingsManage,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "users:manage")]
    UsersManage,
    #[serde(rename = "roles:manage")]
    RolesManage,
    /// Shadow-run and activate versions of the AI models (the scoring model an organisation uses).
    #[serde(rename = "ai_models:manage")]
    ModelsManage,
}

use Permission::*;

impl Permission {
    pub const ALL: [Permission; 26] = [
        JobsRead,
        JobsWrite,
        JobsPublish,
        JobsDelete,
        JobsCriteria,
        ApplicationsRead,
        ApplicationsWrite,
        ApplicationsOverride,
        ApplicationsReveal,
        ApplicationsDelete,
        CandidatesWrite,
        CandidatesDelete,
        EmailTemplatesManage,
        MessagesSend,
        AnalyticsRead,
        ReportsManage,
        OnboardingManage,
        AuditRead,
        AuditPublish,
        IntegrationsManage,
        PrivacyManage,
        SettingsManage,
        UsersRead,
        UsersManage,
        RolesManage,
        ModelsManage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JobsRead => "jobs:read",
            JobsWrite => "jobs:write",
            JobsPublish => "jobs:publish",
            JobsDelete => "jobs:delete",
            JobsCriteria => "jobs:criteria",
            ApplicationsRead => "applications:read",
            ApplicationsWrite => "applications:write",
            ApplicationsOverride => "applications:override",
            ApplicationsReveal => "applications:reveal",
            ApplicationsDelete => "applications:delete",
            CandidatesWrite => "candidates:write",
            CandidatesDelete => "candidates:delete",
            EmailTemplatesManage => "email_templates:manage",
            MessagesSend => "messages:send",
            AnalyticsRead => "analytics:read",
            ReportsManage => "reports:manage",
            OnboardingManage => "onboarding:manage",
            AuditRead => "audit:read",
            AuditPublish => "audit:publish",
            IntegrationsManage => "integrations:manage",
            PrivacyManage => "privacy:manage",
            SettingsManage => "settings:manage",
            UsersRead => "users:read",
            UsersManage => "users:manage",
            RolesManage => "roles:manage",
            ModelsManage => "ai_models:manage",
        }
    }

    /// Only an admin may ever hold these: they cannot be granted by override.
    pub fn admin_only(self) -> bool {
        matches!(
            self,
            UsersManage | RolesManage | AuditRead | AuditPublish | IntegrationsManage | ModelsManage | SettingsManage
        )
    }

    /// Whether this permission changes state (viewers never hold one).
    pub fn is_write(self) -> bool {
        !matches!(self, JobsRead | ApplicationsRead | AnalyticsRead | AuditRead | UsersRead)
    }

    /// The matrix. Read it as a table: rows are permissions, columns roles.
    pub fn allowed_for(self, role: Role) -> bool {
        use Role::*;
        match role {
            Candidate | Npo | CommunityLeader | CareerMentor | PlatformAdmin => false,
            Admin => true,
            Viewer => !self.is_write() && !self.admin_only(),
            HrManager => !self.admin_only(),
            Recruiter => matches!(
                self,
                JobsRead
                    | JobsWrite
                    | JobsPublish
                    | ApplicationsRead
                    | ApplicationsWrite
                    | CandidatesWrite
                    | MessagesSend
                    | AnalyticsRead
                    | UsersRead
            ),
            DeiConsultant => self.consultant_may_hold(),
        }
    }

    /// What a DEI consultant may ever hold (by role or by grant): jobs (with their ad-language
    /// reports), aggregate analytics and bias audits, and messages. Nothing that reads a
    /// candidate's personal data or self-identification.
    pub fn consultant_may_hold(self) -> bool {
        matches!(self, JobsRead | AnalyticsRead | MessagesSend)
    }
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| format!("unknown permission {s:?}"))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-user adjustments an admin made on top of the role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overrides {
    #[serde(default)]
    pub grant: BTreeSet<Permission>,
    #[serde(default)]
    pub deny: BTreeSet<Permission>,
}

impl Overrides {
    /// Why these overrides cannot be applied to this role, if they cannot.
    pub fn check(&self, role: Role) -> Result<(), String> {
        if let Some(p) = self.grant.iter().find(|p| p.admin_only() && role != Role::Admin) {
            return Err(format!("{p} is reserved to admins and cannot be granted to a {role}"));
        }
        if let Some(p) = self.grant.iter().find(|p| p.is_write() && role == Role::Viewer) {
            return Err(format!("viewers read only: {p} cannot be granted to a viewer"));
        }
        if let Some(p) = self.grant.iter().find(|p| !p.consultant_may_hold() && role == Role::DeiConsultant) {
            return Err(format!("DEI consultants never read candidates' data: {p} cannot be granted to one"));
        }
        if let Some(p) = self.grant.intersection(&self.deny).next() {
            return Err(format!("{p} is both granted and denied"));
        }
        Ok(())
    }
}

/// The permissions a user holds: the role's, plus grants, minus denials.
pub fn effective(role: Role, overrides: &Overrides) -> BTreeSet<Permission> {
    let mut set = role.permissions();
    if role.is_staff() {
        set.extend(overrides.grant.iter().copied().filter(|p| !p.admin_only() || role == Role::Admin));
        if role == Role::Viewer {
            set.retain(|p| !p.is_write());
        }
        if role == Role::DeiConsultant {
            set.retain(|p| p.consultant_may_hold());
        }
    }
    for p in &overrides.deny {
        set.remove(p);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_holds_no_write_permission() {
        assert!(Role::Viewer.permissions().iter().all(|p| !p.is_write()));
        assert!(Role::Viewer.permissions().contains(&JobsRead));
    }

    #[test]
    fn only_admin_manages_users_and_roles() {
        for role in Role::ALL {
            assert_eq!(UsersManage.allowed_for(role), role == Role::Admin, "{role}");
            assert_eq!(RolesManage.allowed_for(role), role == Role::Admin, "{role}");
        }
    }

    #[test]
    fn a_dei_consultant_holds_no_permission_that_reads_candidates_even_by_grant() {
        let held = Role::DeiConsultant.permissions();
        assert_eq!(held, [JobsRead, MessagesSend, AnalyticsRead].into_iter().collect());
        let grant = Overrides { grant: [ApplicationsRead].into_iter().collect(), deny: BTreeSet::new() };
        assert!(grant.check(Role::DeiConsultant).is_err());
        assert!(!effective(Role::DeiConsultant, &grant).contains(&ApplicationsRead));
        assert!(Role::DeiConsultant.is_staff());
        assert_eq!("dei_consultant".parse::<Role>(), Ok(Role::DeiConsultant));
    }

    #[test]
    fn candidate_has_no_staff_permission() {
        assert!(Role::Candidate.permissions().is_empty());
    }

    #[test]
    fn platform_roles_hold_no_staff_permission_and_are_not_staff() {
        for role in Role::PLATFORM {
            assert!(role.permissions().is_empty(), "{role}");
            assert!(!role.is_staff(), "{role}");
            assert_eq!(role.group().parse::<Role>(), Ok(role));
        }
        assert_eq!(Role::highest([Role::Npo, Role::Candidate]), Some(Role::Candidate));
        assert_eq!(Role::highest([Role::PlatformAdmin, Role::Viewer]), Some(Role::Viewer));
    }

    #[test]
    fn admin_only_permission_cannot_be_granted_to_hr_manager() {
        let o = Overrides { grant: [UsersManage].into(), deny: Default::default() };
        assert!(o.check(Role::HrManager).is_err());
        assert!(!effective(Role::HrManager, &o).contains(&UsersManage));
    }

    #[test]
    fn deny_removes_a_role_permission() {
        let o = Overrides { grant: Default::default(), deny: [JobsPublish].into() };
        assert!(!effective(Role::Recruiter, &o).contains(&JobsPublish));
        assert!(effective(Role::Recruiter, &o).contains(&JobsWrite));
    }

    #[test]
    fn highest_of_several_groups_wins() {
        assert_eq!(Role::highest([Role::Viewer, Role::HrManager]), Some(Role::HrManager));
    }

    #[test]
    fn permission_names_round_trip_through_serde() {
        for p in Permission::ALL {
            let s = serde_json::to_string(&p).unwrap();
            assert_eq!(s, format!("\"{}\"", p.name()));
            assert_eq!(p.name().parse::<Permission>().unwrap(), p);
        }
    }
}
