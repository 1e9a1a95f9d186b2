//! The schema each backend's migrations build, read back from the two
//! databases' catalogues and compared: every column's type, nullability,
//! default and place in the primary key; unique constraints, indexes (with
//! their columns and conditions), foreign keys, triggers, and the names and
//! values the CHECK constraints mention. The migration drift test
//! (`store/src/migrate/drift.rs`) compares the scripts' text on every
//! `cargo test`; this one compares what the scripts made, including inside
//! the dialect blocks that test skips.
//!
//! It needs PostgreSQL, so it is ignored in a plain `cargo test`; `.ci/run`
//! runs it in its PostgreSQL step.

use crate::support::*;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection as _, Row as _};
use std::collections::BTreeSet;

/// Each catalogue's name for a column type, and the name both compare as.
const SQLITE_TYPES: &[(&str, &str)] = &[
    ("BLOB", "bytes"),
    ("TEXT", "text"),
    ("BIGINT", "int64"),
    // SQLite's integers are 64-bit; only the rowid alias is declared INTEGER.
    ("INTEGER", "int64"),
];
const POSTGRES_TYPES: &[(&str, &str)] =
    &[("bytea", "bytes"), ("text", "text"), ("bigint", "int64"), ("integer", "int32")];

fn canonical_type(table: &[(&str, &str)], declared: &str) -> String {
    table
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(declared))
        .map_or_else(|| format!("{declared} (not in the type table)"), |(_, canonical)| (*canonical).to_owned())
}

/// One backend's schema, as lines that read like SQL; equal sets, equal
/// schemas.
#[derive(Default)]
struct Schema {
    columns: BTreeSet<String>,
    keys: BTreeSet<String>,
    foreign_keys: BTreeSet<String>,
    checks: BTreeSet<String>,
    triggers: BTreeSet<String>,
}

/// A default as written, without PostgreSQL's casts (`'x'::text`) or outer
/// parentheses.
fn default_value(d: Option<String>) -> String {
    d.map_or_else(String::new, |d| format!(" DEFAULT {}", strip_casts(&d).trim_matches(['(', ')'])))
}

