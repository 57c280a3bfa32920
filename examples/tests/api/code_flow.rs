//! The authorization code flow over HTTP (issue 11): PAR, the login and consent pages, the
//! redirect, code redemption, credential requests; each bad input with its exact answer.

use examples::config::{
    DEMO_PASSWORD, DEMO_USERNAME, IDENTITY_CONFIGURATION_ID, MDL_CONFIGURATION_ID,
};
use examples::wallet::{
    CodeFlowStart, CodeRequest, DEMO_REDIRECT_URI, Http, IssuerInfo, Reply, StartedAuthorization,
    Wallet,
};
use serde_json::json;

use crate::common::TestEnv;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn discover(t: &TestEnv, wallet: &Wallet) -> IssuerInfo {
    wallet.discover(&t.env.issuer_url).unwrap()
}

/// A PAR with `form` (plus `client_id`) and the wallet's client authentication headers.
fn raw_par(t: &TestEnv, wallet: &Wallet, info: &IssuerInfo, form: &[(&str, &str)]) -> Reply {
    let client_id = wallet.client_id().unwrap();
    let mut fields = vec![("client_id", client_id.as_str())];
    fields.extend_from_slice(form);
    let headers = wallet.client_auth_headers(info).unwrap();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    Http::new()
        .post_form(
            "par",
            &format!("{}/par", t.env.issuer_url),
            &fields,
            &headers,
        )
        .unwrap()
}

fn pkce_form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", DEMO_REDIRECT_URI),
        ("state", "s-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    form
}

fn error_of(reply: &Reply) -> (u16, String) {
    (
        reply.status,
        reply.error_code().unwrap_or_default().to_owned(),
    )
}

/// The value of query parameter `name` of a redirect.
fn param(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| v.to_owned())
    })
}

/// PAR + sign-in + consent for the identity credential: the started authorization and the
/// code.
fn authorized(wallet: &Wallet, info: &IssuerInfo) -> (StartedAuthorization, String) {
    authorized_for(wallet, info, &CodeRequest::new(IDENTITY_CONFIGURATION_ID))
}

/// PAR + sign-in + consent for `request`: the started authorization and the code.
fn authorized_for(
    wallet: &Wallet,
    info: &IssuerInfo,
    request: &CodeRequest,
) -> (StartedAuthorization, String) {
    let started = wallet.push_authorization(info, request).unwrap();
    let redirect = wallet
        .sign_in_and_consent(
            &started.authorization_url,
            DEMO_USERNAME,
            DEMO_PASSWORD,
            true,
        )
        .unwrap();
    let code = wallet
        .authorization_code(info, &started, &redirect)
        .unwrap();
    (started, code)
}

/// A wallet's pushed request for the identity credential, and its login page.
fn open_login_page(t: &TestEnv) -> (Wallet, IssuerInfo, StartedAuthorization, Reply) {
    let wallet = t.wallet();
    let info = discover(t, &wallet);
    let started = wallet
        .push_authorization(&info, &CodeRequest::new(IDENTITY_CONFIGURATION_ID))
        .unwrap();
    let login = Http::new()
        .get("authorize", &started.authorization_url)
        .unwrap();
    (wallet, info, started, login)
}

/// The hidden CSRF field of a page.
fn csrf_in(html: &str) -> String {
    let (_, rest) = html.split_once("name=\"csrf\" value=\"").unwrap();
    rest.split_once('"').unwrap().0.to_owned()
}

/// `POST /authorize/login` with the demo user's password, `csrf` and `cookie` (none: `""`).
fn post_login(http: &Http, base: &str, csrf: &str, cookie: &str) -> Reply {
    let cookies: Vec<(&str, &str)> = if cookie.is_empty() {
        Vec::new()
    } else {
        vec![("Cookie", cookie)]
    };
    http.post_form(
        "login",
        &format!("{base}/authorize/login"),
        &[
            ("csrf", csrf),
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
        ],
        &cookies,
    )
    .unwrap()
}

