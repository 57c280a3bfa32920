//! What every HTML page of the issuer shares: rendering through askama templates (escaped
//! by default), the security headers (a strict Content-Security-Policy with
//! `frame-ancestors 'none'`, `no-store`, `nosniff`, no referrer), the stylesheet, and the
//! message page for errors a user sees.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet, served at [`STYLESHEET_PATH`] (the CSP allows no inline style).
const STYLESHEET: &str = include_str!("../../assets/style.css");
/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/assets/style.css";

/// The Content-Security-Policy of every page: nothing but the stylesheet loads, no script
/// runs, no page frames this one, and forms post only to this origin and to
/// `extra_form_action` (the wallet's redirect URI, which the consent POST redirects to:
/// browsers apply `form-action` to the redirect after a form submission too).
#[must_use]
pub fn content_security_policy(extra_form_action: Option<&str>) -> String {
    let mut form_action = String::from("'self'");
    if let Some(source) = extra_form_action.and_then(csp_source) {
        form_action.push(' ');
        form_action.push_str(&source);
    }
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The CSP source expression of a redirect URI: its scheme and authority (`https://w.example`,
/// `http://127.0.0.1:9000`), or its scheme alone for a custom-scheme URI (`eudi-wallet:`) and
/// for an IPv6 literal host (`http://[::1]:9000`, which CSP cannot name).
/// `None` for anything that could break out of the header (spaces, `;`, `,`, quotes).
fn csp_source(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return None;
    }
    let source = match rest.strip_prefix("//") {
        Some(after) if scheme == "http" || scheme == "https" => {
            let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
            if authority.is_empty() || authority.contains('@') {
                return None;
            }
            if authority.starts_with('[') {
                // CSP host sources have no IP literals (browsers drop `http://[::1]:9000`):
                // the scheme alone lets a native wallet's IPv6 loopback URI (RFC 8252 §7.3)
                // receive the answer.
                format!("{scheme}:")
            } else {
                format!("{scheme}://{authority}")
            }
        }
        _ => format!("{scheme}:"),
    };
    source
        .chars()
        .all(|c| c.is_ascii_graphic() && !";,'\"".contains(c))
        .then_some(source)
}

/// A rendered page and its status.
#[derive(Debug)]
pub(super) struct Page {
    status: StatusCode,
    html: String,
    form_action: Option<String>,
    cookie: Option<String>,
}

impl Page {
    /// Renders `template`; a template that fails to render becomes a 500 message page.
    pub(super) fn render(status: StatusCode, template: &impl Template) -> Self {
        match template.render() {
            Ok(html) => Self {
                status,
                html,
                form_action: None,
                cookie: None,
            },
            Err(e) => {
                tracing::error!(error = %e, "page template failed");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    html: "<!DOCTYPE html><html lang=\"en\"><title>Error</title><p>The page could not be shown.</p></html>".to_owned(),
                    form_action: None,
                    cookie: None,
                }
            }
        }
    }

    /// The message page: `title` and `message`, with `status`.
    pub(super) fn message(status: StatusCode, title: &str, message: &str) -> Self {
        Self::render(status, &MessagePage { title, message })
    }

    /// Forms on this page may also lead to `redirect_uri` (see [`content_security_policy`]).
    pub(super) fn with_form_action(mut self, redirect_uri: &str) -> Self {
        self.form_action = Some(redirect_uri.to_owned());
        self
    }

    /// Sets a cookie (a full `Set-Cookie` value).
    pub(super) fn with_cookie(mut self, cookie: String) -> Self {
        self.cookie = Some(cookie);
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        secure(headers, self.form_action.as_deref());
        if let Some(cookie) = self.cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// The headers every page and every redirect from a page carries.
pub(super) fn secure(headers: &mut axum::http::HeaderMap, form_action: Option<&str>) {
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(form_action)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// A `303 See Other` to `location` (after a form POST), with the page headers and an
/// optional cookie.
pub(super) fn see_other(location: &str, cookie: Option<String>) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return Page::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "The redirect address is not valid.",
        )
        .into_response();
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, value);
    secure(headers, None);
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// `GET /assets/style.css`.
pub(super) async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// Whether two secrets are equal, in time that depends only on their lengths.
#[must_use]
pub(super) fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_action_names_the_redirect_origin_and_nothing_that_breaks_the_header() {
        assert_eq!(
            csp_source("https://wallet.example/cb?x=1").as_deref(),
            Some("https://wallet.example")
        );
        assert_eq!(
            csp_source("http://127.0.0.1:9000/cb").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            csp_source("eudi-wallet://cb").as_deref(),
            Some("eudi-wallet:")
        );
        assert_eq!(
            csp_source("http://[::1]:9000/cb").as_deref(),
            Some("http:"),
            "CSP cannot name an IPv6 literal"
        );
        assert_eq!(csp_source("https://a.example;script-src *"), None);
        assert_eq!(csp_source("https://user@a.example/"), None);
        assert_eq!(csp_source("no scheme"), None);
        let csp = content_security_policy(Some("https://wallet.example/cb"));
        assert!(csp.contains("form-action 'self' https://wallet.example;"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.starts_with("default-src 'none';"));
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }
}
