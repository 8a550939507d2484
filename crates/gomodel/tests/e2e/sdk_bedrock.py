"""Drives a gateway in front of a Bedrock provider with the official OpenAI SDK.

Usage: python sdk_bedrock.py BASE_URL API_KEY CHAT_MODEL TOOL_MODEL
Prints one JSON object with what the SDK saw; exits non-zero on any failure.
"""
import json
import sys

from openai import OpenAI

base_url, api_key, model, tool_model = sys.argv[1:5]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
result = {}

chat = client.chat.completions.create(
    model=model,
    messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}],
    max_tokens=50,
)
result["chat_content"] = chat.choices[0].message.content
result["chat_usage_total"] = chat.usage.total_tokens

pieces, usage = [], None
for chunk in client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Say hello"}],
    stream=True,
    stream_options={"include_usage": True},
):
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
    if chunk.usage is not None:
        usage = chunk.usage.total_tokens
result["stream_content"] = "".join(pieces)
result["stream_usage_total"] = usage

tools = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather for a place",
     "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}},
    {"type": "function", "function": {"name": "get_time", "description": "Local time",
     "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}},
]
messages = [{"role": "user", "content": "Weather and time in Tokyo?"}]
first = client.chat.completions.create(model=tool_model, messages=messages, tools=tools)
message = first.choices[0].message
result["tool_finish"] = first.choices[0].finish_reason
result["tool_calls"] = [{"name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in message.tool_calls]
messages.append(message.model_dump(exclude_none=True))
for call in message.tool_calls:
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"ok": True})})
second = client.chat.completions.create(model=tool_model, messages=messages, tools=tools)
result["after_tools_content"] = second.choices[0].message.content
result["after_tools_finish"] = second.choices[0].finish_reason

print(json.dumps(result))
