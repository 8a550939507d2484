//! The OpenAPI 3.1 document (`GET /openapi.json`), built from the route table in
//! [`routes`], and Swagger UI (`/swagger/index.html`, `SWAGGER_ENABLED`), vendored and
//! embedded so it works offline.

pub mod routes;
mod schemas;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use routes::{Access, RouteDoc};

/// Builds the document; `server` is the base URL clients use (BASE_PATH included).
pub fn document(server: &str) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in routes::routes() {
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(route.method.to_owned(), operation(&route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "GoModel",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "AI gateway: OpenAI- and Anthropic-compatible APIs in front of every provider, with usage, cost and audit records and an admin API. Errors use {\"error\": {\"message\", \"type\", \"param\", \"code\"}}.",
            "license": {"name": "MIT"}
        },
        "servers": [{"url": server}],
        "tags": [
            {"name": "openai", "description": "OpenAI-compatible API"},
            {"name": "anthropic", "description": "Anthropic Messages API"},
            {"name": "passthrough", "description": "Provider-native passthrough"},
            {"name": "ops", "description": "Health, readiness, metrics, this document"},
            {"name": "admin-usage"}, {"name": "admin-pricing"}, {"name": "admin-audit"},
            {"name": "admin-models"}, {"name": "admin-ops"}, {"name": "dashboard"}
        ],
        "paths": paths,
        "components": {
            "schemas": schemas::components(),
            "securitySchemes": {
                "BearerAuth": {"type": "http", "scheme": "bearer", "description": "GOMODEL_MASTER_KEY"},
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "GOMODEL_MASTER_KEY, as Anthropic clients send it"}
            },
            "responses": {
                "Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        }
    })
}

fn operation(route: &RouteDoc) -> Value {
    let mut op = json!({
        "tags": [route.tag],
        "summary": route.summary,
        "operationId": operation_id(route),
    });
    let parameters: Vec<Value> = route
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "in": p.location,
                "required": p.required,
                "description": p.description,
                "schema": {"type": "string"}
            })
        })
        .collect();
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = route.body {
        op["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}}
        });
    }
    let ok = match route.response {
        Some(schema) => {
            json!({"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
        }
        None => json!({"description": "OK", "content": {route.media: {}}}),
    };
    let mut responses = json!({"200": ok, "default": {"$ref": "#/components/responses/Error"}});
    match route.access {
        Access::Public => {
            op["security"] = json!([]);
        }
        Access::Key => {
            op["security"] = json!([{"BearerAuth": []}, {"ApiKeyHeader": []}]);
            responses["401"] = json!({"$ref": "#/components/responses/Error"});
        }
        Access::Admin => {
            op["security"] = json!([{"BearerAuth": []}]);
            responses["401"] = json!({"$ref": "#/components/responses/Error"});
            responses["403"] = json!({"$ref": "#/components/responses/Error"});
        }
    }
    if !route.params.is_empty() || route.body.is_some() {
        responses["400"] = json!({"$ref": "#/components/responses/Error"});
    }
    op["responses"] = responses;
    op
}

/// `get_admin_api_v1_usage_summary`.
fn operation_id(route: &RouteDoc) -> String {
    let path: String = route
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{}{}", route.method, path.trim_end_matches('_'))
}

/// `GET /openapi.json`.
pub async fn openapi_json(State(state): State<AppState>) -> Json<Value> {
    let base = &state.config().server.base_path;
    let server = if base == "/" {
        "/".to_owned()
    } else {
        base.clone()
    };
    Json(document(&server))
}

const SWAGGER_FILES: [(&str, &str, &[u8]); 4] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../assets/swagger/index.html"),
    ),
    (
        "init.js",
        "text/javascript",
        include_bytes!("../../assets/swagger/init.js"),
    ),
    (
        "swagger-ui-bundle.js",
        "text/javascript",
        include_bytes!("../../assets/swagger/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css",
        include_bytes!("../../assets/swagger/swagger-ui.css"),
    ),
];

