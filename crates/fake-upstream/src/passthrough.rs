//! Routes for the gateway's passthrough tests: they show exactly what crossed the gateway.
//!
//! - `…/echo` (any method): 200 with `x-fake-echo: 1` and
//!   `{"method","path","query","headers":{lowercase name: value},"body":<body as UTF-8>}`;
//!   repeated headers are joined with `, `, and a body that is not UTF-8 is converted lossily.
//! - `GET …/binary`: the 256 bytes 0..=255 as `application/octet-stream`, to check that a
//!   passthrough does not touch bytes that are not text.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::reply;
use crate::template::push_json_str;

pub(crate) fn echo(parts: &http::request::Parts, body: &Bytes) -> Response {
    let mut out = Vec::with_capacity(body.len() + 512);
    out.extend_from_slice(br#"{"method":"#);
    push_json_str(&mut out, parts.method.as_str());
    out.extend_from_slice(br#","path":"#);
    push_json_str(&mut out, parts.uri.path());
    out.extend_from_slice(br#","query":"#);
    match parts.uri.query() {
        Some(query) => push_json_str(&mut out, query),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","headers":{"#);
    // `HeaderMap::keys` yields each name once; `get_all` gathers its repeated values.
    for (i, name) in parts.headers.keys().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(&mut out, name.as_str());
        out.push(b':');
        let values: Vec<_> = parts
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        push_json_str(&mut out, &values.join(", "));
    }
    out.extend_from_slice(br#"},"body":"#);
    push_json_str(&mut out, &String::from_utf8_lossy(body));
    out.push(b'}');
    let mut response = reply::json(StatusCode::OK, out);
    response
        .headers_mut()
        .insert("x-fake-echo", HeaderValue::from_static("1"));
    response
}

pub(crate) fn binary() -> Response {
    let bytes: Vec<u8> = (0..=255).collect();
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
}
