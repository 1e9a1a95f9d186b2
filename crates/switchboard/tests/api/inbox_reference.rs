//! The inbox SQL against its reference. Random conversations (status,
//! priority, topic, sensitive category, patient's department and care
//! team, assignee, owner, escalation, messages, reads and "mark unread")
//! are written through the store; then every view's listing, in both
//! orders, for a staff member, for a patient and for a caregiver of another
//! patient (whose grant may be a confidential minor's, so only conversations
//! shared with caregivers are listed), and the staff inbox counts
//! must be what `ViewFilter::matches`, `in_list_scope` and `attention_key`
//! say of the same data. Every listed row must also read back the access
//! facts it was written with (topic and sensitivity among them), so that
//! the policy's answer on the row (the content, or the metadata only) is
//! its answer on the data. On SQLite, and on PostgreSQL when
//! `SWITCHBOARD_TEST_DATABASE_URL` is set.

use crate::support::*;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use switchboard_domain::caregiver::{CaregiverRelationship, ProxyGrant};
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::ids::*;
use switchboard_domain::inbox::{InboxView, RowFacts, attention_key};
use switchboard_domain::policy::{
    Actor, ConversationAction, ConversationFacts, ListScope, PatientActor, PatientFacts, StaffActor,
    authorize_conversation, in_list_scope, list_scope, list_scope_for,
};
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::routing::Owner;
use switchboard_domain::sensitivity::{ContentGrants, Sensitivity};
use switchboard_domain::time::Timestamp;
use switchboard_domain::topic::Topic;
use switchboard_store::queries::{conversations as q, directory, keys, routing, sensitivity};
use switchboard_store::rows::WrappedKeyRow;
use switchboard_store::{Step, Unit};

/// The staff member whose inbox is checked, or a colleague.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Viewer,
    Colleague,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PoolLink {
    None,
    Member,
    Lead,
}

#[derive(Clone, Copy, Debug)]
enum OwnerSeed {
    Person(Who),
    Pool(usize),
    CareTeam(usize),
    Department(usize),
}

/// What happens in a conversation, in order.
#[derive(Clone, Copy, Debug)]
enum Event {
    Message(SenderKind),
    /// Staff open it: every patient message so far is read, and the
    /// reader's own "mark unread" ends (as `Switchboard::mark_read` does).
    StaffRead(Who),
    PatientRead,
    MarkUnread(Who),
}

#[derive(Clone, Debug)]
struct PatientSeed {
    /// In another practice, yet pointing at this practice's department and
    /// care team: only the practice check keeps it out.
    other_practice: bool,
    department: Option<usize>,
    care_team: Option<usize>,
}

#[derive(Clone, Debug)]
struct ConversationSeed {
    patient: usize,
    status: ConversationStatus,
    priority: Priority,
    topic: Topic,
    sensitivity: Option<Sensitivity>,
    assignee: Option<Who>,
    escalated_to: Option<Who>,
    owner: Option<OwnerSeed>,
    events: Vec<Event>,
    /// Shared with the patient's caregivers.
    shared: bool,
    /// Seconds after the start: few values, so that ties in activity time
    /// are common and the id decides.
    activity: i64,
}

#[derive(Clone, Debug)]
struct World {
    role: StaffRole,
    departments: [bool; 2],
    care_teams: [bool; 2],
    pools: [PoolLink; 3],
    patients: Vec<PatientSeed>,
    conversations: Vec<ConversationSeed>,
    /// The first patient's grant for the second is a confidential minor's.
    grant_confidential: bool,
}

fn who() -> impl Strategy<Value = Who> {
    select(vec![Who::Viewer, Who::Colleague])
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => select(vec![SenderKind::Patient, SenderKind::Staff, SenderKind::System]).prop_map(Event::Message),
        1 => who().prop_map(Event::StaffRead),
        1 => Just(Event::PatientRead),
        1 => who().prop_map(Event::MarkUnread),
    ]
}

