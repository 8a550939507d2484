//! AWS credential endpoints: STS `AssumeRoleWithWebIdentity`, the ECS / Pod Identity container
//! endpoint and IMDSv2, and the temporary credentials they issue signing (or, expired or
//! without their session token, failing to sign) Bedrock calls.

use std::time::Duration;

use gomodel_fake_upstream::{AwsCredentialKind, FakeOptions, FakeUpstream};
use serde_json::Value;

use crate::aws::{Credentials, error, post_signed};
use crate::bedrock::hello;
use crate::client::{Response, send};

const NOVA: &str = "/model/amazon.nova-micro-v1%3A0/converse";
const ROLE: &str = "arn:aws:iam::123456789012:role/gateway";

/// The text of the first `<tag>…</tag>`.
fn xml(body: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = body
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {body}"))
        + open.len();
    let end = body[start..].find(&format!("</{tag}>")).unwrap() + start;
    body[start..end].to_owned()
}

async fn assume_role(fake: &FakeUpstream, token: &str) -> Response {
    let form = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName=gomodel&WebIdentityToken={token}&DurationSeconds=3600",
        ROLE.replace(':', "%3A").replace('/', "%2F")
    );
    let headers = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    send(fake.addr(), "POST", "/", &headers, form.as_bytes())
        .await
        .unwrap()
}

fn credentials_of(body: &str) -> Credentials {
    Credentials::new(
        &xml(body, "AccessKeyId"),
        &xml(body, "SecretAccessKey"),
        Some(&xml(body, "SessionToken")),
    )
}

