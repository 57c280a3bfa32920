//! The authorization endpoint's pages (the code flow): `GET /authorize` takes the pushed
//! request through the engine and shows the login page; `POST /authorize/login` checks the
//! user; `GET /authorize/consent` lists the credentials and claims; `POST /authorize/consent`
//! hands the decision to the engine, which makes the redirect.
//!
//! A login session lives in a cookie (`HttpOnly`, `SameSite=Lax`, path `/authorize`) and
//! carries a CSRF token that every POST must echo; the session id changes at login. `Lax`, not
//! `Strict`: the wallet opens the authorization URL from another site, and a browser sends a
//! `Strict` cookie on no navigation from another site, so coming back to the URL that way
//! found no session (`Lax` still keeps it from cross-site POSTs). The
//! engine decides what may be granted and binds the code; these pages only ask the user.
//!
//! The first visit of the authorization URL spends its `request_uri`; the browser holding the
//! session that visit opened may come back to the URL until the user decides (RFC 9126 §4:
//! reloads and the back button), and is shown its session's page again.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jose_core::UnixTime;
use oid4vci_issuer::{PendingAuthorization, SubjectClaims};
use serde::Deserialize;

use super::IssuerState;
use super::expiring::ExpiringMap;
use super::pages::{Page, secrets_equal, see_other};
use super::sign_in_throttle::Attempt;
use crate::config::DemoUser;

/// The login session cookie.
pub const SESSION_COOKIE: &str = "issuer_login";
/// Failed logins after which the authorization ends with `access_denied`.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// The login page's message after a wrong name or password.
const WRONG_CREDENTIALS: &str = "Wrong username or password.";
/// The login page's message while the user is locked out: [`super::MAX_FAILURES_PER_USER`]
/// failed sign-ins within [`super::SIGN_IN_WINDOW_SECONDS`].
pub const LOCKED_OUT: &str = "Too many failed sign-ins for this user: try again later.";
/// Concurrent login sessions the demo keeps.
const MAX_SESSIONS: usize = 10_000;

/// One user's way through the pages.
#[derive(Clone, Debug)]
pub(super) struct LoginSession {
    pending: PendingAuthorization,
    csrf: String,
    user: Option<String>,
    failed_logins: u32,
}

/// The login sessions (in memory).
#[derive(Debug)]
pub(super) struct LoginSessions(ExpiringMap<LoginSession>);

impl Default for LoginSessions {
    fn default() -> Self {
        Self(ExpiringMap::new(MAX_SESSIONS))
    }
}

/// A fresh random handle; `None` (logged) when the random source fails.
fn random_handle(state: &IssuerState) -> Option<String> {
    let mut bytes = [0u8; 32];
    match jose_core::RandomSource::fill(state.engine.rng(), &mut bytes) {
        Ok(()) => Some(jose_core::base64url::encode(&bytes)),
        Err(e) => {
            tracing::error!(error = %e, "no randomness for a login session");
            None
        }
    }
}

fn unavailable() -> Response {
    Page::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again later",
        "The issuer cannot start a sign-in right now.",
    )
    .into_response()
}

fn no_session() -> Response {
    Page::message(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "There is no sign-in in progress in this browser (it expired, was completed, or \
         cookies are off). Start again from your wallet.",
    )
    .into_response()
}

fn bad_csrf() -> Response {
    Page::message(
        StatusCode::FORBIDDEN,
        "Form not accepted",
        "The form was not sent from this sign-in page (its CSRF token does not match). \
         Go back to the page and submit it again.",
    )
    .into_response()
}

fn session_cookie(state: &IssuerState, id: &str, max_age: u64) -> String {
    let secure = if state.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={id}; Path=/authorize; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    )
}

fn ended_cookie(state: &IssuerState) -> String {
    session_cookie(state, "", 0)
}

/// The session id of the request's cookie.
fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Opens a session for `pending` and answers with the login page.
fn open_session(state: &IssuerState, pending: PendingAuthorization, now: UnixTime) -> Response {
    let (Some(id), Some(csrf)) = (random_handle(state), random_handle(state)) else {
        return unavailable();
    };
    let ttl = state.engine.settings().user_interaction_ttl_seconds;
    let page = login_page(&pending, &csrf, None);
    let session = LoginSession {
        pending,
        csrf,
        user: None,
        failed_logins: 0,
    };
    if state
        .login_sessions
        .0
        .insert(id.clone(), session, now.saturating_add(ttl), now)
        .is_err()
    {
        return unavailable();
    }
    page.with_cookie(session_cookie(state, &id, ttl))
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    client_id: &'a str,
    attested: bool,
    redirect_uri: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
}

