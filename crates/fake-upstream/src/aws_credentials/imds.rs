//! The EC2 instance metadata service, IMDSv2 only (EC2 User Guide, "Use the Instance Metadata
//! Service to access instance metadata" and "Retrieve security credentials from instance
//! metadata"):
//!
//! - `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1–21600) answers a
//!   session token as `text/plain`; a request carrying `X-Forwarded-For` is refused, as IMDS
//!   refuses proxied token requests;
//! - `GET /latest/meta-data/iam/security-credentials/` lists the role (one name per line);
//! - `GET /latest/meta-data/iam/security-credentials/{role}` answers the role's temporary
//!   credentials as IMDS formats them;
//! - `GET /latest/meta-data/placement/region` answers `aws_region`.
//!
//! Every `GET` needs a live token in `X-aws-ec2-metadata-token` (401 without, as when IMDSv1 is
//! turned off).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

use super::{AwsCredentialKind, AwsCredentials, issue, lock, random_bytes};
use crate::app::App;
use crate::{aws_time, base64};

/// The instance profile's role.
pub(crate) const ROLE: &str = "fake-instance-role";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials";
const MAX_TTL_SECS: u64 = 21_600;

/// `PUT /latest/api/token`.
pub(crate) fn token(app: &App, parts: &http::request::Parts) -> Response {
    if parts.headers.contains_key("x-forwarded-for") {
        return text(StatusCode::FORBIDDEN, "Forbidden");
    }
    let ttl = parts
        .headers
        .get("x-aws-ec2-metadata-token-ttl-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|secs| (1..=MAX_TTL_SECS).contains(secs));
    let Some(ttl) = ttl else {
        return text(StatusCode::BAD_REQUEST, "Bad Request");
    };
    let token = base64::encode_url(&random_bytes(app, 42));
    let expires = Instant::now() + Duration::from_secs(ttl);
    lock(&app.aws.imds_tokens).insert(token.clone(), expires);
    let mut response = text(StatusCode::OK, &token);
    response.headers_mut().insert(
        "x-aws-ec2-metadata-token-ttl-seconds",
        HeaderValue::from(ttl),
    );
    response
}

/// `GET /latest/meta-data/…`.
pub(crate) async fn metadata(app: &App, parts: &http::request::Parts) -> Response {
    let token = parts
        .headers
        .get("x-aws-ec2-metadata-token")
        .and_then(|v| v.to_str().ok());
    let live = token.is_some_and(|token| {
        lock(&app.aws.imds_tokens)
            .get(token)
            .is_some_and(|expires| *expires > Instant::now())
    });
    if !live {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let path = parts.uri.path();
    if path == "/latest/meta-data/placement/region" {
        return text(StatusCode::OK, &app.options.aws_region);
    }
    let Some(rest) = path.strip_prefix(CREDENTIALS_PATH) else {
        return text(StatusCode::NOT_FOUND, "Not Found");
    };
    match rest {
        "" | "/" => text(StatusCode::OK, ROLE),
        role if role.strip_prefix('/') == Some(ROLE) => {
            AwsCredentials::note_request(app, AwsCredentialKind::InstanceMetadata).await;
            role_credentials(app)
        }
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// IMDS's own layout: pretty-printed, `"Key" : "value"`.
fn role_credentials(app: &App) -> Response {
    let issued = issue(app);
    let fields = [
        ("Code", "Success".to_owned()),
        ("LastUpdated", aws_time::iso8601(aws_time::unix_now())),
        ("Type", "AWS-HMAC".to_owned()),
        ("AccessKeyId", issued.access_key_id),
        ("SecretAccessKey", issued.secret_access_key),
        ("Token", issued.session_token),
        ("Expiration", issued.expiration),
    ];
    let lines: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("  \"{name}\" : {}", serde_json::Value::from(value.as_str())))
        .collect();
    text(StatusCode::OK, &format!("{{\n{}\n}}", lines.join(",\n")))
}

/// IMDS answers everything as `text/plain`, credentials included.
fn text(status: StatusCode, body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}
