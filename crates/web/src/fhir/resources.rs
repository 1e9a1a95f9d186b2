//! The record's plain structs as FHIR R4 JSON (4.0.1). One `Communication`
//! per message, `partOf` the `Communication` that is its conversation;
//! corrections as `note`s; files as `contentAttachment` with their type,
//! size, SHA-1 `hash` (R4 defines it so; the SHA-256 rides in an
//! extension) and a `Binary` URL the client reads with its token.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_service::record::*;

use super::params::TOPIC_SYSTEM;

/// The extension carrying a file's SHA-256 (hex), which the signed
/// manifests of exports also use.
const SHA256_EXTENSION: &str = "urn:switchboard:fhir:extension:sha256";

fn instant(t: switchboard_domain::time::Timestamp) -> String {
    t.to_rfc3339()
}

fn party(p: &RecordParty) -> Value {
    match p {
        RecordParty::Patient { id, name } => json!({"reference": format!("Patient/{id}"), "display": name}),
        RecordParty::Staff { id, name } => json!({"reference": format!("Practitioner/{id}"), "display": name}),
        RecordParty::Practice { id, name } => json!({"reference": format!("Organization/{id}"), "display": name}),
        // A caregiver has no resource here: named, typed, not referenced.
        RecordParty::Caregiver { name, relationship } => {
            json!({"type": "RelatedPerson", "display": format!("{name} ({})", relationship.words())})
        }
    }
}

fn category(t: &RecordThread) -> Value {
    json!([{"coding": [{"system": TOPIC_SYSTEM, "code": t.topic.as_str(), "display": t.topic.label()}], "text": t.topic.label()}])
}

fn priority(p: Priority) -> &'static str {
    match p {
        Priority::Routine => "routine",
        Priority::Urgent => "urgent",
    }
}

fn subject(t: &RecordThread) -> Value {
    json!({"reference": format!("Patient/{}", t.patient), "display": t.patient_name})
}

pub(crate) fn thread(t: &RecordThread) -> Value {
    let recipient = match &t.started_by {
        RecordParty::Staff { .. } => json!({"reference": format!("Patient/{}", t.patient), "display": t.patient_name}),
        _ => json!({"reference": format!("Organization/{}", t.practice)}),
    };
    json!({
        "resourceType": "Communication",
        "id": t.id.to_string(),
        "meta": {"lastUpdated": instant(t.updated_at)},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", t.id)}],
        "status": if t.status == ConversationStatus::Closed { "completed" } else { "in-progress" },
        "category": category(t),
        "priority": priority(t.priority),
        "subject": subject(t),
        "topic": {"text": t.subject},
        "sent": instant(t.started_at),
        "sender": party(&t.started_by),
        "recipient": [recipient],
    })
}

/// Where a file of a message is: at an address (`url`), or at a path in
/// an export's archive (an extension: R4's `url` must be absolute).
pub(crate) enum FilePlace<'a> {
    Url(&'a dyn Fn(&RecordFile) -> String),
    InArchive(&'a dyn Fn(&RecordFile) -> String),
}

/// The extension naming a file's path in an export's archive.
const ARCHIVE_PATH_EXTENSION: &str = "urn:switchboard:fhir:extension:archive-path";

pub(crate) fn message(m: &RecordMessage, t: &RecordThread, place: &FilePlace<'_>) -> Value {
    let mut payload = vec![json!({"contentString": m.body})];
    for f in &m.files {
        let mut extension = vec![json!({"url": SHA256_EXTENSION, "valueString": hex(&f.sha256)})];
        let mut a = json!({
            "contentType": f.kind.content_type(),
            "size": f.size,
            "hash": STANDARD.encode(f.sha1),
            "title": f.title,
            "creation": instant(f.uploaded_at),
        });
        match place {
            FilePlace::Url(url) => {
                if let Some(o) = a.as_object_mut() {
                    o.insert("url".into(), json!(url(f)));
                }
            }
            FilePlace::InArchive(path) => {
                extension.push(json!({"url": ARCHIVE_PATH_EXTENSION, "valueString": path(f)}))
            }
        }
        if let Some(o) = a.as_object_mut() {
            o.insert("extension".into(), Value::Array(extension));
        }
        payload.push(json!({"contentAttachment": a}));
    }
    let mut out = json!({
        "resourceType": "Communication",
        "id": m.id.to_string(),
        "meta": {"lastUpdated": instant(m.updated_at)},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": format!("urn:uuid:{}", m.id)}],
        "partOf": [{"reference": format!("Communication/{}", m.thread)}],
        "status": "completed",
        "category": category(t),
        "priority": priority(t.priority),
        "subject": subject(t),
        "topic": {"text": t.subject},
        "sent": instant(m.sent_at),
        "sender": party(&m.sender),
        "recipient": [party(&m.recipient)],
        "payload": payload,
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(r) = m.in_response_to {
            obj.insert("inResponseTo".into(), json!([{"reference": format!("Communication/{r}")}]));
        }
        if let Some(at) = m.received_at {
            obj.insert("received".into(), json!(instant(at)));
        }
        if !m.corrections.is_empty() {
            let notes: Vec<Value> = m
                .corrections
                .iter()
                .map(|c| {
                    let mut n = json!({"time": instant(c.at), "text": format!("Correction: {}", c.text)});
                    if let (Some(o), Some(r)) = (n.as_object_mut(), party(&c.author).get("reference").cloned()) {
                        o.insert("authorReference".into(), json!({"reference": r}));
                    }
                    n
                })
                .collect();
            obj.insert("note".into(), Value::Array(notes));
        }
    }
    out
}

pub(crate) fn communication(c: &RecordCommunication, base: &str) -> Value {
    match c {
        RecordCommunication::Message { message: m, thread: t } => {
            message(m, t, &FilePlace::Url(&|f: &RecordFile| format!("{base}/Binary/{}", f.id)))
        }
        RecordCommunication::Thread(t) => thread(t),
    }
}

pub(crate) fn patient(p: &RecordPatient) -> Value {
    let mut out = json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "active": true,
        "name": [{"use": "official", "family": p.family, "given": [p.given], "text": format!("{} {}", p.given, p.family)}],
        "birthDate": p.birth_date,
        "managingOrganization": {"reference": format!("Organization/{}", p.practice)},
    });
    if let (Some(o), Some(mrn)) = (out.as_object_mut(), &p.mrn) {
        o.insert(
            "identifier".into(),
            json!([{
                "use": "usual",
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}], "text": "Medical record number"},
                "value": mrn,
            }]),
        );
    }
    out
}

