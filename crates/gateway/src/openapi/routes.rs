//! Every route the gateway serves, as data: method, path, who may call it, its parameters,
//! body and answer. The OpenAPI document is built from this table, and it is held to the
//! router both ways, so the spec cannot silently fall behind (GoModel documented half of its
//! admin API, reference §1.7): a unit test (`openapi::tests`) compares the table with the list
//! of routes the router was built from (`app::served`), and an end-to-end test sends a request
//! to every entry (`crates/gomodel/tests/e2e/admin.rs`).

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential.
    Public,
    /// The gateway key (`Authorization: Bearer`, or `x-api-key` on the Messages API).
    Key,
    /// The master key; without one configured, loopback clients only.
    Admin,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub location: &'static str,
    pub description: &'static str,
    pub required: bool,
}

const fn query(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "query",
        description,
        required: false,
    }
}

const fn path_param(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "path",
        description,
        required: true,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    /// OpenAPI path template (`{provider}`), without `BASE_PATH`.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub params: &'static [Param],
    /// Component schema of the JSON body, if any.
    pub body: Option<&'static str>,
    /// Component schema of the 200 answer (`None`: not JSON, described in the summary).
    pub response: Option<&'static str>,
    /// Media type of the answer when it is not JSON.
    pub media: &'static str,
}

const RANGE: [Param; 3] = [
    query("days", "Last N days (default 30)"),
    query("start_date", "First day, YYYY-MM-DD"),
    query("end_date", "Last day, YYYY-MM-DD"),
];

const USAGE_FILTERS: [Param; 7] = [
    RANGE[0],
    RANGE[1],
    RANGE[2],
    query("model", "Requested or resolved model"),
    query("provider", "Provider name or type"),
    query("user_path", "User path; a subtree filter"),
    query(
        "search",
        "Free text over model, provider, user path and request id",
    ),
];

const DAILY: [Param; 7] = [
    RANGE[0],
    RANGE[1],
    RANGE[2],
    query("interval", "daily, weekly, monthly or yearly"),
    query("model", "Model"),
    query("provider", "Provider"),
    query("user_path", "User path subtree"),
];

const USAGE_LOG: [Param; 9] = [
    RANGE[0],
    RANGE[1],
    RANGE[2],
    query("model", "Model"),
    query("provider", "Provider"),
    query("user_path", "User path subtree"),
    query("search", "Free text"),
    query("limit", "1-1000, default 50"),
    query("offset", "Rows to skip"),
];

const SELECTOR: [Param; 1] = [query("selector", "/, provider/, model or provider/model")];

const SELECTOR_PATH: [Param; 1] = [path_param(
    "selector",
    "/, provider/, model or provider/model, URL-encoded (openai%2Fgpt-4o)",
)];

const AUDIT_LOG: [Param; 15] = [
    RANGE[0],
    RANGE[1],
    RANGE[2],
    query("requested_model", "Requested model"),
    query("model", "Alias of requested_model"),
    query("provider", "Provider"),
    query("method", "HTTP method"),
    query("path", "Request path"),
    query("user_path", "User path subtree"),
    query("error_type", "Error type"),
    query("status_code", "HTTP status"),
    query("stream", "true or false"),
    query("search", "Free text"),
    query("limit", "1-1000"),
    query("offset", "Rows to skip"),
];

const CONVERSATION: [Param; 2] = [
    Param {
        name: "log_id",
        location: "query",
        description: "Audit entry id",
        required: true,
    },
    query("limit", "1-200, default 40"),
];

const CATEGORY: [Param; 1] = [query(
    "category",
    "all, text_generation, embedding, image, audio, video or utility",
)];

const PASSTHROUGH: [Param; 2] = [
    path_param("provider", "Provider instance name"),
    path_param("endpoint", "Upstream path, forwarded as is"),
];

const fn doc(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    access: Access,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        tag,
        summary,
        access,
        params: &[],
        body: None,
        response: Some("Object"),
        media: "application/json",
    }
}

