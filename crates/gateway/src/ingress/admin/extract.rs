//! The admin routes' extractors: [`AdminQuery`] (the query string) and [`AdminJson`] (a JSON
//! body), parsed into the route's own struct.
//!
//! axum's `Query` and `Json` answer what they cannot parse in plain text; the admin API
//! promises the JSON error envelope with the offending parameter in `param`, so every admin
//! handler takes its input through these instead. The query structs hold strings (each handler
//! parses its values and names the parameter it rejects), so what fails in [`AdminQuery`] is
//! the shape: a parameter given twice, or one the route does not know (`models` denies unknown
//! ones).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Json, Query, Request};
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::bad_param;
use crate::error::GatewayError;

/// The query string as `T`, or a 400 in the JSON envelope naming the parameter.
#[derive(Debug)]
pub struct AdminQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for AdminQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GatewayError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::try_from_uri(&parts.uri) {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(rejected(&rejection.body_text())),
        }
    }
}

/// The request body as `T`: 415 unless it is sent as JSON, 400 naming the field when it does
/// not parse or has the wrong shape.
#[derive(Debug)]
pub struct AdminJson<T>(pub T);

impl<T, S> FromRequest<S> for AdminJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GatewayError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(body_rejected(&rejection)),
        }
    }
}

fn body_rejected(rejection: &JsonRejection) -> GatewayError {
    let text = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            let mut error = GatewayError::invalid_request(
                "unsupported_content_type",
                "request body must be JSON sent with Content-Type: application/json",
            );
            error.status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            error
        }
        JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => {
            let detail = text
                .split_once("target type: ")
                .or_else(|| text.split_once("input data: "))
                .map_or(text.as_str(), |(_, rest)| rest);
            GatewayError::invalid_request("invalid_json", format!("invalid JSON body: {detail}"))
                .with_param(field_at_fault(detail).unwrap_or("body"))
        }
        _ => {
            let mut error = GatewayError::invalid_request(
                "body_read_failed",
                format!("could not read the request body: {text}"),
            );
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error.status = StatusCode::PAYLOAD_TOO_LARGE;
            }
            error
        }
    }
}

/// The field a JSON error is about: the path axum puts first (`pricing.input: invalid
/// type …`), else the first name serde put in backticks (``missing field `selector` ``).
fn field_at_fault(detail: &str) -> Option<&str> {
    let path = detail
        .split_once(": ")
        .map(|(path, _)| path)
        .filter(|path| is_name(path, true));
    path.or_else(|| detail.split('`').nth(1).filter(|name| is_name(name, false)))
}

fn is_name(text: &str, dotted: bool) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || (dotted && c == '.'))
}

/// serde names the field in backticks (``duplicate field `limit` ``, ``unknown field `x`,
/// expected `category` ``): the first such name is the parameter at fault.
fn rejected(text: &str) -> GatewayError {
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text);
    let param = detail
        .split('`')
        .nth(1)
        .filter(|name| is_name(name, false))
        .unwrap_or("query");
    bad_param(param, format!("invalid query string: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::admin::RangeQuery;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Filters {
        #[serde(flatten)]
        range: RangeQuery,
        limit: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[allow(dead_code)]
        category: Option<String>,
    }

    async fn parse<T: DeserializeOwned>(uri: &str) -> Result<T, GatewayError> {
        let (mut parts, ()) = http::Request::builder()
            .uri(uri)
            .body(())
            .unwrap()
            .into_parts();
        AdminQuery::<T>::from_request_parts(&mut parts, &())
            .await
            .map(|AdminQuery(value)| value)
    }

    #[tokio::test]
    async fn malformed_queries_name_the_parameter() {
        let ok: Filters = parse("/x?limit=5&days=7").await.unwrap();
        assert_eq!(ok.limit.as_deref(), Some("5"));
        assert_eq!(ok.range.days.as_deref(), Some("7"));
        let twice = parse::<Filters>("/x?limit=5&limit=6").await.unwrap_err();
        assert_eq!(twice.status, http::StatusCode::BAD_REQUEST);
        assert_eq!(twice.param.as_deref(), Some("limit"));
        assert!(
            twice.message.contains("duplicate field"),
            "{}",
            twice.message
        );
        let flattened = parse::<Filters>("/x?days=1&days=2").await.unwrap_err();
        assert_eq!(flattened.param.as_deref(), Some("days"));
        let unknown = parse::<Strict>("/x?colour=red").await.unwrap_err();
        assert_eq!(unknown.param.as_deref(), Some("colour"));
    }

    #[derive(Debug, Deserialize)]
    struct Body {
        #[allow(dead_code)]
        selector: String,
        #[allow(dead_code)]
        pricing: Price,
    }

    #[derive(Debug, Deserialize)]
    struct Price {
        #[allow(dead_code)]
        input: Option<f64>,
    }

    async fn body(content_type: Option<&str>, text: &str) -> GatewayError {
        let mut request = http::Request::builder().method("PUT").uri("/x");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request
            .body(axum::body::Body::from(text.to_owned()))
            .unwrap();
        AdminJson::<Body>::from_request(request, &())
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn bad_bodies_name_the_field() {
        let json = Some("application/json");
        let wrong_type = body(json, r#"{"selector":"a","pricing":{"input":"x"}}"#).await;
        assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            wrong_type.param.as_deref(),
            Some("pricing.input"),
            "{wrong_type:?}"
        );
        let missing = body(json, r#"{"pricing":{}}"#).await;
        assert_eq!(missing.param.as_deref(), Some("selector"), "{missing:?}");
        let syntax = body(json, "{not json").await;
        assert_eq!(syntax.status, StatusCode::BAD_REQUEST);
        assert_eq!(syntax.param.as_deref(), Some("body"), "{syntax:?}");
        let form = body(Some("application/x-www-form-urlencoded"), "a=b").await;
        assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn a_name_serde_did_not_give_falls_back_to_query() {
        assert_eq!(
            rejected("Failed to deserialize query string: invalid type").param,
            Some("query".to_owned())
        );
        assert_eq!(
            rejected("unknown field `a b<script>`").param,
            Some("query".to_owned())
        );
    }
}
