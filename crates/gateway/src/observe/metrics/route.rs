//! `GET {METRICS_ENDPOINT}`: the scrape, without authentication (as in GoModel; the config
//! refuses paths under the authenticated prefixes). The route exists only when metrics are on.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::CONTENT_TYPE;

use super::text;
use crate::app::AppState;
use crate::app::served::RecordedRouter;
use crate::config::Config;
use crate::error::GatewayError;

/// The metrics route when `METRICS_ENABLED`, else no route at all (a 404).
pub fn routes(config: &Config) -> RecordedRouter {
    let router = RecordedRouter::new();
    if config.metrics.enabled {
        router.get(&config.metrics.endpoint, scrape)
    } else {
        router
    }
}

async fn scrape(State(state): State<AppState>) -> Response {
    let Some(metrics) = state.metrics() else {
        return GatewayError::internal("metrics are enabled but were not started").into_response();
    };
    let mut response = metrics.render().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(text::CONTENT_TYPE));
    response
}