fn conversation() -> impl Strategy<Value = ConversationSeed> {
    let owner = prop_oneof![
        who().prop_map(OwnerSeed::Person),
        (0..3usize).prop_map(OwnerSeed::Pool),
        (0..2usize).prop_map(OwnerSeed::CareTeam),
        (0..2usize).prop_map(OwnerSeed::Department),
    ];
    (
        (0..4usize, select(ConversationStatus::ALL.to_vec()), select(vec![Priority::Routine, Priority::Urgent])),
        (
            select(Topic::ALL.to_vec()),
            proptest::option::of(select(Sensitivity::ALL.to_vec())),
            proptest::option::of(who()),
            proptest::option::of(who()),
        ),
        (proptest::option::of(owner), proptest::collection::vec(event(), 0..5), 0..4i64, proptest::bool::ANY),
    )
        .prop_map(
            |(
                (patient, status, priority),
                (topic, sensitivity, assignee, escalated_to),
                (owner, events, activity, shared),
            )| {
                ConversationSeed {
                    patient,
                    status,
                    priority,
                    topic,
                    sensitivity,
                    assignee,
                    escalated_to,
                    owner,
                    events,
                    activity,
                    shared,
                }
            },
        )
}

fn world() -> impl Strategy<Value = World> {
    let link = select(vec![PoolLink::None, PoolLink::Member, PoolLink::Lead]);
    let patient = (proptest::bool::weighted(0.2), proptest::option::of(0..2usize), proptest::option::of(0..2usize))
        .prop_map(|(other_practice, department, care_team)| PatientSeed { other_practice, department, care_team });
    (
        select(StaffRole::ALL.to_vec()),
        proptest::array::uniform2(proptest::bool::ANY),
        proptest::array::uniform2(proptest::bool::ANY),
        proptest::array::uniform3(link),
        proptest::collection::vec(patient, 1..4),
        proptest::collection::vec(conversation(), 0..10),
        proptest::bool::ANY,
    )
        .prop_map(|(role, departments, care_teams, pools, patients, conversations, grant_confidential)| World {
            role,
            departments,
            care_teams,
            pools,
            patients,
            conversations,
            grant_confidential,
        })
}

fn new_id<T>(make: fn([u8; 16]) -> T) -> T {
    make(switchboard_crypto::random::array::<16>().unwrap())
}

/// A seeded conversation as the reference sees it.
struct Modelled {
    id: ConversationId,
    facts: ConversationFacts,
    status: ConversationStatus,
    priority: Priority,
    last_activity: i64,
    /// A patient message no staff member has read.
    unread_for_staff: bool,
    /// Whose "mark unread" stands.
    marked_by: Vec<Who>,
    /// A staff or automatic message the patient has not read.
    unread_for_patient: bool,
}

struct Seeded {
    practice: PracticeId,
    viewer: StaffActor,
    patient_viewer: PatientActor,
    /// The patient the first patient is a caregiver for (the second seeded,
    /// or the first itself when there is one: then the grant opens nothing).
    cared_for: PatientId,
    conversations: Vec<Modelled>,
}

