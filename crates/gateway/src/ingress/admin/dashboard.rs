//! The web dashboard: `GET /admin/dashboard` (the page) and `GET /admin/static/*` (its CSS,
//! ES modules and icon), all under `BASE_PATH`, mounted when `ADMIN_UI_ENABLED` is on.
//!
//! The files live in `crates/gateway/assets/dashboard` and are compiled into the binary
//! (`include_bytes!`): no build step, no CDN, no font downloads, so the dashboard works offline
//! and shows exactly the version of the gateway serving it. Neither the page nor its assets
//! need a key; the data does (the page asks for the master key and sends it to the admin API).
//!
//! Caching: each asset's ETag is a hash of its bytes computed at compile time, and the page
//! links its assets with `?v=<hash of every asset>`. A request carrying the current `v` is
//! cached for a year (`immutable`); anything else (the modules that `main.js` imports by
//! relative URL, an old `v`) must revalidate and usually gets a 304. So an upgraded gateway is
//! never shown with a stale script.
//!
//! Every response carries a strict Content-Security-Policy: same-origin scripts, styles,
//! images and API calls only, no inline script or style, no fonts, no framing.

use axum::extract::{Path, RawQuery};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderValue};

use crate::app::served::RecordedRouter;
use crate::config::Config;
use crate::error::GatewayError;

/// The page's policy. `font-src 'none'` keeps the "system fonts only" promise honest.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// One embedded file under `assets/dashboard`.
struct Asset {
    /// Path under `/admin/static/`.
    path: &'static str,
    media: &'static str,
    body: &'static [u8],
    /// FNV-1a of `body`, the ETag.
    hash: u64,
}

macro_rules! asset {
    ($path:literal, $media:expr) => {
        Asset {
            path: $path,
            media: $media,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/dashboard/",
                $path
            )),
            hash: fnv1a(include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/dashboard/",
                $path
            ))),
        }
    };
}

/// Every file the page may load. A module missing here is a 404 in the browser; the test below
/// checks that every `import` in these files names one of them.
const ASSETS: &[Asset] = &[
    asset!("favicon.svg", SVG),
    asset!("css/app.css", CSS),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/format.js", JS),
    asset!("js/charts.js", JS),
    asset!("js/components.js", JS),
    asset!("js/pages/overview.js", JS),
    asset!("js/pages/usage.js", JS),
    asset!("js/pages/requests.js", JS),
    asset!("js/pages/audit.js", JS),
    asset!("js/pages/models.js", JS),
    asset!("js/pages/providers.js", JS),
];

/// The page, with `{{BASE}}`, `{{AUTH}}` and `{{VERSION}}` to fill in.
const INDEX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/dashboard/index.html"
));

