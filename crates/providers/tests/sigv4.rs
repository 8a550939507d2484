//! AWS's SigV4 test suite (tests/fixtures/sigv4/vectors.json, from botocore's copy of
//! `aws4_testsuite` plus smithy-rs's double-URL-encoding case): canonical request, string to
//! sign and Authorization header must match byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gomodel_providers::Secret;
use gomodel_providers::aws::sigv4::{
    Request, Scope, authorization, canonical_request, hex_sha256, string_to_sign,
};
use serde_json::Value;

#[test]
fn every_published_vector_matches() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sigv4/vectors.json"
    ))
    .unwrap();
    let vectors: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(vectors.len() >= 30);
    for case in vectors {
        let name = case["name"].as_str().unwrap();
        let headers: Vec<(String, String)> = case["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let payload_hash = hex_sha256(case["body"].as_str().unwrap().as_bytes());
        let request = Request {
            method: case["method"].as_str().unwrap(),
            path: case["path"].as_str().unwrap(),
            query: case["query"].as_str().unwrap(),
            headers: &headers,
            payload_hash: &payload_hash,
        };
        let scope = Scope {
            amz_date: case["amz_date"].as_str().unwrap(),
            region: case["region"].as_str().unwrap(),
            service: case["service"].as_str().unwrap(),
        };
        let (canonical, _) = canonical_request(&request);
        assert_eq!(
            canonical,
            case["canonical_request"].as_str().unwrap(),
            "{name}: canonical request"
        );
        assert_eq!(
            string_to_sign(&scope, &canonical),
            case["string_to_sign"].as_str().unwrap(),
            "{name}: string to sign"
        );
        let secret = Secret::new(case["secret_key"].as_str().unwrap());
        assert_eq!(
            authorization(
                &request,
                &scope,
                case["access_key"].as_str().unwrap(),
                &secret
            ),
            case["authorization"].as_str().unwrap(),
            "{name}: authorization"
        );
    }
}
