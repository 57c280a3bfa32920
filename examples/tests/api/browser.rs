//! Issue 11: a real browser for the page tests. A minimal W3C WebDriver client (over `ureq`)
//! that drives headless Chromium through `chromedriver`, and a QR decoder for element
//! screenshots. `.ci/run` installs the Debian packages `chromium` and `chromium-driver`.
//!
//! Every wait is bounded: chromedriver start-up, session creation, page loads, element look-ups
//! and each WebDriver call.

use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;
use std::io::Cursor;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};

/// The packaged browser and its driver (Debian `chromium` and `chromium-driver`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long chromedriver may take to answer `/status` with `ready: true`.
const DRIVER_START: Duration = Duration::from_secs(15);
/// The HTTP timeout of one WebDriver call (session creation starts the browser).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The page load timeout given to the browser (navigation, form submission).
const PAGE_LOAD_MS: u64 = 20_000;
/// How long [`Browser::find`] waits for a selector to match.
const FIND_WAIT: Duration = Duration::from_secs(5);

/// A WebDriver error answer (status 0: no HTTP answer at all).
#[derive(Debug)]
struct WebDriverError {
    status: u16,
    error: String,
    message: String,
}

impl WebDriverError {
    /// Whether the call met a page in mid-navigation (a click may return before the navigation
    /// it started commits; ChromeDriver then answers a query with "aborted by navigation").
    /// Asking again once the next page has loaded is safe for queries, never for actions.
    fn met_a_navigation(&self) -> bool {
        self.message.contains("aborted by navigation")
            || self.message.contains("target frame detached")
    }
}

impl core::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.error, self.status, self.message)
    }
}

