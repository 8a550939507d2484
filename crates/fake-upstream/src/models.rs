//! `GET …/models`: OpenAI's model list, from the recording or from the ids a test chose.

use bytes::Bytes;

use crate::recordings::Recordings;
use crate::template::{push_json_str, push_u64};

/// Chosen ids get a fixed timestamp and owner, so the body is the same on every run.
const CHOSEN_CREATED: u64 = 1_700_000_000;
const CHOSEN_OWNER: &str = "system";

/// The whole list body, rendered once when the fake starts.
pub(crate) fn list_body(rec: &Recordings, chosen: Option<&[String]>) -> Bytes {
    let entries: Vec<(&str, u64, &str)> = match chosen {
        Some(ids) => ids
            .iter()
            .map(|id| (id.as_str(), CHOSEN_CREATED, CHOSEN_OWNER))
            .collect(),
        None => rec
            .models
            .iter()
            .map(|m| (m.id.as_str(), m.created, m.owned_by.as_str()))
            .collect(),
    };
    let mut body = Vec::with_capacity(32 + entries.len() * 80);
    body.extend_from_slice(br#"{"object":"list","data":["#);
    for (i, (id, created, owned_by)) in entries.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(br#"{"id":"#);
        push_json_str(&mut body, id);
        body.extend_from_slice(br#","object":"model","created":"#);
        push_u64(&mut body, created);
        body.extend_from_slice(br#","owned_by":"#);
        push_json_str(&mut body, owned_by);
        body.push(b'}');
    }
    body.extend_from_slice(b"]}");
    body.into()
}
