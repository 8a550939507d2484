"""Drives a running gateway with the official OpenAI Python SDK.

Usage: python sdk_openai.py BASE_URL API_KEY MODEL EMBED_MODEL
Prints one JSON object with what the SDK saw; exits non-zero on any failure.
"""
import json
import sys

import openai
from openai import OpenAI

base_url, api_key, model, embed_model = sys.argv[1:5]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
result = {}

chat = client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Say 'Hello, World!'"}],
    max_tokens=20,
)
result["chat_content"] = chat.choices[0].message.content
result["chat_usage_total"] = chat.usage.total_tokens

pieces, usage, chunks = [], None, 0
for chunk in client.chat.completions.create(
    model=model,
    messages=[{"role": "user", "content": "Say 'Hello, World!'"}],
    stream=True,
    stream_options={"include_usage": True},
):
    chunks += 1
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
    if chunk.usage is not None:
        usage = chunk.usage.total_tokens
result["stream_content"] = "".join(pieces)
result["stream_chunks"] = chunks
result["stream_usage_total"] = usage

embedding = client.embeddings.create(model=embed_model, input=["hello", "world"])
result["embedding_count"] = len(embedding.data)
result["embedding_dim"] = len(embedding.data[0].embedding)

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    result["bad_model_error"] = None
except openai.BadRequestError as err:
    result["bad_model_error"] = err.code

try:
    OpenAI(base_url=base_url, api_key="wrong-key", max_retries=0).models.list()
    result["bad_key_error"] = None
except openai.AuthenticationError as err:
    result["bad_key_error"] = err.status_code

print(json.dumps(result))
