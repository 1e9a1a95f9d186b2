//! Synthetic demo data: two practices, their staff and patients, and a few
//! conversations. Every name, date and number here is invented.

use anyhow::Context as _;
use switchboard_domain::audit::AuditActor;
use switchboard_domain::ids::{CareTeamId, DepartmentId, PracticeId, UserId};
use switchboard_domain::notify::Reach;
use switchboard_domain::role::StaffRole;
use switchboard_domain::routing::{Condition, Target};
use switchboard_domain::topic::Topic;
use switchboard_service::my_account::ContactDetails;
use switchboard_service::{
    NewConversationInput, NewPatientInput, NewStaffInput, OpeningPeriod, PoolInput, PracticeContact, RequestContext,
    RuleInput, StaffSettings, Switchboard, TemplateInput,
};

pub const DEMO_PRACTICE: &str = "Riverside Family Medicine";
pub const SECOND_PRACTICE: &str = "Lakeside Pediatrics";
/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "switchboard-demo";

/// (username, what they are) for printing.
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("admin", "practice admin, Riverside"),
    ("dr.patel", "provider, Primary Care"),
    ("dr.okafor", "provider, Cardiology"),
    ("nina.nurse", "nurse, Primary Care"),
    ("mo.assistant", "medical assistant, Primary Care"),
    ("fran.frontdesk", "front desk, Primary Care and Cardiology"),
    ("bill.billing", "billing"),
    ("cora.compliance", "compliance officer"),
    ("alice", "patient, Primary Care (Dr. Patel's team)"),
    ("carol", "patient, Primary Care (Dr. Patel's team)"),
    ("bob", "patient, Cardiology (Dr. Okafor's team)"),
    ("jane", "patient, and caregiver (mother) of Sam (13, confidential) and Mia (7)"),
    ("sam", "patient, 13: writes confidentially unless he shares"),
    ("mia", "patient, 7"),
    ("lake.admin", "practice admin, Lakeside Pediatrics (another practice)"),
    ("dr.lee", "provider, Lakeside Pediatrics"),
    ("lake.nurse", "nurse, Lakeside Pediatrics"),
    ("dana", "patient, Lakeside Pediatrics"),
];

const SYSTEM: AuditActor = AuditActor::System;

struct Seeder<'a> {
    app: &'a Switchboard,
    practice: PracticeId,
}

impl Seeder<'_> {
    async fn staff(
        &self,
        username: &str,
        name: &str,
        role: StaffRole,
        departments: &[DepartmentId],
    ) -> anyhow::Result<UserId> {
        let input = NewStaffInput {
            username: username.into(),
            display_name: name.into(),
            role,
            password: DEMO_PASSWORD.into(),
            departments: departments.to_vec(),
        };
        self.app.create_staff(self.practice, input, SYSTEM).await.with_context(|| format!("creating {username}"))
    }

    async fn patient(
        &self,
        username: &str,
        names: (&str, &str),
        birth_date: &str,
        mrn: &str,
        place: (DepartmentId, CareTeamId),
    ) -> anyhow::Result<UserId> {
        let input = NewPatientInput {
            login: Some((username.into(), DEMO_PASSWORD.into())),
            given_name: names.0.into(),
            family_name: names.1.into(),
            birth_date: birth_date.into(),
            mrn: Some(mrn.into()),
            department: Some(place.0),
            care_team: Some(place.1),
        };
        self.app.create_patient(self.practice, input, SYSTEM).await.with_context(|| format!("creating {username}"))?;
        let user = self.app.user_id(username).await?.context("patient login missing")?;
        accept_terms_as(self.app, user).await?;
        Ok(user)
    }
}

/// A synthetic patient account accepts its practice's messaging terms in
/// force, as a real patient would in the app before writing.
pub async fn accept_terms_as(app: &Switchboard, patient: UserId) -> anyhow::Result<()> {
    let p = app.principal_for(patient).await?;
    let version = app.my_enrollment(&p).await?.terms.version;
    app.accept_terms(&p, Some(version), &RequestContext::default()).await?;
    Ok(())
}

