//! One token request: a signed assertion (service account), a refresh token (`authorized_user`)
//! or the metadata server, and its answer or refusal read.

use reqwest::{Method, Url};
use serde::Deserialize;

use super::credentials::Credentials;
use crate::UpstreamClient;
use crate::refresh::Refusal;
use crate::response::{MAX_ERROR_BYTES, read_body};
use crate::util::{percent_encode, unix_seconds};

/// A token endpoint's answer.
#[derive(Deserialize)]
pub(super) struct TokenAnswer {
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

pub(super) async fn request_token(
    credentials: &Credentials,
    scope: &str,
    client: &UpstreamClient,
    provider: &str,
) -> Result<TokenAnswer, Refusal> {
    let request = match credentials {
        Credentials::ServiceAccount {
            client_email,
            key,
            token_uri,
            ..
        } => {
            let now = u64::try_from(unix_seconds()).unwrap_or(0);
            let assertion = key
                .assertion(client_email, scope, token_uri, now)
                .map_err(|reason| Refusal::new(500, reason))?;
            let body = form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", &assertion),
            ]);
            post_form(client, token_uri, body)?
        }
        Credentials::AuthorizedUser {
            client_id,
            client_secret,
            refresh_token,
            token_uri,
            ..
        } => {
            let body = form(&[
                ("grant_type", "refresh_token"),
                ("client_id", client_id),
                ("client_secret", client_secret.expose()),
                ("refresh_token", refresh_token.expose()),
            ]);
            post_form(client, token_uri, body)?
        }
        Credentials::Metadata { host } => {
            let url = format!(
                "http://{host}/computeMetadata/v1/instance/service-accounts/default/token?scopes={}",
                percent_encode(scope)
            );
            let url = Url::parse(&url).map_err(|_| {
                Refusal::new(500, "the metadata server address is not a valid host")
            })?;
            client
                .request(Method::GET, url)
                .header("metadata-flavor", "Google")
        }
    };
    let response = client.send(request).await.map_err(|failure| {
        Refusal::new(
            502,
            format!("the token endpoint could not be reached: {failure}"),
        )
    })?;
    let status = response.status();
    let body = read_body(provider, response, MAX_ERROR_BYTES)
        .await
        .map_err(|err| Refusal::new(502, format!("reading the token answer failed: {err}")))?;
    if !status.is_success() {
        let code = if status.is_server_error() { 502 } else { 401 };
        return Err(Refusal::new(
            code,
            format!(
                "the token endpoint answered HTTP {}: {}",
                status.as_u16(),
                token_error_text(&body)
            ),
        ));
    }
    serde_json::from_slice::<TokenAnswer>(&body)
        .ok()
        .filter(|answer| !answer.access_token.is_empty())
        .ok_or_else(|| Refusal::new(502, "the token endpoint answer has no access_token"))
}

fn post_form(
    client: &UpstreamClient,
    uri: &str,
    body: String,
) -> Result<reqwest::RequestBuilder, Refusal> {
    let url = Url::parse(uri)
        .map_err(|_| Refusal::new(401, "the key file's token_uri is not a valid URL"))?;
    Ok(client
        .request(Method::POST, url)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body))
}

/// `invalid_grant: Invalid JWT Signature.` from an OAuth error body (or its first bytes).
fn token_error_text(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct OAuthError {
        #[serde(default)]
        error: Option<serde_json::Value>,
        #[serde(default)]
        error_description: Option<String>,
    }
    match serde_json::from_slice::<OAuthError>(body) {
        Ok(parsed) => {
            let error = match parsed.error {
                Some(serde_json::Value::String(code)) => code,
                Some(serde_json::Value::Object(map)) => map
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("error")
                    .to_owned(),
                _ => "error".to_owned(),
            };
            match parsed.error_description {
                Some(description) => format!("{error}: {description}"),
                None => error,
            }
        }
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

/// `application/x-www-form-urlencoded` body.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_and_oauth_errors() {
        assert_eq!(
            form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("t", "1//0g a")
            ]),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&t=1%2F%2F0g%20a"
        );
        assert_eq!(
            token_error_text(
                br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#
            ),
            "invalid_grant: Invalid JWT Signature."
        );
    }
}
