//! FHIR R4 for EHR systems (issue 17): SMART Backend Services clients
//! registered by an administrator, assertions signed by an independent JOSE
//! implementation (PyJWT, `.ci/peers/smart_client.py`), forged, expired,
//! replayed and mis-addressed assertions refused; `Communication` read and
//! search with every parameter and paging; `Patient`, `Practitioner`,
//! `Organization` and `Binary`; `OperationOutcome` for every error; and
//! every resource emitted validated by `fhir.resources` 6.4 (R4 4.0.1)
//! with the required value sets checked (`.ci/peers/fhir_validate.py`).

use crate::peers::{python, workspace};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;

fn smart(args: &[&str]) -> String {
    let out = Command::new(python()).arg(workspace().join(".ci/peers/smart_client.py")).args(args).output().unwrap();
    assert!(out.status.success(), "smart_client.py: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Keys {
    dir: tempfile::TempDir,
    jwks: String,
}

fn keys() -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let jwks = smart(&["keys", dir.path().to_str().unwrap()]);
    Keys { dir, jwks }
}

impl Keys {
    /// An assertion expiring `exp_in` seconds after the server's (test)
    /// clock says it is now.
    fn assertion(&self, t: &TestApp, alg: &str, client: &str, aud: &str, exp_in: i64, jti: &str) -> String {
        let exp = t.app().now().as_micros() / 1_000_000 + exp_in;
        let (file, kid) = if alg == "ES384" { ("es384.pem", "ec-1") } else { ("rs384.pem", "rsa-1") };
        let pem = self.dir.path().join(file);
        smart(&["sign", pem.to_str().unwrap(), kid, alg, client, aud, &exp.to_string(), jti])
    }
}