fn login_page(pending: &PendingAuthorization, csrf: &str, error: Option<&str>) -> Page {
    Page::render(
        StatusCode::OK,
        &LoginPage {
            client_id: pending.client_id(),
            attested: pending.client_attested(),
            redirect_uri: pending.redirect_uri(),
            csrf,
            error,
        },
    )
    .with_form_action(pending.redirect_uri())
}

/// This browser's open session for the authorization URL of `query`, shown again: its login
/// page, or the consent page once the user signed in. The first visit spent the `request_uri`;
/// a reload or the back button before the user finished is answered from the session
/// (RFC 9126 §4 lets a browser revisit; FAPI 2.0 SP §5.3.2.2 note 3). Only the browser holding
/// the session cookie gets it back, and the session ends at the decision.
fn revisit(
    state: &IssuerState,
    headers: &HeaderMap,
    query: &str,
    now: UnixTime,
) -> Option<Response> {
    let session = state.login_sessions.0.get(&session_id(headers)?, now)?;
    // The query read as the engine reads it.
    let asked = oid4vci_types::AuthorizationRequest::parse_query(query.as_bytes()).ok()?;
    if !secrets_equal(session.pending.request_uri(), &asked.request_uri)
        || session.pending.client_id() != asked.client_id
    {
        return None;
    }
    Some(match session.user {
        None => login_page(&session.pending, &session.csrf, None).into_response(),
        Some(_) => see_other("/authorize/consent", None),
    })
}

/// `GET /authorize?client_id&request_uri` (RFC 9126 §4).
pub(super) async fn authorize(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    super::off_runtime(state.store_calls.clone(), move || -> Response {
        let now = state.clock.now();
        let query = query.unwrap_or_default();
        let pending = match state.engine.begin_authorization(query.as_bytes(), now) {
            Ok(pending) => pending,
            Err(error) => {
                if let Some(again) = revisit(&state, &headers, &query, now) {
                    tracing::info!("authorization URL revisited by its session");
                    return again;
                }
                tracing::info!(error = error.error(), reason = %error.description(), "authorization request refused");
                // The redirect URI is not trusted before the request_uri resolves: a page, not
                // a redirect (RFC 6749 §4.1.2.1).
                return Page::message(
                    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST),
                    "Authorization request not accepted",
                    error.description(),
                )
                .into_response();
            }
        };
        if let Some(issuer_state) = pending.issuer_state()
            && !state.offers.redeem_issuer_state(issuer_state, now)
        {
            tracing::info!("authorization request with an unknown or used issuer_state");
            let url = state.engine.refuse(
                &pending,
                "invalid_request",
                "issuer_state is unknown, expired or already used",
            );
            return see_other(&url, None);
        }
        open_session(&state, pending, now)
    })
    .await
}

/// The login form.
#[derive(Deserialize)]
pub(super) struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

/// The configured user named `username`, and whether `password` is theirs. Every user's name
/// and password is compared, so these comparisons do not tell which names exist (the
/// per-user count of failures that follows for a known name is not hidden: after
/// [`super::MAX_FAILURES_PER_USER`] failures the page itself says the user is locked out).
fn find_user<'a>(
    users: &'a [DemoUser],
    username: &str,
    password: &str,
) -> Option<(&'a DemoUser, bool)> {
    let mut found = None;
    for user in users {
        let named = secrets_equal(&user.username, username);
        let password_matches = secrets_equal(&user.password, password);
        if named {
            found = Some((user, password_matches));
        }
    }
    found
}

/// Why a form POST was not taken.
enum Refusal {
    NoSession,
    BadForm(String),
    BadCsrf,
}

impl Refusal {
    fn page(self) -> Response {
        match self {
            Self::NoSession => no_session(),
            Self::BadForm(reason) => Page::message(
                StatusCode::BAD_REQUEST,
                "Form not accepted",
                &format!("The form could not be read: {reason}"),
            )
            .into_response(),
            Self::BadCsrf => bad_csrf(),
        }
    }
}

