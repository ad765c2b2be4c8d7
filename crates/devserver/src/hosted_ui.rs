//! A local stand-in for Cognito's hosted UI (managed login), so the sign-in flow an SPA or a
//! mobile app runs in production — the authorization code grant with PKCE — can be tried with
//! `make run`:
//!
//! - `GET /oauth2/authorize`: the sign-in page (email and password, or "Continue with Google /
//!   Facebook / Apple"); with `identity_provider=Google` (…) the provider's stand-in page.
//! - `POST /oauth2/authorize`: the page's form; on success a `302` to the registered
//!   `redirect_uri` with `code` and `state`.
//! - `POST /oauth2/token`: `authorization_code` (with `code_verifier`) and `refresh_token`
//!   grants; Cognito's JSON answer (`id_token`, `access_token`, `refresh_token`, …).
//! - `GET /oauth2/userInfo`, `GET /logout`, `GET /.well-known/openid-configuration`.
//!
//! Tokens are the local pool's, the same shape as every other token it issues. The social
//! providers are stand-ins: their page asks for the email the provider would vouch for, so a
//! federated first sign-in (an account with no roles yet) can be walked through. The parameters
//! and refusals follow Cognito's endpoints and RFC 6749 / RFC 7636: a redirect URI that is not
//! registered is never redirected to; other faults go back to the client as `error=`.

use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use clearview_core::ports::identity::{IdentityError, IdentityProvider};
use clearview_core::values::Email;
use clearview_local::JwtVerifier;
use clearview_local::identity::LocalIdentity;
use clearview_local::identity::hosted::{CodeRequest, GrantError, SOCIAL_PROVIDERS, is_valid_challenge};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The app client's registered URLs (Cognito's `CallbackURLs` and `LogoutURLs`).
#[derive(Debug, Clone)]
pub struct HostedUiConfig {
    /// Where the authorization endpoint may send the browser back with a code.
    pub callback_urls: Vec<String>,
    /// Where `/logout` may send the browser.
    pub logout_urls: Vec<String>,
    /// The dev server's own address (`http://127.0.0.1:8080`), for the discovery document.
    pub base_url: String,
}

/// The SPA on the Vite dev server and the mobile app's custom scheme; the deployed stack
/// registers `${SpaOrigin}/auth/callback` and `${SpaOrigin}/`.
pub const DEFAULT_CALLBACK_URLS: &str = "http://localhost:5173/auth/callback,clearview://auth/callback";
pub const DEFAULT_LOGOUT_URLS: &str = "http://localhost:5173/,clearview://signed-out";

