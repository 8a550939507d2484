//! Response headers that report what a cross-dialect translation dropped or clamped
//! (docs/translation.md): `X-GoModel-Dropped-Params` and `X-GoModel-Clamped-Params`.

use gomodel_protocol::report::TranslationReport;
use http::{HeaderMap, HeaderName, HeaderValue};

pub static DROPPED: HeaderName = HeaderName::from_static("x-gomodel-dropped-params");
pub static CLAMPED: HeaderName = HeaderName::from_static("x-gomodel-clamped-params");

pub fn add_report_headers(headers: &mut HeaderMap, report: &TranslationReport) {
    for (name, items) in [(&DROPPED, &report.dropped), (&CLAMPED, &report.clamped)] {
        if items.is_empty() {
            continue;
        }
        let text: String = items
            .join(", ")
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .collect();
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert(name.clone(), value);
        }
    }
}