async fn token_request(t: &TestApp, assertion: &str, scope: Option<&str>) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let r = t.client.post(t.url("/fhir/r4/auth/token")).form(&form).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// A FHIR GET: status, content type and body.
async fn fhir(t: &TestApp, token: Option<&str>, path: &str) -> (StatusCode, String, Value) {
    let mut req = t.client.get(t.url(path));
    if let Some(tok) = token {
        req = req.bearer_auth(tok);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

/// Keeps every resource the server emitted, for the validator.
struct Emitted(tempfile::TempDir, usize);

impl Emitted {
    fn keep(&mut self, v: &Value) {
        self.1 += 1;
        std::fs::write(self.0.path().join(format!("{:04}.json", self.1)), v.to_string()).unwrap();
    }

    fn validate(&self) {
        let mut files: Vec<_> =
            std::fs::read_dir(self.0.path()).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
        files.sort();
        let out =
            Command::new(python()).arg(workspace().join(".ci/peers/fhir_validate.py")).args(&files).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "fhir.resources refused what the server emitted:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text.trim(), format!("ok {}", files.len()));
    }
}

fn outcome_code(v: &Value) -> &str {
    assert_eq!(v["resourceType"], "OperationOutcome", "{v}");
    v["issue"][0]["code"].as_str().unwrap()
}

async fn register(t: &TestApp, admin: &str, name: &str, scopes: &str, jwks: &str) -> Resp {
    t.post("/api/v1/practice/ehr-clients", Some(admin), json!({"name": name, "scopes": scopes, "jwks": jwks})).await
}

fn ids_of(bundle: &Value) -> Vec<String> {
    bundle["entry"].as_array().unwrap().iter().map(|e| e["resource"]["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_ehr_reads_the_record_as_fhir_after_a_signed_assertion() {
    let t = TestApp::spawn().await;
    let mut emitted = Emitted(tempfile::tempdir().unwrap(), 0);
    let admin = t.login("admin").await;
    let (alice, bob, nina) = (t.login("alice").await, t.login("bob").await, t.login("nina.nurse").await);
    let k = keys();

    // Registering: administrators only, after re-authenticating; keys and
    // scopes are checked.
    assert_eq!(register(&t, &nina, "EHR", "system/*.read", &k.jwks).await.status, StatusCode::NOT_FOUND);
    t.advance(switchboard_domain::time::Span::from_mins(6));
    assert_eq!(register(&t, &admin, "EHR", "system/*.read", &k.jwks).await.code(), "reauthentication_required");
    let again = t.post("/api/v1/auth/reauthenticate", Some(&admin), json!({"password": PASSWORD})).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "{}", again.text);
    let private: Value = json!({"keys": [{"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "d": "AA", "kid": "x"}]});
    let r = register(&t, &admin, "EHR", "system/*.read", &private.to_string()).await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("jwks")),
        "{}",
        r.text
    );
    let r = register(&t, &admin, "EHR", "patient/*.read", &k.jwks).await;
    assert_eq!(r.json()["error"]["field"], "scopes", "{}", r.text);
    let r = register(&t, &admin, "Riverside EHR", "system/*.read", &k.jwks).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let client = r.json()["id"].as_str().unwrap().to_owned();
    let narrow = register(&t, &admin, "Directory sync", "system/Patient.read", &k.jwks).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = t.get("/api/v1/practice/ehr-clients", Some(&admin)).await.json();
    assert_eq!(list["clients"][0]["name"], "Riverside EHR");
    assert_eq!(list["clients"][0]["keys"], 2);
    let aud = list["token_endpoint"].as_str().unwrap().to_owned();
    assert_eq!(aud, t.url("/fhir/r4/auth/token"));

    // Some record: Alice writes, the nurse answers and corrects herself,
    // Alice sends a file; Bob writes; one of Alice's is marked sensitive.
    let c1 = t.patient_conversation(&alice, "Refill of lisinopril", "I need a refill, please.").await;
    let r = t
        .post(&format!("/api/v1/conversations/{c1}/messages"), Some(&nina), json!({"body": "Sent to your pharmacy."}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let reply = r.json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/conversations/{c1}/messages/{reply}/amendments"),
        Some(&nina),
        json!({"body": "Sent to Main St pharmacy."}),
    )
    .await;
    let r = t.post(&format!("/api/v1/conversations/{c1}/read"), Some(&alice), json!({})).await;
    assert!(r.status.is_success(), "{}", r.text);
    let note = b"blood pressure log\n120/80\n";
    let up = crate::attachments::upload(&t, &alice, &c1, "bp.txt", "text/plain", note).await;
    let file = up.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .post(
            &format!("/api/v1/conversations/{c1}/messages"),
            Some(&alice),
            json!({"body": "My log.", "attachment_ids": [file]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    t.advance(switchboard_domain::time::Span::from_secs(60));
    let c2 = t.patient_conversation(&bob, "Appointment", "Can I come Tuesday?").await;
    let c3 = t.patient_conversation(&alice, "Private", "Something private.").await;
    let patel = t.login("dr.patel").await;
    let r = t
        .put(
            &format!("/api/v1/conversations/{c3}/sensitivity"),
            Some(&patel),
            json!({"category": "behavioural_health"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let alice_id = t.patient_id("alice").await;
    let nina_id = t.user_id("nina.nurse").await;

    // Assertions: forged, expired, too far ahead, mis-addressed, unknown
    // client, replayed: all `invalid_client`, each audited.
    let forger = keys();
    let forged = forger.assertion(&t, "ES384", &client, &aud, 120, "f-1");
    assert_eq!(token_request(&t, &forged, None).await.1["error"], "invalid_client");
    for (a, why) in [
        (k.assertion(&t, "ES384", &client, &aud, -30, "e-1"), "expired"),
        (k.assertion(&t, "ES384", &client, &aud, 3600, "e-2"), "too far ahead"),
        (k.assertion(&t, "ES384", &client, "https://elsewhere.example/token", 120, "e-3"), "another audience"),
        (k.assertion(&t, "ES384", "0193f0a0-0000-7000-8000-000000000001", &aud, 120, "e-4"), "unknown client"),
    ] {
        let (status, body) = token_request(&t, &a, None).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "{why}");
    }
    let good = k.assertion(&t, "ES384", &client, &aud, 120, "j-1");
    let (status, granted) = token_request(&t, &good, Some("system/Communication.read system/Patient.read")).await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    assert_eq!(granted["token_type"], "bearer");
    assert_eq!(granted["expires_in"], 300);
    assert_eq!(granted["scope"], "system/Communication.read system/Patient.read");
    let (status, body) = token_request(&t, &good, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "a replayed jti");
    let (_, all) = token_request(&t, &k.assertion(&t, "RS384", &client, &aud, 120, "j-2"), None).await;
    let tok = all["access_token"].as_str().unwrap().to_owned();
    assert_eq!(all["scope"], "system/*.read");
    let refused = t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ehr_token_refused'").await;
    assert_eq!(refused, 6);

    // What the server is and how to reach it.
    let (status, ct, meta) = fhir(&t, None, "/fhir/r4/metadata").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/fhir+json"));
    assert_eq!(meta["fhirVersion"], "4.0.1");
    emitted.keep(&meta);
    let (_, _, smart_conf) = fhir(&t, None, "/fhir/r4/.well-known/smart-configuration").await;
    assert_eq!(smart_conf["token_endpoint"], aud);

    // Alice's record: her readable conversations' threads and messages,
    // oldest first; never the sensitive one, never Bob's.
    let (status, ct, b) = fhir(&t, Some(&tok), &format!("/fhir/r4/Communication?patient=Patient/{alice_id}")).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/fhir+json"), "{b}");
    emitted.keep(&b);
    assert_eq!(b["type"], "searchset");
    let alices = ids_of(&b);
    assert!(alices.contains(&c1) && !alices.contains(&c3) && !alices.contains(&c2), "{b}");
    let sents: Vec<String> =
        b["entry"].as_array().unwrap().iter().map(|e| e["resource"]["sent"].as_str().unwrap().to_owned()).collect();
    assert!(sents.windows(2).all(|w| w[0] <= w[1]), "oldest first: {sents:?}");
    for e in b["entry"].as_array().unwrap() {
        assert_eq!(e["resource"]["subject"]["reference"], format!("Patient/{alice_id}"));
    }

    // One conversation's messages: Alice's, the nurse's answer (corrected,
    // read by Alice), Alice's with a file, and the automatic reply.
    let (_, _, b) = fhir(&t, Some(&tok), &format!("/fhir/r4/Communication?part-of=Communication/{c1}")).await;
    emitted.keep(&b);
    let entries = b["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{b}");
    let first = &entries[0]["resource"];
    assert_eq!(first["partOf"][0]["reference"], format!("Communication/{c1}"));
    assert_eq!(first["sender"]["reference"], format!("Patient/{alice_id}"));
    assert_eq!(first["payload"][0]["contentString"], "I need a refill, please.");
    assert_eq!(first["recipient"][0]["reference"].as_str().unwrap().split('/').next(), Some("Organization"));
    let answer = &entries[1]["resource"];
    assert_eq!(answer["id"], reply.as_str());
    assert_eq!(answer["sender"]["reference"], format!("Practitioner/{nina_id}"));
    assert_eq!(answer["inResponseTo"][0]["reference"], format!("Communication/{}", first["id"].as_str().unwrap()));
    assert_eq!(answer["note"][0]["text"], "Correction: Sent to Main St pharmacy.");
    assert!(answer["received"].is_string(), "Alice read the answer: {answer}");
    let with_file = &entries[2]["resource"];
    let att = &with_file["payload"][1]["contentAttachment"];
    assert!(att["contentType"].as_str().unwrap().starts_with("text/plain"), "{att}");
    assert_eq!(att["size"], note.len());
    assert_eq!(att["title"], "bp.txt");
    // The SHA-1 of the bytes, computed independently of the server.
    let sha1 = Command::new(python())
        .args([
            "-c",
            "import hashlib,base64,sys; print(base64.b64encode(hashlib.sha1(sys.argv[1].encode()).digest()).decode())",
        ])
        .arg(std::str::from_utf8(note).unwrap())
        .output()
        .unwrap();
    assert_eq!(att["hash"].as_str().unwrap(), String::from_utf8_lossy(&sha1.stdout).trim());
    let url = att["url"].as_str().unwrap();
    let bin = t.client.get(url).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(bin.status(), StatusCode::OK);
    assert_eq!(bin.bytes().await.unwrap().as_ref(), note);
    let auto = &entries[3]["resource"];
    assert_eq!(auto["sender"]["reference"].as_str().unwrap().split('/').next(), Some("Organization"));

    // Every parameter narrows.
    let (tr, tk) = (&t, tok.as_str());
    let q = |s: String| async move { fhir(tr, Some(tk), &format!("/fhir/r4/Communication?{s}")).await };
    let (_, _, b) = q(format!("sender=Practitioner/{nina_id}&part-of=Communication/{c1}")).await;
    assert_eq!(ids_of(&b), vec![reply.clone()]);
    emitted.keep(&b);
    let (_, _, b) = q(format!("recipient=Patient/{alice_id}&part-of={c1}")).await;
    assert_eq!(ids_of(&b), vec![reply.clone(), auto["id"].as_str().unwrap().to_owned()]);
    let (_, _, b) = q(format!("sender=Patient/{alice_id}&part-of={c1}")).await;
    assert_eq!(ids_of(&b).len(), 2);
    let (_, _, b) = q("category=urn:switchboard:fhir:topic|billing&_count=100".into()).await;
    assert!(!ids_of(&b).is_empty());
    for e in b["entry"].as_array().unwrap() {
        assert_eq!(e["resource"]["category"][0]["coding"][0]["code"], "billing");
    }
    let (_, _, b) = q("category=not_a_topic".into()).await;
    assert_eq!(ids_of(&b).len(), 0);
    let second = &answer["sent"].as_str().unwrap()[..19];
    let (_, _, b) = q(format!("sent=gt{second}")).await;
    let later = ids_of(&b);
    assert!(later.contains(&c2) && !later.contains(&c1) && !later.contains(&c3), "Bob's, a minute later: {b}");
    let (_, _, b) = q(format!("sent=lt{second}&patient={alice_id}")).await;
    assert!(!ids_of(&b).is_empty() && !ids_of(&b).contains(&c1));
    let (_, _, b) = q(format!("sent=eq{second}&patient={alice_id}")).await;
    assert!(ids_of(&b).contains(&c1) && ids_of(&b).contains(&reply));
    let (_, _, b) = q(format!("_lastUpdated=ge{second}&patient={alice_id}")).await;
    assert!(ids_of(&b).contains(&c1), "the thread was active then: {b}");
    let (_, _, b) = q(format!("_id={reply}")).await;
    assert_eq!(ids_of(&b), vec![reply.clone()]);

    // Paging: one at a time, following `next`, gives the same list.
    let (_, _, whole) = q("_count=100".into()).await;
    let mut paged = Vec::new();
    let mut next = Some(t.url("/fhir/r4/Communication?_count=1"));
    while let Some(url) = next {
        let page: Value = t.client.get(&url).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
        paged.extend(ids_of(&page));
        next = page["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
            .map(|l| l["url"].as_str().unwrap().to_owned());
        if next.is_none() {
            emitted.keep(&page);
        }
    }
    assert_eq!(paged, ids_of(&whole));
    assert!(whole["link"].as_array().unwrap().iter().all(|l| l["relation"] != "next"), "one page of 100 holds it all");
    assert!(paged.len() > 10);

    // Reads.
    let (status, _, m) = fhir(&t, Some(&tok), &format!("/fhir/r4/Communication/{reply}")).await;
    assert_eq!(status, StatusCode::OK);
    emitted.keep(&m);
    let (_, _, th) = fhir(&t, Some(&tok), &format!("/fhir/r4/Communication/{c1}")).await;
    assert_eq!(th["status"], "in-progress");
    emitted.keep(&th);
    let (_, _, p) = fhir(&t, Some(&tok), &format!("/fhir/r4/Patient/{alice_id}")).await;
    assert_eq!(p["name"][0]["family"], "Nguyen");
    emitted.keep(&p);
    let org = p["managingOrganization"]["reference"].as_str().unwrap().to_owned();
    let (_, _, o) = fhir(&t, Some(&tok), &format!("/fhir/r4/{org}")).await;
    assert_eq!(o["resourceType"], "Organization");
    emitted.keep(&o);
    let (_, _, pr) = fhir(&t, Some(&tok), &format!("/fhir/r4/Practitioner/{nina_id}")).await;
    assert_eq!(pr["resourceType"], "Practitioner");
    emitted.keep(&pr);

    // Errors are OperationOutcomes: the sensitive conversation and a
    // patient's account are not found, a bad parameter is invalid, no
    // token is a login problem, a narrow token is forbidden.
    for (path, token, status, code) in [
        (format!("/fhir/r4/Communication/{c3}"), Some(tok.as_str()), StatusCode::NOT_FOUND, "not-found"),
        (format!("/fhir/r4/Practitioner/{}", t.user_id("alice").await), Some(&tok), StatusCode::NOT_FOUND, "not-found"),
        ("/fhir/r4/Communication?sent=yesterday".into(), Some(&tok), StatusCode::BAD_REQUEST, "invalid"),
        ("/fhir/r4/Communication?_summary=true".into(), Some(&tok), StatusCode::BAD_REQUEST, "invalid"),
        ("/fhir/r4/Observation".into(), Some(&tok), StatusCode::NOT_FOUND, "not-supported"),
        ("/fhir/r4/Communication".into(), None, StatusCode::UNAUTHORIZED, "login"),
        ("/fhir/r4/Communication".into(), Some("not-a-token"), StatusCode::UNAUTHORIZED, "login"),
    ] {
        let (s, ct, v) = fhir(&t, token, &path).await;
        assert_eq!((s, outcome_code(&v), ct.as_str()), (status, code, "application/fhir+json"), "{path}");
        emitted.keep(&v);
    }
    let (_, narrow_grant) = token_request(&t, &k.assertion(&t, "ES384", &narrow, &aud, 120, "n-1"), None).await;
    let narrow_tok = narrow_grant["access_token"].as_str().unwrap();
    let (s, _, v) = fhir(&t, Some(narrow_tok), "/fhir/r4/Communication").await;
    assert_eq!((s, outcome_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, _, _) = fhir(&t, Some(narrow_tok), &format!("/fhir/r4/Patient/{alice_id}")).await;
    assert_eq!(s, StatusCode::OK);
    let (_, body) =
        token_request(&t, &k.assertion(&t, "ES384", &narrow, &aud, 120, "n-2"), Some("system/Communication.read"))
            .await;
    assert_eq!(body["error"], "invalid_scope");

    // Every read is audited per patient, as the client.
    let reads =
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'fhir_read' AND actor_kind = 'ehr_client'").await;
    assert!(reads >= 10, "{reads}");
    let text =
        t.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%lisinopril%' OR detail LIKE '%pharmacy%'").await;
    assert_eq!(text, 0);

    // Revoking ends the token at once.
    let r = t.post(&format!("/api/v1/practice/ehr-clients/{client}/revoke"), Some(&admin), json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let (s, _, _) = fhir(&t, Some(&tok), "/fhir/r4/Communication").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = token_request(&t, &k.assertion(&t, "ES384", &client, &aud, 120, "j-9"), None).await;
    assert_eq!((s, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));

    emitted.validate();
}
