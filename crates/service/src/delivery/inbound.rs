//! Texts sent to our SMS number, through the gateway: STOP, START and HELP
//! are honoured and recorded (a number that sent STOP is never texted
//! again until START); anything else is answered with where to write
//! instead, since texts are not a secure channel and nobody reads them.
//! Delivery reports from the gateway update what was sent.

use crate::{ServiceError, Switchboard};
use switchboard_domain::audit::{AuditAction, AuditActor, AuditRecord, Outcome};
use switchboard_domain::notify::{self, DeliveryState, Medium, SmsKeyword};
use switchboard_store::Unit;
use switchboard_store::queries::deliveries as q;

/// Where the gateway posts inbound texts and delivery reports.
pub const INBOUND_PATH: &str = "/api/v1/sms/inbound";
pub const STATUS_PATH: &str = "/api/v1/sms/status";

/// What to text back, if anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsReply(pub Option<String>);

fn field<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Switchboard {
    /// Refuses a request the gateway did not sign.
    fn check_gateway(&self, path: &str, params: &[(String, String)], signature: &str) -> Result<(), ServiceError> {
        let couriers = self.couriers();
        let verifier = couriers.sms_inbound.as_ref().ok_or(ServiceError::SignatureInvalid)?;
        let url = format!("{}{path}", couriers.link_base);
        if verifier.verify(&url, params, signature) { Ok(()) } else { Err(ServiceError::SignatureInvalid) }
    }

    /// A text from someone to our number.
    pub async fn sms_received(&self, params: &[(String, String)], signature: &str) -> Result<SmsReply, ServiceError> {
        if let Err(e) = self.check_gateway(INBOUND_PATH, params, signature) {
            let rec = AuditRecord::new(self.now(), None, AuditActor::Anonymous, AuditAction::SmsReceived)
                .with_outcome(Outcome::Denied)
                .with_detail("bad_signature");
            self.store().commit(Unit::new().audit(rec)).await?;
            return Err(e);
        }
        let now = self.now();
        let from = field(params, "From").and_then(notify::e164);
        let keyword = SmsKeyword::parse(field(params, "Body").unwrap_or_default());
        let mut unit = Unit::new();
        if let Some(number) = &from {
            let index = self.sms_number_index(number);
            match keyword {
                Some(SmsKeyword::Stop) => unit.push(q::opt_out(&index, now)),
                Some(SmsKeyword::Start) => unit.push(q::opt_in(&index)),
                Some(SmsKeyword::Help) | None => {}
            }
        }
        let detail = match keyword {
            Some(SmsKeyword::Stop) => "stop",
            Some(SmsKeyword::Start) => "start",
            Some(SmsKeyword::Help) => "help",
            None => "other",
        };
        // The number is PHI: the audit names what was asked, not who asked.
        let rec = AuditRecord::new(now, None, AuditActor::Anonymous, AuditAction::SmsReceived).with_detail(detail);
        self.store().commit(unit.audit(rec)).await?;
        let sender = self.sms_sender_name().await?;
        Ok(SmsReply(Some(match keyword {
            Some(k) => k.reply(&sender),
            None => notify::sms_not_read_reply(&sender),
        })))
    }

    /// The gateway's report on a text it took: delivered, or not.
    pub async fn sms_status(&self, params: &[(String, String)], signature: &str) -> Result<(), ServiceError> {
        self.check_gateway(STATUS_PATH, params, signature)?;
        let (Some(sid), Some(status)) = (field(params, "MessageSid"), field(params, "MessageStatus")) else {
            return Ok(());
        };
        let (state, reason) = match status {
            "delivered" => (DeliveryState::Delivered, None),
            "undelivered" | "failed" => (DeliveryState::Failed, Some("sms_undelivered")),
            _ => return Ok(()),
        };
        self.store()
            .commit(Unit::new().step(q::report_by_provider(Medium::Sms, sid, state, reason, self.now())))
            .await?;
        Ok(())
    }

    /// Who the texts are from, in replies to keywords: one number serves
    /// the deployment, so the name of its only practice, or a generic one.
    async fn sms_sender_name(&self) -> Result<String, ServiceError> {
        Ok(match q::sole_practice_name(self.store()).await? {
            Some(name) => name,
            None => "Secure messaging".to_owned(),
        })
    }
}
