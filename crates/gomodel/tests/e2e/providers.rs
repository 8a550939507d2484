//! Each OpenAI-compatible provider's quirks, asserted on what reached the fake upstream.

use serde_json::{Value, json};

use crate::harness::*;

async fn gateway_for(env: &[(&str, &str)]) -> TestGateway {
    let mut all = vec![("GOMODEL_MASTER_KEY", MASTER_KEY)];
    all.extend_from_slice(env);
    TestGateway::start(&all).await
}

#[tokio::test]
async fn azure_uses_deployment_urls_api_key_header_and_api_version() {
    let fake = fake().await;
    let base = format!("{}/openai/deployments/my-gpt4o", fake.base_url());
    let gateway = gateway_for(&[
        ("AZURE_API_KEY", PROVIDER_KEY),
        ("AZURE_BASE_URL", &base),
        ("AZURE_API_VERSION", "2025-01-01-preview"),
    ])
    .await;
    let response = gateway
        .post("/v1/chat/completions", &chat_body("azure/my-gpt4o"))
        .await;
    assert_eq!(response.status(), 200);
    let chat = fake
        .received()
        .into_iter()
        .find(|r| r.path.ends_with("/chat/completions"))
        .unwrap();
    assert_eq!(chat.path, "/openai/deployments/my-gpt4o/chat/completions");
    assert_eq!(
        chat.query.as_deref(),
        Some("api-version=2025-01-01-preview")
    );
    assert_eq!(chat.header("api-key"), Some(PROVIDER_KEY));
    assert!(chat.header("authorization").is_none());
    let models = fake
        .received()
        .into_iter()
        .find(|r| r.path.ends_with("/models"))
        .unwrap();
    assert_eq!(models.path, "/openai/models");
    assert_eq!(
        models.query.as_deref(),
        Some("api-version=2025-01-01-preview")
    );
}

#[tokio::test]
async fn openai_reasoning_models_get_max_completion_tokens_and_no_temperature() {
    let (gateway, fake) = gateway_and_fake().await;
    let mut body = chat_body("openai/o3-mini");
    body["max_tokens"] = json!(50);
    body["temperature"] = json!(0.2);
    assert_eq!(
        gateway.post("/v1/chat/completions", &body).await.status(),
        200
    );
    let sent = fake.last_request().unwrap().json();
    assert_eq!(sent["max_completion_tokens"], 50);
    assert!(
        sent.get("max_tokens").is_none() && sent.get("temperature").is_none(),
        "{sent}"
    );

    let mut body = chat_body("gpt-4o-mini");
    body["max_tokens"] = json!(50);
    body["temperature"] = json!(0.2);
    gateway.post("/v1/chat/completions", &body).await;
    let sent = fake.last_request().unwrap().json();
    assert_eq!(
        (sent["max_tokens"].clone(), sent["temperature"].clone()),
        (json!(50), json!(0.2))
    );
}

#[tokio::test]
async fn deepseek_maps_reasoning_effort_and_has_no_embeddings() {
    let fake = fake().await;
    let base = fake.base_url();
    let gateway = gateway_for(&[
        ("DEEPSEEK_API_KEY", PROVIDER_KEY),
        ("DEEPSEEK_BASE_URL", &base),
    ])
    .await;
    let mut body = chat_body("deepseek/deepseek-reasoner");
    body["reasoning"] = json!({"effort": "medium"});
    assert_eq!(
        gateway.post("/v1/chat/completions", &body).await.status(),
        200
    );
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.path, "/chat/completions");
    assert_eq!(sent.header("x-request-id").map(str::len), Some(36));
    let sent = sent.json();
    assert_eq!(sent["reasoning_effort"], "high");
    assert!(sent.get("reasoning").is_none());
    let error = expect_error(
        gateway
            .post(
                "/v1/embeddings",
                &json!({"model": "deepseek/deepseek-chat", "input": "x"}),
            )
            .await,
        400,
    )
    .await;
    assert_eq!(error["code"], "unsupported_operation");
}

#[tokio::test]
async fn ollama_instances_are_keyless_and_embed_natively() {
    let fake_a = fake().await;
    let fake_b = fake().await;
    let (a, b) = (
        format!("{}/v1", fake_a.base_url()),
        format!("{}/v1", fake_b.base_url()),
    );
    let gateway = gateway_for(&[("OLLAMA_A_BASE_URL", &a), ("OLLAMA_B_BASE_URL", &b)]).await;
    let response = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "ollama-b/nomic-embed-text", "input": ["hello", "world"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["object"], "list");
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert!(answer["usage"]["prompt_tokens"].as_u64().is_some());
    let embed = fake_b.last_request().unwrap();
    assert_eq!(embed.path, "/api/embed");
    assert_eq!(embed.json()["model"], "nomic-embed-text");
    assert!(embed.header("authorization").is_none());
    assert!(fake_a.received().iter().all(|r| r.path != "/api/embed"));

    assert_eq!(
        gateway
            .post("/v1/chat/completions", &chat_body("ollama-a/llama3.2"))
            .await
            .status(),
        200
    );
    assert_eq!(fake_a.last_request().unwrap().path, "/v1/chat/completions");
}