#[tokio::test]
async fn sts_credentials_sign_bedrock_calls_with_their_token() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = assume_role(
        &fake,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWk6Z2F0ZXdheSJ9.c2ln",
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("text/xml"));
    let body = response.text();
    assert!(body.starts_with(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    assert!(xml(&body, "AccessKeyId").starts_with("ASIA"));
    assert_eq!(xml(&body, "AccessKeyId").len(), 20);
    assert_eq!(
        xml(&body, "SubjectFromWebIdentityToken"),
        "system:serviceaccount:ai:gateway"
    );
    assert_eq!(
        xml(&body, "Arn"),
        "arn:aws:sts::123456789012:assumed-role/gateway/gomodel"
    );
    let expiration = xml(&body, "Expiration");
    assert!(
        expiration.len() == 20 && expiration.ends_with('Z'),
        "{expiration}"
    );
    assert_eq!(xml(&body, "RequestId").len(), 36);
    assert_eq!(fake.aws_credential_requests(), 1);
    assert_eq!(
        fake.aws_credential_requests_of(AwsCredentialKind::WebIdentity),
        1
    );
    assert_eq!(
        fake.request_count(),
        0,
        "credential requests are counted apart"
    );
    assert_eq!(fake.received().len(), 1);

    let credentials = credentials_of(&body);
    let ok = post_signed(&fake, Some(&credentials), NOVA, &hello()).await;
    assert_eq!(ok.status, 200, "{}", ok.text());

    let tokenless = Credentials {
        session_token: None,
        ..credentials.clone()
    };
    let (status, kind, message) =
        error(&post_signed(&fake, Some(&tokenless), NOVA, &hello()).await);
    assert_eq!(status, 403);
    assert!(kind.starts_with("UnrecognizedClientException:"));
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    let unsigned_token = Credentials {
        sign_token: false,
        ..credentials.clone()
    };
    let (status, kind, _) = error(&post_signed(&fake, Some(&unsigned_token), NOVA, &hello()).await);
    assert_eq!(status, 403);
    assert!(kind.starts_with("InvalidSignatureException:"));

    let wrong_token = Credentials {
        session_token: Some("IQoJother".into()),
        ..credentials
    };
    let (status, _, _) = error(&post_signed(&fake, Some(&wrong_token), NOVA, &hello()).await);
    assert_eq!(status, 403);
}

#[tokio::test]
async fn sts_refusals_are_xml_errors() {
    let fake = FakeUpstream::start().await.unwrap();
    for token in ["", "invalid"] {
        let response = assume_role(&fake, token).await;
        assert_eq!(response.status, 400);
        let body = response.text();
        assert!(body.starts_with("<ErrorResponse"), "{body}");
        assert_eq!(xml(&body, "Type"), "Sender");
        assert_eq!(xml(&body, "Code"), "InvalidIdentityToken");
        assert!(!xml(&body, "Message").is_empty());
        assert_eq!(xml(&body, "RequestId").len(), 36);
    }
    let expired = assume_role(&fake, "expired").await.text();
    assert_eq!(xml(&expired, "Code"), "ExpiredTokenException");
    let missing = send(
        fake.addr(),
        "POST",
        "/",
        &[],
        b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=t",
    )
    .await
    .unwrap()
    .text();
    assert_eq!(xml(&missing, "Code"), "ValidationError");
    assert!(xml(&missing, "Message").contains("'roleArn'"));
    let wrong_action = send(
        fake.addr(),
        "POST",
        "/",
        &[],
        b"Action=GetSessionToken&Version=2011-06-15",
    )
    .await
    .unwrap()
    .text();
    assert_eq!(xml(&wrong_action, "Code"), "InvalidAction");
    assert_eq!(fake.aws_credential_requests(), 5);
}

#[tokio::test]
async fn expired_credentials_are_refused() {
    let fake = FakeUpstream::start_with(FakeOptions {
        aws_credential_lifetime: Duration::ZERO,
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let body = assume_role(&fake, "web-identity-token").await.text();
    let credentials = credentials_of(&body);
    let (status, kind, message) =
        error(&post_signed(&fake, Some(&credentials), NOVA, &hello()).await);
    assert_eq!(status, 403);
    assert!(kind.starts_with("ExpiredTokenException:"));
    assert_eq!(
        message,
        "The security token included in the request is expired"
    );
}

#[tokio::test]
async fn container_endpoint_checks_its_token() {
    let fake = FakeUpstream::start_with(FakeOptions {
        aws_container_token: Some("container-secret".into()),
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let refused = send(fake.addr(), "GET", "/ecs-creds", &[], b"")
        .await
        .unwrap();
    assert_eq!(refused.status, 401);
    let wrong = send(
        fake.addr(),
        "GET",
        "/ecs-creds",
        &[("authorization", "nope")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(wrong.status, 401);
    for path in ["/ecs-creds", "/v2/credentials/3f1c-task"] {
        let response = send(
            fake.addr(),
            "GET",
            path,
            &[("authorization", "container-secret")],
            b"",
        )
        .await
        .unwrap();
        assert_eq!(response.status, 200, "{path}");
        let body = response.json();
        for field in [
            "AccessKeyId",
            "SecretAccessKey",
            "Token",
            "Expiration",
            "RoleArn",
        ] {
            assert!(
                body[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field}: {body}"
            );
        }
        assert!(body["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
        let credentials = Credentials::new(
            body["AccessKeyId"].as_str().unwrap(),
            body["SecretAccessKey"].as_str().unwrap(),
            body["Token"].as_str(),
        );
        assert_eq!(
            post_signed(&fake, Some(&credentials), NOVA, &hello())
                .await
                .status,
            200
        );
    }
    assert_eq!(
        fake.aws_credential_requests_of(AwsCredentialKind::Container),
        4
    );
}

#[tokio::test]
async fn imds_v2_hands_out_role_credentials_with_a_session_token() {
    let fake = FakeUpstream::start().await.unwrap();
    let list = "/latest/meta-data/iam/security-credentials/";
    assert_eq!(
        send(fake.addr(), "GET", list, &[], b"")
            .await
            .unwrap()
            .status,
        401
    );
    let no_ttl = send(fake.addr(), "PUT", "/latest/api/token", &[], b"")
        .await
        .unwrap();
    assert_eq!(no_ttl.status, 400);
    let proxied = [
        ("x-aws-ec2-metadata-token-ttl-seconds", "21600"),
        ("x-forwarded-for", "10.0.0.1"),
    ];
    let forwarded = send(fake.addr(), "PUT", "/latest/api/token", &proxied, b"")
        .await
        .unwrap();
    assert_eq!(forwarded.status, 403);
    let ttl = [("x-aws-ec2-metadata-token-ttl-seconds", "21600")];
    let token = send(fake.addr(), "PUT", "/latest/api/token", &ttl, b"")
        .await
        .unwrap();
    assert_eq!(token.status, 200);
    assert_eq!(
        token.header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    let token = token.text();
    let auth = [("x-aws-ec2-metadata-token", token.as_str())];
    let role = send(fake.addr(), "GET", list, &auth, b"")
        .await
        .unwrap()
        .text();
    assert_eq!(role, "fake-instance-role");
    let path = format!("{list}{role}");
    let response = send(fake.addr(), "GET", &path, &auth, b"").await.unwrap();
    assert_eq!(response.status, 200);
    let text = response.text();
    assert!(text.contains("\"Code\" : \"Success\""), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["Type"], "AWS-HMAC");
    for field in [
        "LastUpdated",
        "AccessKeyId",
        "SecretAccessKey",
        "Token",
        "Expiration",
    ] {
        assert!(
            body[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    let unknown = send(fake.addr(), "GET", &format!("{list}other-role"), &auth, b"")
        .await
        .unwrap();
    assert_eq!(unknown.status, 404);
    let credentials = Credentials::new(
        body["AccessKeyId"].as_str().unwrap(),
        body["SecretAccessKey"].as_str().unwrap(),
        body["Token"].as_str(),
    );
    assert_eq!(
        post_signed(&fake, Some(&credentials), NOVA, &hello())
            .await
            .status,
        200
    );
    assert_eq!(
        fake.aws_credential_requests_of(AwsCredentialKind::InstanceMetadata),
        1
    );
    assert_eq!(
        fake.aws_credential_requests(),
        1,
        "tokens and the role list are not credentials"
    );
    fake.clear();
    assert_eq!(fake.aws_credential_requests(), 0);
}
