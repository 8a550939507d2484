//! SQLite's audit log as segments: each written batch of entries is one row of
//! `audit_segments`, its entries framed one after another and compressed together with LZ4
//! (migrations/sqlite/0008, docs/decisions/0007).
//!
//! Why: a row per entry cost the gateway's SQLite thread a B-tree insert per index per entry
//! and, with bodies and headers, ~1.5 KB per entry written twice through the kernel (the WAL,
//! then the database file at the checkpoint); the kernel's copies alone were the largest single
//! cost of the audit log at 30,000 req/s. The entries of one batch are near-identical (same
//! headers, same shapes of body), so together they compress ~20×, and one insert per batch has
//! no per-entry cost at all. Reads decode the segments a query needs; the log is read rarely
//! and written always.
//!
//! A segment body, before compression, is each entry as a length-prefixed pair (big-endian
//! `u32` lengths): its fields as a JSON array ([`META_FIELDS`] order) and its document's text,
//! kept exactly as written. `links` holds the entry's conversation ids as `\nr:<response id>`
//! and `\np:<previous response id>`, with a final newline, so `instr(links, '\nr:' || id ||
//! '\n')` finds the segments to decode for a conversation without an index on random ids.

use serde::Deserialize;

use crate::json_text::{push_f64, push_i64, push_string};
use crate::records::{AuditRow, RawJson};

/// The only codec so far: LZ4 block with the uncompressed size in front.
pub(crate) const CODEC_LZ4: i64 = 1;

/// One batch of entries, encoded for `audit_segments`.
#[derive(Debug)]
pub(crate) struct Segment {
    pub min_ts_us: i64,
    pub max_ts_us: i64,
    pub entries: i64,
    pub links: String,
    pub body: Vec<u8>,
}

/// One audit entry encoded for its segment on the thread that made it: one buffer holding its
/// framed fields and document, then its conversation links. The writer concatenates these
/// and frees one allocation per entry, instead of the row's dozen strings freed on another
/// thread than the one that allocated them (mimalloc's costlier path).
#[derive(Debug, Clone)]
pub struct EncodedAudit {
    ts_us: i64,
    /// Where the framed part ends and the links text begins.
    framed_len: usize,
    bytes: Vec<u8>,
}

/// An entry's fields but its document, borrowed: what [`EncodedAudit::from_fields`] writes
/// without the owned strings of an [`AuditRow`].
#[derive(Debug, Clone, Copy)]
pub struct AuditFields<'a> {
    pub id: &'a str,
    pub request_id: &'a str,
    pub ts_us: i64,
    pub duration_ms: f64,
    pub requested_model: Option<&'a str>,
    pub resolved_model: Option<&'a str>,
    pub provider_type: Option<&'a str>,
    pub provider_name: Option<&'a str>,
    pub status_code: i32,
    pub method: &'a str,
    pub path: &'a str,
    pub user_path: &'a str,
    pub stream: bool,
    pub client_ip: Option<&'a str>,
    pub error_type: Option<&'a str>,
    pub response_id: Option<&'a str>,
    pub previous_response_id: Option<&'a str>,
    pub auth_method: Option<&'a str>,
}

impl AuditRow {
    fn fields(&self) -> AuditFields<'_> {
        AuditFields {
            id: &self.id,
            request_id: &self.request_id,
            ts_us: self.ts_us,
            duration_ms: self.duration_ms,
            requested_model: self.requested_model.as_deref(),
            resolved_model: self.resolved_model.as_deref(),
            provider_type: self.provider_type.as_deref(),
            provider_name: self.provider_name.as_deref(),
            status_code: self.status_code,
            method: &self.method,
            path: &self.path,
            user_path: &self.user_path,
            stream: self.stream,
            client_ip: self.client_ip.as_deref(),
            error_type: self.error_type.as_deref(),
            response_id: self.response_id.as_deref(),
            previous_response_id: self.previous_response_id.as_deref(),
            auth_method: self.auth_method.as_deref(),
        }
    }
}

impl EncodedAudit {
    pub fn new(row: &AuditRow) -> Self {
        Self::from_fields(&row.fields(), row.data.get())
    }