/// Writes the world through the store in one unit, and returns what the
/// reference needs to know about it.
async fn seed(t: &TestApp, w: &World) -> Seeded {
    let at = Timestamp::parse_rfc3339(T0).unwrap();
    let tag = hex(&switchboard_crypto::random::array::<6>().unwrap());
    let practice: PracticeId = new_id(PracticeId::from_bytes);
    let elsewhere: PracticeId = new_id(PracticeId::from_bytes);
    let departments: [DepartmentId; 2] = [new_id(DepartmentId::from_bytes), new_id(DepartmentId::from_bytes)];
    let teams: [CareTeamId; 2] = [new_id(CareTeamId::from_bytes), new_id(CareTeamId::from_bytes)];
    let pools: [PoolId; 3] = [new_id(PoolId::from_bytes), new_id(PoolId::from_bytes), new_id(PoolId::from_bytes)];
    let (viewer, colleague): (UserId, UserId) = (new_id(UserId::from_bytes), new_id(UserId::from_bytes));
    let user_of = |who: Who| if who == Who::Viewer { viewer } else { colleague };
    let mut steps: Vec<Step> = vec![
        directory::insert_practice(practice, &format!("Inbox {tag}"), at),
        directory::insert_practice(elsewhere, &format!("Elsewhere {tag}"), at),
    ];
    for (i, d) in departments.iter().enumerate() {
        steps.push(directory::insert_department(*d, practice, &format!("Department {i}"), at));
    }
    for (i, team) in teams.iter().enumerate() {
        steps.push(directory::insert_care_team(*team, practice, None, &format!("Team {i}"), None, at));
    }
    for (id, role, name) in [(viewer, w.role, "viewer"), (colleague, StaffRole::Nurse, "colleague")] {
        let username = format!("inbox-{tag}-{name}");
        steps.push(directory::insert_user(&directory::NewUser::staff(
            id, practice, &username, role, name, "unused", at,
        )));
    }
    let mut actor = StaffActor {
        user: viewer,
        practice,
        role: w.role,
        departments: vec![],
        care_teams: vec![],
        pools: vec![],
        reads: ContentGrants::default_for(w.role),
        emergency: Default::default(),
    };
    for (i, member) in w.departments.iter().enumerate() {
        if *member {
            steps.push(directory::insert_staff_department(viewer, departments[i]));
            actor.departments.push(departments[i]);
        }
    }
    for (i, member) in w.care_teams.iter().enumerate() {
        if *member {
            steps.push(directory::insert_care_team_member(teams[i], viewer));
            actor.care_teams.push(teams[i]);
        }
    }
    for (i, link) in w.pools.iter().enumerate() {
        let lead = (*link == PoolLink::Lead).then_some(viewer);
        steps.push(routing::insert_pool(pools[i], practice, &format!("Pool {i}"), lead, false, at));
        if *link == PoolLink::Member {
            steps.push(routing::insert_pool_member(pools[i], viewer, 0));
        }
        if *link != PoolLink::None {
            actor.pools.push(pools[i]);
        }
    }
    let key_in =
        |p: PracticeId| WrappedKeyRow { id: DataKeyId::from_bytes(*p.as_bytes()), kek_id: 1, wrapped: vec![0; 8] };
    steps.push(keys::insert(&key_in(practice), practice, at));
    steps.push(keys::insert(&key_in(elsewhere), elsewhere, at));

    let mut patients: Vec<(PatientFacts, UserId)> = Vec::new();
    for (i, p) in w.patients.iter().enumerate() {
        let (id, user): (PatientId, UserId) = (new_id(PatientId::from_bytes), new_id(UserId::from_bytes));
        let home = if p.other_practice { elsewhere } else { practice };
        let username = format!("inbox-{tag}-patient{i}");
        steps.push(directory::insert_user(&directory::NewUser::patient(user, home, &username, "unused", at)));
        let facts = PatientFacts {
            id,
            practice: home,
            department: p.department.map(|d| departments[d]),
            care_team: p.care_team.map(|c| teams[c]),
        };
        steps.push(directory::insert_patient(directory::NewPatient {
            id,
            practice: home,
            user: Some(user),
            department: facts.department,
            care_team: facts.care_team,
            dek: key_in(home).id,
            given_name_ct: vec![1],
            family_name_ct: vec![2],
            birth_date_ct: vec![3],
            mrn_ct: None,
            mrn_index: None,
            email_ct: None,
            phone_ct: None,
            at,
        }));
        patients.push((facts, user));
    }

    let mut conversations = Vec::new();
    for c in &w.conversations {
        let (patient, patient_user) = patients[c.patient % patients.len()].clone();
        let id: ConversationId = new_id(ConversationId::from_bytes);
        let last_activity = at.as_micros() + c.activity * 1_000_000;
        steps.push(q::insert_conversation(q::NewConversation {
            id,
            practice: patient.practice,
            patient: patient.id,
            dek: key_in(patient.practice).id,
            subject_ct: vec![4],
            topic: c.topic,
            status: c.status,
            priority: c.priority,
            assignee: c.assignee.map(user_of),
            created_by: colleague,
            at: Timestamp::from_micros(last_activity),
            shared_with_caregivers: c.shared,
            sensitivity: None,
        }));
        let owner = c.owner.map(|o| match o {
            OwnerSeed::Person(who) => Owner::Person(user_of(who)),
            OwnerSeed::Pool(i) => Owner::Pool(pools[i]),
            OwnerSeed::CareTeam(i) => Owner::CareTeam(teams[i]),
            OwnerSeed::Department(i) => Owner::Department(departments[i]),
        });
        steps.push(routing::set_owner(id, owner, None, None, None));
        if c.sensitivity.is_some() {
            steps.push(sensitivity::set_conversation_sensitivity(id, c.sensitivity));
        }
        if let Some(to) = c.escalated_to {
            steps.push(routing::escalate(id, user_of(to), colleague, at));
        }
        // Per message: (sender, read by staff, read by the patient).
        let mut messages: Vec<(SenderKind, bool, bool)> = Vec::new();
        let mut marked_by = Vec::new();
        for e in &c.events {
            match *e {
                Event::Message(kind) => {
                    let sender = match kind {
                        SenderKind::Patient => Some(patient_user),
                        SenderKind::Staff => Some(colleague),
                        SenderKind::System => None,
                    };
                    steps.push(q::insert_message(q::NewMessage {
                        id: new_id(MessageId::from_bytes),
                        conversation: id,
                        sender,
                        sender_kind: kind,
                        body_ct: vec![5],
                        at,
                    }));
                    messages.push((kind, false, false));
                }
                Event::StaffRead(who) => {
                    steps.push(q::mark_read(id, user_of(who), UserKind::Staff, at));
                    steps.push(q::clear_unread_mark(id, user_of(who)));
                    messages.iter_mut().filter(|m| m.0 == SenderKind::Patient).for_each(|m| m.1 = true);
                    marked_by.retain(|&m| m != who);
                }
                Event::PatientRead => {
                    steps.push(q::mark_read(id, patient_user, UserKind::Patient, at));
                    messages.iter_mut().filter(|m| m.0 != SenderKind::Patient).for_each(|m| m.2 = true);
                }
                Event::MarkUnread(who) => {
                    steps.push(q::mark_unread(id, user_of(who), at));
                    if !marked_by.contains(&who) {
                        marked_by.push(who);
                    }
                }
            }
        }
        conversations.push(Modelled {
            id,
            facts: ConversationFacts {
                id,
                patient,
                assignee: c.assignee.map(user_of),
                owner,
                escalated_to: c.escalated_to.map(user_of),
                topic: c.topic,
                sensitivity: c.sensitivity,
                shared_with_caregivers: c.shared,
            },
            status: c.status,
            priority: c.priority,
            last_activity,
            unread_for_staff: messages.iter().any(|m| m.0 == SenderKind::Patient && !m.1),
            marked_by,
            unread_for_patient: messages.iter().any(|m| m.0 != SenderKind::Patient && !m.2),
        });
    }
    t.app().store_for_tests().commit(Unit::new().steps(steps)).await.unwrap();
    let (first, first_user) = patients[0].clone();
    let cared_for = patients.get(1).map_or(first.id, |(f, _)| f.id);
    // The grant names the caregiver's own practice; the patient may be in
    // another, where it opens nothing.
    let grant = ProxyGrant {
        id: new_id(ProxyGrantId::from_bytes),
        practice: first.practice,
        patient: cared_for,
        relationship: CaregiverRelationship::Guardian,
        until: None,
        confidential: w.grant_confidential,
    };
    Seeded {
        practice,
        viewer: actor,
        patient_viewer: PatientActor {
            user: first_user,
            practice: first.practice,
            patient: Some(first.id),
            proxies: vec![grant],
        },
        cared_for,
        conversations,
    }
}

