//! Credential offers the operator created: each has a page at `GET /offers/{id}` with the
//! offer as a QR code and a deep link (what a phone wallet scans), and an offer with the
//! `authorization_code` grant has a single-use `issuer_state` that the authorization request
//! must bring back. In memory, like the engine's stores; an offer lives as long as a
//! pre-authorized code.
//!
//! At most [`MAX_OFFERS`] pages are kept: when they are all live, a new offer's page replaces
//! the one that expires first (that offer's code stays redeemable; only its page is gone),
//! so an operator, or a load run, creating offers faster than they expire is never refused.
//! Live `issuer_state` values are bounded the same way but refused when full, since dropping
//! one would break a user's authorization in progress.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jose_core::UnixTime;
use qrcode::QrCode;
use qrcode::render::svg;

use super::IssuerState;
use super::expiring::{ExpiringMap, Full};
use super::pages::Page;

/// Path of the offer pages (`{base}/offers/{id}`).
pub const OFFER_PAGE_PATH: &str = "/offers";
/// Offers (and issuer states) the demo keeps at once.
const MAX_OFFERS: usize = 10_000;

/// What an offer page shows.
#[derive(Clone, Debug)]
pub(super) struct OfferEntry {
    /// The `openid-credential-offer://` URI.
    pub(super) offer_uri: String,
    /// The configurations offered.
    pub(super) configuration_ids: Vec<String>,
    /// The wallet will ask the user for a `tx_code`.
    pub(super) tx_code_required: bool,
    /// The user signs in at the authorization endpoint.
    pub(super) sign_in_required: bool,
}

/// The offers and the live `issuer_state` values.
#[derive(Debug)]
pub(super) struct Offers {
    pages: ExpiringMap<OfferEntry>,
    issuer_states: ExpiringMap<()>,
}

impl Default for Offers {
    fn default() -> Self {
        Self {
            pages: ExpiringMap::new(MAX_OFFERS),
            issuer_states: ExpiringMap::new(MAX_OFFERS),
        }
    }
}

impl Offers {
    /// Keeps `entry` under `id` until `expires_at`, dropping the page that expires first when
    /// [`MAX_OFFERS`] pages are live.
    pub(super) fn add(&self, id: String, entry: OfferEntry, expires_at: UnixTime, now: UnixTime) {
        self.pages.insert_evicting(id, entry, expires_at, now);
    }

    /// Records a fresh `issuer_state`.
    pub(super) fn add_issuer_state(
        &self,
        issuer_state: String,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), Full> {
        self.issuer_states.insert(issuer_state, (), expires_at, now)
    }

    /// Whether `issuer_state` was live; it is used up either way.
    pub(super) fn redeem_issuer_state(&self, issuer_state: &str, now: UnixTime) -> bool {
        self.issuer_states.take(issuer_state, now).is_some()
    }
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage<'a> {
    credentials: String,
    qr_svg: &'a str,
    offer_uri: &'a str,
    tx_code_required: bool,
    sign_in_required: bool,
}

/// The offer URI as an SVG QR code (no XML declaration: it is inlined in the page).
///
/// # Errors
/// The `qrcode` error when the URI is too long for a QR code.
pub fn offer_qr_svg(offer_uri: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::new(offer_uri.as_bytes())?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build();
    Ok(image
        .split_once("?>")
        .map_or(image.as_str(), |(_, svg)| svg)
        .to_owned())
}

/// The offer URI as a QR code for a terminal: two modules per character cell (Unicode half
/// blocks), dark on light, with the quiet zone.
///
/// # Errors
/// The `qrcode` error when the URI is too long for a QR code.
pub fn offer_qr_terminal(offer_uri: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::new(offer_uri.as_bytes())?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// `GET /offers/{id}`: the offer's page.
pub(super) async fn offer_page(
    State(state): State<Arc<IssuerState>>,
    Path(id): Path<String>,
) -> Response {
    let Some(entry) = state.offers.pages.get(&id, state.clock.now()) else {
        return Page::message(
            StatusCode::NOT_FOUND,
            "No such offer",
            "This credential offer does not exist or has expired.",
        )
        .into_response();
    };
    let svg = match offer_qr_svg(&entry.offer_uri) {
        Ok(svg) => svg,
        Err(e) => {
            return Page::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Offer too large",
                &format!("The offer does not fit in a QR code: {e}"),
            )
            .into_response();
        }
    };
    let credentials = entry
        .configuration_ids
        .iter()
        .map(|id| {
            state
                .config
                .configuration(id)
                .and_then(|c| c.display_name.clone())
                .unwrap_or_else(|| id.clone())
        })
        .collect::<Vec<_>>()
        .join(", ");
    Page::render(
        StatusCode::OK,
        &OfferPage {
            credentials,
            qr_svg: &svg,
            offer_uri: &entry.offer_uri,
            tx_code_required: entry.tx_code_required,
            sign_in_required: entry.sign_in_required,
        },
    )
    .into_response()
}
