//! The code flow's pages and the offer page in a real browser (headless Chromium over
//! WebDriver): sign in, consent or deny, follow the redirect to the wallet, and scan the
//! offer's QR code. Assertions are on page content and URLs, never on screenshots of text.

use examples::config::{DEMO_PASSWORD, DEMO_USERNAME, IDENTITY_CONFIGURATION_ID};
use examples::wallet::{CodeRequest, IssuerInfo, StartedAuthorization, Wallet};
use serde_json::json;

use crate::browser::{Browser, decode_qr, free_port};
use crate::common::TestEnv;

/// A pushed request whose redirect URI is a loopback port nothing serves: the browser's URL
/// still shows where the issuer sent it.
fn push(wallet: &Wallet, info: &IssuerInfo) -> StartedAuthorization {
    let mut request = CodeRequest::new(IDENTITY_CONFIGURATION_ID);
    request.redirect_uri = format!("http://127.0.0.1:{}/cb", free_port());
    wallet.push_authorization(info, &request).unwrap()
}

fn sign_in(browser: &Browser, started: &StartedAuthorization) {
    browser.goto(&started.authorization_url);
    assert_eq!(browser.title(), "Sign in · Demo Credential Issuer");
    assert_eq!(browser.find("#client").text(), started.client_id);
    browser.find("#username").send_keys(DEMO_USERNAME);
    browser.find("#password").send_keys("not the password");
    browser.find("#sign-in").click();
    assert_eq!(browser.find("#error").text(), "Wrong username or password.");
    browser.find("#username").send_keys(DEMO_USERNAME);
    browser.find("#password").send_keys(DEMO_PASSWORD);
    browser.find("#sign-in").click();
}

#[test]
fn a_user_signs_in_consents_and_the_wallet_gets_the_credential() {
    let t = TestEnv::start();
    let wallet = t.wallet().with_dpop().unwrap();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let started = push(&wallet, &info);
    let browser = Browser::launch();
    sign_in(&browser, &started);
    // The consent page lists the credential and the user's claims.
    assert_eq!(browser.find("#user").text(), DEMO_USERNAME);
    let credentials = browser.find("#credentials").text();
    assert!(
        credentials.contains(IDENTITY_CONFIGURATION_ID),
        "{credentials}"
    );
    let claims = browser.find("#claims").text();
    assert!(
        claims.contains("given_name") && claims.contains("Erika"),
        "{claims}"
    );
    assert!(
        claims.contains("family_name") && claims.contains("Mustermann"),
        "{claims}"
    );
    assert_eq!(browser.find("#redirect").text(), started.redirect_uri);
    browser.find("#approve").click();
    // The form-action CSP lets the 303 reach the wallet's redirect URI.
    let landed = browser.wait_for_url(|url| url.starts_with(&started.redirect_uri));
    let code = wallet.authorization_code(&info, &started, &landed).unwrap();
    let tokens = wallet.redeem_code(&info, &started, &code).unwrap();
    let outcome = wallet
        .receive(info, tokens, IDENTITY_CONFIGURATION_ID, 1)
        .unwrap();
    assert_eq!(outcome.credentials[0].claims["given_name"], "Erika");
    // Back in the browser: the session ended with the consent.
    browser.goto(&format!("{}/authorize/consent", t.env.issuer_url));
    assert_eq!(browser.find("h1").text(), "Sign-in expired");
}

/// A page of another site (an opaque `data:` origin) that links to `url`.
fn link_from_another_site(url: &str) -> String {
    let html = format!(r#"<!doctype html><title>Wallet</title><a id="go" href="{url}">go</a>"#);
    let encoded: String = html
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("data:text/html,{encoded}")
}

/// A wallet opens the authorization URL from another site (its own page, an app's browser
/// tab), and the user comes back to it the same way before deciding (RFC 9126 §4; the
/// OpenID Foundation's FAPI 2.0 test opens it twice from its own site): the session cookie
/// travels on that cross-site navigation (`SameSite=Lax`; `Strict` left it behind, so the
/// second visit was the error page), and the login page shows again.
#[test]
fn the_authorization_url_opened_again_from_another_site_shows_the_login_page() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let started = push(&wallet, &info);
    let browser = Browser::launch();
    let wallet_page = link_from_another_site(&started.authorization_url);
    for visit in ["first", "second"] {
        browser.goto(&wallet_page);
        browser.find("#go").click();
        let _ = browser.wait_for_url(|url| url.starts_with(&t.env.issuer_url));
        assert_eq!(
            browser.title(),
            "Sign in · Demo Credential Issuer",
            "{visit} visit"
        );
    }
    browser.find("#username").send_keys(DEMO_USERNAME);
    browser.find("#password").send_keys(DEMO_PASSWORD);
    browser.find("#sign-in").click();
    assert_eq!(browser.find("#user").text(), DEMO_USERNAME);
}

#[test]
fn a_user_who_denies_sends_the_wallet_access_denied() {
    let t = TestEnv::start();
    let wallet = t.wallet();
    let info = wallet.discover(&t.env.issuer_url).unwrap();
    let started = push(&wallet, &info);
    let browser = Browser::launch();
    sign_in(&browser, &started);
    browser.find("#deny").click();
    let landed = browser.wait_for_url(|url| url.starts_with(&started.redirect_uri));
    assert!(landed.contains("error=access_denied"), "{landed}");
    assert!(!landed.contains("code="), "{landed}");
    let refused = wallet
        .authorization_code(&info, &started, &landed)
        .unwrap_err();
    assert!(refused.to_string().contains("access_denied"), "{refused}");
}

#[test]
fn the_offer_page_qr_code_scans_back_to_the_offer_uri() {
    let t = TestEnv::start();
    let offer = t.admin_offer(&json!({"credential_configuration_id": IDENTITY_CONFIGURATION_ID, "grant": "authorization_code"}))
        .expect("offer", 201)
        .unwrap();
    let offer_uri = offer.str("offer_uri").unwrap();
    let browser = Browser::launch();
    browser.goto(offer.str("offer_page").unwrap());
    assert_eq!(browser.find("h1").text(), "Credential offer");
    let png = browser.find("#qr svg").screenshot_png();
    assert_eq!(decode_qr(&png), vec![offer_uri.to_owned()]);
    assert_eq!(
        browser.find("#deep-link").attribute("href").as_deref(),
        Some(offer_uri)
    );
}