    /// The entry of `fields` and the document `data` (well-formed JSON: see
    /// [`RawJson::written`]).
    pub fn from_fields(fields: &AuditFields<'_>, data: &str) -> Self {
        let row = fields;
        let data = data.as_bytes();
        let mut bytes = Vec::with_capacity(data.len() + 400);
        // The fields are written straight after their length prefix, which is filled in after.
        bytes.extend_from_slice(&[0; 4]);
        let mut meta = String::with_capacity(320);
        write_meta(&mut meta, row);
        let meta_len = u32::try_from(meta.len()).unwrap_or(u32::MAX);
        bytes[..4].copy_from_slice(&meta_len.to_be_bytes());
        bytes.extend_from_slice(meta.as_bytes());
        push_framed(&mut bytes, data);
        let framed_len = bytes.len();
        for (tag, id) in [
            ("\nr:", row.response_id),
            ("\np:", row.previous_response_id),
        ] {
            if let Some(id) = id {
                bytes.extend_from_slice(tag.as_bytes());
                bytes.extend_from_slice(id.as_bytes());
            }
        }
        Self {
            ts_us: row.ts_us,
            framed_len,
            bytes,
        }
    }

    /// When the request started, unix microseconds.
    pub fn ts_us(&self) -> i64 {
        self.ts_us
    }

    /// The row back (PostgreSQL stores rows, and tests read them).
    pub fn decode(&self) -> Option<AuditRow> {
        let (meta, rest) = take_framed(&self.bytes[..self.framed_len])?;
        let (data, _) = take_framed(rest)?;
        let meta: Meta = serde_json::from_slice(meta).ok()?;
        Some(meta.into_row(std::str::from_utf8(data).ok()?.to_owned()))
    }

    fn links(&self) -> &[u8] {
        &self.bytes[self.framed_len..]
    }
}

/// Encodes `rows` (at least one) into a segment.
pub(crate) fn encode(rows: &[AuditRow]) -> Segment {
    let entries: Vec<EncodedAudit> = rows.iter().map(EncodedAudit::new).collect();
    encode_entries(&entries)
}

/// Encodes entries (at least one) into a segment.
pub(crate) fn encode_entries(entries: &[EncodedAudit]) -> Segment {
    let framed_len = entries.iter().map(|e| e.framed_len).sum();
    let mut framed = Vec::with_capacity(framed_len);
    let mut links = Vec::new();
    let (mut min_ts_us, mut max_ts_us) = (i64::MAX, i64::MIN);
    for entry in entries {
        min_ts_us = min_ts_us.min(entry.ts_us);
        max_ts_us = max_ts_us.max(entry.ts_us);
        framed.extend_from_slice(&entry.bytes[..entry.framed_len]);
        links.extend_from_slice(entry.links());
    }
    links.push(b'\n');
    Segment {
        min_ts_us,
        max_ts_us,
        entries: i64::try_from(entries.len()).unwrap_or(i64::MAX),
        // The ids came in as strings: whole UTF-8 sequences between ASCII tags.
        links: String::from_utf8_lossy(&links).into_owned(),
        body: lz4_flex::compress_prepend_size(&framed),
    }
}

/// What `instr(links, ...)` looks for: the segments holding an entry that produced
/// `response_id` (`produced`) or continued from it (`!produced`).
pub(crate) fn link_needle(response_id: &str, produced: bool) -> String {
    let tag = if produced { "\nr:" } else { "\np:" };
    format!("{tag}{response_id}\n")
}

/// The entries of a segment body, in the order they were written. `None` when the body is not
/// one this version wrote (an unknown codec, a damaged row): the caller reports it.
pub(crate) fn decode(codec: i64, body: &[u8]) -> Option<Vec<AuditRow>> {
    if codec != CODEC_LZ4 {
        return None;
    }
    let framed = lz4_flex::decompress_size_prepended(body).ok()?;
    let mut rows = Vec::new();
    let mut rest = framed.as_slice();
    while !rest.is_empty() {
        let meta;
        let data;
        (meta, rest) = take_framed(rest)?;
        (data, rest) = take_framed(rest)?;
        let meta: Meta = serde_json::from_slice(meta).ok()?;
        let data = std::str::from_utf8(data).ok()?.to_owned();
        rows.push(meta.into_row(data));
    }
    Some(rows)
}

fn push_framed(out: &mut Vec<u8>, bytes: &[u8]) {
    // A document is capped far below 4 GiB (two 1 MiB bodies); saturate rather than wrap.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes[..bytes.len().min(len as usize)]);
}