/// The live session of a form POST whose CSRF token (`csrf` of the form) matches it: the
/// session id, the session and the form.
fn posted<F>(
    state: &IssuerState,
    headers: &HeaderMap,
    form: Result<Form<F>, FormRejection>,
    csrf: impl FnOnce(&F) -> &str,
    now: UnixTime,
) -> Result<(String, LoginSession, F), Refusal> {
    let id = session_id(headers).ok_or(Refusal::NoSession)?;
    let session = state
        .login_sessions
        .0
        .get(&id, now)
        .ok_or(Refusal::NoSession)?;
    let Form(form) = form.map_err(|rejection| Refusal::BadForm(rejection.to_string()))?;
    if !secrets_equal(&session.csrf, csrf(&form)) {
        return Err(Refusal::BadCsrf);
    }
    Ok((id, session, form))
}

/// `POST /authorize/login`.
pub(super) async fn login(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    super::off_runtime(state.store_calls.clone(), move || -> Response {
        let now = state.clock.now();
        let (id, session, form) = match posted(&state, &headers, form, |f: &LoginForm| &f.csrf, now)
        {
            Ok(posted) => posted,
            Err(refusal) => return refusal.page(),
        };
        let user = match find_user(&state.config.users, &form.username, &form.password) {
            Some((user, password_matches)) => {
                match state
                    .sign_in_throttle
                    .attempt(&user.username, password_matches, now)
                {
                    Attempt::SignedIn => Ok(user),
                    Attempt::Wrong { failures } => {
                        tracing::info!(failures, "wrong password");
                        Err(WRONG_CREDENTIALS)
                    }
                    Attempt::LockedOut => {
                        tracing::info!("sign-in refused: too many failures for the user");
                        Err(LOCKED_OUT)
                    }
                }
            }
            None => {
                tracing::info!("unknown user name");
                Err(WRONG_CREDENTIALS)
            }
        };
        match user {
            Ok(user) => signed_in(&state, &id, user, now),
            Err(message) => failed_sign_in(&state, &id, &session, message, now),
        }
    })
    .await
}

/// After a failed sign-in: the login page again with `message`, or, after the session's
/// [`MAX_FAILED_LOGINS`]th failure, the end of the authorization with `access_denied`.
fn failed_sign_in(
    state: &IssuerState,
    id: &str,
    session: &LoginSession,
    message: &str,
    now: UnixTime,
) -> Response {
    let failed = state
        .login_sessions
        .0
        .update(id, now, |s| {
            s.failed_logins = s.failed_logins.saturating_add(1);
            s.failed_logins
        })
        .unwrap_or(MAX_FAILED_LOGINS);
    tracing::info!(failed, "failed login");
    if failed >= MAX_FAILED_LOGINS {
        let Some(session) = state.login_sessions.0.take(id, now) else {
            return no_session();
        };
        let url = state.engine.refuse(
            &session.pending,
            "access_denied",
            "too many failed sign-in attempts",
        );
        return see_other(&url, Some(ended_cookie(state)));
    }
    login_page(&session.pending, &session.csrf, Some(message)).into_response()
}

/// After a successful sign-in of `user`: the session under a new id and CSRF token (no
/// session fixation), and on to the consent page.
fn signed_in(state: &IssuerState, id: &str, user: &DemoUser, now: UnixTime) -> Response {
    let Some(mut session) = state.login_sessions.0.take(id, now) else {
        return no_session();
    };
    let (Some(new_id), Some(csrf)) = (random_handle(state), random_handle(state)) else {
        return unavailable();
    };
    session.user = Some(user.username.clone());
    session.csrf = csrf;
    let ttl = state.engine.settings().user_interaction_ttl_seconds;
    if state
        .login_sessions
        .0
        .insert(new_id.clone(), session, now.saturating_add(ttl), now)
        .is_err()
    {
        return unavailable();
    }
    tracing::info!(user = %user.username, "user signed in");
    see_other(
        "/authorize/consent",
        Some(session_cookie(state, &new_id, ttl)),
    )
}

/// One credential on the consent page.
#[derive(Debug)]
struct ConsentCredential {
    id: String,
    name: String,
    format: String,
}

/// One claim on the consent page.
#[derive(Debug)]
struct ConsentClaim {
    name: String,
    value: String,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    client_id: &'a str,
    attested: bool,
    username: &'a str,
    credentials: Vec<ConsentCredential>,
    claims: Vec<ConsentClaim>,
    redirect_uri: &'a str,
    csrf: &'a str,
}

fn user<'a>(state: &'a IssuerState, session: &LoginSession) -> Option<&'a DemoUser> {
    let name = session.user.as_deref()?;
    state.config.users.iter().find(|u| u.username == name)
}