/// The asset version in `?v=`: one hash over every asset's hash (compile time).
const VERSION: u64 = version(ASSETS);

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const fn version(assets: &[Asset]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < assets.len() {
        hash ^= assets[i].hash;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The dashboard routes, to be mounted (under `BASE_PATH`) when `ADMIN_UI_ENABLED` is on.
pub fn routes(config: &Config) -> RecordedRouter {
    let page = Bytes::from(render_index(
        &config.server.base_path,
        config.server.master_key.is_some(),
    ));
    let index = move || {
        let page = page.clone();
        async move { index_response(page) }
    };
    // The page is the documented route; the other two serve it again for deep links.
    RecordedRouter::new()
        .get("/admin/dashboard", index.clone())
        .file("/admin/dashboard/", index.clone())
        .file("/admin/dashboard/{*rest}", index)
        .file("/admin/static/{*path}", static_file)
}

/// The page with the base path (HTML-escaped), the auth mode and the asset version filled in.
fn render_index(base_path: &str, master_key_set: bool) -> String {
    let base = if base_path == "/" { "" } else { base_path };
    INDEX
        .replace("{{BASE}}", &html_escape(base))
        .replace("{{AUTH}}", if master_key_set { "key" } else { "loopback" })
        .replace("{{VERSION}}", &format!("{VERSION:016x}"))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn index_response(page: Bytes) -> Response {
    let mut response = page.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page names the current asset version, so it is never served from a cache unchecked.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(headers);
    response
}

async fn static_file(
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    request_headers: HeaderMap,
) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return GatewayError::route_not_found("GET", &format!("/admin/static/{path}"))
            .into_response();
    };
    let etag = format!("\"{:016x}\"", asset.hash);
    let current = format!("v={VERSION:016x}");
    let versioned = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|pair| pair == current));
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let headers = response.headers_mut();
    if !not_modified {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.media));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if versioned {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    security_headers(headers);
    response
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative module specifiers (`'./x.js'`, `'../y.js'`) imported by `js_path`.
    fn imports(js_path: &str, source: &str) -> Vec<String> {
        let dir: Vec<&str> = js_path
            .rsplit_once('/')
            .map_or(vec![], |(d, _)| d.split('/').collect());
        let mut found = Vec::new();
        for line in source.lines() {
            let line = line.trim();
            if !(line.starts_with("import ") || line.starts_with("} from ")) {
                continue;
            }
            let Some(spec) = line
                .split(['\'', '"'])
                .nth(1)
                .filter(|s| s.starts_with('.'))
            else {
                continue;
            };
            let mut parts = dir.clone();
            for part in spec.split('/') {
                match part {
                    "." => {}
                    ".." => {
                        parts.pop();
                    }
                    other => parts.push(other),
                }
            }
            found.push(parts.join("/"));
        }
        found
    }

    #[test]
    fn every_import_and_page_link_is_an_embedded_asset() {
        let known: Vec<&str> = ASSETS.iter().map(|a| a.path).collect();
        let mut checked = 0;
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let source = std::str::from_utf8(asset.body).unwrap();
            for target in imports(asset.path, source) {
                assert!(
                    known.contains(&target.as_str()),
                    "{} imports {target}, which is not embedded",
                    asset.path
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "the import scan found only {checked} imports");
        for link in INDEX.split("{{BASE}}/admin/static/").skip(1) {
            let path = link.split('?').next().unwrap();
            assert!(
                known.contains(&path),
                "index.html links {path}, which is not embedded"
            );
        }
        // Every embedded module is reachable (no dead file shipped by mistake).
        let source: String = ASSETS
            .iter()
            .map(|a| String::from_utf8_lossy(a.body))
            .collect();
        for asset in ASSETS.iter().filter(|a| a.path.starts_with("js/pages/")) {
            let name = asset.path.trim_start_matches("js/");
            assert!(
                source.contains(&format!("./{name}")),
                "{} is never imported",
                asset.path
            );
        }
    }

    #[test]
    fn no_inline_script_or_style_and_no_remote_urls() {
        let index = render_index("/", true);
        assert!(
            !index.contains("<script>") && !index.contains(" style=") && !index.contains("<style")
        );
        for asset in ASSETS {
            // The SVG namespace is a name, not a download.
            let text =
                String::from_utf8_lossy(asset.body).replace("http://www.w3.org/2000/svg", "");
            for needle in [
                "http://",
                "https://",
                "//cdn",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
            ] {
                assert!(!text.contains(needle), "{} contains {needle}", asset.path);
            }
            // dom.js names innerHTML only to refuse it.
            if asset.path != "js/dom.js" {
                assert!(!text.contains("innerHTML"), "{} uses innerHTML", asset.path);
            }
        }
    }

    #[test]
    fn base_path_and_auth_mode_are_filled_in_escaped() {
        let page = render_index("/gw", false);
        assert!(page.contains(r#"<meta name="gomodel-base" content="/gw">"#));
        assert!(page.contains(r#"<meta name="gomodel-auth" content="loopback">"#));
        assert!(page.contains(&format!("/gw/admin/static/js/main.js?v={VERSION:016x}")));
        assert!(!page.contains("{{"));
        assert_eq!(html_escape(r#"/a"<b>&'"#), "/a&quot;&lt;b&gt;&amp;&#39;");
        let root = render_index("/", true);
        assert!(root.contains(r#"href="/admin/static/css/app.css?v="#));
    }

    #[test]
    fn hashes_follow_the_bytes() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let paths: std::collections::HashSet<_> = ASSETS.iter().map(|a| a.path).collect();
        assert_eq!(paths.len(), ASSETS.len(), "an asset is listed twice");
    }
}