/// `GET /swagger/{file}`: the embedded Swagger UI.
pub async fn swagger_file(Path(file): Path<String>) -> Response {
    match SWAGGER_FILES.iter().find(|(name, ..)| *name == file) {
        Some((_, media, bytes)) => {
            let mut response = (*bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
            // Same origin as the admin API: no framing, no sniffing, scripts from here only
            // (Swagger UI sets inline styles and data: images itself).
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
                ),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            response
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_unique_and_refers_to_known_schemas() {
        let doc = document("/");
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap().clone();
        let mut ids = std::collections::HashSet::new();
        for (_, item) in doc["paths"].as_object().unwrap() {
            for (_, op) in item.as_object().unwrap() {
                assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()));
            }
        }
        for reference in text.split("#/components/schemas/").skip(1) {
            let name: String = reference
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(schemas.contains_key(&name), "unknown schema {name}");
        }
        assert!(doc["paths"]["/admin/api/v1/providers/status"]["get"].is_object());
        assert!(doc["paths"]["/p/{provider}/{endpoint}"]["delete"].is_object());
    }

    /// A gateway with every optional route on, and no providers (routes do not depend on them).
    fn state_with_every_route() -> crate::app::AppState {
        use std::sync::Arc;

        use crate::app::{AppState, Records};
        use crate::config::{Config, EnvMap};
        use crate::models::{ModelCatalog, ModelInventory};
        use crate::observe::price_sources::PriceSources;
        use crate::observe::pricing::Pricing;
        use gomodel_providers::{
            ClientOptions, GlobalProviderOptions, ProviderRegistry, UpstreamClient,
        };

        let config = Config::from_env(&EnvMap::from_pairs([
            ("SWAGGER_ENABLED", "true"),
            ("METRICS_ENABLED", "true"),
            ("ADMIN_UI_ENABLED", "true"),
            ("ADMIN_ENDPOINTS_ENABLED", "true"),
        ]))
        .unwrap();
        let client = UpstreamClient::new(ClientOptions::default()).unwrap();
        let registry = Arc::new(ProviderRegistry::new(
            Vec::new(),
            &client,
            &GlobalProviderOptions::default(),
        ));
        let inventory = Arc::new(ModelInventory::new(ModelCatalog::default(), true));
        let records = Records {
            store: None,
            pricing: Arc::new(arc_swap::ArcSwap::from_pointee(Pricing::embedded())),
            usage: None,
            audit: None,
            price_sources: Arc::new(PriceSources::new(Vec::new())),
            metrics: None,
        };
        AppState::new(config, registry, inventory, records)
    }

    /// Whether the router's path template `pattern` serves the documented `path`: `{x}` takes
    /// one segment, `{*x}` the rest (OpenAPI has no catch-all; the table names it `{endpoint}`).
    fn serves(pattern: &str, path: &str) -> bool {
        let mut wanted = path.split('/');
        for segment in pattern.split('/') {
            if segment.starts_with("{*") {
                return wanted.next().is_some_and(|s| !s.is_empty());
            }
            match wanted.next() {
                Some(got) if segment == got || (segment.starts_with('{') && !got.is_empty()) => {}
                _ => return false,
            }
        }
        wanted.next().is_none()
    }

    /// The reverse of the end-to-end test that calls every documented operation: every route
    /// the router serves (API routes; static files excepted) has its operation in the table,
    /// and every operation in the table is served.
    #[test]
    fn the_table_and_the_router_list_the_same_operations() {
        let served = crate::app::served_routes(&state_with_every_route());
        let table = routes::routes();
        let every_method = ["get", "post", "put", "patch", "delete"];
        for route in served.iter().filter(|s| s.api) {
            let methods: &[&str] = if route.method == "any" {
                &every_method
            } else {
                std::slice::from_ref(&route.method)
            };
            for method in methods {
                assert!(
                    table
                        .iter()
                        .any(|doc| doc.method == *method && serves(&route.path, doc.path)),
                    "{method} {} is routed but missing from openapi/routes.rs",
                    route.path
                );
            }
        }
        for doc in &table {
            assert!(
                served
                    .iter()
                    .any(|s| (s.method == doc.method || s.method == "any")
                        && serves(&s.path, doc.path)),
                "{} {} is documented but not routed",
                doc.method,
                doc.path
            );
        }
        assert!(served.len() >= 30, "{served:?}");
        assert!(!serves(
            "/admin/api/v1/models",
            "/admin/api/v1/models/categories"
        ));
        assert!(serves("/p/{provider}/{*rest}", "/p/{provider}/{endpoint}"));
    }
}
