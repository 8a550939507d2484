//! The component schemas of the OpenAPI document: the shapes clients send and receive.
//! Request bodies list the fields the gateway reads and allow the rest (providers take more).

use serde_json::{Value, json};

pub fn components() -> Value {
    json!({
        "Object": {"type": "object", "additionalProperties": true},
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["message", "type"],
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": {"type": ["string", "null"]},
                    "code": {"type": ["string", "null"]}
                }
            }}
        },
        "Health": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}},
        "Readiness": {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["ready", "not_ready"]},
            "checks": {"type": "object", "additionalProperties": true}
        }},
        "Message": {"type": "object", "additionalProperties": true,
            "description": "Anthropic Messages response (or an SSE stream of Messages events)"},
        "TokenCount": {"type": "object", "properties": {"input_tokens": {"type": "integer"}}},
        "ChatMessage": {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]},
                "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "object", "additionalProperties": true}}, {"type": "null"}]},
                "tool_calls": {"type": "array", "items": {"type": "object", "additionalProperties": true}},
                "tool_call_id": {"type": "string"}
            },
            "additionalProperties": true
        },
        "ChatCompletionRequest": {
            "type": "object",
            "required": ["model", "messages"],
            "properties": {
                "model": {"type": "string", "minLength": 1, "description": "model, provider/model or an alias"},
                "provider": {"type": "string", "description": "Gateway routing hint (removed before the request goes upstream)"},
                "messages": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/ChatMessage"}},
                "stream": {"type": "boolean"},
                "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
                "max_tokens": {"type": "integer", "minimum": 1},
                "max_completion_tokens": {"type": "integer", "minimum": 1},
                "temperature": {"type": "number"},
                "top_p": {"type": "number"},
                "tools": {"type": "array", "items": {"type": "object", "additionalProperties": true}},
                "tool_choice": {},
                "reasoning_effort": {"type": "string"},
                "response_format": {"type": "object", "additionalProperties": true}
            },
            "additionalProperties": true
        },
        "ChatCompletion": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "object": {"type": "string"},
                "created": {"type": "integer"},
                "model": {"type": "string"},
                "provider": {"type": "string"},
                "choices": {"type": "array", "items": {"type": "object", "additionalProperties": true}},
                "usage": {"$ref": "#/components/schemas/Usage"}
            },
            "additionalProperties": true
        },
        "Usage": {"type": "object", "properties": {
            "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"},
            "total_tokens": {"type": "integer"}
        }, "additionalProperties": true},
        "EmbeddingRequest": {
            "type": "object",
            "required": ["model", "input"],
            "properties": {
                "model": {"type": "string", "minLength": 1},
                "input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {}}]},
                "dimensions": {"type": "integer", "minimum": 1},
                "encoding_format": {"type": "string", "enum": ["float", "base64"]}
            },
            "additionalProperties": true
        },
        "EmbeddingList": {"type": "object", "properties": {
            "object": {"type": "string"},
            "data": {"type": "array", "items": {"type": "object", "additionalProperties": true}},
            "model": {"type": "string"},
            "usage": {"type": "object", "additionalProperties": true}
        }},
        "ModelList": {"type": "object", "properties": {
            "object": {"type": "string"},
            "data": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "object": {"type": "string"}, "owned_by": {"type": "string"}
            }, "additionalProperties": true}}
        }},
        "MessagesRequest": {
            "type": "object",
            "required": ["model", "messages"],
            "properties": {
                "model": {"type": "string", "minLength": 1},
                "max_tokens": {"type": "integer", "minimum": 1},
                "system": {},
                "messages": {"type": "array", "items": {"type": "object", "additionalProperties": true}},
                "stream": {"type": "boolean"},
                "tools": {"type": "array", "items": {"type": "object", "additionalProperties": true}}
            },
            "additionalProperties": true
        },
        "UsageSummary": {"type": "object", "properties": {
            "total_requests": {"type": "integer"},
            "total_input_tokens": {"type": "integer"},
            "total_output_tokens": {"type": "integer"},
            "total_tokens": {"type": "integer"},
            "total_input_cost": {"type": ["number", "null"]},
            "total_output_cost": {"type": ["number", "null"]},
            "total_cost": {"type": ["number", "null"]},
            "unpriced_requests": {"type": "integer"}
        }, "additionalProperties": true},
        "RecalculatePricing": {"type": "object", "required": ["confirmation"], "properties": {
            "confirmation": {"type": "string", "enum": ["recalculate"]},
            "confirm": {"type": "string", "enum": ["recalculate"], "description": "Alias of confirmation"},
            "days": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 3660}, {"type": "string"}]},
            "start_date": {"type": "string", "description": "YYYY-MM-DD"},
            "end_date": {"type": "string", "description": "YYYY-MM-DD"},
            "provider": {"type": "string"}, "model": {"type": "string"},
            "selector": {"type": "string", "description": "provider/model, provider/ or a model id (instead of provider and model)"},
            "user_path": {"type": "string"}
        }, "additionalProperties": false},
        "Pricing": {"type": "object", "minProperties": 1,
            "description": "USD per million tokens, GoModel's ModelPricing names; fields left out come from the catalog",
            "properties": {
                "input_per_mtok": {"type": "number", "minimum": 0},
                "output_per_mtok": {"type": "number", "minimum": 0},
                "cached_input_per_mtok": {"type": "number", "minimum": 0},
                "cache_write_per_mtok": {"type": "number", "minimum": 0},
                "reasoning_output_per_mtok": {"type": "number", "minimum": 0},
                "batch_input_per_mtok": {"type": "number", "minimum": 0},
                "batch_output_per_mtok": {"type": "number", "minimum": 0}
            }, "additionalProperties": false},
        "PricingOverride": {"type": "object", "required": ["selector", "pricing"], "properties": {
            "selector": {"type": "string", "description": "/, provider/, model or provider/model"},
            "pricing": {"$ref": "#/components/schemas/Pricing"}
        }, "additionalProperties": false},
        "PricingOverrideBody": {"type": "object", "required": ["pricing"], "properties": {
            "pricing": {"$ref": "#/components/schemas/Pricing"}
        }, "additionalProperties": false},
        "PricingOverrideView": {"type": "object", "properties": {
            "selector": {"type": "string"},
            "scope_kind": {"type": "string", "enum": ["global", "provider", "model", "provider_model"]},
            "provider_name": {"type": "string"}, "model": {"type": "string"},
            "pricing": {"$ref": "#/components/schemas/Pricing"},
            "updated_at": {"type": "string", "format": "date-time"},
            "updated_at_us": {"type": "integer"}
        }},
        "PricingOverrideList": {"type": "array", "items": {"$ref": "#/components/schemas/PricingOverrideView"}},
        "DashboardConfig": {"type": "object", "additionalProperties": true},
        "ProvidersStatus": {"type": "object", "properties": {
            "summary": {"type": "object", "additionalProperties": true},
            "providers": {"type": "array", "items": {"type": "object", "additionalProperties": true}}
        }},
        "RefreshReport": {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["ok", "partial", "failed", "skipped"]},
            "started_at": {"type": "integer"}, "finished_at": {"type": "integer"},
            "duration_ms": {"type": "number"}, "model_count": {"type": "integer"},
            "provider_count": {"type": "integer"},
            "steps": {"type": "array", "items": {"type": "object", "additionalProperties": true}}
        }, "additionalProperties": true}
    })
}