impl HostedUiConfig {
    /// From `CLEARVIEW_CALLBACK_URLS` and `CLEARVIEW_LOGOUT_URLS` (comma-separated), else the defaults.
    pub fn from_env(base_url: &str) -> Self {
        let list = |var: &str, default: &str| -> Vec<String> {
            std::env::var(var)
                .unwrap_or_else(|_| default.to_owned())
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Self {
            callback_urls: list("CLEARVIEW_CALLBACK_URLS", DEFAULT_CALLBACK_URLS),
            logout_urls: list("CLEARVIEW_LOGOUT_URLS", DEFAULT_LOGOUT_URLS),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

#[derive(Clone)]
struct Ui {
    identity: Arc<LocalIdentity>,
    verifier: Arc<JwtVerifier>,
    config: Arc<HostedUiConfig>,
}

/// The hosted-UI routes, to merge into the dev server's router.
pub fn routes(identity: Arc<LocalIdentity>, verifier: JwtVerifier, config: HostedUiConfig) -> Router {
    let ui = Ui { identity, verifier: Arc::new(verifier), config: Arc::new(config) };
    Router::new()
        .route("/oauth2/authorize", get(authorize_page).post(authorize_submit))
        .route("/oauth2/token", axum::routing::post(token))
        .route("/oauth2/userInfo", get(user_info))
        .route("/logout", get(logout))
        .route("/.well-known/openid-configuration", get(discovery))
        .with_state(ui)
}

/// The authorization request's parameters (query on GET, hidden fields on POST).
#[derive(Debug, Clone, Default, Deserialize)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    identity_provider: Option<String>,
    /// An email domain: the organisation provider that signs it in (Cognito's `idp_identifier`).
    idp_identifier: Option<String>,
    // What the sign-in form adds.
    email: Option<String>,
    password: Option<String>,
}

/// A checked authorization request.
struct Checked {
    redirect_uri: String,
    state: Option<String>,
    request: CodeRequest,
    /// Social (`Google`, …) or an organisation's provider, resolved by [`Ui::resolve`].
    provider: Option<String>,
}

/// Why a request cannot proceed: shown on a page (the client or redirect URI is unknown, so it
/// must not be redirected to) or sent back to the client as `error=`.
enum Refusal {
    Page(String),
    Redirect { uri: String, state: Option<String>, error: &'static str, description: String },
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{q}")
}

fn redirect(to: &str) -> Response {
    let mut res = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head><body>\
         <main style=\"max-width:28rem;margin:3rem auto;font-family:sans-serif\"><h1>{t}</h1>{body}\
         <p><small>ClearView local sign-in (a stand-in for Cognito's hosted UI; <code>make run</code> only).</small></p>\
         </main></body></html>",
        t = escape(title)
    );
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

impl Ui {
    fn check(&self, p: &AuthorizeParams) -> Result<Checked, Refusal> {
        let client = p.client_id.as_deref().unwrap_or_default();
        if client != self.identity.client_id() {
            return Err(Refusal::Page(format!("client_id {client:?} is not an app client of this user pool")));
        }
        let uri = p.redirect_uri.clone().unwrap_or_default();
        if !self.config.callback_urls.contains(&uri) {
            return Err(Refusal::Page(format!(
                "redirect_uri {uri:?} is not one of the app client's callback URLs ({})",
                self.config.callback_urls.join(", ")
            )));
        }
        let state = p.state.clone();
        let back = |error: &'static str, description: &str| Refusal::Redirect {
            uri: uri.clone(),
            state: state.clone(),
            error,
            description: description.to_owned(),
        };
        if p.response_type.as_deref() != Some("code") {
            return Err(back(
                "unsupported_response_type",
                "response_type must be code (the implicit grant is not offered)",
            ));
        }
        let challenge = p.code_challenge.clone().unwrap_or_default();
        if challenge.is_empty() {
            return Err(back("invalid_request", "code_challenge is required (PKCE, RFC 7636)"));
        }
        if p.code_challenge_method.as_deref() != Some("S256") {
            return Err(back("invalid_request", "code_challenge_method must be S256"));
        }
        if !is_valid_challenge(&challenge) {
            return Err(back(
                "invalid_request",
                "code_challenge must be BASE64URL(SHA-256(code_verifier)), 43 characters",
            ));
        }
        let scope = p.scope.clone().unwrap_or_else(|| "openid email profile".into());
        if let Some(s) = scope.split_whitespace().find(|s| !["openid", "email", "profile", "phone"].contains(s)) {
            return Err(back("invalid_scope", &format!("scope {s} is not allowed for this client")));
        }
        let provider = match p.identity_provider.as_deref() {
            None | Some("") | Some("COGNITO") => None,
            Some(name) => Some(name.to_owned()),
        };
        Ok(Checked {
            redirect_uri: uri.clone(),
            state: state.clone(),
            request: CodeRequest { client_id: client.to_owned(), redirect_uri: uri, code_challenge: challenge, scope },
            provider,
        })
    }
}

impl Ui {
    /// Checks the request, then which provider signs the person in: a social one, an
    /// organisation's by name, or the one an `idp_identifier` (email domain) routes to.
    async fn resolve(&self, p: &AuthorizeParams) -> Result<Checked, Refusal> {
        let mut c = self.check(p)?;
        let back = |description: String| Refusal::Redirect {
            uri: c.redirect_uri.clone(),
            state: c.state.clone(),
            error: "invalid_request",
            description,
        };
        let found = match (&c.provider, p.idp_identifier.as_deref().filter(|d| !d.is_empty())) {
            (None, Some(domain)) => match self.identity.org_provider_for_domain(domain).await {
                Ok(Some(org)) => Some(org.name),
                Ok(None) => return Err(back(format!("no identity provider signs in {domain}"))),
                Err(e) => return Err(back(format!("the identity store is unavailable ({e})"))),
            },
            (Some(name), _) if !SOCIAL_PROVIDERS.contains(&name.as_str()) => {
                match self.identity.org_provider(name).await {
                    Ok(Some(_)) => None,
                    Ok(None) => return Err(back(format!("identity_provider {name} is not configured"))),
                    Err(e) => return Err(back(format!("the identity store is unavailable ({e})"))),
                }
            }
            _ => None,
        };
        if found.is_some() {
            c.provider = found;
        }
        Ok(c)
    }
}

fn refuse(r: Refusal) -> Response {
    match r {
        Refusal::Page(why) => {
            page(StatusCode::BAD_REQUEST, "Sign-in request refused", &format!("<p>{}</p>", escape(&why)))
        }
        Refusal::Redirect { uri, state, error, description } => {
            let mut pairs = vec![("error", error), ("error_description", description.as_str())];
            if let Some(s) = state.as_deref() {
                pairs.push(("state", s));
            }
            redirect(&with_query(&uri, &pairs))
        }
    }
}

fn hidden_fields(p: &AuthorizeParams, provider: Option<&str>) -> String {
    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    let mut put = |k: &'static str, v: &Option<String>| {
        if let Some(v) = v {
            fields.insert(k, v.clone());
        }
    };
    put("response_type", &p.response_type);
    put("client_id", &p.client_id);
    put("redirect_uri", &p.redirect_uri);
    put("state", &p.state);
    put("scope", &p.scope);
    put("code_challenge", &p.code_challenge);
    put("code_challenge_method", &p.code_challenge_method);
    if let Some(pr) = provider {
        fields.insert("identity_provider", pr.to_owned());
    }
    fields
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", escape(v)))
        .collect::<Vec<_>>()
        .join("")
}

fn sign_in_form(p: &AuthorizeParams, provider: Option<&str>, error: Option<&str>) -> String {
    let err = error.map(|e| format!("<p role=\"alert\" style=\"color:#b00\">{}</p>", escape(e))).unwrap_or_default();
    let hidden = hidden_fields(p, provider);
    match provider {
        Some(name) if !SOCIAL_PROVIDERS.contains(&name) => format!(
            "{err}<p>Stand-in for your organisation's identity provider ({name}): enter your work email. A \
             first sign-in joins you to the organisation (POST /api/auth/sso/join).</p>\
             <form method=\"post\" action=\"/oauth2/authorize\">{hidden}\
             <label>Work email <input type=\"email\" name=\"email\" required autocomplete=\"email\"></label>\
             <button type=\"submit\">Continue</button></form>",
            name = escape(name)
        ),
        Some(name) => format!(
            "{err}<p>Stand-in for {name}: enter the email address {name} would vouch for. A first sign-in \
             creates your ClearView account; you choose your roles next.</p>\
             <form method=\"post\" action=\"/oauth2/authorize\">{hidden}\
             <label>Email <input type=\"email\" name=\"email\" required autocomplete=\"email\"></label>\
             <button type=\"submit\">Continue</button></form>",
            name = escape(name)
        ),
        None => {
            let mut links = String::new();
            for social in SOCIAL_PROVIDERS {
                let mut q = BTreeMap::new();
                for (k, v) in [
                    ("response_type", &p.response_type),
                    ("client_id", &p.client_id),
                    ("redirect_uri", &p.redirect_uri),
                    ("state", &p.state),
                    ("scope", &p.scope),
                    ("code_challenge", &p.code_challenge),
                    ("code_challenge_method", &p.code_challenge_method),
                ] {
                    if let Some(v) = v {
                        q.insert(k, v.as_str());
                    }
                }
                q.insert("identity_provider", social);
                let href = format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&q).unwrap_or_default());
                let label = if social == "SignInWithApple" { "Apple" } else { social };
                links.push_str(&format!("<li><a href=\"{}\">Continue with {label}</a></li>", escape(&href)));
            }
            format!(
                "{err}<form method=\"post\" action=\"/oauth2/authorize\">{hidden}\
                 <p><label>Email <input type=\"email\" name=\"email\" required autocomplete=\"username\"></label></p>\
                 <p><label>Password <input type=\"password\" name=\"password\" required autocomplete=\"current-password\"></label></p>\
                 <button type=\"submit\">Sign in</button></form><ul>{links}</ul>"
            )
        }
    }
}