pub(crate) fn practitioner(p: &RecordPractitioner) -> Value {
    json!({"resourceType": "Practitioner", "id": p.id.to_string(), "active": p.active, "name": [{"text": p.name}]})
}

pub(crate) fn organization(o: &RecordOrganization) -> Value {
    json!({"resourceType": "Organization", "id": o.id.to_string(), "active": true, "name": o.name})
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The issue codes of R4's IssueType this server uses.
pub(crate) fn outcome(code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    })
}

/// What this server does, for `GET /fhir/r4/metadata`.
pub(crate) fn capability(base: &str, date: &str) -> Value {
    let read = |t: &str| json!({"type": t, "interaction": [{"code": "read"}]});
    let p = |name: &str, ty: &str, doc: &str| json!({"name": name, "type": ty, "documentation": doc});
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "Switchboard",
        "kind": "instance",
        "software": {"name": "Switchboard", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "Switchboard: secure messaging between patients and their care team", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only. Clients authenticate with SMART Backend Services (client credentials, a JWT assertion signed RS384 or ES384) and system/<Type>.read scopes. Conversations marked sensitive are never sent.",
            "security": {
                "cors": false,
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}]}],
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [{"url": "token", "valueUri": format!("{base}/auth/token")}],
                }],
            },
            "resource": [
                {
                    "type": "Communication",
                    "interaction": [{"code": "read"}, {"code": "search-type"}],
                    "searchParam": [
                        p("_id", "token", "The message's or conversation's id"),
                        p("_lastUpdated", "date", "When it last changed (sent, first read by the other side, corrected)"),
                        p("patient", "reference", "The patient the conversation is about"),
                        p("subject", "reference", "The same as patient"),
                        p("sender", "reference", "Patient/…, Practitioner/… or Organization/… (automatic replies)"),
                        p("recipient", "reference", "Patient/… (what staff wrote) or Organization/… (what patients wrote)"),
                        p("sent", "date", "When it was sent; prefixes eq, gt, lt, ge, le, sa, eb"),
                        p("category", "token", "The conversation's topic"),
                        p("part-of", "reference", "The messages of one conversation: Communication/…"),
                    ],
                },
                read("Patient"),
                read("Practitioner"),
                read("Organization"),
                read("Binary"),
            ],
        }],
    })
}

/// SMART's discovery document (`.well-known/smart-configuration`).
pub(crate) fn smart_configuration(base: &str) -> Value {
    json!({
        "token_endpoint": format!("{base}/auth/token"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": ["system/*.read", "system/Communication.read", "system/Patient.read", "system/Practitioner.read", "system/Organization.read", "system/Binary.read", "system/Communication.rs", "system/Patient.rs"],
        "capabilities": ["client-confidential-asymmetric"],
    })
}