/// The table. Admin paths are under `/admin/api/v1`.
pub fn routes() -> Vec<RouteDoc> {
    let passthrough = |method: &'static str| RouteDoc {
        params: &PASSTHROUGH,
        body: None,
        response: None,
        media: "*/*",
        ..doc(
            method,
            "/p/{provider}/{endpoint}",
            "passthrough",
            "Forward a request to the provider's own API with its credential (PASSTHROUGH_ENABLED_PROVIDERS)",
            Access::Key,
        )
    };
    vec![
        RouteDoc {
            response: Some("Health"),
            ..doc("get", "/health", "ops", "Liveness", Access::Public)
        },
        RouteDoc {
            response: Some("Readiness"),
            ..doc(
                "get",
                "/health/ready",
                "ops",
                "Readiness: storage reachable and at least one provider with models (503 otherwise)",
                Access::Public,
            )
        },
        RouteDoc {
            response: None,
            media: "text/plain",
            ..doc(
                "get",
                "/metrics",
                "ops",
                "Prometheus metrics (METRICS_ENABLED; path from METRICS_ENDPOINT)",
                Access::Public,
            )
        },
        RouteDoc {
            response: Some("Object"),
            ..doc(
                "get",
                "/openapi.json",
                "ops",
                "This document",
                Access::Public,
            )
        },
        RouteDoc {
            body: Some("ChatCompletionRequest"),
            response: Some("ChatCompletion"),
            ..doc(
                "post",
                "/v1/chat/completions",
                "openai",
                "Chat completion (JSON, or SSE with stream: true) on any provider",
                Access::Key,
            )
        },
        RouteDoc {
            body: Some("EmbeddingRequest"),
            response: Some("EmbeddingList"),
            ..doc(
                "post",
                "/v1/embeddings",
                "openai",
                "Embeddings",
                Access::Key,
            )
        },
        RouteDoc {
            response: Some("ModelList"),
            ..doc(
                "get",
                "/v1/models",
                "openai",
                "Every provider's models as provider/model",
                Access::Key,
            )
        },
        RouteDoc {
            body: Some("MessagesRequest"),
            response: Some("Message"),
            ..doc(
                "post",
                "/v1/messages",
                "anthropic",
                "Anthropic Messages API for any model (JSON or SSE)",
                Access::Key,
            )
        },
        RouteDoc {
            body: Some("MessagesRequest"),
            response: Some("TokenCount"),
            ..doc(
                "post",
                "/v1/messages/count_tokens",
                "anthropic",
                "Count input tokens",
                Access::Key,
            )
        },
        passthrough("get"),
        passthrough("post"),
        passthrough("put"),
        passthrough("patch"),
        passthrough("delete"),
        RouteDoc {
            response: Some("UsageSummary"),
            params: &USAGE_FILTERS,
            ..doc(
                "get",
                "/admin/api/v1/usage/summary",
                "admin-usage",
                "Totals of requests, tokens and cost",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &DAILY,
            ..doc(
                "get",
                "/admin/api/v1/usage/daily",
                "admin-usage",
                "Usage per period (X-GoModel-Timezone header for the day boundary)",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &USAGE_FILTERS,
            ..doc(
                "get",
                "/admin/api/v1/usage/models",
                "admin-usage",
                "Usage per model",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &USAGE_FILTERS,
            ..doc(
                "get",
                "/admin/api/v1/usage/user-paths",
                "admin-usage",
                "Usage per user path",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &USAGE_LOG,
            ..doc(
                "get",
                "/admin/api/v1/usage/log",
                "admin-usage",
                "Usage rows, newest first, paginated",
                Access::Admin,
            )
        },
        RouteDoc {
            body: Some("RecalculatePricing"),
            ..doc(
                "post",
                "/admin/api/v1/usage/recalculate-pricing",
                "admin-usage",
                "Re-price stored rows (confirmation word required)",
                Access::Admin,
            )
        },
        RouteDoc {
            response: Some("PricingOverrideList"),
            ..doc(
                "get",
                "/admin/api/v1/model-pricing-overrides",
                "admin-pricing",
                "Pricing overrides",
                Access::Admin,
            )
        },
        RouteDoc {
            body: Some("PricingOverride"),
            response: Some("PricingOverrideView"),
            ..doc(
                "put",
                "/admin/api/v1/model-pricing-overrides",
                "admin-pricing",
                "Create or replace a pricing override",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &SELECTOR,
            response: None,
            ..doc(
                "delete",
                "/admin/api/v1/model-pricing-overrides",
                "admin-pricing",
                "Delete a pricing override (selector in the query or as {\"selector\"}); 204",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &SELECTOR_PATH,
            response: Some("PricingOverrideView"),
            ..doc(
                "get",
                "/admin/api/v1/model-pricing-overrides/{selector}",
                "admin-pricing",
                "One pricing override",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &SELECTOR_PATH,
            body: Some("PricingOverrideBody"),
            response: Some("PricingOverrideView"),
            ..doc(
                "put",
                "/admin/api/v1/model-pricing-overrides/{selector}",
                "admin-pricing",
                "Create or replace the pricing override of a selector",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &SELECTOR_PATH,
            response: None,
            ..doc(
                "delete",
                "/admin/api/v1/model-pricing-overrides/{selector}",
                "admin-pricing",
                "Delete the pricing override of a selector; 204",
                Access::Admin,
            )
        },
        doc(
            "get",
            "/admin/api/v1/storage/status",
            "admin-ops",
            "Record writers: queue depth, written, dropped, failed",
            Access::Admin,
        ),
        RouteDoc {
            params: &AUDIT_LOG,
            ..doc(
                "get",
                "/admin/api/v1/audit/log",
                "admin-audit",
                "Audit entries, newest first",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &CONVERSATION,
            ..doc(
                "get",
                "/admin/api/v1/audit/conversation",
                "admin-audit",
                "The conversation thread around one entry",
                Access::Admin,
            )
        },
        RouteDoc {
            response: Some("DashboardConfig"),
            ..doc(
                "get",
                "/admin/api/v1/dashboard/config",
                "admin-ops",
                "Runtime flags",
                Access::Admin,
            )
        },
        RouteDoc {
            response: Some("ProvidersStatus"),
            ..doc(
                "get",
                "/admin/api/v1/providers/status",
                "admin-ops",
                "Provider health, last errors and sanitised config",
                Access::Admin,
            )
        },
        RouteDoc {
            response: Some("RefreshReport"),
            ..doc(
                "post",
                "/admin/api/v1/runtime/refresh",
                "admin-ops",
                "Refresh every model list now",
                Access::Admin,
            )
        },
        RouteDoc {
            params: &CATEGORY,
            ..doc(
                "get",
                "/admin/api/v1/models",
                "admin-models",
                "Model inventory with provider, category and pricing",
                Access::Admin,
            )
        },
        doc(
            "get",
            "/admin/api/v1/models/categories",
            "admin-models",
            "Model counts per category",
            Access::Admin,
        ),
        RouteDoc {
            response: None,
            media: "text/html",
            ..doc(
                "get",
                "/admin/dashboard",
                "dashboard",
                "The web dashboard (ADMIN_UI_ENABLED)",
                Access::Public,
            )
        },
        RouteDoc {
            response: None,
            media: "text/html",
            ..doc(
                "get",
                "/swagger/index.html",
                "ops",
                "Swagger UI for this document (SWAGGER_ENABLED)",
                Access::Public,
            )
        },
    ]
}