/// `GET /authorize/consent` with the session `cookie`.
fn get_consent(http: &Http, base: &str, cookie: &str) -> Reply {
    http.get_with(
        "consent",
        &format!("{base}/authorize/consent"),
        &[("Cookie", cookie)],
    )
    .unwrap()
}

/// The `name=value` of the cookie an answer sets.
fn cookie_of(reply: &Reply) -> String {
    let header = reply.header("set-cookie").unwrap();
    header.split(';').next().unwrap().to_owned()
}

fn token(wallet: &Wallet, info: &IssuerInfo, form: &[(&str, &str)]) -> Reply {
    let headers = wallet.token_headers(info).unwrap();
    wallet.post_token(info, form, &headers).unwrap()
}

fn code_form<'a>(started: &'a StartedAuthorization, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", started.redirect_uri.as_str()),
        ("client_id", started.client_id.as_str()),
        ("code_verifier", started.code_verifier.as_str()),
    ]
}

/// One authorization for an SD-JWT VC and an mDL: each carries its own claims (the mDL the
/// user's ISO 18013-5 elements, the SD-JWT VC their claims), and the consent page lists both.
#[test]
fn one_authorization_for_an_sd_jwt_vc_and_an_mdl_issues_each_its_own_claims() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let info = discover(&t, &wallet);
    let mut request = CodeRequest::new(IDENTITY_CONFIGURATION_ID);
    request.additional_configuration_ids = vec![MDL_CONFIGURATION_ID.to_owned()];

    let base = t.env.issuer_url.as_str();
    let http = Http::new();
    let shown = wallet.push_authorization(&info, &request).unwrap();
    let login = http.get("authorize", &shown.authorization_url).unwrap();
    let csrf = csrf_in(login.body.as_str().unwrap());
    let signed_in = post_login(&http, base, &csrf, &cookie_of(&login));
    let consent = get_consent(&http, base, &cookie_of(&signed_in));
    let page = consent.body.as_str().unwrap();
    for listed in ["birthdate", "document_number", "driving_privileges"] {
        assert!(page.contains(listed), "{listed}: {page}");
    }

    let (started, code) = authorized_for(&wallet, &info, &request);
    let tokens = wallet.redeem_code(&info, &started, &code).unwrap();
    assert_eq!(tokens.credential_identifiers.len(), 2);
    let pid = wallet
        .receive(info.clone(), tokens.clone(), IDENTITY_CONFIGURATION_ID, 1)
        .unwrap();
    assert_eq!(pid.credentials[0].claims["birthdate"], "1984-01-26");
    assert!(pid.credentials[0].claims.get("document_number").is_none());
    let mdl = wallet
        .receive(info, tokens, MDL_CONFIGURATION_ID, 1)
        .unwrap();
    assert_eq!(mdl.credentials[0].format, "mso_mdoc");
    let elements = &mdl.credentials[0].claims[mdoc_cbor::MDL_NAME_SPACE];
    assert_eq!(elements["document_number"], "D0000001");
    assert_eq!(elements["birth_date"], "1984-01-26");
    assert!(elements.get("birthdate").is_none(), "{elements}");
}

