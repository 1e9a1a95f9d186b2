//! The legal export's formats (issue 17), rendered for the service's
//! export job (`switchboard_service::export::ExportRenderer`): the record
//! as a PDF for people (`pdf.rs`: no browser, standard fonts) and as a
//! FHIR R4 `collection` Bundle for systems (the same resources the FHIR
//! API serves, files pointing at their place in the archive).

mod pdf;

use pdf::{Doc, Style};
use serde_json::json;
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::sensitivity::Sensitivity;
use switchboard_domain::time::Timestamp;
use switchboard_service::export::{ExportRecord, ExportRenderer};
use switchboard_service::record::{RecordFile, RecordParty};

use crate::fhir::resources;

pub(crate) struct WebRenderer;

fn when(t: Timestamp) -> String {
    // Minutes, UTC: the record is read anywhere; the zone is said.
    let s = t.to_rfc3339();
    format!("{} {} UTC", s.get(..10).unwrap_or(""), s.get(11..16).unwrap_or(""))
}

fn who(p: &RecordParty) -> String {
    match p {
        RecordParty::Patient { name, .. } => format!("{name} (patient)"),
        RecordParty::Caregiver { name, relationship } => format!("{name} ({}, for the patient)", relationship.words()),
        RecordParty::Staff { name, .. } => name.clone(),
        RecordParty::Practice { name, .. } => name.clone(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The notice 42 CFR §2.32(a)(2) allows to go with Part 2 records.
const PART2_NOTICE: &str = "42 CFR part 2 prohibits unauthorized use or disclosure of these records.";

impl ExportRenderer for WebRenderer {
    fn pdf(&self, r: &ExportRecord) -> Vec<u8> {
        let mut d = Doc::new(format!(
            "{} · {} · export {}",
            r.practice_name,
            r.patient.given.clone() + " " + &r.patient.family,
            r.export
        ));
        d.add(Style::Title, &format!("Secure messages: {}", r.practice_name));
        d.add(Style::Bold, &format!("Patient: {} {}", r.patient.given, r.patient.family));
        let mut facts = format!("Born {}", r.patient.birth_date);
        if let Some(mrn) = &r.patient.mrn {
            facts.push_str(&format!(" · MRN {mrn}"));
        }
        d.add(Style::Body, &facts);
        d.add(
            Style::Body,
            &format!(
                "{} · internal notes {} · made {} for {}",
                if r.conversation.is_some() { "One conversation" } else { "Every conversation" },
                if r.include_notes { "included" } else { "not included" },
                when(r.made_at),
                r.requested_by
            ),
        );
        d.add(Style::Small, &format!("Export {}. The archive's MANIFEST.txt lists every file with its SHA-256; MANIFEST.sig is its Ed25519 signature.", r.export));
        if r.threads.is_empty() {
            d.add(Style::Heading, "No conversations.");
        }
        for t in &r.threads {
            let th = &t.thread;
            d.add(Style::Heading, &format!("{} ({})", th.subject, th.topic.label()));
            let status = match th.status {
                ConversationStatus::Closed => "closed",
                _ => "open",
            };
            let priority = match th.priority {
                Priority::Urgent => " · urgent",
                Priority::Routine => "",
            };
            d.add(
                Style::Small,
                &format!(
                    "Started {} by {} · {status}{priority} · conversation {}",
                    when(th.started_at),
                    who(&th.started_by),
                    th.id
                ),
            );
            if let Some(s) = t.sensitivity {
                d.add(
                    Style::Bold,
                    &format!(
                        "Marked sensitive: {}.",
                        match s {
                            Sensitivity::BehaviouralHealth => "behavioural health",
                            Sensitivity::ReproductiveHealth => "reproductive health",
                            Sensitivity::SubstanceUse => "substance use",
                        }
                    ),
                );
                if s == Sensitivity::SubstanceUse {
                    d.add(Style::Bold, PART2_NOTICE);
                }
            }
            for m in &t.messages {
                d.add(Style::Bold, &format!("{} · from {} to {}", when(m.sent_at), who(&m.sender), who(&m.recipient)));
                d.add(Style::Body, &m.body);
                for c in &m.corrections {
                    d.add(Style::Body, &format!("Correction, {} by {}: {}", when(c.at), who(&c.author), c.text));
                }
                for f in &m.files {
                    let place = r.file_names.iter().find(|(id, _)| *id == f.id).map_or("", |(_, n)| n.as_str());
                    d.add(
                        Style::Small,
                        &format!(
                            "File: {} ({}, {} bytes) · in the archive as {place} · SHA-256 {}",
                            f.title,
                            f.kind.content_type(),
                            f.size,
                            hex(&f.sha256)
                        ),
                    );
                }
                d.add(
                    Style::Small,
                    &match m.received_at {
                        Some(at) => format!("First read by the other side {}", when(at)),
                        None => "Not read by the other side when this was made".to_owned(),
                    },
                );
            }
            if r.include_notes {
                for n in &t.notes {
                    d.add(Style::Bold, &format!("Internal note, {} by {}", when(n.at), n.author));
                    d.add(Style::Body, &n.text);
                }
            }
            d.gap();
        }
        d.render()
    }

    fn fhir_bundle(&self, r: &ExportRecord) -> Vec<u8> {
        let file_url =
            |f: &RecordFile| r.file_names.iter().find(|(id, _)| *id == f.id).map_or(String::new(), |(_, n)| n.clone());
        let mut entries = vec![resources::patient(&r.patient)];
        for t in &r.threads {
            entries.push(resources::thread(&t.thread));
            for m in &t.messages {
                entries.push(resources::message(m, &t.thread, &resources::FilePlace::InArchive(&file_url)));
            }
        }
        let bundle = json!({
            "resourceType": "Bundle",
            "id": r.export.to_string(),
            "type": "collection",
            "timestamp": r.made_at.to_rfc3339(),
            "entry": entries.into_iter().map(|e| {
                let full = format!("urn:uuid:{}", e.get("id").and_then(|v| v.as_str()).unwrap_or_default());
                json!({"fullUrl": full, "resource": e})
            }).collect::<Vec<_>>(),
        });
        serde_json::to_vec_pretty(&bundle).unwrap_or_default()
    }
}
