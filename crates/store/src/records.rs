//! The records the store keeps, one struct per table row, plus the small value types that travel
//! with them (a page of results, a cost correction).
//!
//! Field names are the column names, so the SQL in the query modules reads like the structs.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON document kept as the text it arrived in: a provider's usage object goes from the
/// response bytes to the database without ever becoming a `Value` tree (building, cloning and
/// re-serialising that tree was a visible share of the cost of a usage row).
#[derive(Clone)]
pub struct RawJson(Repr);

#[derive(Clone)]
enum Repr {
    /// Checked by serde_json when it was made.
    Checked(Box<RawValue>),
    /// Written by code that produces well-formed JSON by construction ([`RawJson::written`]).
    Written(Box<str>),
}

impl RawJson {
    pub fn new(raw: Box<RawValue>) -> Self {
        RawJson(Repr::Checked(raw))
    }

    /// Text its writer guarantees to be one well-formed JSON value, taken without a check: the
    /// gateway writes each audit document by hand, and checking the result again was a full
    /// pass over every body on the request path. It is stored as it is; anything that hands it
    /// on as JSON ([`Self::into_raw`], serialising) checks it then, and a text that fails is
    /// passed on as a JSON string of itself, never as broken JSON.
    pub fn written(text: String) -> Self {
        RawJson(Repr::Written(text.into_boxed_str()))
    }

    /// From a parsed value (tests, re-pricing); `None` only if it cannot be serialised.
    pub fn from_value(value: &Value) -> Option<Self> {
        serde_json::value::to_raw_value(value).ok().map(Self::new)
    }

    /// Parses stored text; `None` when it is not JSON.
    pub fn parse(text: &str) -> Option<Self> {
        RawValue::from_string(text.to_owned()).ok().map(Self::new)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        match &self.0 {
            Repr::Checked(raw) => raw.get(),
            Repr::Written(text) => text,
        }
    }

    /// The document as a checked raw value (see [`Self::written`]).
    pub fn to_raw(&self) -> Box<RawValue> {
        match &self.0 {
            Repr::Checked(raw) => raw.clone(),
            Repr::Written(text) => checked(text.to_string()),
        }
    }

    pub fn into_raw(self) -> Box<RawValue> {
        match self.0 {
            Repr::Checked(raw) => raw,
            Repr::Written(text) => checked(text.into_string()),
        }
    }

    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.get()).unwrap_or(Value::Null)
    }
}

/// `text` as a raw value when it is JSON, else a JSON string holding it.
fn checked(text: String) -> Box<RawValue> {
    // The copy keeps the text for the fallback; a memcpy, cheaper than checking twice.
    RawValue::from_string(text.clone()).unwrap_or_else(|err| {
        tracing::error!(%err, "a written JSON document was not JSON; kept as a string");
        serde_json::value::to_raw_value(&text).unwrap_or_default()
    })
}

/// Equal when the documents are equal, whatever their spacing or key order (PostgreSQL's
/// `jsonb` stores a normalised form).
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

impl std::fmt::Debug for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Checked(raw) => raw.serialize(serializer),
            Repr::Written(_) => self.to_raw().serialize(serializer),
        }
    }
}

/// One upstream call's token usage and cost (table `usage`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRow {
    /// Unique id (a UUID); inserting the same id twice is a no-op.
    pub id: String,
    /// The gateway request id (`X-Request-Id`).
    pub request_id: String,
    /// The provider's id for its response (`chatcmpl-...`, `msg_...`), when it sent one.
    pub provider_response_id: Option<String>,
    /// When the request started, unix microseconds.
    pub ts_us: i64,
    /// The configured provider instance, e.g. `openai` or `azure-eu`.
    pub provider_name: String,
    /// The provider kind, e.g. `openai`, `anthropic`.
    pub provider_type: String,
    /// The model the client asked for (alias or selector as sent).
    pub requested_model: String,
    /// The upstream model id the request resolved to.
    pub model: String,
    /// The gateway endpoint, e.g. `/v1/chat/completions`.
    pub endpoint: String,
    /// The caller's user path (`/`, `/team`, `/team/alice`).
    pub user_path: String,
    pub stream: bool,
    pub status_code: i32,
    /// Total duration in milliseconds.
    pub latency_ms: f64,
    /// Time to the first response byte, in milliseconds.
    pub ttfb_ms: Option<f64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub cached_input_tokens: i64,
    pub cache_write_tokens: i64,
    pub reasoning_tokens: i64,
    /// The provider's usage object as received.
    pub raw_usage: Option<RawJson>,
    /// Costs in USD; `None` when the model has no price (never a fake `0.0`).
    pub input_cost: Option<f64>,
    pub output_cost: Option<f64>,
    pub total_cost: Option<f64>,
    /// `catalog`, `override`, `provider_reported` or `unpriced`.
    pub cost_source: String,
    /// Why a cost is approximate or missing, for display.
    pub cost_caveat: Option<String>,
    pub error_code: Option<String>,
}

/// One request as seen at the gateway's edge (table `audit_logs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub id: String,
    pub request_id: String,
    /// When the request started, unix microseconds.
    pub ts_us: i64,
    pub duration_ms: f64,
    pub requested_model: Option<String>,
    pub resolved_model: Option<String>,
    pub provider_type: Option<String>,
    pub provider_name: Option<String>,
    pub status_code: i32,
    pub method: String,
    pub path: String,
    pub user_path: String,
    pub stream: bool,
    pub client_ip: Option<String>,
    pub error_type: Option<String>,
    /// The Responses API id this request produced, if any.
    pub response_id: Option<String>,
    /// The `previous_response_id` the request continued from, if any.
    pub previous_response_id: Option<String>,
    /// How the request authenticated: `master_key`, or `no_key` when the gateway runs without
    /// one; `None` when it did not (a 401).
    pub auth_method: Option<String>,
    /// Headers, bodies and anything else captured, as one JSON document. Kept as text: bodies
    /// go into it as the JSON they arrived as, never becoming (and being re-serialised from)
    /// a `Value` tree, which was most of the cost of an audit row.
    pub data: RawJson,
    /// Not a column: the request's token usage, attached by the audit log and conversation
    /// reads from the usage rows of the same request (`None` on insert, and when the request
    /// has no usage row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<RequestUsageSummary>,
}

/// What the usage rows of one request add up to, shown with its audit entry (reference §1.6:
/// cached, uncached and cache-write input tokens, the cached ratio, and an estimate of the
/// cached characters at ~4 characters per token). `input_tokens` counts every prompt token,
/// cache reads and writes included, as the usage rows do for every provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RequestUsageSummary {
    /// Usage rows of the request (one per upstream call).
    pub entries: i64,
    pub input_tokens: i64,
    pub uncached_input_tokens: i64,
    pub cached_input_tokens: i64,
    pub cache_write_input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    /// `cached_input_tokens / input_tokens`, 0 without input tokens.
    pub cached_input_ratio: f64,
    pub estimated_cached_characters: i64,
}

/// A stored price override for a model selector (table `model_pricing_overrides`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PricingOverrideRow {
    pub selector: String,
    pub pricing: Value,
    pub updated_at_us: i64,
}

/// New costs for one usage row, from re-pricing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostUpdate {
    pub id: String,
    /// The row's `ts_us` (the rollups of its quarter hour are rebuilt).
    pub ts_us: i64,
    pub input_cost: Option<f64>,
    pub output_cost: Option<f64>,
    pub total_cost: Option<f64>,
    pub cost_source: String,
    pub cost_caveat: Option<String>,
}

/// One page of a listing and the number of matching rows across all pages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}