#[test]
fn wallet_and_issuer_initiated_code_flows_issue_the_users_credentials() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let outcome = wallet
        .run_code_flow(
            CodeFlowStart::Metadata {
                issuer: &t.env.issuer_url,
                configuration_id: IDENTITY_CONFIGURATION_ID,
            },
            DEMO_USERNAME,
            DEMO_PASSWORD,
        )
        .unwrap();
    assert_eq!(outcome.tokens.token_type, "DPoP");
    assert_eq!(outcome.tokens.credential_identifiers.len(), 1);
    assert_eq!(outcome.credentials[0].claims["given_name"], "Erika");

    let offer = t.admin_offer(&json!({"credential_configuration_id": MDL_CONFIGURATION_ID, "grant": "authorization_code"}))
        .expect("offer", 201)
        .unwrap();
    let issuer_state = offer.body["offer"]["grants"]["authorization_code"]["issuer_state"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        offer.body["offer"]["grants"]
            .get("urn:ietf:params:oauth:grant-type:pre-authorized_code")
            .is_none()
    );
    let uri = offer.str("offer_uri").unwrap();
    let outcome = wallet
        .run_code_flow(CodeFlowStart::Offer(uri), DEMO_USERNAME, DEMO_PASSWORD)
        .unwrap();
    assert_eq!(outcome.credentials[0].format, "mso_mdoc");
    // An mDL-only authorization issues the user's mDL elements, not the SD-JWT VC claims.
    let elements = &outcome.credentials[0].claims[mdoc_cbor::MDL_NAME_SPACE];
    assert_eq!(elements["document_number"], "D0000001");
    assert_eq!(elements["birth_date"], "1984-01-26");
    assert!(elements.get("birthdate").is_none(), "{elements}");
    // The offer's issuer_state is single use.
    let info = discover(&t, &wallet);
    let mut again = CodeRequest::new(MDL_CONFIGURATION_ID);
    again.issuer_state = Some(issuer_state);
    let started = wallet.push_authorization(&info, &again).unwrap();
    let answer = Http::new()
        .get("authorize", &started.authorization_url)
        .unwrap();
    assert_eq!(answer.status, 303);
    let location = answer.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{DEMO_REDIRECT_URI}?")),
        "{location}"
    );
    assert_eq!(param(location, "error").as_deref(), Some("invalid_request"));
    assert_eq!(
        param(location, "state").as_deref(),
        Some(started.state.as_str())
    );
}

#[test]
fn par_refuses_a_missing_or_invalid_attestation_and_bad_pkce() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = discover(&t, &wallet);
    let url = format!("{}/par", t.env.issuer_url);
    let details = json!([{"type": "openid_credential", "credential_configuration_id": IDENTITY_CONFIGURATION_ID}]).to_string();
    let mut form = pkce_form(&[("authorization_details", &details)]);
    form.push(("client_id", "https://wallet.example.org/demo-wallet"));
    let bare = Http::new().post_form("par", &url, &form, &[]).unwrap();
    assert_eq!(error_of(&bare), (401, "invalid_client".into()));
    assert!(
        bare.header("www-authenticate")
            .is_some_and(|v| v.starts_with("attest_jwt_client_auth"))
    );
    let headers = wallet.client_auth_headers(&info).unwrap();
    let pop = headers
        .iter()
        .find(|(n, _)| n == "OAuth-Client-Attestation-PoP")
        .unwrap();
    let forged = Http::new()
        .post_form(
            "par",
            &url,
            &form,
            &[
                ("OAuth-Client-Attestation", "e30.e30.c2ln"),
                ("OAuth-Client-Attestation-PoP", &pop.1),
            ],
        )
        .unwrap();
    assert_eq!(error_of(&forged), (401, "invalid_client".into()));

    let no_pkce = raw_par(
        &t,
        &wallet,
        &info,
        &[
            ("response_type", "code"),
            ("redirect_uri", DEMO_REDIRECT_URI),
            ("authorization_details", &details),
        ],
    );
    assert_eq!(error_of(&no_pkce), (400, "invalid_request".into()));
    let plain = raw_par(
        &t,
        &wallet,
        &info,
        &[
            ("response_type", "code"),
            ("redirect_uri", DEMO_REDIRECT_URI),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
            ("authorization_details", &details),
        ],
    );
    assert_eq!(error_of(&plain), (400, "invalid_request".into()));
    let bad_type = json!([{"type": "payment_initiation", "credential_configuration_id": IDENTITY_CONFIGURATION_ID}]).to_string();
    let unknown_type = raw_par(
        &t,
        &wallet,
        &info,
        &pkce_form(&[("authorization_details", &bad_type)]),
    );
    assert_eq!(
        error_of(&unknown_type),
        (400, "invalid_authorization_details".into())
    );
    let bad_id =
        json!([{"type": "openid_credential", "credential_configuration_id": "NoSuchCredential"}])
            .to_string();
    let unknown_id = raw_par(
        &t,
        &wallet,
        &info,
        &pkce_form(&[("authorization_details", &bad_id)]),
    );
    assert_eq!(
        error_of(&unknown_id),
        (400, "invalid_authorization_details".into())
    );
    let unknown_scope = raw_par(
        &t,
        &wallet,
        &info,
        &pkce_form(&[("scope", "no_such_scope")]),
    );
    assert_eq!(error_of(&unknown_scope), (400, "invalid_scope".into()));
    let ok = raw_par(
        &t,
        &wallet,
        &info,
        &pkce_form(&[("scope", IDENTITY_CONFIGURATION_ID)]),
    );
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    assert_eq!(ok.body["expires_in"], 60);
    assert_eq!(ok.header("cache-control"), Some("no-store"));
}