/// The claims `user` is issued in `session`'s authorization: their mdoc claims in `mso_mdoc`
/// credentials, their claims in the others.
fn issued_claims(state: &IssuerState, session: &LoginSession, user: &DemoUser) -> SubjectClaims {
    state
        .config
        .subject_claims(user, session.pending.configuration_ids())
}

/// What the consent page lists: every claim some credential of the authorization carries,
/// once, in the order of the credentials.
fn consent_claims(claims: &SubjectClaims, ids: &[String]) -> Vec<ConsentClaim> {
    let mut listed: Vec<ConsentClaim> = Vec::new();
    for id in ids {
        for (name, value) in claims.for_configuration(id) {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            if !listed.iter().any(|c| c.name == *name && c.value == value) {
                listed.push(ConsentClaim {
                    name: name.clone(),
                    value,
                });
            }
        }
    }
    listed
}

/// `GET /authorize/consent`.
pub(super) async fn consent_page(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
) -> Response {
    super::off_runtime(state.store_calls.clone(), move || -> Response {
        let now = state.clock.now();
        let Some(session) =
            session_id(&headers).and_then(|id| state.login_sessions.0.get(&id, now))
        else {
            return no_session();
        };
        let Some(user) = user(&state, &session) else {
            return no_session();
        };
        let credentials = session
            .pending
            .configuration_ids()
            .iter()
            .map(|id| {
                let configuration = state.config.configuration(id);
                ConsentCredential {
                    id: id.clone(),
                    name: configuration
                        .and_then(|c| c.display_name.clone())
                        .unwrap_or_else(|| id.clone()),
                    format: configuration
                        .and_then(|c| c.format_name().ok())
                        .unwrap_or_default()
                        .to_owned(),
                }
            })
            .collect();
        let claims = consent_claims(
            &issued_claims(&state, &session, user),
            session.pending.configuration_ids(),
        );
        Page::render(
            StatusCode::OK,
            &ConsentPage {
                client_id: session.pending.client_id(),
                attested: session.pending.client_attested(),
                username: &user.username,
                credentials,
                claims,
                redirect_uri: session.pending.redirect_uri(),
                csrf: &session.csrf,
            },
        )
        .with_form_action(session.pending.redirect_uri())
        .into_response()
    })
    .await
}

/// The consent form.
#[derive(Deserialize)]
pub(super) struct ConsentForm {
    csrf: String,
    decision: String,
}

/// `POST /authorize/consent`: `decision=approve` (signed in) or `decision=deny` (any time).
pub(super) async fn consent(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    form: Result<Form<ConsentForm>, FormRejection>,
) -> Response {
    super::off_runtime(state.store_calls.clone(), move || -> Response {
        let now = state.clock.now();
        let (id, session, form) =
            match posted(&state, &headers, form, |f: &ConsentForm| &f.csrf, now) {
                Ok(posted) => posted,
                Err(refusal) => return refusal.page(),
            };
        let approve = match form.decision.as_str() {
            "approve" => true,
            "deny" => false,
            _ => {
                return Page::message(
                    StatusCode::BAD_REQUEST,
                    "Form not accepted",
                    "decision must be approve or deny",
                )
                .into_response();
            }
        };
        let claims = match (approve, user(&state, &session)) {
            (true, Some(user)) => Some(issued_claims(&state, &session, user)),
            (true, None) => return no_session(),
            (false, _) => None,
        };
        let Some(session) = state.login_sessions.0.take(&id, now) else {
            return no_session();
        };
        let url = match claims {
            None => {
                tracing::info!("the user declined the authorization");
                state.engine.deny(session.pending)
            }
            // The redirect URI is trusted by now: an authorization that ends without a code
            // goes back to the wallet with an error (RFC 6749 §4.1.2.1), never a dead end.
            Some(_) if !session.pending.is_live(now) => state.engine.refuse(
                &session.pending,
                "access_denied",
                "the authorization request has expired",
            ),
            Some(claims) => {
                let failed = state.engine.refuse(
                    &session.pending,
                    "server_error",
                    "the authorization could not be completed",
                );
                match state.engine.approve(session.pending, claims, now) {
                    Ok(url) => {
                        tracing::info!(user = ?session.user, "the user consented; code issued");
                        url
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, detail = ?error.internal_detail(), "the code could not be issued");
                        failed
                    }
                }
            }
        };
        see_other(&url, Some(ended_cookie(&state)))
    })
    .await
}