async fn authorize_page(State(ui): State<Ui>, Query(p): Query<AuthorizeParams>) -> Response {
    match ui.resolve(&p).await {
        Err(r) => refuse(r),
        Ok(c) => page(StatusCode::OK, "Sign in to ClearView", &sign_in_form(&p, c.provider.as_deref(), None)),
    }
}

/// The provider's stable user id for an email (the stand-in has no provider to ask).
fn provider_user_id(provider: &str, email: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("{provider}:{}", email.to_lowercase()).as_bytes());
    // Google's and Facebook's ids are long decimal numbers; 21 digits of the digest.
    d.iter().take(16).map(|b| format!("{:02}", b % 100)).collect::<String>()[..21].to_owned()
}

async fn authorize_submit(State(ui): State<Ui>, Form(p): Form<AuthorizeParams>) -> Response {
    let c = match ui.resolve(&p).await {
        Err(r) => return refuse(r),
        Ok(c) => c,
    };
    let again = |status: StatusCode, why: &str| {
        page(status, "Sign in to ClearView", &sign_in_form(&p, c.provider.as_deref(), Some(why)))
    };
    let Ok(email) = Email::parse("email", p.email.as_deref().unwrap_or_default()) else {
        return again(StatusCode::BAD_REQUEST, "Enter a valid email address.");
    };
    let sub = match c.provider.as_deref() {
        Some(provider) => {
            let id = provider_user_id(provider, email.as_str());
            match ui.identity.federated_sign_in(provider, &id, &email).await {
                Ok(f) => f.sub,
                Err(e) => return again(StatusCode::UNAUTHORIZED, &e.to_string()),
            }
        }
        None => match ui.identity.authenticate(&email, p.password.as_deref().unwrap_or_default()).await {
            Ok(sub) => sub,
            Err(IdentityError::UserNotConfirmed) => {
                return again(
                    StatusCode::UNAUTHORIZED,
                    "Confirm your email first (POST /api/auth/confirm with the emailed code).",
                );
            }
            Err(IdentityError::NewPasswordRequired) => {
                return again(
                    StatusCode::UNAUTHORIZED,
                    "Set your own password first (POST /api/auth/complete-invite with the temporary one).",
                );
            }
            Err(IdentityError::Unavailable(e)) => {
                tracing::warn!(error = %e, "hosted UI sign-in: identity store unavailable");
                return again(StatusCode::SERVICE_UNAVAILABLE, "Sign-in is unavailable; try again.");
            }
            Err(_) => return again(StatusCode::UNAUTHORIZED, "Incorrect username or password."),
        },
    };
    match ui.identity.issue_code(&sub, c.request).await {
        Ok(code) => {
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = c.state.as_deref() {
                pairs.push(("state", s));
            }
            redirect(&with_query(&c.redirect_uri, &pairs))
        }
        Err(e) => {
            tracing::warn!(error = %e, "hosted UI: could not issue a code");
            again(StatusCode::SERVICE_UNAVAILABLE, "Sign-in is unavailable; try again.")
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = (status, axum::Json(json!({"error": error, "error_description": description}))).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn tokens_json(t: &clearview_core::ports::identity::Tokens) -> Response {
    let mut body = json!({
        "id_token": t.id_token,
        "access_token": t.access_token,
        "token_type": t.token_type,
        "expires_in": t.expires_in,
    });
    if let Some(r) = &t.refresh_token {
        body["refresh_token"] = json!(r);
    }
    let mut res = (StatusCode::OK, axum::Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `POST /oauth2/token` (`application/x-www-form-urlencoded`, a public client: no secret).
async fn token(State(ui): State<Ui>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let form = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !form.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the body as application/x-www-form-urlencoded",
        );
    }
    let Ok(f) = serde_urlencoded::from_bytes::<TokenForm>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the form could not be read");
    };
    if f.client_id.as_deref() != Some(ui.identity.client_id()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client_id is not an app client of this user pool",
        );
    }
    match f.grant_type.as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(uri), Some(verifier)) = (&f.code, &f.redirect_uri, &f.code_verifier) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code, redirect_uri and code_verifier are required",
                );
            };
            match ui.identity.redeem_code(code, ui.identity.client_id(), uri, verifier).await {
                Ok(t) => tokens_json(&t),
                Err(GrantError::InvalidGrant(why)) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why),
                Err(GrantError::Unavailable(e)) => {
                    tracing::warn!(error = %e, "hosted UI token endpoint unavailable");
                    oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again")
                }
            }
        }
        Some("refresh_token") => {
            let Some(rt) = &f.refresh_token else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required");
            };
            match ui.identity.refresh(rt).await {
                Ok(t) => tokens_json(&t),
                Err(IdentityError::Unavailable(_)) => {
                    oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again")
                }
                Err(e) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &e.to_string()),
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
    }
}