fn strip_casts(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

/// The index condition without parentheses and casts, which PostgreSQL adds
/// when it prints one back.
fn condition(sql: &str) -> String {
    strip_casts(sql).replace(['(', ')'], "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `CREATE TRIGGER name BEFORE UPDATE ON table [FOR EACH ROW] …` as
/// `table.name: BEFORE UPDATE FOR EACH ROW`; SQLite's triggers are all row
/// triggers.
fn trigger_line(table: &str, sql: &str) -> String {
    let words: Vec<String> = sql.split_whitespace().map(str::to_uppercase).collect();
    let named = words.iter().position(|w| w == "TRIGGER").unwrap() + 1;
    let name = &words[named];
    let on = words.iter().position(|w| w == "ON").unwrap();
    let level = words.iter().skip_while(|w| *w != "EACH").nth(1).map_or("ROW", String::as_str);
    format!("{table}.{}: {} FOR EACH {level}", name.to_lowercase(), words[named + 1..on].join(" "))
}

/// The column names and values a CHECK mentions, without its operators:
/// `kind IN ('a', 'b')` and PostgreSQL's `kind = ANY (ARRAY['a'::text,
/// 'b'::text])` both give `'a' 'b' kind`. Coarse, but it sees a value or
/// bound added, dropped or changed on one side.
fn check_words(sql: &str) -> BTreeSet<String> {
    const OPERATORS: &[&str] = &["check", "and", "or", "not", "in", "is", "null", "any", "array", "between"];
    let mut words = BTreeSet::new();
    let chars: Vec<char> = strip_casts(sql).chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        if chars[i] == '\'' {
            i += 1 + chars[i + 1..].iter().position(|&c| c == '\'').map_or(chars.len(), |p| p + 1);
            words.insert(chars[start..i.min(chars.len())].iter().collect());
        } else if chars[i].is_alphanumeric() || chars[i] == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word = chars[start..i].iter().collect::<String>().to_lowercase();
            if !OPERATORS.contains(&word.as_str()) {
                words.insert(word);
            }
        } else {
            i += 1;
        }
    }
    words
}

/// The `CHECK (…)` clauses of an SQLite `CREATE TABLE`.
fn sqlite_checks(create: &str) -> Vec<String> {
    let upper = create.to_uppercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK").map(|p| from + p) {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if word(upper[..at].chars().next_back()) || word(upper[at + 5..].chars().next()) {
            from = at + 5;
            continue;
        }
        let open = at + upper[at..].find('(').unwrap();
        let mut depth = 0;
        let close = (open..create.len())
            .find(|&i| {
                match &create[i..=i] {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .unwrap();
        out.push(create[at..=close].to_owned());
        from = close;
    }
    out
}

async fn sqlite_schema(conn: &mut AnyConnection) -> Schema {
    let mut s = Schema::default();
    let columns = sqlx::query(
        "SELECT m.name AS t, p.name AS c, p.type AS ty, p.\"notnull\" AS nn, p.dflt_value AS d, p.pk AS pk, \
         (SELECT count(*) FROM pragma_table_info(m.name) k WHERE k.pk > 0) AS pks \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in &columns {
        let (table, column, ty): (String, String, String) = (r.get("t"), r.get("c"), r.get("ty"));
        let pk: i64 = r.get("pk");
        // SQLite lets a non-INTEGER primary key hold NULL (an old quirk);
        // PostgreSQL does not. Switchboard never writes one.
        let not_null = r.get::<i64, _>("nn") == 1 || pk > 0;
        let generated = ty.eq_ignore_ascii_case("INTEGER") && pk == 1 && r.get::<i64, _>("pks") == 1;
        s.columns.insert(column_line(
            &table,
            &column,
            &canonical_type(SQLITE_TYPES, &ty),
            not_null,
            &default_value(r.get("d")),
            pk,
            generated,
        ));
    }
    let indexes = sqlx::query(
        "SELECT m.name AS t, il.name AS n, il.\"unique\" AS u, il.origin AS o, ii.name AS c, \
         (SELECT x.sql FROM sqlite_master x WHERE x.type = 'index' AND x.name = il.name) AS s \
         FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, il.name, ii.seqno",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    // The index's own SQL: its condition follows WHERE.
    s.keys =
        key_lines(&indexes, |sql| sql.and_then(|s| s.to_uppercase().find(" WHERE ").map(|at| s[at + 7..].to_owned())));
    let fks = sqlx::query(
        "SELECT m.name AS t, f.\"from\" AS c, f.\"table\" AS rt, f.\"to\" AS rc \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    s.foreign_keys = foreign_key_lines(&fks);
    let tables =
        sqlx::query("SELECT name AS t, sql AS s FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    for r in &tables {
        let table: String = r.get("t");
        let words: BTreeSet<String> =
            sqlite_checks(&r.get::<String, _>("s")).iter().flat_map(|c| check_words(c)).collect();
        if !words.is_empty() {
            s.checks.insert(check_line(&table, &words));
        }
    }
    let triggers = sqlx::query("SELECT tbl_name AS t, sql AS s FROM sqlite_master WHERE type = 'trigger'")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    for r in &triggers {
        s.triggers.insert(trigger_line(&r.get::<String, _>("t"), &r.get::<String, _>("s")));
    }
    s
}

async fn postgres_schema(conn: &mut AnyConnection) -> Schema {
    let mut s = Schema::default();
    let columns = sqlx::query(
        "SELECT c.table_name::text AS t, c.column_name::text AS c, c.data_type::text AS ty, \
         (c.is_nullable = 'NO')::int4::int8 AS nn, c.column_default::text AS d, (c.is_identity = 'YES')::int4::int8 AS g, \
         COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema \
             AND k.constraint_name = tc.constraint_name \
             WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema \
             AND tc.table_name = c.table_name AND k.column_name = c.column_name), 0)::int8 AS pk \
         FROM information_schema.columns c WHERE c.table_schema = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in &columns {
        let (table, column, ty): (String, String, String) = (r.get("t"), r.get("c"), r.get("ty"));
        s.columns.insert(column_line(
            &table,
            &column,
            &canonical_type(POSTGRES_TYPES, &ty),
            r.get::<i64, _>("nn") == 1,
            &default_value(r.get("d")),
            r.get("pk"),
            r.get::<i64, _>("g") == 1,
        ));
    }
    let indexes = sqlx::query(
        "SELECT t.relname::text AS t, i.relname::text AS n, x.indisunique::int4::int8 AS u, \
         CASE WHEN x.indisprimary THEN 'pk' WHEN EXISTS (SELECT 1 FROM pg_constraint k \
             WHERE k.conindid = x.indexrelid AND k.contype = 'u') THEN 'u' ELSE 'c' END AS o, \
         a.attname::text AS c, pg_get_expr(x.indpred, x.indrelid) AS s \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS o(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = o.attnum \
         WHERE ns.nspname = 'public' ORDER BY t.relname, i.relname, o.ord",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    s.keys = key_lines(&indexes, |condition| condition);
    let fks = sqlx::query(
        "SELECT cl.relname::text AS t, a.attname::text AS c, rc.relname::text AS rt, ra.attname::text AS rc \
         FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_namespace ns ON ns.oid = cl.relnamespace \
         JOIN pg_class rc ON rc.oid = k.confrelid \
         CROSS JOIN LATERAL unnest(k.conkey, k.confkey) AS u(col, refcol) \
         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.col \
         JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.refcol \
         WHERE k.contype = 'f' AND ns.nspname = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    s.foreign_keys = foreign_key_lines(&fks);
    let checks = sqlx::query(
        "SELECT cl.relname::text AS t, pg_get_constraintdef(k.oid) AS s FROM pg_constraint k \
         JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_namespace ns ON ns.oid = cl.relnamespace \
         WHERE k.contype = 'c' AND ns.nspname = 'public' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut per_table: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for r in &checks {
        per_table.entry(r.get("t")).or_default().extend(check_words(&r.get::<String, _>("s")));
    }
    s.checks.extend(per_table.iter().map(|(table, words)| check_line(table, words)));
    let triggers = sqlx::query(
        "SELECT c.relname::text AS t, pg_get_triggerdef(g.oid) AS s FROM pg_trigger g \
         JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace \
         WHERE NOT g.tgisinternal AND ns.nspname = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in &triggers {
        let line = trigger_line(&r.get::<String, _>("t"), &r.get::<String, _>("s"));
        // SQLite has no TRUNCATE (a DELETE without WHERE runs the row
        // triggers there), so only PostgreSQL needs these.
        if !line.contains(" TRUNCATE ") {
            s.triggers.insert(line);
        }
    }
    s
}

fn column_line(table: &str, column: &str, ty: &str, not_null: bool, default: &str, pk: i64, generated: bool) -> String {
    format!(
        "{table}.{column}: {ty}{}{default}{}{}",
        if not_null { " NOT NULL" } else { "" },
        if pk > 0 { format!(" PRIMARY KEY #{pk}") } else { String::new() },
        if generated { " GENERATED" } else { "" }
    )
}

/// The indexes in catalogue rows (`t` table, `n` name, `u` unique, `o`
/// origin: `pk`, `u` for a UNIQUE constraint, `c` for CREATE INDEX; `c` one
/// column, in order; `s` what `condition_of` finds the condition in).
/// Primary keys are in the column lines already. A unique constraint's
/// index is named by each backend in its own way, so it is compared
/// without its name.
fn key_lines(rows: &[AnyRow], condition_of: impl Fn(Option<String>) -> Option<String>) -> BTreeSet<String> {
    struct Index {
        table: String,
        name: String,
        what: String,
        columns: Vec<String>,
        condition: String,
    }
    let mut indexes: Vec<Index> = Vec::new();
    for r in rows {
        let (table, name, origin, column): (String, String, String, String) =
            (r.get("t"), r.get("n"), r.get("o"), r.get("c"));
        if origin == "pk" {
            continue;
        }
        match indexes.last_mut() {
            Some(i) if i.table == table && i.name == name => i.columns.push(column),
            _ => {
                let what = match (origin.as_str(), r.get::<i64, _>("u") == 1) {
                    ("u", _) => "UNIQUE constraint".to_owned(),
                    (_, true) => format!("UNIQUE INDEX {name}"),
                    (_, false) => format!("INDEX {name}"),
                };
                let condition =
                    condition_of(r.get("s")).map_or_else(String::new, |c| format!(" WHERE {}", condition(&c)));
                indexes.push(Index { table, name, what, columns: vec![column], condition });
            }
        }
    }
    indexes.iter().map(|i| format!("{} ON {} ({}){}", i.what, i.table, i.columns.join(", "), i.condition)).collect()
}

/// Foreign keys as lines, from rows of `t`, `c` (the column), `rt` and
/// `rc` (the table and column referred to), as both catalogue queries
/// name them.
fn foreign_key_lines(rows: &[AnyRow]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{}.{} REFERENCES {} ({})",
                r.get::<String, _>("t"),
                r.get::<String, _>("c"),
                r.get::<String, _>("rt"),
                r.get::<String, _>("rc")
            )
        })
        .collect()
}

fn check_line(table: &str, words: &BTreeSet<String>) -> String {
    format!("{table} CHECKs mention {}", words.iter().cloned().collect::<Vec<_>>().join(" "))
}

/// What only one side has, per kind of object.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let parts = [
        ("columns", &sqlite.columns, &postgres.columns),
        ("indexes and unique constraints", &sqlite.keys, &postgres.keys),
        ("foreign keys", &sqlite.foreign_keys, &postgres.foreign_keys),
        ("CHECK constraints", &sqlite.checks, &postgres.checks),
        ("triggers", &sqlite.triggers, &postgres.triggers),
    ];
    let mut out = Vec::new();
    for (what, a, b) in parts {
        for line in a.difference(b) {
            out.push(format!("{what}, only in SQLite:     {line}"));
        }
        for line in b.difference(a) {
            out.push(format!("{what}, only in PostgreSQL: {line}"));
        }
    }
    out
}

#[tokio::test]
#[ignore = "needs PostgreSQL: SWITCHBOARD_TEST_DATABASE_URL=postgres://… cargo test --test api schema_parity -- --ignored (.ci/run does)"]
async fn both_backends_migrate_to_the_same_schema() {
    let admin = postgres_admin_url().expect(
        "the schema-parity test needs SWITCHBOARD_TEST_DATABASE_URL (a PostgreSQL server to make a database on)",
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("parity.db");
    switchboard_store::Store::migrate(&switchboard_store::Location::SqliteFile(sqlite.clone())).await.unwrap();
    let pg = fresh_postgres(&admin).await;
    switchboard_store::Store::migrate(&switchboard_store::Location::Postgres(pg.url())).await.unwrap();

    let mut lite = AnyConnection::connect(&format!("sqlite://{}", sqlite.display())).await.unwrap();
    let mut conn = AnyConnection::connect(&pg.url()).await.unwrap();
    let (a, b) = (sqlite_schema(&mut lite).await, postgres_schema(&mut conn).await);
    conn.close().await.unwrap();
    pg.drop_database().await;

    let problems = differences(&a, &b);
    assert!(problems.is_empty(), "the backends' schemas differ:\n{}", problems.join("\n"));
    // Equal because both saw something: columns with their details, a
    // unique constraint, a partial index, a trigger and a CHECK's values.
    for schema in [&a, &b] {
        assert!(schema.columns.contains("events.seq: int64 NOT NULL PRIMARY KEY #1 GENERATED"));
        assert!(schema.columns.contains("users.capacity: int64 NOT NULL DEFAULT 20"));
        assert!(schema.keys.contains("UNIQUE constraint ON users (username)"));
        assert!(
            schema.keys.iter().any(|k| k.starts_with("UNIQUE INDEX jobs_dedupe_pending ON jobs (dedupe_key) WHERE"))
        );
        assert!(schema.triggers.contains("messages.messages_no_update: BEFORE UPDATE FOR EACH ROW"));
        assert!(schema.checks.iter().any(|c| c.starts_with("alerts CHECKs mention") && c.contains("'reply_unread'")));
    }
}
