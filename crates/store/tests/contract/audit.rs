//! Audit entries: inserts, the filtered log, single entries, conversations, retention.

use gomodel_store::{AuditFilter, AuditRow, RawJson, RequestUsageSummary, UsageRow};
use serde_json::json;

use crate::fixtures::{HOUR, MINUTE, T0, audit, doc};
use crate::harness::Target;

fn ids(rows: &[AuditRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

pub async fn audit_insert_round_trips_and_is_idempotent(t: &Target) {
    let store = t.connect().await;
    let full = AuditRow {
        stream: true,
        status_code: 429,
        error_type: Some("rate_limit_error".into()),
        response_id: Some("resp_1".into()),
        previous_response_id: Some("resp_0".into()),
        user_path: "/team/alice".into(),
        data: doc(
            json!({"headers": {"x-request-id": "abc"}, "body": "ünïcödé \u{1F600}", "n": [1, 2.5, null]}),
        ),
        ..audit("full", T0)
    };
    let sparse = AuditRow {
        requested_model: None,
        resolved_model: None,
        provider_type: None,
        provider_name: None,
        client_ip: None,
        auth_method: None,
        method: "GET".into(),
        path: "/v1/models".into(),
        data: doc(json!({})),
        ..audit("sparse", T0 + 1)
    };
    store
        .insert_audit(&[full.clone(), sparse.clone()])
        .await
        .unwrap();
    let retry = AuditRow {
        path: "/overwritten".into(),
        ..full.clone()
    };
    store.insert_audit(&[retry]).await.unwrap();
    store.insert_audit(&[]).await.unwrap();

    assert_eq!(store.audit_entry("full").await.unwrap(), Some(full));
    assert_eq!(store.audit_entry("sparse").await.unwrap(), Some(sparse));
    assert_eq!(store.audit_entry("nope").await.unwrap(), None);
    let page = store
        .audit_log(&AuditFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!((page.total, ids(&page.items)), (2, vec!["sparse", "full"]));
}

pub async fn audit_log_filters_and_pages(t: &Target) {
    let store = t.connect().await;
    let at = |i: i64| T0 + i * MINUTE;
    store
        .insert_audit(&[
            audit("chat", at(0)),
            AuditRow {
                stream: true,
                user_path: "/team/alice".into(),
                ..audit("stream", at(1))
            },
            AuditRow {
                status_code: 401,
                error_type: Some("authentication_error".into()),
                requested_model: None,
                resolved_model: None,
                provider_name: None,
                provider_type: None,
                ..audit("denied", at(2))
            },
            AuditRow {
                method: "GET".into(),
                path: "/v1/models".into(),
                ..audit("models", at(3))
            },
            AuditRow {
                requested_model: Some("sonnet".into()),
                resolved_model: Some("claude-sonnet-4".into()),
                provider_name: Some("claude-eu".into()),
                provider_type: Some("anthropic".into()),
                path: "/v1/messages".into(),
                user_path: "/team".into(),
                response_id: Some("msg_Abc".into()),
                ..audit("claude", at(4))
            },
            AuditRow {
                user_path: "/teamx".into(),
                ..audit("teamx", at(5))
            },
        ])
        .await
        .unwrap();

    let matching = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            let page = store.audit_log(&filter, 100, 0).await.unwrap();
            assert_eq!(page.total as usize, page.items.len());
            let mut ids: Vec<String> = page.items.into_iter().map(|r| r.id).collect();
            ids.sort();
            ids
        }
    };
    let f = |edit: fn(&mut AuditFilter)| {
        let mut filter = AuditFilter::default();
        edit(&mut filter);
        filter
    };

    assert_eq!(
        matching(f(|f| { f.from_us = Some(T0 + 4 * MINUTE) })).await,
        ["claude", "teamx"]
    );
    assert_eq!(
        matching(f(|f| { f.to_us = Some(T0 + 2 * MINUTE) })).await,
        ["chat", "stream"],
        "to is exclusive"
    );
    assert_eq!(
        matching(f(|f| f.model = Some("sonnet".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.model = Some("claude-sonnet-4".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.provider = Some("anthropic".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.provider = Some("claude-eu".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.method = Some("get".into()))).await,
        ["models"]
    );
    assert_eq!(
        matching(f(|f| f.path = Some("/v1/messages".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.user_path = Some("/team".into()))).await,
        ["claude", "stream"]
    );
    assert_eq!(
        matching(f(|f| f.error_type = Some("authentication_error".into()))).await,
        ["denied"]
    );
    assert_eq!(matching(f(|f| f.status_code = Some(401))).await, ["denied"]);
    assert_eq!(matching(f(|f| f.stream = Some(true))).await, ["stream"]);
    assert_eq!(matching(f(|f| f.stream = Some(false))).await.len(), 5);
    assert_eq!(
        matching(f(|f| f.search = Some("req-DEN".into()))).await,
        ["denied"]
    );
    assert_eq!(
        matching(f(|f| f.search = Some("MESSAGES".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.search = Some("msg_abc".into()))).await,
        ["claude"]
    );
    assert_eq!(
        matching(f(|f| f.search = Some("sonnet-4".into()))).await,
        ["claude"]
    );

    let page = store
        .audit_log(&AuditFilter::default(), 4, 0)
        .await
        .unwrap();
    assert_eq!(
        (page.total, ids(&page.items)),
        (6, vec!["teamx", "claude", "models", "denied"])
    );
    let page = store
        .audit_log(&AuditFilter::default(), 4, 4)
        .await
        .unwrap();
    assert_eq!((page.total, ids(&page.items)), (6, vec!["stream", "chat"]));
}

pub async fn conversation_follows_response_ids(t: &Target) {
    let store = t.connect().await;
    let turn = |id: &str, minute: i64, prev: Option<&str>, resp: Option<&str>| AuditRow {
        path: "/v1/responses".into(),
        previous_response_id: prev.map(str::to_owned),
        response_id: resp.map(str::to_owned),
        ..audit(id, T0 + minute * MINUTE)
    };
    store
        .insert_audit(&[
            turn("third", 2, Some("resp_2"), Some("resp_3")),
            turn("first", 0, None, Some("resp_1")),
            turn("second", 1, Some("resp_1"), Some("resp_2")),
            turn("other", 1, None, Some("resp_x")),
            turn("unrelated-follow-up", 3, Some("resp_x"), Some("resp_y")),
            // An entry outside any conversation is a thread of one.
            turn("plain", 4, None, None),
        ])
        .await
        .unwrap();

    for start in ["first", "second", "third"] {
        let thread = store.audit_conversation(start, 50).await.unwrap();
        assert_eq!(ids(&thread), ["first", "second", "third"], "from {start}");
    }
    // Chat completions thread the same way (a client may name a `chatcmpl-` id), as in GoModel.
    let chat = |id: &str, minute: i64, prev: Option<&str>, resp: &str| AuditRow {
        previous_response_id: prev.map(str::to_owned),
        response_id: Some(resp.to_owned()),
        ..audit(id, T0 + minute * MINUTE)
    };
    store
        .insert_audit(&[
            chat("chat-1", 10, None, "chatcmpl-1"),
            chat("chat-2", 11, Some("chatcmpl-1"), "chatcmpl-2"),
        ])
        .await
        .unwrap();
    let thread = store.audit_conversation("chat-2", 50).await.unwrap();
    assert_eq!(ids(&thread), ["chat-1", "chat-2"]);
    let thread = store.audit_conversation("third", 2).await.unwrap();
    assert_eq!(
        ids(&thread),
        ["second", "third"],
        "ancestors first when the limit cuts"
    );
    let thread = store.audit_conversation("first", 2).await.unwrap();
    assert_eq!(ids(&thread), ["first", "second"]);
    assert_eq!(
        ids(&store.audit_conversation("plain", 50).await.unwrap()),
        ["plain"]
    );
    assert!(
        store
            .audit_conversation("missing", 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .audit_conversation("first", 0)
            .await
            .unwrap()
            .is_empty()
    );

    // Branches: two continuations of the same response are both part of the thread.
    store
        .insert_audit(&[turn("branch", 5, Some("resp_1"), Some("resp_b"))])
        .await
        .unwrap();
    let thread = store.audit_conversation("first", 50).await.unwrap();
    assert_eq!(ids(&thread), ["first", "second", "third", "branch"]);

    // A cycle in corrupt data terminates.
    store
        .insert_audit(&[
            turn("loop-a", 10, Some("resp_lb"), Some("resp_la")),
            turn("loop-b", 11, Some("resp_la"), Some("resp_lb")),
        ])
        .await
        .unwrap();
    let thread = store.audit_conversation("loop-a", 50).await.unwrap();
    assert_eq!(ids(&thread), ["loop-a", "loop-b"]);
}

pub async fn audit_retention_deletes_only_older_entries(t: &Target) {
    let store = t.connect().await;
    store
        .insert_audit(&[
            audit("old1", T0 - 2 * HOUR),
            audit("old2", T0 - 1),
            audit("keep", T0),
        ])
        .await
        .unwrap();
    assert_eq!(store.delete_audit_before(T0).await.unwrap(), 2);
    assert_eq!(store.delete_audit_before(T0).await.unwrap(), 0);
    let page = store
        .audit_log(&AuditFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!((page.total, ids(&page.items)), (1, vec!["keep"]));
}

/// Batches are written as requests finish, so a long request's entry lands among much newer
/// ones: the newest page still holds the newest entries, whichever batch they came in, and
/// paging and totals see every entry once. Retention splits a batch on its cutoff.
pub async fn the_log_is_newest_first_across_batches(t: &Target) {
    let store = t.connect().await;
    for batch in [
        vec![audit("a100", T0 + 100), audit("a101", T0 + 101)],
        vec![audit("b200", T0 + 200), audit("b-long", T0 + 5)],
        vec![audit("c150", T0 + 150), audit("c149", T0 + 149)],
    ] {
        store.insert_audit(&batch).await.unwrap();
    }
    let all = AuditFilter::default();
    let page = store.audit_log(&all, 2, 0).await.unwrap();
    assert_eq!((page.total, ids(&page.items)), (6, vec!["b200", "c150"]));
    let page = store.audit_log(&all, 3, 2).await.unwrap();
    assert_eq!(ids(&page.items), ["c149", "a101", "a100"]);
    let page = store.audit_log(&all, 10, 5).await.unwrap();
    assert_eq!((page.total, ids(&page.items)), (6, vec!["b-long"]));
    let counted = store.audit_log(&all, 0, 0).await.unwrap();
    assert_eq!((counted.total, counted.items.len()), (6, 0));
    let recent = AuditFilter {
        from_us: Some(T0 + 101),
        to_us: Some(T0 + 200),
        ..AuditFilter::default()
    };
    let page = store.audit_log(&recent, 10, 0).await.unwrap();
    assert_eq!(
        (page.total, ids(&page.items)),
        (3, vec!["c150", "c149", "a101"])
    );

    assert_eq!(store.delete_audit_before(T0 + 150).await.unwrap(), 4);
    let page = store.audit_log(&all, 10, 0).await.unwrap();
    assert_eq!((page.total, ids(&page.items)), (2, vec!["b200", "c150"]));
    assert!(store.audit_entry("b-long").await.unwrap().is_none());
    assert!(store.audit_entry("c150").await.unwrap().is_some());
}

/// An id that looks like the gateway's (32 hex digits, the first 16 a time) but whose entry
/// started at another time is still found.
pub async fn hex_ids_from_elsewhere_are_found(t: &Target) {
    let store = t.connect().await;
    let id = "00000000000000ff0123456789abcdef";
    store.insert_audit(&[audit(id, T0)]).await.unwrap();
    let found = store.audit_entry(id).await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), found.ts_us), (id, T0));
}

/// Retention over many written batches (SQLite deletes its segments a few per statement).
pub async fn audit_retention_deletes_many_batches(t: &Target) {
    let store = t.connect().await;
    for n in 0..150 {
        let id = format!("many-{n}");
        store.insert_audit(&[audit(&id, T0 + n)]).await.unwrap();
    }
    assert_eq!(store.delete_audit_before(T0 + 100).await.unwrap(), 100);
    let page = store
        .audit_log(&AuditFilter::default(), 1, 0)
        .await
        .unwrap();
    assert_eq!((page.total, ids(&page.items)), (50, vec!["many-149"]));
}

pub async fn nul_characters_never_fail_a_batch(t: &Target) {
    let store = t.connect().await;
    // PostgreSQL cannot store U+0000; a client can still put one in a JSON body.
    let odd = AuditRow {
        data: doc(json!({"body": {"messages": [{"content": "a\u{0}b"}]}})),
        client_ip: Some("x\u{0}y".into()),
        ..audit("odd", T0)
    };
    store.insert_audit(&[audit("fine", T0), odd]).await.unwrap();
    let usage = gomodel_store::UsageRow {
        raw_usage: RawJson::from_value(&json!({"note\u{0}": "z\u{0}"})),
        ..crate::fixtures::usage("odd-usage", T0)
    };
    store.insert_usage(&[usage]).await.unwrap();

    let back = store.audit_entry("odd").await.unwrap().unwrap();
    let data = back.data.to_value();
    let content = data["body"]["messages"][0]["content"].as_str().unwrap();
    assert!(
        content == "a\u{0}b" || content == "a\u{FFFD}b",
        "{content:?}"
    );
    assert!(store.audit_entry("fine").await.unwrap().is_some());
    let page = store.usage_log(&Default::default(), 1, 0).await.unwrap();
    assert_eq!(page.total, 1);

    // A document whose number PostgreSQL's numeric cannot hold, or nested deeper than a
    // reader follows, is still stored: SQLite keeps the text as it is, PostgreSQL a JSON string
    // of it (bodies the gateway parsed go into documents unchecked).
    let deep = format!(r#"{{"d":{}{}}}"#, "[".repeat(300), "]".repeat(300));
    for (id, text) in [
        ("tiny-number", r#"{"n":1e-20000}"#),
        ("deep", deep.as_str()),
    ] {
        let odd = AuditRow {
            data: RawJson::parse(text).unwrap(),
            ..audit(id, T0)
        };
        store.insert_audit(&[odd]).await.unwrap();
        let back = store.audit_entry(id).await.unwrap().unwrap();
        if t.is_postgres() {
            assert_eq!(
                back.data.to_value(),
                serde_json::Value::String(text.to_owned())
            );
        } else {
            assert_eq!(back.data.get(), text, "SQLite keeps the text as it is");
        }
    }

    // A body kept as the raw JSON a client sent may carry an unpaired surrogate escape, which
    // jsonb refuses: the entry is still stored, its document as one string of that text.
    if let Some(raw) = RawJson::parse(r#"{"body":"\ud800 lone"}"#) {
        let lone = AuditRow {
            data: raw,
            ..audit("lone-surrogate", T0)
        };
        store.insert_audit(&[lone]).await.unwrap();
        let back = store.audit_entry("lone-surrogate").await.unwrap().unwrap();
        assert!(back.data.get().contains("ud800 lone"), "{:?}", back.data);
    }
}

pub async fn entries_carry_the_usage_of_their_request(t: &Target) {
    let store = t.connect().await;
    let tokens = |id: &str, request: &str, ts_us: i64| UsageRow {
        request_id: request.to_owned(),
        input_tokens: 1000,
        cached_input_tokens: 600,
        cache_write_tokens: 100,
        output_tokens: 50,
        total_tokens: 1050,
        ..crate::fixtures::usage(id, ts_us)
    };
    store
        .insert_usage(&[
            // Two upstream calls for one request (both stamped with the request's start).
            tokens("u1", "req-both", T0),
            tokens("u2", "req-both", T0),
            // Same instant, another request.
            tokens("u3", "req-someone-else", T0),
        ])
        .await
        .unwrap();
    store
        .insert_audit(&[
            AuditRow {
                request_id: "req-both".into(),
                ..audit("both", T0)
            },
            audit("none", T0),
            AuditRow {
                request_id: "req-both".into(),
                ..audit("later", T0 + MINUTE)
            },
        ])
        .await
        .unwrap();
    let page = store
        .audit_log(&AuditFilter::default(), 10, 0)
        .await
        .unwrap();
    let usage_of = |id: &str| {
        page.items
            .iter()
            .find(|e| e.id == id)
            .unwrap()
            .usage
            .clone()
    };
    assert_eq!(
        usage_of("both"),
        Some(RequestUsageSummary {
            entries: 2,
            input_tokens: 2000,
            uncached_input_tokens: 600,
            cached_input_tokens: 1200,
            cache_write_input_tokens: 200,
            output_tokens: 100,
            total_tokens: 2100,
            cached_input_ratio: 0.6,
            estimated_cached_characters: 4800,
        })
    );
    assert_eq!(usage_of("none"), None);
    assert_eq!(
        usage_of("later"),
        None,
        "usage rows match on the request's start"
    );
    let json = serde_json::to_value(&page.items).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|e| e.get("usage").is_none()),
        "no usage: no key"
    );

    let thread = store.audit_conversation("both", 10).await.unwrap();
    assert_eq!(thread[0].usage.as_ref().map(|u| u.entries), Some(2));
    assert_eq!(
        store
            .audit_entry("both")
            .await
            .unwrap()
            .unwrap()
            .auth_method,
        Some("master_key".into())
    );
}