/// `GET /oauth2/userInfo` with the access token.
async fn user_info(State(ui): State<Ui>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let claims = match ui.verifier.verify(bearer.trim()) {
        Ok(c) if c.get("token_use").and_then(|v| v.as_str()) == Some("access") => c,
        _ => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "send an access token of this pool"),
    };
    let sub = claims.get("sub").and_then(|v| v.as_str()).unwrap_or_default();
    match ui.identity.user_info(sub).await {
        Ok(Some(info)) => axum::Json(info).into_response(),
        Ok(None) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "the user is gone"),
        Err(_) => oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again"),
    }
}

#[derive(Debug, Default, Deserialize)]
struct LogoutParams {
    client_id: Option<String>,
    logout_uri: Option<String>,
}

/// `GET /logout`: the stand-in keeps no browser session, so signing out is the redirect (the
/// app revokes its refresh token with `POST /api/auth/logout`).
async fn logout(State(ui): State<Ui>, Query(p): Query<LogoutParams>) -> Response {
    if p.client_id.as_deref() != Some(ui.identity.client_id()) {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-out refused",
            "<p>client_id is not an app client of this user pool.</p>",
        );
    }
    match p.logout_uri {
        Some(u) if ui.config.logout_urls.contains(&u) => redirect(&u),
        _ => page(
            StatusCode::BAD_REQUEST,
            "Sign-out refused",
            &format!("<p>logout_uri must be one of {}</p>", escape(&ui.config.logout_urls.join(", "))),
        ),
    }
}

async fn discovery(State(ui): State<Ui>) -> Response {
    let base = &ui.config.base_url;
    axum::Json(json!({
        "issuer": ui.identity.issuer(),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
        "end_session_endpoint": format!("{base}/logout"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "email", "profile", "phone"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "identity_providers": SOCIAL_PROVIDERS,
    }))
    .into_response()
}
