//! Who may call. The Gemini API takes an API key in `x-goog-api-key` (or `?key=`); Vertex AI
//! takes an OAuth 2 access token in `Authorization: Bearer`, which here must be one this fake's
//! token endpoint or metadata server issued, not expired, with the cloud-platform scope.
//!
//! The refusals are Google's: 403 `PERMISSION_DENIED` without a key, 400 `API_KEY_INVALID` for
//! a wrong one, 401 `UNAUTHENTICATED` for a missing, unknown or expired token, 403 for a token
//! without the scope.

use super::errors::ApiError;
use crate::app::App;
use crate::google_oauth::TokenCheck;

pub(super) fn check(app: &App, parts: &http::request::Parts, vertex: bool) -> Result<(), ApiError> {
    if vertex {
        check_bearer(app, parts)
    } else {
        check_api_key(app, parts)
    }
}

fn check_api_key(app: &App, parts: &http::request::Parts) -> Result<(), ApiError> {
    let key = api_key(parts).filter(|k| !k.is_empty());
    let Some(key) = key else {
        return Err(ApiError::unregistered_caller());
    };
    match &app.options.google_api_key {
        Some(expected) if expected != key => Err(ApiError::invalid_api_key()),
        _ => Ok(()),
    }
}

/// The key from `x-goog-api-key`, else from the `key` query parameter.
pub(super) fn api_key(parts: &http::request::Parts) -> Option<&str> {
    let header = parts
        .headers
        .get("x-goog-api-key")
        .and_then(|v| v.to_str().ok());
    header.or_else(|| {
        parts
            .uri
            .query()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "key")
            .map(|(_, value)| value)
    })
}

fn check_bearer(app: &App, parts: &http::request::Parts) -> Result<(), ApiError> {
    let token = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ApiError::unauthenticated("CREDENTIALS_MISSING"));
    };
    match app.google.check(token) {
        TokenCheck::Valid {
            cloud_platform: true,
        } => Ok(()),
        TokenCheck::Valid {
            cloud_platform: false,
        } => Err(ApiError::insufficient_scopes()),
        TokenCheck::Expired => Err(ApiError::unauthenticated("ACCESS_TOKEN_EXPIRED")),
        TokenCheck::Unknown => Err(ApiError::unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED")),
    }
}