fn take_framed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// The entry's fields but its document, as one JSON array (the positions of [`Meta`]).
fn write_meta(out: &mut String, r: &AuditFields<'_>) {
    let opt = |out: &mut String, text: Option<&str>| match text {
        Some(text) => push_string(out, text),
        None => out.push_str("null"),
    };
    out.push('[');
    push_string(out, r.id);
    out.push(',');
    push_i64(out, r.ts_us);
    out.push(',');
    push_string(out, r.request_id);
    out.push(',');
    push_f64(out, r.duration_ms);
    for text in [
        r.requested_model,
        r.resolved_model,
        r.provider_type,
        r.provider_name,
    ] {
        out.push(',');
        opt(out, text);
    }
    out.push(',');
    push_i64(out, i64::from(r.status_code));
    for text in [r.method, r.path, r.user_path] {
        out.push(',');
        push_string(out, text);
    }
    out.push_str(if r.stream { ",true" } else { ",false" });
    for text in [
        r.client_ip,
        r.error_type,
        r.response_id,
        r.previous_response_id,
        r.auth_method,
    ] {
        out.push(',');
        opt(out, text);
    }
    out.push(']');
}

/// [`write_meta`]'s array, read back by position (serde reads a struct from a sequence).
#[derive(Deserialize)]
struct Meta {
    id: String,
    ts_us: i64,
    request_id: String,
    /// `null` when it was not finite (JSON has no NaN).
    duration_ms: Option<f64>,
    requested_model: Option<String>,
    resolved_model: Option<String>,
    provider_type: Option<String>,
    provider_name: Option<String>,
    status_code: i32,
    method: String,
    path: String,
    user_path: String,
    stream: bool,
    client_ip: Option<String>,
    error_type: Option<String>,
    response_id: Option<String>,
    previous_response_id: Option<String>,
    auth_method: Option<String>,
}

impl Meta {
    fn into_row(self, data: String) -> AuditRow {
        AuditRow {
            id: self.id,
            request_id: self.request_id,
            ts_us: self.ts_us,
            duration_ms: self.duration_ms.unwrap_or(0.0),
            requested_model: self.requested_model,
            resolved_model: self.resolved_model,
            provider_type: self.provider_type,
            provider_name: self.provider_name,
            status_code: self.status_code,
            method: self.method,
            path: self.path,
            user_path: self.user_path,
            stream: self.stream,
            client_ip: self.client_ip,
            error_type: self.error_type,
            response_id: self.response_id,
            previous_response_id: self.previous_response_id,
            auth_method: self.auth_method,
            // Stored as it was written: well-formed by the writer's promise (see
            // `RawJson::written`), checked only when handed on.
            data: RawJson::written(data),
            usage: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> AuditRow {
        AuditRow {
            id: format!("{n:016x}{:016x}", 0xabc),
            request_id: format!("req-\"{n}\"\u{0}"),
            ts_us: n,
            duration_ms: 1.5,
            requested_model: Some("gpt".into()),
            resolved_model: None,
            provider_type: Some("openai".into()),
            provider_name: None,
            status_code: 200,
            method: "POST".into(),
            path: "/v1/responses".into(),
            user_path: "/team/ü".into(),
            stream: n % 2 == 0,
            client_ip: None,
            error_type: None,
            response_id: Some(format!("resp_{n}")),
            previous_response_id: (n > 1).then(|| format!("resp_{}", n - 1)),
            auth_method: Some("master_key".into()),
            data: RawJson::parse("{\n \"n\": 1e-20000, \"s\": \"\\ud800\" }").unwrap(),
            usage: None,
        }
    }

    /// Every field and the document's exact text come back, in order; the links name both
    /// conversation ids of every entry; similar entries compress well.
    #[test]
    fn segments_round_trip() {
        let rows: Vec<AuditRow> = (1..=300).map(entry).collect();
        let segment = encode(&rows);
        assert_eq!((segment.min_ts_us, segment.max_ts_us), (1, 300));
        assert_eq!(segment.entries, 300);
        let back = decode(CODEC_LZ4, &segment.body).unwrap();
        assert_eq!(back, rows);
        let one = EncodedAudit::new(&rows[6]);
        assert_eq!(one.decode().as_ref(), Some(&rows[6]));
        assert_eq!(one.ts_us(), 7);
        assert_eq!(back[0].data.get(), rows[0].data.get(), "the text as it was");
        assert!(segment.links.contains(&link_needle("resp_7", true)));
        assert!(segment.links.contains(&link_needle("resp_7", false)));
        assert!(!segment.links.contains(&link_needle("resp_300", false)));
        let raw: usize = rows.iter().map(|r| r.data.get().len() + 200).sum();
        assert!(
            segment.body.len() * 5 < raw,
            "{} of {raw}",
            segment.body.len()
        );
    }

    #[test]
    fn damaged_or_unknown_bodies_decode_to_none() {
        let segment = encode(&[entry(1)]);
        assert!(decode(2, &segment.body).is_none());
        assert!(decode(CODEC_LZ4, &segment.body[..segment.body.len() / 2]).is_none());
        assert!(decode(CODEC_LZ4, b"").is_none());
    }
}
