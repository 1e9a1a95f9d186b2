//! Codes and small shapes every area shares: who someone is (kind, role),
//! a conversation's topic, status and priority, a person, an id.

use serde::Serialize;
use switchboard_domain::conversation::{ConversationStatus, Priority};
use switchboard_domain::role::{SenderKind, StaffRole, UserKind};
use switchboard_domain::topic::Topic;
use switchboard_service::views;
use utoipa::ToSchema;

/// A domain code in JSON: its stable text (`as_str`). The schema's `enum`
/// is read from the domain's own `ALL`, so the document cannot drift from
/// the domain and no JSON twin of each domain enum is kept by hand.
#[derive(Clone, Copy)]
pub(crate) struct Code<T>(pub T);

/// A domain enum with stable codes, and how the document names it.
pub(crate) trait Coded: Copy + 'static {
    const SCHEMA: &'static str;
    const DESCRIPTION: &'static str;
    fn all() -> &'static [Self];
    fn code(self) -> &'static str;
}

macro_rules! coded {
    ($($ty:ty => $schema:literal, $description:literal;)*) => {$(
        impl Coded for $ty {
            const SCHEMA: &'static str = $schema;
            const DESCRIPTION: &'static str = $description;
            fn all() -> &'static [Self] {
                &<$ty>::ALL
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
        }
    )*};
}

coded! {
    SenderKind => "KindDto", "Who someone is: a patient, staff, or (`system`) the practice's automatic replies.";
    StaffRole => "RoleDto", "A staff member's job in the practice.";
    Topic => "TopicDto", "What a conversation is about.";
    ConversationStatus => "StatusDto", "Whose move it is.";
    Priority => "PriorityDto", "Routine, or urgent (a possible emergency).";
    switchboard_domain::notify::Medium => "MediumDto", "How a notification travels.";
    switchboard_domain::notify::NoticeKind => "NoticeKindDto", "Why someone was notified.";
    switchboard_domain::notify::DeliveryState => "DeliveryStateDto", "Where one email, text or push stands.";
    switchboard_domain::sensitivity::Sensitivity => "SensitivityDto", "A sensitive category a conversation can be marked with (`substance_use`: 42 CFR Part 2 records).";
    switchboard_domain::caregiver::CaregiverRelationship => "RelationshipDto", "Who a caregiver is to the patient (`other`: shown as \"caregiver\").";
    switchboard_domain::caregiver::GrantedBy => "GrantedByDto", "Who gave a caregiver access: the patient (an invitation), or the practice (for a minor).";
    switchboard_domain::caregiver::MinorStanding => "MinorStandingDto", "Where a patient stands for caregivers today: an adult, a child under the practice's confidentiality age, or a confidential minor (whose caregivers see only shared conversations).";
}

pub(crate) type KindDto = Code<SenderKind>;
pub(crate) type RoleDto = Code<StaffRole>;
pub(crate) type TopicDto = Code<Topic>;
pub(crate) type StatusDto = Code<ConversationStatus>;
pub(crate) type PriorityDto = Code<Priority>;
pub(crate) type SensitivityDto = Code<switchboard_domain::sensitivity::Sensitivity>;

impl<T: Coded> From<T> for Code<T> {
    fn from(value: T) -> Self {
        Code(value)
    }
}

impl From<UserKind> for KindDto {
    fn from(k: UserKind) -> Self {
        Code(k.into())
    }
}

impl<T: Coded> Serialize for Code<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.code())
    }
}

impl<T: Coded> utoipa::PartialSchema for Code<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(T::all().iter().map(|v| v.code())))
            .description(Some(T::DESCRIPTION))
            .into()
    }
}

impl<T: Coded> ToSchema for Code<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(T::SCHEMA)
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PersonDto {
    /// Absent for the practice's automatic replies.
    #[schema(format = "uuid")]
    pub id: Option<String>,
    pub kind: KindDto,
    pub display_name: String,
}

impl From<&views::SenderRef> for PersonDto {
    fn from(p: &views::SenderRef) -> Self {
        PersonDto { id: p.id.map(|i| i.to_string()), kind: p.kind.into(), display_name: p.display_name.clone() }
    }
}

impl From<&views::PersonRef> for PersonDto {
    fn from(p: &views::PersonRef) -> Self {
        PersonDto { id: Some(p.id.to_string()), kind: p.kind.into(), display_name: p.display_name.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct IdDto {
    #[schema(format = "uuid")]
    pub id: String,
}

/// A count as it goes out: never negative, and at most `u32::MAX`, so a
/// JavaScript number holds it exactly.
pub(crate) fn wire_count<N: TryInto<u32> + PartialOrd + Default>(n: N) -> u32 {
    if n < N::default() { 0 } else { n.try_into().unwrap_or(u32::MAX) }
}
