//! Google's token endpoint and metadata server: service-account JWTs signed with a real RSA key
//! (made with `openssl`), refresh tokens, the checks Google applies, and issued tokens expiring
//! on the Vertex routes.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

use crate::client::{Response, send};
use crate::gemini::post_with;

const EMAIL: &str = "fake-sa@fake-project.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
const VERTEX: &str = "/v1/projects/fake-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent";

/// The service account's key, and a stranger's, as PKCS#8 DER.
static KEY: LazyLock<Vec<u8>> = LazyLock::new(rsa_key);
static OTHER_KEY: LazyLock<Vec<u8>> = LazyLock::new(rsa_key);

/// `genpkey` writes DER as PKCS#1, so `pkcs8 -topk8` wraps it in the PKCS#8 ring reads.
fn rsa_key() -> Vec<u8> {
    let pkcs1 = openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-outform",
            "DER",
        ],
        &[],
    );
    openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-outform", "DER",
        ],
        &pkcs1,
    )
}

fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl must be installed to make a test key");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
    output.stdout
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn sign(key: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let pair = RsaKeyPair::from_pkcs8(key).unwrap();
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{input}.{}", base64url(&signature))
}

fn claims(fake: &FakeUpstream) -> Value {
    let iat = now();
    json!({"iss": EMAIL, "scope": SCOPE, "aud": fake.token_url(), "iat": iat, "exp": iat + 3600})
}

fn header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef"})
}

async fn start(lifetime: Duration) -> FakeUpstream {
    let options = FakeOptions {
        google_service_account_key: Some(KEY.clone()),
        google_client_email: Some(EMAIL.into()),
        google_token_lifetime: lifetime,
        ..FakeOptions::default()
    };
    FakeUpstream::start_with(options).await.unwrap()
}

async fn token_request(fake: &FakeUpstream, path: &str, form: &str) -> Response {
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    send(fake.addr(), "POST", path, &headers, form.as_bytes())
        .await
        .unwrap()
}

async fn exchange(fake: &FakeUpstream, assertion: &str) -> Response {
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
    );
    token_request(fake, "/token", &form).await
}