impl Modelled {
    fn row(&self, viewer: &Actor) -> RowFacts {
        let unread = match viewer {
            Actor::Staff(_) => self.unread_for_staff || self.marked_by.contains(&Who::Viewer),
            Actor::Patient(_) | Actor::LinkPatient(_) => self.unread_for_patient,
        };
        let on_my_team = match viewer {
            Actor::Staff(s) => self.facts.patient.care_team.is_some_and(|t| s.care_teams.contains(&t)),
            Actor::Patient(_) | Actor::LinkPatient(_) => false,
        };
        RowFacts {
            status: self.status,
            priority: self.priority,
            unread,
            assigned_to_me: self.facts.assignee == Some(viewer.user()),
            on_my_team,
            escalated_to_me: self.facts.escalated_to == Some(viewer.user()),
        }
    }
}

/// The reference's answer: the view's conversations in the listing's order,
/// as indexes into the seed (short to read when a case fails).
fn expected(s: &Seeded, viewer: &Actor, scope: &ListScope, view: InboxView, attention: bool) -> Vec<usize> {
    let mut out: Vec<usize> = (0..s.conversations.len())
        .filter(|&i| {
            let c = &s.conversations[i];
            in_list_scope(scope, viewer, &c.facts) && view.filter().matches(c.row(viewer))
        })
        .collect();
    let convs = &s.conversations;
    if attention {
        out.sort_by_key(|&i| (attention_key(convs[i].status, convs[i].priority, convs[i].last_activity), convs[i].id));
    } else {
        out.sort_by_key(|&i| std::cmp::Reverse((convs[i].last_activity, convs[i].id)));
    }
    out
}