/// Headless Chromium driven over WebDriver; dropping it ends the session, the browser and
/// chromedriver, and removes the browser profile.
#[derive(Debug)]
pub(crate) struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:{port}`.
    driver_url: String,
    /// `{driver_url}/session/{id}`.
    session_url: String,
    driver: Child,
    /// The temporary directory with the Chromium profile and the chromedriver log.
    dir: PathBuf,
}

/// An element of the current page.
#[derive(Debug)]
pub(crate) struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless Chromium session.
    ///
    /// # Panics
    /// When chromedriver is not installed (naming the packages to install), or when it or the
    /// browser does not start in time.
    pub(crate) fn launch() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need {CHROMIUM} and {CHROMEDRIVER}: install the Debian packages \
             `chromium` and `chromium-driver` (apt-get install chromium chromium-driver), as \
             .ci/run does"
        );
        let dir = fresh_dir();
        let profile = dir.join("profile");
        let log = dir.join("chromedriver.log");
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(CALL_TIMEOUT))
            .build()
            .new_agent();
        let driver_url = format!("http://127.0.0.1:{port}");
        // From here on, Drop cleans up the child and the directory even when start-up fails.
        let mut browser = Self {
            agent,
            driver_url,
            session_url: String::new(),
            driver,
            dir,
        };
        browser.wait_ready();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": {"pageLoad": PAGE_LOAD_MS, "script": 5_000, "implicit": 0},
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--disable-dev-shm-usage",
                            "--window-size=1280,1024",
                            format!("--user-data-dir={}", profile.display()),
                        ],
                    },
                },
            },
        });
        let url = format!("{}/session", browser.driver_url);
        let created = browser
            .call("POST", &url, Some(&capabilities))
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}{}", browser.log()));
        let id = created
            .get("sessionId")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("a new session without sessionId: {created}"));
        browser.session_url = format!("{}/session/{id}", browser.driver_url);
        browser
    }

    /// Polls `/status` until chromedriver is ready, within [`DRIVER_START`].
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + DRIVER_START;
        let url = format!("{}/status", self.driver_url);
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited at start-up ({status}){}", self.log());
            }
            let ready = self
                .call_within(Duration::from_secs(1), "GET", &url, None)
                .is_ok_and(|v| v["ready"] == Value::Bool(true));
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready within {DRIVER_START:?}{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The end of chromedriver's log, for failure messages.
    fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default();
        let start = text.len().saturating_sub(4_000);
        let start = (start..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        format!("\n--- chromedriver log (end) ---\n{}", &text[start..])
    }

    /// One WebDriver call within [`CALL_TIMEOUT`]: the answer's `value`, or its error.
    fn call(&self, method: &str, url: &str, body: Option<&Value>) -> Result<Value, WebDriverError> {
        self.call_within(CALL_TIMEOUT, method, url, body)
    }

    /// One WebDriver call within `timeout`.
    fn call_within(
        &self,
        timeout: Duration,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, WebDriverError> {
        let timeout = Some(timeout);
        let result = match method {
            "GET" => self
                .agent
                .get(url)
                .config()
                .timeout_global(timeout)
                .build()
                .call(),
            "DELETE" => self
                .agent
                .delete(url)
                .config()
                .timeout_global(timeout)
                .build()
                .call(),
            // WebDriver POSTs always carry a JSON object, `{}` when there are no parameters.
            _ => self
                .agent
                .post(url)
                .config()
                .timeout_global(timeout)
                .build()
                .send_json(body.unwrap_or(&json!({}))),
        };
        let mut response = result.map_err(|e| WebDriverError {
            status: 0,
            error: "transport".to_owned(),
            message: format!("{method} {url}: {e}"),
        })?;
        let status = response.status().as_u16();
        let answer: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| WebDriverError {
                status,
                error: "unreadable answer".to_owned(),
                message: format!("{method} {url}: {e}"),
            })?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if status == 200 {
            Ok(value)
        } else {
            Err(WebDriverError {
                status,
                error: value["error"].as_str().unwrap_or("unknown").to_owned(),
                message: format!(
                    "{method} {url}: {}",
                    value["message"].as_str().unwrap_or("")
                ),
            })
        }
    }

    /// A call on the session (`path` starts with `/`); panics on a WebDriver error. A query (a
    /// `GET`, or a find) that meets a navigation in flight is asked again until [`FIND_WAIT`]
    /// passes; an action (a click, typing) never is.
    fn session(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let url = format!("{}{path}", self.session_url);
        let query = method == "GET" || path.ends_with("/element") || path.ends_with("/elements");
        let deadline = Instant::now() + FIND_WAIT;
        loop {
            match self.call(method, &url, body) {
                Ok(value) => return value,
                Err(e) if query && e.met_a_navigation() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("WebDriver call failed: {e}"),
            }
        }
    }

    /// Navigates to `url` and waits for the page to load.
    pub(crate) fn goto(&self, url: &str) {
        self.session("POST", "/url", Some(&json!({ "url": url })));
    }

    /// The URL of the current page (after redirects).
    pub(crate) fn current_url(&self) -> String {
        as_string(self.session("GET", "/url", None))
    }

    /// Waits up to [`FIND_WAIT`] for the current URL to satisfy `done`, and returns it. A click
    /// may return before the navigation it starts has committed (seen under load with a 303 to
    /// another origin): assert on redirects through this, not through [`Self::current_url`].
    ///
    /// # Panics
    /// When the URL does not get there in time; the message shows the last one.
    pub(crate) fn wait_for_url(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + FIND_WAIT;
        loop {
            let url = self.current_url();
            if done(&url) {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "the URL is still {url} after {FIND_WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The current page's title.
    pub(crate) fn title(&self) -> String {
        as_string(self.session("GET", "/title", None))
    }

    /// The current page's serialized DOM.
    pub(crate) fn page_source(&self) -> String {
        as_string(self.session("GET", "/source", None))
    }

    /// The first element matching the CSS selector `css`, waiting up to [`FIND_WAIT`] for one
    /// to appear.
    ///
    /// # Panics
    /// When nothing matches in time; the message shows the start of the page source.
    pub(crate) fn find(&self, css: &str) -> Element<'_> {
        let deadline = Instant::now() + FIND_WAIT;
        let query = json!({"using": "css selector", "value": css});
        let url = format!("{}/element", self.session_url);
        loop {
            match self.call("POST", &url, Some(&query)) {
                Ok(value) => return self.element(&value),
                Err(e)
                    if (e.error == "no such element" || e.met_a_navigation())
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => {
                    let source = self.page_source();
                    let excerpt: String = source.chars().take(3_000).collect();
                    panic!(
                        "no element matches `{css}` at {} ({e}); page source:\n{excerpt}",
                        self.current_url()
                    );
                }
            }
        }
    }

    /// Every element matching the CSS selector `css` (no waiting; possibly none).
    pub(crate) fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let query = json!({"using": "css selector", "value": css});
        match self.session("POST", "/elements", Some(&query)) {
            Value::Array(items) => items.iter().map(|v| self.element(v)).collect(),
            other => panic!("Find Elements answered {other}"),
        }
    }

    fn element(&self, value: &Value) -> Element<'_> {
        let id = value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("not an element reference: {value}"));
        Element {
            browser: self,
            id: id.to_owned(),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Never panic here: this also runs while a failed test unwinds.
        let quick = Duration::from_secs(5);
        if !self.session_url.is_empty() {
            let _ended = self.call_within(quick, "DELETE", &self.session_url, None);
        }
        let shutdown = format!("{}/shutdown", self.driver_url);
        let _asked = self.call_within(quick, "GET", &shutdown, None);
        let deadline = Instant::now() + Duration::from_secs(3);
        while matches!(self.driver.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if matches!(self.driver.try_wait(), Ok(None)) {
            let _killed = self.driver.kill();
        }
        let _reaped = self.driver.wait();
        let _removed = std::fs::remove_dir_all(&self.dir);
    }
}

impl Element<'_> {
    fn path(&self, tail: &str) -> String {
        format!("/element/{}{tail}", self.id)
    }

    /// The element's rendered text.
    pub(crate) fn text(&self) -> String {
        as_string(self.browser.session("GET", &self.path("/text"), None))
    }

    /// The element's attribute `name` as written in the markup, if present.
    pub(crate) fn attribute(&self, name: &str) -> Option<String> {
        let path = self.path(&format!("/attribute/{name}"));
        match self.browser.session("GET", &path, None) {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => panic!("attribute `{name}` answered {other}"),
        }
    }

    /// Clicks the element (a submit button: waits for the next page to load).
    pub(crate) fn click(&self) {
        self.browser.session("POST", &self.path("/click"), None);
    }

    /// Types `text` into the element.
    pub(crate) fn send_keys(&self, text: &str) {
        let body = json!({ "text": text });
        self.browser
            .session("POST", &self.path("/value"), Some(&body));
    }

    /// A PNG screenshot of the element (scrolled into view).
    pub(crate) fn screenshot_png(&self) -> Vec<u8> {
        let encoded = as_string(self.browser.session("GET", &self.path("/screenshot"), None));
        Base64::decode_vec(&encoded).unwrap_or_else(|e| panic!("screenshot is not base64: {e}"))
    }
}

fn as_string(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => panic!("expected a string from WebDriver, got {other}"),
    }
}

/// A port that was free a moment ago on loopback (chromedriver binds it next).
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A new, empty directory under the system temporary directory.
fn fresh_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "examples-browser-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// The texts of the QR codes found in a PNG image (codes that are found but do not decode are
/// left out).
///
/// # Panics
/// When `png` is not a PNG image.
pub(crate) fn decode_qr(png: &[u8]) -> Vec<String> {
    let mut decoder = png::Decoder::new(Cursor::new(png));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("not a PNG image: {e}"));
    let size = reader.output_buffer_size().unwrap();
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("bad PNG image: {e}"));
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type after expansion: {other:?}"),
    };
    let width = usize::try_from(info.width).unwrap();
    let height = usize::try_from(info.height).unwrap();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let at = y * info.line_size + x * channels;
        luminance(&buf[at..at + channels])
    });
    image
        .detect_grids()
        .iter()
        .filter_map(|grid| grid.decode().ok().map(|(_meta, text)| text))
        .collect()
}

/// A pixel's luminance (0 black, 255 white), composited over white when it has alpha.
fn luminance(pixel: &[u8]) -> u8 {
    let (grey, alpha) = match *pixel {
        [g] => (u32::from(g), 255),
        [g, a] => (u32::from(g), u32::from(a)),
        [r, g, b] => (weigh(r, g, b), 255),
        [r, g, b, a] => (weigh(r, g, b), u32::from(a)),
        _ => unreachable!("1 to 4 channels"),
    };
    let over_white = (grey * alpha + 255 * (255 - alpha)) / 255;
    u8::try_from(over_white).unwrap_or(u8::MAX)
}

/// ITU-R BT.601 luma of an sRGB pixel.
fn weigh(r: u8, g: u8, b: u8) -> u32 {
    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000
}

/// Self-tests of the harness against pages served here.
mod tests {
    use std::collections::HashMap;

    use axum::Router;
    use axum::response::Html;
    use axum::routing::get;
    use qrcode::QrCode;
    use qrcode::render::svg;

    use super::{Browser, decode_qr};

    /// An axum router served on an ephemeral loopback port for as long as this lives.
    struct Site {
        url: String,
        _runtime: tokio::runtime::Runtime,
    }

    impl Site {
        fn serve(router: Router) -> Self {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            runtime.spawn(async move { axum::serve(listener, router).await });
            Self {
                url,
                _runtime: runtime,
            }
        }
    }

    fn escape(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    const FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main><form method="post" action="/greet">
<label for="name">Name</label> <input id="name" name="name" type="text" autocomplete="off">
<button id="go" type="submit">Continue</button>
</form></main></body></html>"#;

    async fn greet(axum::Form(form): axum::Form<HashMap<String, String>>) -> Html<String> {
        let name = escape(form.get("name").map_or("", String::as_str));
        Html(format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Welcome</title></head>
<body><p id="echo">Hello, {name}!</p></body></html>"#
        ))
    }

    #[test]
    fn browser_fills_and_submits_a_form() {
        let site = Site::serve(
            Router::new()
                .route("/form", get(|| async { Html(FORM) }))
                .route("/greet", axum::routing::post(greet)),
        );
        let browser = Browser::launch();
        browser.goto(&format!("{}/form", site.url));
        assert_eq!(browser.title(), "Sign in");
        let input = browser.find("#name");
        assert_eq!(input.attribute("type").as_deref(), Some("text"));
        assert_eq!(input.attribute("placeholder"), None);
        assert_eq!(browser.find_all("form input").len(), 1);
        assert!(browser.find_all("#absent").is_empty());
        input.send_keys("Ada <Lovelace> & co");
        browser.find("#go").click();
        assert_eq!(browser.find("#echo").text(), "Hello, Ada <Lovelace> & co!");
        assert_eq!(browser.title(), "Welcome");
        assert_eq!(browser.current_url(), format!("{}/greet", site.url));
        assert!(
            browser
                .page_source()
                .contains("Hello, Ada &lt;Lovelace&gt; &amp; co!")
        );
    }

    #[test]
    fn browser_follows_a_redirect_to_a_dead_callback() {
        // What the consent page does: a 303 to the wallet's redirect_uri, which nothing serves
        // here. The browser's URL still reports the callback with its query.
        let dead = super::free_port();
        let callback = format!("http://127.0.0.1:{dead}/cb?code=abc&state=xyz");
        let target = callback.clone();
        let site = Site::serve(Router::new().route(
            "/consent",
            axum::routing::post(move || async move {
                axum::response::Redirect::to(&target)
            }),
        ).route(
            "/",
            get(|| async {
                Html(r#"<!doctype html><html lang="en"><head><title>Consent</title></head><body>
<form method="post" action="/consent"><button id="allow" type="submit">Allow</button></form>
</body></html>"#)
            }),
        ));
        let browser = Browser::launch();
        browser.goto(&format!("{}/", site.url));
        browser.find("#allow").click();
        let landed = browser.wait_for_url(|url| url.contains("/cb?"));
        assert_eq!(landed, callback);
    }

    #[test]
    fn browser_screenshot_of_an_inline_svg_qr_code_decodes() {
        // An offer by reference, as the offer page shows it, and a longer one by value (a
        // denser code: more modules in the same 256 px).
        let by_reference = "openid-credential-offer://?credential_offer_uri=\
                            http%3A%2F%2F127.0.0.1%3A8080%2Foffers%2F5f0c1b2e";
        let by_value = format!(
            "openid-credential-offer://?credential_offer={}",
            "%7B%22credential_issuer%22%3A%22http%3A%2F%2F127.0.0.1%3A8080%22%2C\
             %22credential_configuration_ids%22%3A%5B%22eu.europa.ec.eudi.pid.1%22%5D%2C\
             %22grants%22%3A%7B%22authorization_code%22%3A%7B%22issuer_state%22%3A\
             %22eyJhbGciOiJFUzI1NiJ9.c3RhdGUtb2YtdGhlLWlzc3Vlcg.c2lnbmF0dXJl%22%7D%7D%7D"
        );
        let page = format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Offer</title></head>
<body><main><h1>Scan with your wallet</h1>
<figure id="qr">{}</figure><figure id="dense">{}</figure>
<a id="link" href="{}">Open in wallet</a></main></body></html>"#,
            qr_svg(by_reference),
            qr_svg(&by_value),
            escape(by_reference)
        );
        let site =
            Site::serve(Router::new().route("/offer", get(move || async move { Html(page) })));
        let browser = Browser::launch();
        browser.goto(&format!("{}/offer", site.url));
        assert_eq!(
            browser.find("#link").attribute("href").as_deref(),
            Some(by_reference)
        );
        let png = browser.find("#qr svg").screenshot_png();
        assert_eq!(decode_qr(&png), vec![by_reference.to_owned()]);
        let png = browser.find("#dense svg").screenshot_png();
        assert_eq!(decode_qr(&png), vec![by_value]);
        // And a screenshot without a code decodes to nothing.
        let heading = browser.find("h1").screenshot_png();
        assert!(decode_qr(&heading).is_empty());
    }

    /// `text` as an inline SVG QR code: quiet zone, at least 256 px square.
    fn qr_svg(text: &str) -> String {
        let image = QrCode::new(text.as_bytes())
            .unwrap()
            .render::<svg::Color<'_>>()
            .quiet_zone(true)
            .min_dimensions(256, 256)
            .build();
        // The renderer starts with an XML declaration, which has no place inside HTML.
        image[image.find("<svg").unwrap()..].to_owned()
    }

    #[test]
    #[should_panic(expected = "no element matches `#absent`")]
    fn browser_find_of_a_missing_element_panics_with_the_page() {
        let site = Site::serve(Router::new().route("/form", get(|| async { Html(FORM) })));
        let browser = Browser::launch();
        browser.goto(&format!("{}/form", site.url));
        // Dropped while unwinding: the session, chromedriver and the profile go too.
        let _never = browser.find("#absent");
    }
}
