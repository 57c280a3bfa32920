//! The wallet's HTTP client (ureq, blocking): every answer, error or not, as a [`Reply`].

use core::time::Duration;

use serde_json::Value;

use crate::error::DemoError;

/// An HTTP answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The body as JSON, or as a JSON string when it is not JSON.
    pub body: Value,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The OAuth `error` code, if the body has one.
    #[must_use]
    pub fn error_code(&self) -> Option<&str> {
        self.body.get("error").and_then(Value::as_str)
    }

    /// The string member `name` of the body.
    #[must_use]
    pub fn str(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    /// Fails unless the status is `expected`.
    ///
    /// # Errors
    /// [`DemoError::Server`] with the body.
    pub fn expect(self, step: &'static str, expected: u16) -> Result<Self, DemoError> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(DemoError::Server {
                step,
                status: self.status,
                body: self.body.to_string(),
            })
        }
    }
}

/// A blocking HTTP client that never turns an error status into an `Err`.
#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

type Response = ureq::http::Response<ureq::Body>;

impl Http {
    /// A client with a 10 s overall timeout.
    #[must_use]
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            // A redirect is an answer the wallet reads (the authorization endpoint's), never
            // one it follows with its credentials.
            .max_redirects(0)
            .build()
            .new_agent();
        Self { agent }
    }

    fn read(step: &'static str, result: Result<Response, ureq::Error>) -> Result<Reply, DemoError> {
        let mut response = result.map_err(|e| DemoError::Transport {
            step,
            reason: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                // A header value may carry obs-text (RFC 9110 §5.5): shown, not dropped.
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), value)
            })
            .collect();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| DemoError::Transport {
                step,
                reason: e.to_string(),
            })?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// `GET url`.
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the server cannot be reached.
    pub fn get(&self, step: &'static str, url: &str) -> Result<Reply, DemoError> {
        Self::read(step, self.agent.get(url).call())
    }

    /// `GET url` with extra headers, for a binary answer: its status, `Content-Type` and raw
    /// body.
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the server cannot be reached or the body cannot be read.
    pub fn get_bytes(
        &self,
        step: &'static str,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Option<String>, Vec<u8>), DemoError> {
        let mut response =
            self.get_request(url, headers)
                .call()
                .map_err(|e| DemoError::Transport {
                    step,
                    reason: e.to_string(),
                })?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| DemoError::Transport {
                step,
                reason: e.to_string(),
            })?;
        Ok((status, content_type, body))
    }

    /// `GET url` with extra headers.
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the server cannot be reached.
    pub fn get_with(
        &self,
        step: &'static str,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, DemoError> {
        Self::read(step, self.get_request(url, headers).call())
    }

    /// A `GET url` request carrying `headers`.
    fn get_request(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    }

    /// `POST url` with a form body and extra headers.
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the server cannot be reached.
    pub fn post_form(
        &self,
        step: &'static str,
        url: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<Reply, DemoError> {
        let mut request = self.agent.post(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(step, request.send_form(form.iter().copied()))
    }

    /// `POST url` with `body` as it is and the given headers (the caller sets
    /// `Content-Type`): for tests that send what a hostile or broken client would.
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the server cannot be reached.
    pub fn post_raw(
        &self,
        step: &'static str,
        url: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<Reply, DemoError> {
        let mut request = self.agent.post(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::read(step, request.send(body))
    }

    /// `POST url` with a JSON body (`Value::Null`: no body) and extra headers.
    ///
    /// # Errors
    /// [`DemoError::Transport`] when the server cannot be reached.
    pub fn post_json(
        &self,
        step: &'static str,
        url: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Result<Reply, DemoError> {
        let mut request = self.agent.post(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = if body.is_null() {
            request.send_empty()
        } else {
            request.send_json(body)
        };
        Self::read(step, result)
    }
}