async fn listed(
    t: &TestApp,
    s: &Seeded,
    viewer: &Actor,
    scope: &ListScope,
    view: InboxView,
    attention: bool,
) -> Vec<usize> {
    let filter =
        q::ListFilter { attention_order: attention, limit: 1000, ..q::ListFilter::view(view.filter(), viewer.user()) };
    let rows = q::list(t.app().store_for_tests(), scope, viewer.kind(), &filter).await.unwrap();
    rows.iter()
        .map(|r| {
            let i = s.conversations.iter().position(|c| c.id == r.id).expect("a listed conversation was not seeded");
            // The row reads back the facts it was written with, so the
            // policy decides on the row (content or metadata only) what it
            // decides on the data.
            let facts = &s.conversations[i].facts;
            let read_back = ConversationFacts {
                id: r.id,
                patient: PatientFacts {
                    id: r.patient.id,
                    practice: r.patient.practice,
                    department: r.patient.department,
                    care_team: r.patient.care_team,
                },
                assignee: r.assignee,
                owner: r.owner,
                escalated_to: r.escalated_to.as_ref().map(|(u, _)| *u),
                topic: r.topic,
                sensitivity: r.sensitivity,
                shared_with_caregivers: r.shared_with_caregivers,
            };
            assert_eq!(&read_back, facts, "the row's access facts");
            for action in [ConversationAction::ViewMetadata, ConversationAction::View] {
                assert_eq!(
                    authorize_conversation(viewer, action, &read_back),
                    authorize_conversation(viewer, action, facts)
                );
            }
            // Listed means at least the row.
            assert!(authorize_conversation(viewer, ConversationAction::ViewMetadata, facts).is_allowed());
            i
        })
        .collect()
}

/// Checks one world; returns how many listed rows it compared.
async fn check(t: &TestApp, w: &World) -> Result<usize, TestCaseError> {
    let s = seed(t, w).await;
    // The actor the service would build for the viewer is the one modelled.
    let mut m = directory::memberships(t.app().store_for_tests(), s.viewer.user).await.unwrap();
    let mut modelled = s.viewer.clone();
    for v in [&mut m.departments, &mut modelled.departments] {
        v.sort();
    }
    for v in [&mut m.care_teams, &mut modelled.care_teams] {
        v.sort();
    }
    for v in [&mut m.pools, &mut modelled.pools] {
        v.sort();
    }
    prop_assert_eq!(
        (m.departments, m.care_teams, m.pools),
        (modelled.departments, modelled.care_teams, modelled.pools)
    );
    let mut compared = 0;
    let staff = Actor::Staff(s.viewer.clone());
    let patient = Actor::Patient(s.patient_viewer.clone());
    let patient_views: Vec<InboxView> = InboxView::ALL.into_iter().filter(|v| !v.staff_only()).collect();
    // The caregiver is the same patient account, listing the patient it
    // acts for (the service's `list_scope_for`).
    let caregiver_scope = list_scope_for(&patient, Some(s.cared_for));
    for (viewer, scope, views) in [
        (&staff, list_scope(&staff), InboxView::ALL.to_vec()),
        (&patient, list_scope(&patient), patient_views.clone()),
        (&patient, caregiver_scope, patient_views),
    ] {
        for view in views {
            for attention in [false, true] {
                let (sql, reference) = (
                    listed(t, &s, viewer, &scope, view, attention).await,
                    expected(&s, viewer, &scope, view, attention),
                );
                compared += sql.len();
                prop_assert_eq!(
                    sql,
                    reference,
                    "{:?} listing {} (attention order: {})",
                    viewer.kind(),
                    view.as_str(),
                    attention
                );
            }
        }
    }
    // Roles that see no conversations get empty counts from the service
    // without asking the database.
    if list_scope(&staff) != ListScope::Nothing {
        let counts = q::inbox_counts(t.app().store_for_tests(), s.practice, s.viewer.user).await.unwrap();
        for view in InboxView::ALL {
            let reference = i64::try_from(expected(&s, &staff, &list_scope(&staff), view, false).len()).unwrap();
            prop_assert_eq!(counts.of(view), reference, "inbox count of {}", view.as_str());
        }
    }
    Ok(compared)
}

#[test]
fn inbox_lists_and_counts_agree_with_view_filter_and_list_scope() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let t = rt.block_on(TestApp::spawn());
    let mut runner =
        TestRunner::new(Config { cases: 24, max_shrink_iters: 512, failure_persistence: None, ..Config::default() });
    let compared = std::cell::Cell::new(0);
    let result = runner.run(&world(), |w| {
        compared.set(compared.get() + rt.block_on(check(&t, &w))?);
        Ok(())
    });
    rt.block_on(t.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
    // The worlds were not all empty: listings had rows to compare.
    assert!(compared.get() > 100, "only {} listed rows compared", compared.get());
}
