"""Drives a running gateway with the official Anthropic Python SDK.

Usage: python sdk_anthropic.py BASE_URL API_KEY MODEL
BASE_URL is what the SDK gets (the gateway root for /v1/messages, or <gateway>/p/anthropic for
passthrough). Prints one JSON object with what the SDK saw; exits non-zero on any failure.
"""
import json
import sys

import anthropic

base_url, api_key, model = sys.argv[1:4]
client = anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0)
result = {}

message = client.messages.create(
    model=model,
    max_tokens=64,
    system="Be brief.",
    messages=[{"role": "user", "content": "Say hello"}],
)
result["text"] = "".join(b.text for b in message.content if b.type == "text")
result["stop_reason"] = message.stop_reason
result["input_tokens"] = message.usage.input_tokens

with client.messages.stream(
    model=model, max_tokens=64, messages=[{"role": "user", "content": "Say hello"}]
) as stream:
    result["stream_text"] = "".join(stream.text_stream)
    final = stream.get_final_message()
result["stream_stop_reason"] = final.stop_reason
result["stream_output_tokens"] = final.usage.output_tokens

tools = [{
    "name": "get_weather",
    "description": "Current weather",
    "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}]
with client.messages.stream(
    model=model, max_tokens=256, tools=tools,
    messages=[{"role": "user", "content": "Weather in Paris?"}],
) as stream:
    first = stream.get_final_message()
calls = [b for b in first.content if b.type == "tool_use"]
result["tool_calls"] = [{"name": c.name, "input": c.input} for c in calls]
result["tool_stop_reason"] = first.stop_reason

followup = client.messages.create(
    model=model, max_tokens=64, tools=tools,
    messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [c.model_dump() for c in first.content]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": c.id, "content": "18C, sunny"} for c in calls
        ]},
    ],
)
result["followup_stop_reason"] = followup.stop_reason

try:
    client.messages.create(model="no-such-model", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    result["bad_model_error"] = None
except anthropic.BadRequestError as err:
    result["bad_model_error"] = err.status_code

print(json.dumps(result))
