//! `logprobsResult` → OpenAI's `choices[].logprobs` (`{"content": [{token, logprob, bytes,
//! top_logprobs}]}`), so `logprobs: true` is answered rather than dropped.

use serde_json::{Value, json};

use super::wire::{LogprobsResult, TokenLogprob};

pub fn to_openai(result: &LogprobsResult) -> Value {
    let content: Vec<Value> = result
        .chosen_candidates
        .iter()
        .enumerate()
        .map(|(position, chosen)| {
            let top: Vec<Value> = result
                .top_candidates
                .get(position)
                .map(|top| top.candidates.iter().map(entry).collect())
                .unwrap_or_default();
            let mut item = entry(chosen);
            item["top_logprobs"] = Value::Array(top);
            item
        })
        .collect();
    json!({ "content": content })
}

fn entry(token: &TokenLogprob) -> Value {
    json!({
        "token": token.token,
        "logprob": token.log_probability,
        "bytes": token.token.as_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_tokens_with_their_alternatives() {
        let result: LogprobsResult = serde_json::from_value(json!({
            "chosenCandidates": [{"token": "Hi", "tokenId": 1, "logProbability": -0.1}],
            "topCandidates": [{"candidates": [{"token": "Hi", "logProbability": -0.1}, {"token": "Hey", "logProbability": -2.5}]}]
        }))
        .unwrap();
        let out = to_openai(&result);
        assert_eq!(out["content"][0]["token"], "Hi");
        assert_eq!(out["content"][0]["bytes"], json!([72, 105]));
        assert_eq!(out["content"][0]["top_logprobs"][1]["logprob"], -2.5);
    }
}