#[test]
fn a_request_uri_is_single_use_short_lived_and_the_pushing_clients_only() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = discover(&t, &wallet);
    let http = Http::new();
    let request = CodeRequest::new(IDENTITY_CONFIGURATION_ID);
    let page_error = |reply: &Reply| {
        assert_eq!(reply.status, 400, "{:?}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(
            reply.header("location").is_none(),
            "no redirect to an untrusted URI"
        );
        let html = reply.body.as_str().unwrap_or_default().to_owned();
        assert!(
            html.contains("request_uri is unknown, expired, already used, or not this client"),
            "{html}"
        );
    };
    // Another client.
    let started = wallet.push_authorization(&info, &request).unwrap();
    let other = started.authorization_url.replace(
        "client_id=https%3A%2F%2Fwallet.example.org%2Fdemo-wallet",
        "client_id=mallory",
    );
    assert_ne!(other, started.authorization_url);
    page_error(&http.get("authorize", &other).unwrap());
    // Its own client: once.
    assert_eq!(
        http.get("authorize", &started.authorization_url)
            .unwrap()
            .status,
        200
    );
    page_error(&http.get("authorize", &started.authorization_url).unwrap());
    // Expired.
    let late = wallet.push_authorization(&info, &request).unwrap();
    t.clock.advance(61);
    page_error(&http.get("authorize", &late.authorization_url).unwrap());
    // Parameters beside the request_uri (a wallet library repeating response_type and
    // scope): ignored, only the pushed ones count (RFC 9101 §6.3 via RFC 9126 §4).
    let fresh = wallet.push_authorization(&info, &request).unwrap();
    let extra = http
        .get(
            "authorize",
            &format!(
                "{}&response_type=code&scope=IdentityCredential",
                fresh.authorization_url
            ),
        )
        .unwrap();
    assert_eq!(extra.status, 200, "the login page");
    // A query without the request_uri is still a page error.
    let (base, _) = fresh.authorization_url.split_once('?').unwrap();
    let missing = http
        .get("authorize", &format!("{base}?client_id=x&scope=pid"))
        .unwrap();
    assert_eq!(missing.status, 400);
    assert!(
        missing
            .body
            .as_str()
            .unwrap_or_default()
            .contains("request_uri")
    );
}

/// The first visit of the authorization URL spends the `request_uri`; the browser holding that
/// visit's session may come back to the URL (a reload, the back button) until the user decides
/// (RFC 9126 §4, FAPI 2.0 SP §5.3.2.2 note 3): the login page again, or the consent page after
/// sign-in. Another browser, or any browser after the decision, gets the error page.
#[test]
fn the_authorization_url_can_be_revisited_by_its_session_until_the_decision() {
    let t = TestEnv::start();
    let (_, _, started, login) = open_login_page(&t);
    assert_eq!(login.status, 200);
    let cookie = cookie_of(&login);
    let csrf = csrf_in(login.body.as_str().unwrap());
    let http = Http::new();
    let base = &t.env.issuer_url;
    let visit = |cookie: &str| {
        let cookies: Vec<(&str, &str)> = if cookie.is_empty() {
            Vec::new()
        } else {
            vec![("Cookie", cookie)]
        };
        http.get_with("authorize", &started.authorization_url, &cookies)
            .unwrap()
    };
    let again = visit(&cookie);
    assert_eq!(again.status, 200, "the login page again");
    assert_eq!(
        csrf_in(again.body.as_str().unwrap()),
        csrf,
        "of the same session"
    );
    assert_eq!(visit("").status, 400, "another browser");
    let signed_in = post_login(&http, base, &csrf, &cookie);
    assert_eq!(signed_in.status, 303);
    let new_cookie = cookie_of(&signed_in);
    let after_sign_in = visit(&new_cookie);
    assert_eq!(after_sign_in.status, 303);
    assert_eq!(after_sign_in.header("location"), Some("/authorize/consent"));
    assert_eq!(visit(&cookie).status, 400, "the session id before sign-in");
    let consent = get_consent(&http, base, &new_cookie);
    let decided = http
        .post_form(
            "consent",
            &format!("{base}/authorize/consent"),
            &[
                ("csrf", &csrf_in(consent.body.as_str().unwrap())),
                ("decision", "approve"),
            ],
            &[("Cookie", &new_cookie)],
        )
        .unwrap();
    assert_eq!(decided.status, 303);
    assert!(decided.header("location").unwrap().contains("code="));
    assert_eq!(visit(&new_cookie).status, 400, "after the decision");
}