/// A token from the metadata server, which needs no key.
pub async fn metadata_token(fake: &FakeUpstream) -> String {
    let path = "/computeMetadata/v1/instance/service-accounts/default/token";
    let response = send(
        fake.addr(),
        "GET",
        path,
        &[("Metadata-Flavor", "Google")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["access_token"].as_str().unwrap().to_owned()
}

fn refusal(response: &Response) -> (String, String) {
    assert_eq!(response.status, 400, "{}", response.text());
    let body = response.json();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_signed_assertion_gets_a_token_that_opens_vertex() {
    let fake = start(Duration::from_secs(3600)).await;
    let response = exchange(&fake, &sign(&KEY, &header(), &claims(&fake))).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let token = body["access_token"].as_str().unwrap();
    assert!(token.starts_with("ya29.fake-1-"), "{token}");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(fake.request_count(), 0, "token requests are counted apart");
    let kept = fake.last_request().unwrap();
    assert_eq!(kept.path, "/token");
    assert!(String::from_utf8_lossy(&kept.body).contains("assertion="));

    let bearer = format!("Bearer {token}");
    let hello = json!({"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]});
    let answer = post_with(&fake, VERTEX, &[("authorization", &bearer)], &hello).await;
    assert_eq!(answer.status, 200, "{}", answer.text());

    // The older path answers too, and tokens differ.
    let again = token_request(
        &fake,
        "/oauth2/v4/token",
        &format!(
            "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion={}",
            sign(&KEY, &header(), &claims(&fake))
        ),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_ne!(again.json()["access_token"], body["access_token"]);
    assert_eq!(fake.token_requests(), 2);
}

#[tokio::test]
async fn bad_assertions_get_googles_errors() {
    let fake = start(Duration::from_secs(3600)).await;
    let good = claims(&fake);
    let edit = |change: Value| {
        let mut claims = good.clone();
        for (key, value) in change.as_object().unwrap() {
            claims[key] = value.clone();
        }
        claims
    };
    let short_lived = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a \
                       reasonable timeframe. Check your iat and exp values in the JWT claim.";
    let iat = now();
    let cases = [
        (
            sign(&OTHER_KEY, &header(), &good),
            "invalid_grant",
            "Invalid JWT Signature.".to_owned(),
        ),
        (
            {
                // The claims changed after signing.
                let signed = sign(&KEY, &header(), &good);
                let parts: Vec<&str> = signed.split('.').collect();
                let forged = base64url(edit(json!({"iss": "x@y"})).to_string().as_bytes());
                format!("{}.{forged}.{}", parts[0], parts[2])
            },
            "invalid_grant",
            "Invalid grant: account not found".to_owned(),
        ),
        (
            {
                let signed = sign(&KEY, &header(), &good);
                let parts: Vec<&str> = signed.split('.').collect();
                let forged = base64url(edit(json!({"scope": "x"})).to_string().as_bytes());
                format!("{}.{forged}.{}", parts[0], parts[2])
            },
            "invalid_grant",
            "Invalid JWT Signature.".to_owned(),
        ),
        (
            sign(&KEY, &json!({"alg": "HS256", "typ": "JWT"}), &good),
            "invalid_grant",
            "Invalid JWT Signature.".to_owned(),
        ),
        (
            sign(
                &KEY,
                &header(),
                &edit(json!({"iss": "someone@else.iam.gserviceaccount.com"})),
            ),
            "invalid_grant",
            "Invalid grant: account not found".to_owned(),
        ),
        (
            sign(
                &KEY,
                &header(),
                &edit(json!({"aud": "https://oauth2.googleapis.com/token"})),
            ),
            "invalid_grant",
            format!(
                "Invalid JWT: Failed audience check. The right audience is {}",
                fake.token_url()
            ),
        ),
        (
            sign(&KEY, &header(), &edit(json!({"exp": iat + 7200}))),
            "invalid_grant",
            short_lived.to_owned(),
        ),
        (
            sign(
                &KEY,
                &header(),
                &edit(json!({"iat": iat - 7200, "exp": iat - 3600})),
            ),
            "invalid_grant",
            short_lived.to_owned(),
        ),
        (
            sign(
                &KEY,
                &header(),
                &edit(json!({"iat": iat + 900, "exp": iat + 1800})),
            ),
            "invalid_grant",
            short_lived.to_owned(),
        ),
        (
            sign(&KEY, &header(), &edit(json!({"scope": ""}))),
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.".to_owned(),
        ),
        (
            "not-a-jwt".to_owned(),
            "invalid_grant",
            "Invalid JWT Signature.".to_owned(),
        ),
    ];
    for (i, (assertion, error, description)) in cases.into_iter().enumerate() {
        let response = exchange(&fake, &assertion).await;
        assert_eq!(
            refusal(&response),
            (error.to_owned(), description),
            "case {i}"
        );
    }
    let unsupported = token_request(&fake, "/token", "grant_type=password").await;
    assert_eq!(
        refusal(&unsupported),
        (
            "unsupported_grant_type".to_owned(),
            "Invalid grant_type: password".to_owned()
        )
    );
    // The request's own Host is an audience too (a fake behind a name, as in Docker).
    let by_host = sign(&KEY, &header(), &edit(json!({"aud": "http://fake/token"})));
    assert_eq!(exchange(&fake, &by_host).await.status, 200);
}

#[tokio::test]
async fn without_a_configured_key_no_account_exists() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = exchange(&fake, &sign(&KEY, &header(), &claims(&fake))).await;
    assert_eq!(
        refusal(&response),
        (
            "invalid_grant".to_owned(),
            "Invalid grant: account not found".to_owned()
        )
    );
}

#[tokio::test]
async fn refresh_tokens_of_authorized_user_files() {
    let fake = FakeUpstream::start().await.unwrap();
    let good = "grant_type=refresh_token&client_id=id.apps.googleusercontent.com&client_secret=s&refresh_token=1%2F%2Fabc";
    let response = token_request(&fake, "/token", good).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert!(
        body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("ya29.fake-")
    );
    assert_eq!(body["scope"], SCOPE);
    let revoked = good.replace("1%2F%2Fabc", "revoked");
    assert_eq!(
        refusal(&token_request(&fake, "/token", &revoked).await),
        (
            "invalid_grant".to_owned(),
            "Token has been expired or revoked.".to_owned()
        )
    );
    let no_secret = good.replace("client_secret=s", "client_secret=");
    let response = token_request(&fake, "/token", &no_secret).await;
    assert_eq!(response.status, 401);
    assert_eq!(response.json()["error"], "invalid_client");
    let no_client = good.replace("client_id=id.apps.googleusercontent.com", "client_id=");
    assert_eq!(
        refusal(&token_request(&fake, "/token", &no_client).await).0,
        "invalid_request"
    );
}

#[tokio::test]
async fn metadata_server_wants_its_header() {
    let fake = FakeUpstream::start().await.unwrap();
    let path = "/computeMetadata/v1/instance/service-accounts/default/token";
    let bare = send(fake.addr(), "GET", path, &[], b"").await.unwrap();
    assert_eq!(bare.status, 403);
    assert!(
        bare.text()
            .contains("Missing Metadata-Flavor:Google header")
    );
    let response = send(
        fake.addr(),
        "GET",
        path,
        &[("Metadata-Flavor", "Google")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("metadata-flavor"), Some("Google"));
    let body = response.json();
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(fake.token_requests(), 2, "refused requests count too");

    // A token for other scopes does not open Vertex.
    // Clients percent-encode the list; a VM's own scopes list is what it is.
    let encoded = format!("{path}?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform");
    let wide = send(
        fake.addr(),
        "GET",
        &encoded,
        &[("Metadata-Flavor", "Google")],
        b"",
    )
    .await
    .unwrap()
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let narrow = format!("{path}?scopes=https://www.googleapis.com/auth/userinfo.email");
    let token = send(
        fake.addr(),
        "GET",
        &narrow,
        &[("Metadata-Flavor", "Google")],
        b"",
    )
    .await
    .unwrap()
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let hello = json!({"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]});
    let bearer = format!("Bearer {token}");
    let refused = post_with(&fake, VERTEX, &[("authorization", &bearer)], &hello).await;
    assert_eq!(refused.status, 403);
    let wide = format!("Bearer {wide}");
    let allowed = post_with(&fake, VERTEX, &[("authorization", &wide)], &hello).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        refused.json()["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let fake = start(Duration::from_secs(1)).await;
    let response = exchange(&fake, &sign(&KEY, &header(), &claims(&fake))).await;
    assert_eq!(response.json()["expires_in"], 1);
    let bearer = format!(
        "Bearer {}",
        response.json()["access_token"].as_str().unwrap()
    );
    let hello = json!({"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]});
    let fresh = post_with(&fake, VERTEX, &[("authorization", &bearer)], &hello).await;
    assert_eq!(fresh.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = post_with(&fake, VERTEX, &[("authorization", &bearer)], &hello).await;
    assert_eq!(expired.status, 401);
    let error = &expired.json()["error"];
    assert_eq!(error["status"], "UNAUTHENTICATED");
    assert_eq!(error["details"][0]["reason"], "ACCESS_TOKEN_EXPIRED");
}

#[tokio::test]
async fn token_latency_delays_concurrent_fetches_together() {
    let options = FakeOptions {
        token_latency: Duration::from_millis(300),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let started = Instant::now();
    let (a, b) = tokio::join!(metadata_token(&fake), metadata_token(&fake));
    let elapsed = started.elapsed();
    assert_ne!(a, b);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(590),
        "the two overlap: {elapsed:?}"
    );
    assert_eq!(fake.token_requests(), 2);
    fake.clear();
    assert_eq!(fake.token_requests(), 0);
}
