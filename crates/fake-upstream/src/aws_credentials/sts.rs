//! STS `AssumeRoleWithWebIdentity` (AWS STS API reference,
//! https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html): an
//! unsigned `POST /` with the query-protocol form
//! `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&RoleSessionName=…&WebIdentityToken=…[&DurationSeconds=…]`,
//! answered in XML.
//!
//! The fake does not verify the token as a JWT (it reads `sub` and `aud` when it is one);
//! an empty token or the token `invalid` is refused with `InvalidIdentityToken`, the token
//! `expired` with `ExpiredTokenException`. Missing or malformed parameters are STS's
//! `ValidationError`s. `DurationSeconds` is checked (900–43200) but the credentials live
//! `aws_credential_lifetime`, so tests can make them expire quickly.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

use super::{ACCOUNT, AwsCredentialKind, AwsCredentials, issue};
use crate::app::App;
use crate::base64;
use crate::google_oauth::form;

const VERSION: &str = "2011-06-15";
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// `POST /`.
pub(crate) async fn respond(app: &App, body: &[u8]) -> Response {
    AwsCredentials::note_request(app, AwsCredentialKind::WebIdentity).await;
    let form = form::parse(body);
    let get = |name: &str| form::get(&form, name);
    let action = get("Action").unwrap_or_default();
    if action != "AssumeRoleWithWebIdentity" || get("Version") != Some(VERSION) {
        let version = get("Version").unwrap_or_default();
        return error(
            app,
            "InvalidAction",
            &format!("Could not find operation {action} for version {version}"),
        );
    }
    match assume(app, &get) {
        Ok(xml) => xml_response(StatusCode::OK, xml),
        Err((code, message)) => error(app, code, &message),
    }
}

type Refusal = (&'static str, String);

fn assume<'f>(app: &App, get: &impl Fn(&str) -> Option<&'f str>) -> Result<String, Refusal> {
    let required = |name: &str, member: &str| {
        get(name).ok_or_else(|| {
            (
                "ValidationError",
                format!(
                    "1 validation error detected: Value null at '{member}' failed to satisfy \
                     constraint: Member must not be null"
                ),
            )
        })
    };
    let role_arn = required("RoleArn", "roleArn")?;
    let session = required("RoleSessionName", "roleSessionName")?;
    let token = required("WebIdentityToken", "webIdentityToken")?;
    let Some(role_name) = role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
        .map(|(_, name)| name)
        .filter(|name| !name.is_empty())
    else {
        return Err(("ValidationError", "Request ARN is invalid".to_owned()));
    };
    let session_ok = (2..=64).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !session_ok {
        return Err((
            "ValidationError",
            format!(
                "1 validation error detected: Value '{session}' at 'roleSessionName' failed to \
                 satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            ),
        ));
    }
    if let Some(duration) = get("DurationSeconds") {
        check_duration(duration)?;
    }
    match token {
        "" | "invalid" => {
            return Err((
                "InvalidIdentityToken",
                "The ID Token provided is not a valid JWT. (You may see this error if you sent \
                 an Access Token)"
                    .to_owned(),
            ));
        }
        "expired" => {
            return Err((
                "ExpiredTokenException",
                "Token expired: current date/time must be before the expiration date/time"
                    .to_owned(),
            ));
        }
        _ => {}
    }
    let claims = jwt_claims(token);
    let claim = |name: &str| {
        claims
            .as_ref()
            .and_then(|c| c.get(name)?.as_str().map(str::to_owned))
    };
    let subject = claim("sub").unwrap_or_else(|| "system:serviceaccount:default:fake".into());
    let audience = claim("aud").unwrap_or_else(|| "sts.amazonaws.com".into());
    let issued = issue(app);
    let role_id = format!("AROAFAKE{}", &issued.access_key_id[4..16]);
    Ok(format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"{NAMESPACE}\">\n  \
         <AssumeRoleWithWebIdentityResult>\n    \
         <Audience>{audience}</Audience>\n    \
         <AssumedRoleUser>\n      \
         <AssumedRoleId>{role_id}:{session}</AssumedRoleId>\n      \
         <Arn>arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}</Arn>\n    \
         </AssumedRoleUser>\n    \
         <Provider>arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/FAKE</Provider>\n    \
         <Credentials>\n      \
         <AccessKeyId>{}</AccessKeyId>\n      \
         <SecretAccessKey>{}</SecretAccessKey>\n      \
         <SessionToken>{}</SessionToken>\n      \
         <Expiration>{}</Expiration>\n    \
         </Credentials>\n    \
         <SubjectFromWebIdentityToken>{subject}</SubjectFromWebIdentityToken>\n  \
         </AssumeRoleWithWebIdentityResult>\n  \
         <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n\
         </AssumeRoleWithWebIdentityResponse>\n",
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token,
        issued.expiration,
        request_id(app),
        audience = escape(&audience),
        session = escape(session),
        role_name = escape(role_name),
        subject = escape(&subject),
    ))
}

fn check_duration(duration: &str) -> Result<(), Refusal> {
    let constraint = match duration.parse::<i64>() {
        Ok(secs) if secs < 900 => "Member must have value greater than or equal to 900",
        Ok(secs) if secs > 43_200 => "Member must have value less than or equal to 43200",
        Ok(_) => return Ok(()),
        Err(_) => "Member must be a number",
    };
    Err((
        "ValidationError",
        format!(
            "1 validation error detected: Value '{}' at 'durationSeconds' failed to satisfy \
             constraint: {constraint}",
            escape(duration)
        ),
    ))
}

/// The claims of a JWT, when the token is one (no signature check).
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64::decode_url(payload)?).ok()
}

/// STS's error document; `ExpiredTokenException`, like every refusal here, is the caller's
/// fault (`Sender`, 400).
fn error(app: &App, code: &str, message: &str) -> Response {
    let xml = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>Sender</Type>\n    \
         <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
         <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        escape(message),
        request_id(app)
    );
    xml_response(StatusCode::BAD_REQUEST, xml)
}

fn xml_response(status: StatusCode, xml: String) -> Response {
    let mut response = Response::new(Body::from(xml));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}

fn request_id(app: &App) -> String {
    crate::bedrock::request_id(app)
}

/// Escapes text content; quotes need no escaping there, and STS leaves them as they are.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;\"'");
    }

    #[test]
    fn durations_follow_the_documented_range() {
        assert!(check_duration("900").is_ok() && check_duration("43200").is_ok());
        assert!(
            check_duration("899")
                .unwrap_err()
                .1
                .contains("greater than or equal to 900")
        );
        assert!(
            check_duration("43201")
                .unwrap_err()
                .1
                .contains("less than or equal to 43200")
        );
        assert!(check_duration("x").is_err());
    }

    #[test]
    fn reads_claims_of_a_jwt() {
        let payload = base64::encode_url(br#"{"sub":"system:serviceaccount:ns:sa","aud":"sts"}"#);
        let claims = jwt_claims(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims["sub"], "system:serviceaccount:ns:sa");
        assert!(jwt_claims("opaque").is_none());
    }
}