#[test]
fn the_pages_carry_a_strict_policy_and_refuse_a_wrong_csrf_token() {
    let t = TestEnv::start();
    let (wallet, info, started, login) = open_login_page(&t);
    let http = Http::new();
    assert_eq!(login.status, 200);
    let csp = login.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("form-action 'self' https://wallet.example;"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(login.header("cache-control"), Some("no-store"));
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    assert_eq!(login.header("referrer-policy"), Some("no-referrer"));
    let cookie_header = login.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"),
        "{cookie_header}"
    );
    let cookie = cookie_header.split(';').next().unwrap().to_owned();
    let html = login.body.as_str().unwrap().to_owned();
    assert!(html.contains("<label for=\"username\">"), "accessible form");
    let csrf = csrf_in(&html);
    let base = &t.env.issuer_url;

    // A wrong CSRF token at login: 403, the session survives.
    let forged = http
        .post_form(
            "login",
            &format!("{base}/authorize/login"),
            &[
                ("csrf", "forged"),
                ("username", DEMO_USERNAME),
                ("password", DEMO_PASSWORD),
            ],
            &[("Cookie", &cookie)],
        )
        .unwrap();
    assert_eq!(forged.status, 403);
    assert!(
        forged
            .body
            .as_str()
            .unwrap()
            .contains("CSRF token does not match")
    );
    // Wrong password: the page again, with the error.
    let wrong = http
        .post_form(
            "login",
            &format!("{base}/authorize/login"),
            &[
                ("csrf", &csrf),
                ("username", DEMO_USERNAME),
                ("password", "guess"),
            ],
            &[("Cookie", &cookie)],
        )
        .unwrap();
    assert_eq!(wrong.status, 200);
    assert!(
        wrong
            .body
            .as_str()
            .unwrap()
            .contains("Wrong username or password.")
    );
    // No cookie: no session.
    let cookieless = post_login(&http, base, &csrf, "");
    assert_eq!(cookieless.status, 400);
    let signed_in = post_login(&http, base, &csrf, &cookie);
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/authorize/consent"));
    let new_cookie = cookie_of(&signed_in);
    assert_ne!(new_cookie, cookie, "the session id changes at sign-in");
    // The old session id is gone.
    let stale = get_consent(&http, base, &cookie);
    assert_eq!(stale.status, 400);
    let consent = get_consent(&http, base, &new_cookie);
    assert_eq!(consent.status, 200);
    let page = consent.body.as_str().unwrap().to_owned();
    assert!(
        page.contains(IDENTITY_CONFIGURATION_ID)
            && page.contains("given_name")
            && page.contains("Erika"),
        "{page}"
    );
    let consent_csrf = csrf_in(&page);
    assert_ne!(consent_csrf, csrf, "a new CSRF token at sign-in");
    // A wrong CSRF token on the consent POST: 403, no redirect, the session survives.
    let forged = http
        .post_form(
            "consent",
            &format!("{base}/authorize/consent"),
            &[("csrf", &csrf), ("decision", "approve")],
            &[("Cookie", &new_cookie)],
        )
        .unwrap();
    assert_eq!(forged.status, 403);
    assert!(forged.header("location").is_none());
    // Denied: the wallet gets access_denied with state and iss.
    let denied = http
        .post_form(
            "consent",
            &format!("{base}/authorize/consent"),
            &[("csrf", &consent_csrf), ("decision", "deny")],
            &[("Cookie", &new_cookie)],
        )
        .unwrap();
    assert_eq!(denied.status, 303);
    let location = denied.header("location").unwrap();
    assert_eq!(param(location, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        param(location, "state").as_deref(),
        Some(started.state.as_str())
    );
    assert_eq!(
        param(location, "iss"),
        Some(base.replace(':', "%3A").replace('/', "%2F"))
    );
    assert!(param(location, "code").is_none());
    let err = wallet
        .authorization_code(&info, &started, location)
        .unwrap_err();
    assert!(err.to_string().contains("access_denied"), "{err}");
}

#[test]
fn too_many_failed_sign_ins_end_the_authorization() {
    let t = TestEnv::start();
    let (_, _, _, login) = open_login_page(&t);
    let http = Http::new();
    let cookie = cookie_of(&login);
    let html = login.body.as_str().unwrap().to_owned();
    let csrf = csrf_in(&html);
    let url = format!("{}/authorize/login", t.env.issuer_url);
    let attempt = || {
        http.post_form(
            "login",
            &url,
            &[("csrf", &csrf), ("username", "erika"), ("password", "x")],
            &[("Cookie", &cookie)],
        )
        .unwrap()
    };
    for _ in 1..examples::issuer::MAX_FAILED_LOGINS {
        assert_eq!(attempt().status, 200);
    }
    let last = attempt();
    assert_eq!(last.status, 303);
    let location = last.header("location").unwrap();
    assert_eq!(param(location, "error").as_deref(), Some("access_denied"));
    assert_eq!(attempt().status, 400, "the session is over");
}

/// Sessions do not reset a user's failures: after `MAX_FAILURES_PER_USER` wrong passwords in
/// any sessions, the right password is refused too until the window ends.
#[test]
fn failed_sign_ins_of_one_user_add_up_across_sessions() {
    let t = TestEnv::start();
    let http = Http::new();
    let url = format!("{}/authorize/login", t.env.issuer_url);
    // One POST of `password` as erika in a fresh session.
    let sign_in_fresh = |password: &str| {
        let (_, _, _, login) = open_login_page(&t);
        let html = login.body.as_str().unwrap().to_owned();
        let (csrf, cookie) = (csrf_in(&html), cookie_of(&login));
        http.post_form(
            "login",
            &url,
            &[
                ("csrf", &csrf),
                ("username", "erika"),
                ("password", password),
            ],
            &[("Cookie", &cookie)],
        )
        .unwrap()
    };
    let per_user = examples::issuer::MAX_FAILURES_PER_USER;
    assert!(
        per_user > examples::issuer::MAX_FAILED_LOGINS,
        "a session ends first"
    );
    for _ in 0..per_user {
        let reply = sign_in_fresh("wrong");
        assert_eq!(reply.status, 200);
        assert!(
            reply
                .body
                .as_str()
                .unwrap()
                .contains("Wrong username or password.")
        );
    }
    let locked = sign_in_fresh(DEMO_PASSWORD);
    assert_eq!(
        locked.status, 200,
        "the login page again, not the consent page"
    );
    assert!(
        locked
            .body
            .as_str()
            .unwrap()
            .contains(examples::issuer::LOCKED_OUT),
        "{:?}",
        locked.body
    );
    // A wrong password then says the same: the lockout gives no hint about the password.
    let wrong = sign_in_fresh("wrong");
    assert!(
        wrong
            .body
            .as_str()
            .unwrap()
            .contains(examples::issuer::LOCKED_OUT)
    );
    // The window runs from the first failure; after it the right password works again.
    t.clock.advance(examples::issuer::SIGN_IN_WINDOW_SECONDS);
    let signed_in = sign_in_fresh(DEMO_PASSWORD);
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/authorize/consent"));
}

#[test]
fn codes_are_bound_to_pkce_redirect_uri_dpop_key_and_instance() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let info = discover(&t, &wallet);
    let (started, code) = authorized(&wallet, &info);
    let mut form = code_form(&started, &code);
    let verifier_at = form
        .iter()
        .position(|(n, _)| *n == "code_verifier")
        .unwrap();
    let without_verifier: Vec<_> = form
        .iter()
        .copied()
        .filter(|(n, _)| *n != "code_verifier")
        .collect();
    assert_eq!(
        error_of(&token(&wallet, &info, &without_verifier)),
        (400, "invalid_grant".into())
    );
    form[verifier_at].1 = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        error_of(&token(&wallet, &info, &form)),
        (400, "invalid_grant".into()),
        "wrong verifier"
    );
    let mut moved = code_form(&started, &code);
    moved[2].1 = "https://wallet.example/elsewhere";
    assert_eq!(
        error_of(&token(&wallet, &info, &moved)),
        (400, "invalid_grant".into()),
        "redirect_uri"
    );
    // Another wallet instance, with its own attestation and DPoP key.
    let other_instance = t.wallet().with_dpop().unwrap();
    assert_eq!(
        error_of(&token(&other_instance, &info, &code_form(&started, &code))),
        (400, "invalid_dpop_proof".into()),
        "another wallet's DPoP key"
    );
    // Every refusal left the code usable; now it is redeemed once.
    let tokens = wallet.redeem_code(&info, &started, &code).unwrap();
    let again = token(&wallet, &info, &code_form(&started, &code));
    assert_eq!(error_of(&again), (400, "invalid_grant".into()));
    // The second use revoked the first redemption's tokens.
    let after = wallet
        .post_authorized(
            "credential",
            info.credential_endpoint().unwrap(),
            &tokens,
            &json!({}),
        )
        .unwrap();
    assert_eq!(error_of(&after), (401, "invalid_token".into()));
}