#[tokio::test]
async fn vllm_keeps_slash_shaped_model_ids() {
    let fake =
        gomodel_fake_upstream::FakeUpstream::start_with(gomodel_fake_upstream::FakeOptions {
            models: Some(vec!["meta-llama/Llama-3.1-8B-Instruct".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let base = format!("{}/v1", fake.base_url());
    let gateway = gateway_for(&[("VLLM_TEST_BASE_URL", &base)]).await;
    for model in [
        "vllm-test/meta-llama/Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
    ] {
        assert_eq!(
            gateway
                .post("/v1/chat/completions", &chat_body(model))
                .await
                .status(),
            200,
            "{model}"
        );
        assert_eq!(
            fake.last_request().unwrap().json()["model"],
            "meta-llama/Llama-3.1-8B-Instruct"
        );
    }
}

#[tokio::test]
async fn openrouter_sends_attribution_and_minimax_clamps_temperature() {
    let fake = fake().await;
    let base = fake.base_url();
    let gateway = gateway_for(&[
        ("OPENROUTER_API_KEY", PROVIDER_KEY),
        ("OPENROUTER_BASE_URL", &base),
        ("OPENROUTER_APP_NAME", "MyApp"),
        ("MINIMAX_API_KEY", PROVIDER_KEY),
        ("MINIMAX_BASE_URL", &base),
    ])
    .await;
    gateway
        .post(
            "/v1/chat/completions",
            &chat_body("openrouter/google/gemini-2.5-flash"),
        )
        .await;
    let sent = fake.last_request().unwrap();
    assert_eq!(
        sent.header("http-referer"),
        Some("https://gomodel.enterpilot.io")
    );
    assert_eq!(sent.header("x-openrouter-title"), Some("MyApp"));
    assert_eq!(sent.json()["model"], "google/gemini-2.5-flash");

    let mut body = chat_body("minimax/MiniMax-M2");
    body["temperature"] = json!(0);
    gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(fake.last_request().unwrap().json()["temperature"], 1.0);
}

#[tokio::test]
async fn xai_gets_a_stable_conversation_id() {
    let fake = fake().await;
    let base = fake.base_url();
    let gateway = gateway_for(&[("XAI_API_KEY", PROVIDER_KEY), ("XAI_BASE_URL", &base)]).await;
    let mut body = chat_body("xai/grok-4");
    body["messages"] =
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]);
    gateway.post("/v1/chat/completions", &body).await;
    let first = fake
        .last_request()
        .unwrap()
        .header("x-grok-conv-id")
        .unwrap()
        .to_owned();
    let mut longer = body.clone();
    longer["messages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "assistant", "content": "hi"}));
    gateway.post("/v1/chat/completions", &longer).await;
    assert_eq!(
        fake.last_request().unwrap().header("x-grok-conv-id"),
        Some(first.as_str())
    );
    assert!(first.starts_with("gomodel-"));
}

#[tokio::test]
async fn suffixed_instances_route_by_name_and_bare_names_pick_the_first() {
    let east = fake().await;
    let main = fake().await;
    let (e, m) = (
        format!("{}/v1", east.base_url()),
        format!("{}/v1", main.base_url()),
    );
    let gateway = gateway_for(&[
        ("OPENAI_API_KEY", "sk-main-key-aaaaaaaaaaaa"),
        ("OPENAI_BASE_URL", &m),
        ("OPENAI_EAST_API_KEY", "sk-east-key-bbbbbbbbbbbb"),
        ("OPENAI_EAST_BASE_URL", &e),
    ])
    .await;
    gateway
        .post(
            "/v1/chat/completions",
            &chat_body("openai-east/gpt-4o-mini"),
        )
        .await;
    let sent = east.last_request().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some("Bearer sk-east-key-bbbbbbbbbbbb")
    );
    assert!(
        main.received()
            .iter()
            .all(|r| !r.path.ends_with("/chat/completions"))
    );
    // Both serve gpt-4o-mini; "openai" sorts before "openai-east".
    let answer: Value = gateway
        .post("/v1/chat/completions", &chat_body("gpt-4o-mini"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["provider"], "openai");
}

#[tokio::test]
async fn groq_zai_and_oracle_use_bearer_auth_on_their_base_urls() {
    let fake = fake().await;
    let groq = format!("{}/openai/v1", fake.base_url());
    let zai = format!("{}/api/paas/v4", fake.base_url());
    let oracle = format!("{}/20231130/actions/v1", fake.base_url());
    let gateway = gateway_for(&[
        ("GROQ_API_KEY", PROVIDER_KEY),
        ("GROQ_BASE_URL", &groq),
        ("ZAI_API_KEY", PROVIDER_KEY),
        ("ZAI_BASE_URL", &zai),
        ("ORACLE_API_KEY", PROVIDER_KEY),
        ("ORACLE_BASE_URL", &oracle),
        ("ORACLE_MODELS", "openai.gpt-oss-120b"),
        ("CONFIGURED_PROVIDER_MODELS_MODE", "allowlist"),
    ])
    .await;
    for (model, path) in [
        (
            "groq/llama-3.3-70b-versatile",
            "/openai/v1/chat/completions",
        ),
        ("zai/glm-4.6", "/api/paas/v4/chat/completions"),
        (
            "oracle/openai.gpt-oss-120b",
            "/20231130/actions/v1/chat/completions",
        ),
    ] {
        assert_eq!(
            gateway
                .post("/v1/chat/completions", &chat_body(model))
                .await
                .status(),
            200,
            "{model}"
        );
        let sent = fake.last_request().unwrap();
        assert_eq!(sent.path, path);
        assert_eq!(
            sent.header("authorization"),
            Some(format!("Bearer {PROVIDER_KEY}").as_str())
        );
    }
    // Allowlist: oracle exposes only its configured model.
    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("oracle/other-model"))
            .await,
        400,
    )
    .await;
    assert_eq!(error["code"], "model_not_found");
}
