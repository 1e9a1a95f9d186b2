//! The practice's quick replies.

use crate::rows::{col, id, ts};
use crate::{Conflict, Step, Store, StoreError, Value};
use switchboard_domain::ids::{PracticeId, TemplateId, UserId};
use switchboard_domain::templates::Template;
use switchboard_domain::time::Timestamp;

/// What an author writes into a template, new or changed.
#[derive(Clone, Copy, Debug)]
pub struct TemplateFields<'a> {
    pub name: &'a str,
    pub body: &'a str,
    pub owner: UserId,
    /// `YYYY-MM-DD`.
    pub review_by: &'a str,
}

/// The binds both writes share: `$1` the template, `$2` the practice,
/// `$3`–`$6` the fields and `$7` the time.
fn binds(t: TemplateId, practice: PracticeId, f: TemplateFields<'_>, at: Timestamp) -> Vec<Value> {
    vec![
        t.to_vec().into(),
        practice.to_vec().into(),
        f.name.into(),
        f.body.into(),
        f.owner.to_vec().into(),
        f.review_by.into(),
        at.as_micros().into(),
    ]
}

pub fn insert(t: TemplateId, practice: PracticeId, fields: TemplateFields<'_>, at: Timestamp) -> Step {
    Step::new(
        "INSERT INTO templates (id, practice_id, name, body, owner_id, review_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        binds(t, practice, fields, at),
    )
}

pub fn update(t: TemplateId, practice: PracticeId, fields: TemplateFields<'_>, at: Timestamp) -> Step {
    Step::new(
        "UPDATE templates SET name = $3, body = $4, owner_id = $5, review_by = $6, updated_at = $7 WHERE id = $1 AND practice_id = $2",
        binds(t, practice, fields, at),
    )
    .guarded(Conflict::TemplateMissing)
}

pub fn count_use(t: TemplateId) -> Step {
    Step::new("UPDATE templates SET usage_count = usage_count + 1 WHERE id = $1", vec![t.to_vec().into()])
        .guarded(Conflict::TemplateMissing)
}

const COLUMNS: &str = "SELECT t.id, t.name, t.body, t.owner_id, u.display_name AS owner_name, t.review_by, t.usage_count, t.updated_at \
     FROM templates t JOIN users u ON u.id = t.owner_id";

fn decode(r: &sqlx::any::AnyRow) -> Result<Template, StoreError> {
    Ok(Template {
        id: id(r, "id", TemplateId::from_slice)?,
        name: col(r, "name")?,
        body: col(r, "body")?,
        owner: id(r, "owner_id", UserId::from_slice)?,
        owner_name: col::<Option<String>>(r, "owner_name")?.unwrap_or_default(),
        review_by: col(r, "review_by")?,
        usage_count: col(r, "usage_count")?,
        updated_at: ts(r, "updated_at")?,
    })
}

/// The practice's templates, by name; all of them (the service filters by
/// search text, which is small and not worth an index).
pub async fn list(store: &Store, practice: PracticeId) -> Result<Vec<Template>, StoreError> {
    let sql = format!("{COLUMNS} WHERE t.practice_id = $1 ORDER BY t.name");
    let rows = sqlx::query(&sql).bind(practice.to_vec()).fetch_all(store.reader()).await?;
    rows.iter().map(decode).collect()
}

pub async fn by_id(store: &Store, practice: PracticeId, t: TemplateId) -> Result<Option<Template>, StoreError> {
    let sql = format!("{COLUMNS} WHERE t.practice_id = $1 AND t.id = $2");
    let row = sqlx::query(&sql).bind(practice.to_vec()).bind(t.to_vec()).fetch_optional(store.reader()).await?;
    row.as_ref().map(decode).transpose()
}
