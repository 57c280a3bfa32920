//! `GET /metrics` (loopback clients only): Prometheus counters and a latency histogram in the
//! OpenMetrics text format, through the Prometheus project's `prometheus-client` crate.
//!
//! - `issuer_requests_total{endpoint}`: requests per route (the route pattern, e.g.
//!   `/status-lists/{id}`, so the label set stays bounded).
//! - `issuer_refusals_total{endpoint,error}`: answers of 400 and above per route and OAuth
//!   `error` code (`http_<status>` for an answer without one).
//! - `issuer_request_duration_seconds{endpoint}`: the time from the request reaching the route
//!   to its answer. Every engine call runs synchronously inside it and every store call inside
//!   the engine call, so with a database behind the stores this is the store latency an
//!   operator watches (plus the engine's own CPU time: signing, proof checks); there is no
//!   separate per-store-call timer.
//! - `issuer_credentials_issued_total{credential_configuration_id}`,
//!   `issuer_replays_detected_total{proof}`, `issuer_lenient_acceptances_total` and
//!   `issuer_audit_events_total{kind}`: counted from the engine's audit events (see
//!   [`super::audit`]), so a metric and the audit trail never disagree.

use core::net::SocketAddr;
use core::time::Duration;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::AuditEvent;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::IssuerState;
use crate::error::{ApiError, ErrorCode};

/// The media type of the answer (the OpenMetrics text format, which Prometheus scrapes).
pub const METRICS_MEDIA_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    endpoint: String,
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConfigurationLabels {
    credential_configuration_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProofLabels {
    proof: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

type HistogramFamily = Family<EndpointLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 15))
}

/// The issuer's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<EndpointLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    durations: HistogramFamily,
    issued: Family<ConfigurationLabels, Counter>,
    replays: Family<ProofLabels, Counter>,
    lenient: Counter,
    audit_events: Family<KindLabels, Counter>,
}

impl core::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<EndpointLabels, Counter>::default();
        let refusals = Family::<RefusalLabels, Counter>::default();
        let durations: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let issued = Family::<ConfigurationLabels, Counter>::default();
        let replays = Family::<ProofLabels, Counter>::default();
        let lenient = Counter::default();
        let audit_events = Family::<KindLabels, Counter>::default();
        registry.register("issuer_requests", "Requests per route", requests.clone());
        registry.register(
            "issuer_refusals",
            "Answers of 400 and above per route and OAuth error code",
            refusals.clone(),
        );
        registry.register(
            "issuer_request_duration_seconds",
            "Time to answer per route, engine and store calls included",
            durations.clone(),
        );
        registry.register(
            "issuer_credentials_issued",
            "Credentials signed per credential configuration",
            issued.clone(),
        );
        registry.register(
            "issuer_replays_detected",
            "Single-use proofs presented again, per proof kind",
            replays.clone(),
        );
        registry.register(
            "issuer_lenient_acceptances",
            "Clients accepted by a lenient mode without valid authentication",
            lenient.clone(),
        );
        registry.register(
            "issuer_audit_events",
            "Audit events per kind",
            audit_events.clone(),
        );
        Self {
            registry,
            requests,
            refusals,
            durations,
            issued,
            replays,
            lenient,
            audit_events,
        }
    }

    /// Counts one answered request to `endpoint` (a route pattern) with `status`, refused with
    /// the OAuth `error` code if any, that took `elapsed`.
    pub fn observe_request(
        &self,
        endpoint: &str,
        status: u16,
        error: Option<&str>,
        elapsed: Duration,
    ) {
        let labels = EndpointLabels {
            endpoint: endpoint.to_owned(),
        };
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if status >= 400 {
            let error = error.map_or_else(|| format!("http_{status}"), str::to_owned);
            self.refusals
                .get_or_create(&RefusalLabels {
                    endpoint: labels.endpoint,
                    error,
                })
                .inc();
        }
    }

    /// Counts an audit event (called by the demo's audit sink).
    pub fn observe_audit(&self, event: &AuditEvent) {
        self.audit_events
            .get_or_create(&KindLabels {
                kind: event.kind().to_owned(),
            })
            .inc();
        match event {
            AuditEvent::CredentialIssued {
                configuration_id, ..
            } => {
                self.issued
                    .get_or_create(&ConfigurationLabels {
                        credential_configuration_id: configuration_id.clone(),
                    })
                    .inc();
            }
            AuditEvent::ReplayDetected { proof, .. } => {
                self.replays
                    .get_or_create(&ProofLabels {
                        proof: proof.as_str().to_owned(),
                    })
                    .inc();
            }
            AuditEvent::LenientAcceptance { .. } => {
                self.lenient.inc();
            }
            _ => {}
        }
    }

    /// The metrics in the OpenMetrics text format.
    ///
    /// # Errors
    /// A formatting error of the encoder (it writes to a `String`, so in practice none).
    pub fn encode(&self) -> Result<String, core::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The middleware that counts and times every routed request (see the module docs).
pub(super) async fn track(
    State(state): State<Arc<IssuerState>>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let error = response
        .extensions()
        .get::<ErrorCode>()
        .map(|c| c.0.clone());
    state.metrics.observe_request(
        &endpoint,
        response.status().as_u16(),
        error.as_deref(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics` (loopback clients only, like the admin API).
pub(super) async fn metrics(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    super::admin::loopback_only(peer)?;
    let text = state
        .metrics
        .encode()
        .map_err(|e| ApiError::server_error(&e))?;
    Ok(([(CONTENT_TYPE, METRICS_MEDIA_TYPE)], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_refusals_and_audit_events_are_counted() {
        let metrics = Metrics::new();
        metrics.observe_request("/token", 200, None, Duration::from_millis(3));
        metrics.observe_request(
            "/token",
            400,
            Some("invalid_grant"),
            Duration::from_millis(1),
        );
        metrics.observe_request("/credential", 503, None, Duration::from_millis(1));
        let text = metrics.encode().unwrap_or_default();
        assert!(
            text.contains("issuer_requests_total{endpoint=\"/token\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("issuer_refusals_total{endpoint=\"/token\",error=\"invalid_grant\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("issuer_refusals_total{endpoint=\"/credential\",error=\"http_503\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("issuer_request_duration_seconds_count{endpoint=\"/token\"} 2"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