#[test]
fn a_code_expires_and_an_instance_cannot_use_anothers_code() {
    let t = TestEnv::start();
    // Without DPoP: the code is bound to the attested instance key alone.
    let wallet = t.wallet();
    let info = discover(&t, &wallet);
    let (started, code) = authorized(&wallet, &info);
    let other = t.wallet();
    assert_eq!(
        error_of(&token(&other, &info, &code_form(&started, &code))),
        (400, "invalid_grant".into()),
        "another attested instance"
    );
    t.clock.advance(61);
    assert_eq!(
        error_of(&token(&wallet, &info, &code_form(&started, &code))),
        (400, "invalid_grant".into()),
        "expired"
    );
}

#[test]
fn credential_requests_stay_within_the_authorization_details() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let info = discover(&t, &wallet);
    let (started, code) = authorized(&wallet, &info);
    let tokens = wallet.redeem_code(&info, &started, &code).unwrap();
    let identifier = tokens
        .credential_identifier(IDENTITY_CONFIGURATION_ID)
        .unwrap()
        .to_owned();
    let nonce = wallet.nonce(&info).unwrap();
    let key = wallet.new_holder_key().unwrap();
    let proof = wallet.proof(&info.issuer, &key, &nonce).unwrap();
    let url = info.credential_endpoint().unwrap();
    let not_covered = wallet
        .post_authorized(
            "credential",
            url,
            &tokens,
            &json!({"credential_configuration_id": MDL_CONFIGURATION_ID, "proofs": {"jwt": [proof]}}),
        )
        .unwrap();
    assert_eq!(
        error_of(&not_covered),
        (400, "invalid_credential_request".into())
    );
    let by_identifier = wallet
        .post_authorized(
            "credential",
            url,
            &tokens,
            &json!({"credential_identifier": identifier, "proofs": {"jwt": [proof]}}),
        )
        .unwrap();
    assert_eq!(by_identifier.status, 200, "{:?}", by_identifier.body);
    assert_eq!(
        by_identifier.body["credentials"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn the_offer_page_shows_the_offer_as_a_qr_code_and_a_deep_link() {
    let t = TestEnv::start();
    let http = Http::new();
    let offer = t.admin_offer(&json!({"credential_configuration_id": IDENTITY_CONFIGURATION_ID, "grant": "authorization_code"}))
        .expect("offer", 201)
        .unwrap();
    let page_url = offer.str("offer_page").unwrap();
    assert!(page_url.starts_with(&format!("{}/offers/", t.env.issuer_url)));
    let page = http.get("offer page", page_url).unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.body.as_str().unwrap();
    assert!(html.contains("<svg"), "inline QR code");
    let uri = offer.str("offer_uri").unwrap().replace('&', "&amp;");
    assert!(html.contains(&format!("href=\"{uri}\"")), "deep link");
    assert!(html.contains("id=\"sign-in-note\""));
    let refused = t.admin_offer(&json!({"credential_configuration_id": IDENTITY_CONFIGURATION_ID, "grant": "authorization_code", "tx_code": true}));
    assert_eq!(error_of(&refused), (400, "invalid_request".into()));
    let missing = http
        .get("offer page", &format!("{}/offers/nope", t.env.issuer_url))
        .unwrap();
    assert_eq!(missing.status, 404);
}

/// The login page says whether the wallet proved what it is, and where the answer goes: an
/// unauthenticated pushed request's `client_id` is only a name anyone can use (a phishing
/// request under a known wallet's name would otherwise look the same as the real one).
#[test]
fn the_login_page_says_whether_the_wallet_was_attested_and_where_the_answer_goes() {
    for (config, marker) in [
        (None, "id=\"attested\""),
        (Some(serde_json::Value::Null), "id=\"unverified\""),
    ] {
        let t = match config {
            None => TestEnv::start(),
            Some(no_attestation) => TestEnv::with(Some(no_attestation), |_| {}),
        };
        let wallet = t.wallet();
        let info = discover(&t, &wallet);
        let started = wallet
            .push_authorization(&info, &CodeRequest::new(IDENTITY_CONFIGURATION_ID))
            .unwrap();
        let page = Http::new()
            .get("authorize", &started.authorization_url)
            .unwrap();
        assert_eq!(page.status, 200);
        let html = page.body.as_str().unwrap_or_default();
        assert!(html.contains(marker), "{marker}: {html}");
        assert!(
            html.contains(&format!(
                "<code id=\"redirect\">{}</code>",
                started.redirect_uri
            )),
            "{html}"
        );
    }
}

/// Consent given after the authorization request expired (the user took longer than the
/// interaction window): the wallet is told by redirect (RFC 6749 §4.1.2.1), with `state` and
/// `iss`, instead of the user being left on an error page the wallet never sees.
#[test]
fn consent_after_the_interaction_window_redirects_with_an_error() {
    let t = TestEnv::start();
    let (_wallet, _info, started, login) = open_login_page(&t);
    let base = t.env.issuer_url.clone();
    let http = Http::new();
    let cookie = cookie_of(&login);
    let csrf = csrf_in(login.body.as_str().unwrap());
    t.clock.advance(300);
    let signed_in = post_login(&http, &base, &csrf, &cookie);
    assert_eq!(signed_in.status, 303);
    let cookie = cookie_of(&signed_in);
    let consent = get_consent(&http, &base, &cookie);
    let csrf = csrf_in(consent.body.as_str().unwrap());
    // Past the request's window (600 s from /authorize), within the signed-in session's.
    t.clock.advance(301);
    let late = http
        .post_form(
            "consent",
            &format!("{base}/authorize/consent"),
            &[("csrf", &csrf), ("decision", "approve")],
            &[("Cookie", &cookie)],
        )
        .unwrap();
    assert_eq!(late.status, 303);
    let location = late.header("location").unwrap();
    assert!(location.starts_with(&started.redirect_uri), "{location}");
    assert_eq!(param(location, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        param(location, "state").as_deref(),
        Some(started.state.as_str())
    );
    assert!(param(location, "iss").is_some());
    assert!(param(location, "code").is_none());
}