/// Starts a conversation as `patient` and plays the replies in order.
async fn thread(
    app: &Switchboard,
    patient: UserId,
    subject: &str,
    topic: &str,
    first: &str,
    replies: &[(UserId, &str)],
) -> anyhow::Result<switchboard_domain::ids::ConversationId> {
    let ctx = RequestContext::default();
    let p = app.principal_for(patient).await?;
    let input = NewConversationInput {
        patient_id: None,
        subject: subject.into(),
        topic: topic.into(),
        body: first.into(),
        priority: None,
        to_provider: None,
        keep_with_me: false,
        share_with_caregivers: None,
    };
    let sent = app.create_conversation(&p, input, None, &ctx).await?;
    for (who, body) in replies {
        let author = app.principal_for(*who).await?;
        app.mark_read(&author, sent.conversation, &ctx).await?;
        app.post_message(&author, sent.conversation, (*body).into(), &[], None, &ctx).await?;
    }
    Ok(sent.conversation)
}

/// Creates the demo practices if they do not exist. Returns whether it
/// created anything.
pub async fn seed(app: &Switchboard) -> anyhow::Result<bool> {
    if app.practice_by_name(DEMO_PRACTICE).await?.is_some() {
        return Ok(false);
    }
    let ctx = RequestContext::default();
    let weekdays = |opens: u16, closes: u16| -> Vec<OpeningPeriod> {
        (1..=5).map(|weekday| OpeningPeriod { weekday, opens_minute: opens, closes_minute: closes }).collect()
    };

    let practice = app.create_practice(DEMO_PRACTICE, SYSTEM).await?;
    // The printed demo logins work with a password alone: the demo turns
    // off the second factor new practices require of staff (its setup page
    // warns about it).
    app.set_staff_second_factor_required(practice, false).await?;
    let contact = PracticeContact {
        time_zone: "America/New_York",
        phone: Some("(555) 010-0100"),
        after_hours_phone: Some("(555) 010-0199"),
    };
    app.set_practice_details(practice, contact, &weekdays(8 * 60, 17 * 60), SYSTEM).await?;
    let s = Seeder { app, practice };
    let primary = app.create_department(practice, "Primary Care", SYSTEM).await?;
    let cardiology = app.create_department(practice, "Cardiology", SYSTEM).await?;
    let admin = s.staff("admin", "Alex Morgan", StaffRole::PracticeAdmin, &[]).await?;
    let patel = s.staff("dr.patel", "Dr. Priya Patel", StaffRole::Provider, &[primary]).await?;
    let okafor = s.staff("dr.okafor", "Dr. Chidi Okafor", StaffRole::Provider, &[cardiology]).await?;
    let nina = s.staff("nina.nurse", "Nina Alvarez, RN", StaffRole::Nurse, &[primary]).await?;
    let mo = s.staff("mo.assistant", "Mo Rahman, MA", StaffRole::MedicalAssistant, &[primary]).await?;
    let fran = s.staff("fran.frontdesk", "Fran Lee", StaffRole::FrontDesk, &[primary, cardiology]).await?;
    let bill = s.staff("bill.billing", "Bill Turner", StaffRole::Billing, &[]).await?;
    s.staff("cora.compliance", "Cora Jensen", StaffRole::ComplianceOfficer, &[]).await?;
    let patel_team =
        app.create_care_team(practice, Some(primary), "Dr. Patel's team", Some(patel), &[nina], SYSTEM).await?;
    let okafor_team =
        app.create_care_team(practice, Some(cardiology), "Dr. Okafor's team", Some(okafor), &[], SYSTEM).await?;
    let alice = s.patient("alice", ("Alice", "Nguyen"), "1984-03-12", "RFM-1001", (primary, patel_team)).await?;
    let carol = s.patient("carol", ("Carol", "Smith"), "1957-11-02", "RFM-1002", (primary, patel_team)).await?;
    let bob = s.patient("bob", ("Bob", "Martinez"), "1962-07-21", "RFM-1003", (cardiology, okafor_team)).await?;
    // A family: Jane is the mother of Sam (a confidential minor from 12)
    // and Mia; the practice gave her access to both children's messages.
    let jane = s.patient("jane", ("Jane", "Doe"), "1985-04-02", "RFM-2001", (primary, patel_team)).await?;
    let sam = s.patient("sam", ("Sam", "Doe"), "2012-05-09", "RFM-2002", (primary, patel_team)).await?;
    let mia = s.patient("mia", ("Mia", "Doe"), "2018-09-14", "RFM-2003", (primary, patel_team)).await?;

    // Pools, routing rules, templates: the practice's own organisation,
    // which patients never need to know.
    let admin_p = app.principal_for(admin).await?;
    let pool = |name: &'static str, lead: UserId, members: Vec<UserId>, auto: bool| {
        let admin_p = admin_p.clone();
        async move {
            let input = PoolInput { name, lead: Some(lead), members: &members, auto_assign: auto };
            app.save_pool(&admin_p, None, input, &RequestContext::default()).await
        }
    };
    let jane_record = app.patient_of_user(jane).await?.context("jane's record")?;
    for child in [sam, mia] {
        let child = app.patient_of_user(child).await?.context("a child's record")?;
        let input = switchboard_service::caregivers::GrantInput {
            caregiver_patient: jane_record,
            relationship: switchboard_domain::caregiver::CaregiverRelationship::Mother,
            until: None,
        };
        app.grant_caregiver(&admin_p, &ctx, child, input).await?;
    }
    let billing_pool = pool("Billing", bill, vec![bill], true).await?;
    let refills = pool("Refills", nina, vec![mo, nina], true).await?;
    let front_desk = pool("Front desk", fran, vec![fran], true).await?;
    let virtual_care = pool("Virtual care", patel, vec![patel, nina], true).await?;
    let monitoring = pool("Remote monitoring", nina, vec![nina, mo], false).await?;
    let cardiology_pool = pool("Cardiology", okafor, vec![okafor, fran], false).await?;
    let rule =
        |name: &str, topic: Option<Topic>, department: Option<DepartmentId>, provider_direct: bool, target: Target| {
            RuleInput { name: name.into(), condition: Condition { topic, department, provider_direct }, target }
        };
    app.save_routing_rules(
        &admin_p,
        vec![
            rule("Billing questions", Some(Topic::Billing), None, false, Target::Pool(billing_pool)),
            rule("Refill requests", Some(Topic::PrescriptionRefill), None, false, Target::Pool(refills)),
            rule("Appointments", Some(Topic::Scheduling), None, false, Target::Pool(front_desk)),
            rule("Telehealth visits", Some(Topic::Telehealth), None, false, Target::Pool(virtual_care)),
            rule("Monitoring programs", Some(Topic::MonitoringProgram), None, false, Target::ProgramStaff),
            rule("Written to a provider", None, None, true, Target::AddressedProvider),
            rule("Cardiology patients", None, Some(cardiology), false, Target::Pool(cardiology_pool)),
            rule("The patient's care team", None, None, false, Target::PatientCareTeam),
            rule("Everyone else", None, None, false, Target::Pool(front_desk)),
        ],
        &ctx,
    )
    .await?;
    app.set_program_pool(app.patient_of_user(bob).await?.context("bob's record")?, Some(monitoring)).await?;
    // The front desk files what patients send to the chart.
    app.set_documents_routing(&admin_p, Some(front_desk), &ctx).await?;
    // Clinicians' synthetic mobile numbers, for SMS alerts they opt into.
    for (user, mobile) in [(nina, "(555) 010-0111"), (patel, "(555) 010-0112"), (okafor, "(555) 010-0113")] {
        app.save_my_mobile(&app.principal_for(user).await?, Some(mobile.into()), &ctx).await?;
    }
    // Synthetic contact details and choices: alice by email, bob by text,
    // carol by push (once a browser of hers subscribes).
    for (user, email, phone, reach) in [
        (alice, Some("alice.nguyen@example.org"), None, Reach { email: true, sms: false, push: false }),
        (bob, None, Some("(555) 010-0103"), Reach { email: false, sms: true, push: false }),
        (
            carol,
            Some("carol.smith@example.org"),
            Some("(555) 010-0102"),
            Reach { email: false, sms: false, push: true },
        ),
    ] {
        let p = app.principal_for(user).await?;
        let contact = ContactDetails { email: email.map(Into::into), phone: phone.map(Into::into) };
        app.save_my_contact(&p, contact, &ctx).await?;
        app.save_my_notification_choices(&p, Some(reach), None, None, &ctx).await?;
    }
    // Records from the EHR of patients who have not enrolled yet: the front
    // desk invites them.
    for (given, family, birth, mrn, email, phone, place) in [
        ("Evan", "Brooks", "1990-05-17", "RFM-1004", Some("evan.brooks@example.org"), None, (primary, patel_team)),
        ("Grace", "Kim", "1975-09-30", "RFM-1005", None, Some("(555) 010-0142"), (primary, patel_team)),
        ("Henry", "Osei", "1948-01-08", "RFM-1006", None, Some("(555) 010-0177"), (cardiology, okafor_team)),
    ] {
        let record = switchboard_service::patient_admin::PatientInput {
            record: switchboard_service::patient_admin::PatientRecord {
                given_name: given.into(),
                family_name: family.into(),
                birth_date: birth.into(),
                mrn: Some(mrn.into()),
                email: email.map(Into::into),
                phone: phone.map(Into::into),
            },
            department: Some(place.0),
            care_team: Some(place.1),
        };
        app.add_patient_record(&admin_p, record, &ctx).await.with_context(|| format!("adding the record {mrn}"))?;
    }
    let okafor_p = app.principal_for(okafor).await?;
    app.save_my_settings(&okafor_p, StaffSettings { capacity: 20, accepts_direct_messages: false }, &ctx).await?;
    for (name, body, review_by) in [
        (
            "Refill sent",
            "Hi {patient_first_name}, your refill has been sent to your pharmacy and should be ready within a day. \
             If you have questions, call us at {practice_phone}. {my_name}",
            "2027-06-30",
        ),
        (
            "Please book a visit",
            "Hi {patient_first_name}, {provider_name} would like to see you for this. You can book online at \
             {scheduling_link} or call {practice_phone}. Our hours: {office_hours}.",
            "2027-06-30",
        ),
        (
            "Normal lab results",
            "Hi {patient_first_name}, your recent lab results are normal. {provider_name} has reviewed them and \
             no changes are needed. {my_name}",
            "2027-06-30",
        ),
        (
            "Flu shot clinic",
            "Hi {patient_first_name}, flu shots are available now; call {practice_phone} to book.",
            "2026-01-31",
        ),
    ] {
        app.save_template(&admin_p, None, TemplateInput { name, body, review_by, owner: None }, &ctx).await?;
    }
    app.set_scheduling_url(practice, Some("https://book.example.org/riverside")).await?;

    thread(
        app,
        alice,
        "New blood pressure medicine",
        "care_question",
        "Hi, I started the lisinopril on Monday. Should I take it with food? I have also had a dry cough since Wednesday.",
        &[(
            nina,
            "Hi Alice, you can take lisinopril with or without food. A dry cough is a known side effect; \
             Dr. Patel would like to hear how it goes over the next week. Please reply if it gets worse.",
        )],
    )
    .await?;
    thread(
        app,
        carol,
        "Metformin refill",
        "prescription_refill",
        "Could I get a refill of my metformin? I have 4 days left.",
        &[],
    )
    .await?;
    let ankles = thread(
        app,
        bob,
        "Swollen ankles",
        "care_question",
        "My ankles have been more swollen the last three days, mostly in the evening. No shortness of breath.",
        &[],
    )
    .await?;
    app.add_note(&okafor_p, ankles, "Check weight trend from home scale; consider diuretic adjustment.".into(), &ctx)
        .await?;
    thread(app, alice, "Question about my statement", "billing", "I was charged twice for my visit on the 3rd.", &[])
        .await?;

    // A second practice, to show that nothing crosses practices.
    let lake = app.create_practice(SECOND_PRACTICE, SYSTEM).await?;
    // The printed demo logins work with a password alone: the demo turns
    // off the second factor new practices require of staff (its setup page
    // warns about it).
    app.set_staff_second_factor_required(lake, false).await?;
    let mut lake_hours = weekdays(9 * 60, 17 * 60);
    lake_hours.push(OpeningPeriod { weekday: 6, opens_minute: 9 * 60, closes_minute: 12 * 60 });
    let contact =
        PracticeContact { time_zone: "America/Chicago", phone: Some("(555) 010-0200"), after_hours_phone: None };
    app.set_practice_details(lake, contact, &lake_hours, SYSTEM).await?;
    let s2 = Seeder { app, practice: lake };
    let peds = app.create_department(lake, "Pediatrics", SYSTEM).await?;
    s2.staff("lake.admin", "Jordan Price", StaffRole::PracticeAdmin, &[]).await?;
    let lee = s2.staff("dr.lee", "Dr. Sam Lee", StaffRole::Provider, &[peds]).await?;
    let lake_nurse = s2.staff("lake.nurse", "Robin Ortiz, RN", StaffRole::Nurse, &[peds]).await?;
    let team = app.create_care_team(lake, Some(peds), "Dr. Lee's team", Some(lee), &[lake_nurse], SYSTEM).await?;
    let dana = s2.patient("dana", ("Dana", "Brooks"), "1990-05-04", "LP-2001", (peds, team)).await?;
    thread(app, dana, "School form", "scheduling", "Can the school health form be ready by Friday?", &[]).await?;
    // The replies played into the demo are history, not news: nobody is
    // emailed, texted or reminded about them.
    app.forget_pending_reply_notices().await?;
    Ok(true)
}
