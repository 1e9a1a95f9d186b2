//! The "Low" findings of the hardening review: links on forged hosts, one
//! text rule for every free text, and cookie-borne reads from other sites.
//! (Nested settings from the environment are tested in `config.rs`.)

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A request with extra headers (the support helpers set none).
async fn send(
    t: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    let mut req = t.client.request(method, t.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    Resp { status, headers, text }
}

async fn audit_count(t: &TestApp) -> i64 {
    t.count("SELECT count(*) FROM audit_log").await
}

#[tokio::test]
async fn hardening_low_a_forged_host_gets_no_link() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let nina = t.user_id("nina.nurse").await;
    let reset = format!("/api/v1/users/{nina}/reset-link");
    let port = t.running().addr.port();

    for host in ["evil.example", "evil.example:8443", "localhost.evil.example", "127.0.0.1.evil.example"] {
        let before = audit_count(&t).await;
        let r = send(&t, Method::POST, &reset, Some(&admin), &[("host", host)], Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{host}: {}", r.text);
        assert_eq!(r.code(), "host_not_allowed", "{host}");
        assert!(r.json()["error"]["message"].as_str().unwrap().contains("public_url"), "{}", r.text);
        assert!(!r.text.contains("evil"), "the host is not repeated: {}", r.text);
        assert_eq!(audit_count(&t).await, before, "{host}: no link was made");
    }
    // Nor is a staff account made whose set-up link would go there.
    let r = send(
        &t,
        Method::POST,
        "/api/v1/staff-accounts",
        Some(&admin),
        &[("host", "evil.example")],
        Some(json!({"username": "new.nurse", "display_name": "Noor Nurse", "role": "nurse"})),
    )
    .await;
    assert_eq!(r.code(), "host_not_allowed", "{}", r.text);
    assert!(t.app().user_id("new.nurse").await.unwrap().is_none());
    // Nor a patient's invitation.
    let rec = json!({"given_name": "Eve", "family_name": "Stone", "birth_date": "1980-05-17", "mrn": "RFM-5001"});
    let eve = t.add_patient(&admin, rec).await.json()["id"].as_str().unwrap().to_owned();
    let r = send(
        &t,
        Method::POST,
        &format!("/api/v1/patient-accounts/{eve}/invitation"),
        Some(&admin),
        &[("host", "evil.example")],
        Some(json!({"channel": "desk"})),
    )
    .await;
    assert_eq!(r.code(), "host_not_allowed", "{}", r.text);

    // Local addresses still get links on the address they came to.
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let r = send(&t, Method::POST, &reset, Some(&admin), &[("host", &host)], Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{host}: {}", r.text);
        let url = r.json()["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&format!("https://{host}/welcome#token=")), "{url}");
    }
    t.stop().await;

    // A host the operator lists is trusted; others still are not.
    let t = TestApp::spawn_with(|c| c.allowed_hosts = vec!["Messages.Riverside.Example".into()]).await;
    let admin = t.login("admin").await;
    let nina = t.user_id("nina.nurse").await;
    let reset = format!("/api/v1/users/{nina}/reset-link");
    let r =
        send(&t, Method::POST, &reset, Some(&admin), &[("host", "messages.riverside.example")], Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.json()["url"].as_str().unwrap().starts_with("https://messages.riverside.example/welcome#token="));
    let r = send(&t, Method::POST, &reset, Some(&admin), &[("host", "evil.example")], Some(json!({}))).await;
    assert_eq!(r.code(), "host_not_allowed", "{}", r.text);
    t.stop().await;

    // With public_url set, the Host header plays no part.
    let t = TestApp::spawn_with(|c| c.public_url = Some("https://messages.riverside.example".into())).await;
    let admin = t.login("admin").await;
    let nina = t.user_id("nina.nurse").await;
    let reset = format!("/api/v1/users/{nina}/reset-link");
    let r = send(&t, Method::POST, &reset, Some(&admin), &[("host", "evil.example")], Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.json()["url"].as_str().unwrap().starts_with("https://messages.riverside.example/welcome#token="));
    t.stop().await;
}

/// Characters no message may carry: bidi overrides and isolates, which make
/// text read differently from what it is, and control characters.
const DISGUISES: [&str; 5] = ["\u{202E}", "\u{2066}", "\u{0}", "\u{1b}[2J", "\u{7}"];

#[tokio::test]
async fn hardening_low_one_text_rule_for_wordings_templates_and_reasons() {
    let t = TestApp::spawn().await;
    let admin = t.login("admin").await;
    let nina = t.login("nina.nurse").await;
    let patel = t.login("dr.patel").await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Refill", "I need a refill of my lisinopril").await;
    let bill = t.user_id("bill.billing").await;
    // Bill may be handed a care question only where billing reads them.
    t.desk_and_billing_read_every_topic().await;

    for bad in DISGUISES {
        // The reference: a message.
        let r = t
            .post(&format!("/api/v1/conversations/{c}/messages"), Some(&alice), json!({"body": format!("ok {bad} ok")}))
            .await;
        assert_eq!(
            (r.status, r.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("body")),
            "{bad:?}"
        );

        let wording = format!("Thanks, we will reply by {{reply_by}}. {bad} Emergencies: call 911.");
        for field in ["auto_reply_open", "auto_reply_closed"] {
            let r = t
                .request(
                    Method::PUT,
                    "/api/v1/response-settings",
                    Some(&admin),
                    Some(json!({"targets": [], "due_soon_percent": 50, field: wording})),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field} {bad:?}: {}", r.text);
            assert_eq!(r.json()["error"]["field"], field, "{}", r.text);
        }

        let r = t
            .post(
                "/api/v1/templates",
                Some(&nina),
                json!({"name": "Refills", "body": format!("Hi {{patient_first_name}}, {bad} done."), "review_by": "2027-01-01"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "template {bad:?}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], "body", "{}", r.text);

        let r = t
            .post(
                &format!("/api/v1/conversations/{c}/assign"),
                Some(&nina),
                json!({"assignee_id": bill, "reason": format!("billing {bad} question")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "assign reason {bad:?}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], "reason", "{}", r.text);

        let r = t
            .post(&format!("/api/v1/conversations/{c}/close"), Some(&patel), json!({"reason": format!("done {bad}")}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "close reason {bad:?}: {}", r.text);
        assert_eq!(r.json()["error"]["field"], "reason", "{}", r.text);
    }

    // Several lines stay allowed where they were: wordings and templates.
    let r = t
        .request(
            Method::PUT,
            "/api/v1/response-settings",
            Some(&admin),
            Some(json!({"targets": [], "due_soon_percent": 50,
                "auto_reply_open": "Thanks.\nWe will reply by {reply_by}.\n\nEmergencies: call 911."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = t
        .post(
            "/api/v1/templates",
            Some(&nina),
            json!({"name": "Refills", "body": "Hi {patient_first_name},\n\n\tYour refill is ready.", "review_by": "2027-01-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // And reasons stay one line, with what every other text may carry.
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/assign"),
            Some(&nina),
            json!({"assignee_id": bill, "reason": "a billing question\nreally"}),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "reason", "{}", r.text);
    let r = t
        .post(
            &format!("/api/v1/conversations/{c}/assign"),
            Some(&nina),
            json!({"assignee_id": bill, "reason": "Frage zur Rechnung — שאלה על חשבון"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    t.stop().await;
}

#[tokio::test]
async fn hardening_low_cookie_reads_from_another_site_are_refused_and_not_audited() {
    let t = TestApp::spawn().await;
    let alice = t.login("alice").await;
    let c = t.patient_conversation(&alice, "Rash", "My rash is worse").await;
    let cookie = format!("__Host-switchboard_session={alice}");
    let path = format!("/api/v1/conversations/{c}");
    let views = "SELECT count(*) FROM audit_log WHERE action = 'conversation_viewed'";

    // What an <img> or a link on a sibling subdomain's page sends, and a
    // page from anywhere else, and an address typed or opened from outside.
    for site in ["same-site", "cross-site", "none"] {
        let before = (t.count(views).await, audit_count(&t).await);
        let r = send(&t, Method::GET, &path, None, &[("cookie", &cookie), ("sec-fetch-site", site)], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{site}: {}", r.text);
        assert_eq!(r.code(), "cross_site_request", "{site}");
        assert!(!r.text.contains("rash"), "{}", r.text);
        assert_eq!((t.count(views).await, audit_count(&t).await), before, "{site}: nothing was read or audited");
    }
    for (path, method) in
        [("/api/v1/me", Method::GET), ("/api/v1/conversations", Method::GET), ("/api/v1/events", Method::GET)]
    {
        let r = send(&t, method, path, None, &[("cookie", &cookie), ("sec-fetch-site", "same-site")], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
    }
    // A cookie-borne write from another site is refused the same way.
    let r = send(
        &t,
        Method::POST,
        &format!("/api/v1/conversations/{c}/messages"),
        None,
        &[("cookie", &cookie), ("sec-fetch-site", "same-site")],
        Some(json!({"body": "sent by another page"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // The app's own pages read it: allowed, and audited as a view.
    let before = t.count(views).await;
    let r = send(&t, Method::GET, &path, None, &[("cookie", &cookie), ("sec-fetch-site", "same-origin")], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.count(views).await, before + 1);
    // Programs and older browsers send no Sec-Fetch-Site: judged as before.
    let r = send(&t, Method::GET, &path, None, &[("cookie", &cookie)], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A Bearer token is never sent by a browser on its own.
    let r = send(&t, Method::GET, &path, Some(&alice), &[("sec-fetch-site", "cross-site")], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Pages hold no PHI: opening one by a typed address or a link works.
    for site in ["none", "same-site", "same-origin"] {
        let r = send(&t, Method::GET, "/inbox", None, &[("cookie", &cookie), ("sec-fetch-site", site)], None).await;
        assert_eq!(r.status, StatusCode::OK, "{site}: {}", r.text);
    }
    t.stop().await;
}

/// The binary reads its real environment: a nested setting is read (a bad
/// value stops it, where before it was silently dropped), and a misspelt
/// `SWITCHBOARD_*` variable stops the start, named.
#[tokio::test]
async fn hardening_low_the_binary_reads_nested_settings_and_refuses_misspelt_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let run = |vars: Vec<(&'static str, &'static str)>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.arg("--data-dir").arg(&data).arg("migrate").env_remove("SWITCHBOARD_MASTER_KEY").env("RUST_LOG", "warn");
        cmd.envs(vars);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let out = run(vec![("SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES", "1"), ("SWITCHBOARD_TLS__SELF_SIGNED", "true")])
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run(vec![("SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES", "soon")]).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(stderr.contains("SWITCHBOARD_SESSIONS__STAFF_IDLE_MINUTES") && !stderr.contains("soon"), "{stderr}");

    for typo in ["SWITCHBOARD_SESSIONS_STAFF_IDLE_MINUTES", "SWITCHBOARD_TLS__SELFSIGNED", "SWITCHBOARD_INSECURE_HTTPS"]
    {
        let out = run(vec![(typo, "1")]).await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{typo} was ignored");
        assert!(stderr.contains(typo) && stderr.contains("not a setting"), "{stderr}");
    }
}
