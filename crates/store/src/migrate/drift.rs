//! The SQLite and PostgreSQL copies of each migration say the same thing,
//! statement by statement, once normalised (`normalise.rs`), except inside
//! the dialect blocks listed here.
//!
//! The list lives here rather than as markers in the scripts: each applied
//! script's SHA-256 is kept in `schema_migrations`, so editing one, even
//! its comments, would stop every existing deployment at start.

use super::MIGRATIONS;
use super::normalise::{Statement, prefix, render, statements};
use crate::Backend;
use std::collections::BTreeSet;
use std::path::Path;

/// Statements that differ by dialect on purpose. Each entry names, per
/// dialect, how each of its statements begins (as written in that dialect);
/// each must begin exactly one statement of that script, so a block that no
/// longer matches fails too.
struct DialectBlock {
    file: &'static str,
    why: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
}

const DIALECT_BLOCKS: &[DialectBlock] = &[
    DialectBlock {
        file: "0027_retention.sql",
        why: "messages deleted only with their conversation's removal: SQLite's trigger has a WHEN, PostgreSQL's \
              function checks it (name, timing, event and table are in the prefixes); DROP TRIGGER names the table \
              in PostgreSQL only",
        sqlite: &[
            "DROP TRIGGER messages_no_delete",
            "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages WHEN",
        ],
        postgres: &[
            "CREATE FUNCTION switchboard_keep_until_removed() RETURNS trigger",
            "DROP TRIGGER messages_no_delete ON messages",
            "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages FOR EACH ROW EXECUTE FUNCTION",
        ],
    },
    DialectBlock {
        file: "0001_initial.sql",
        why: "refusing UPDATE and DELETE: SQLite raises in the trigger's body, PostgreSQL calls one function \
              (the triggers' names, timing, events and tables are in the prefixes, so they are still compared)",
        sqlite: &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN",
            "CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages BEGIN",
            "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages BEGIN",
        ],
        postgres: &[
            "CREATE FUNCTION switchboard_refuse_change() RETURNS trigger",
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION",
            "CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION",
            "CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages FOR EACH ROW EXECUTE FUNCTION",
            // SQLite has no TRUNCATE.
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log",
            "CREATE TRIGGER messages_no_truncate BEFORE TRUNCATE ON messages",
        ],
    },
    DialectBlock {
        file: "0005_response_times.sql",
        why: "new alert kinds: SQLite cannot change a CHECK, so it rebuilds the table",
        sqlite: &[
            "CREATE TABLE alerts_new",
            "INSERT INTO alerts_new",
            "DROP TABLE alerts",
            "ALTER TABLE alerts_new RENAME TO alerts",
            "CREATE INDEX alerts_user ON alerts",
        ],
        postgres: &[
            "ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check",
            "ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check",
        ],
    },
    DialectBlock {
        file: "0016_sessions_seen.sql",
        why: "random public ids for the sessions already open: SQLite's randomblob, PostgreSQL's gen_random_uuid",
        sqlite: &["UPDATE sessions SET public_id = randomblob(16)"],
        postgres: &["UPDATE sessions SET public_id = uuid_send(gen_random_uuid())"],
    },
    DialectBlock {
        file: "0021_emergency_access.sql",
        why: "a new access-review reason: SQLite cannot change a CHECK, so it rebuilds the table",
        sqlite: &[
            "CREATE TABLE access_reviews_new",
            "INSERT INTO access_reviews_new",
            "DROP TABLE access_reviews",
            "ALTER TABLE access_reviews_new RENAME TO access_reviews",
            "CREATE INDEX access_reviews_practice ON access_reviews",
        ],
        postgres: &[
            "ALTER TABLE access_reviews DROP CONSTRAINT access_reviews_reason_check",
            "ALTER TABLE access_reviews ADD CONSTRAINT access_reviews_reason_check",
        ],
    },
    DialectBlock {
        file: "0023_caregiver_accounts.sql",
        why: "terms_acceptances.patient_id becomes optional: SQLite cannot drop a NOT NULL, so it rebuilds the table",
        sqlite: &[
            "CREATE TABLE terms_acceptances_new",
            "INSERT INTO terms_acceptances_new",
            "DROP TABLE terms_acceptances",
            "ALTER TABLE terms_acceptances_new RENAME TO terms_acceptances",
            "CREATE INDEX terms_acceptances_patient ON terms_acceptances",
        ],
        postgres: &["ALTER TABLE terms_acceptances ALTER COLUMN patient_id DROP NOT NULL"],
    },
];

fn file_name(version: i64, name: &str) -> String {
    format!("{version:04}_{name}.sql")
}

/// The statements of one script outside its dialect blocks, or why the
/// blocks do not fit it.
fn outside_dialect_blocks(file: &str, script: &str, dialect: Backend) -> Result<Vec<Statement>, String> {
    let mut all = statements(script, dialect);
    for block in DIALECT_BLOCKS.iter().filter(|b| b.file == file) {
        let starts = match dialect {
            Backend::Sqlite => block.sqlite,
            Backend::Postgres => block.postgres,
        };
        for start in starts {
            let tokens = prefix(start, dialect);
            let matching: Vec<usize> = (0..all.len()).filter(|&i| all[i].starts_with(&tokens)).collect();
            let [only] = matching[..] else {
                return Err(format!(
                    "{dialect:?} {file}: the dialect block \"{}\" expects one statement beginning `{}`, found {}",
                    block.why,
                    render(&tokens),
                    matching.len()
                ));
            };
            all.remove(only);
        }
    }
    Ok(all)
}

/// Where the two copies of one migration part, normalised on both sides.
fn first_difference(file: &str, sqlite: &[Statement], postgres: &[Statement]) -> Option<String> {
    let show =
        |s: Option<&Statement>| s.map_or("(no statement)".to_owned(), |s| format!("#{}: {}", s.number, s.text()));
    (0..sqlite.len().max(postgres.len())).find_map(|i| {
        let (a, b) = (sqlite.get(i), postgres.get(i));
        let (ta, tb) = (a.map_or(&[][..], |s| &s.tokens[..]), b.map_or(&[][..], |s| &s.tokens[..]));
        (ta != tb).then(|| {
            // Long statements: point at the words where they part.
            let at = ta.iter().zip(tb).take_while(|(x, y)| x == y).count();
            let near = |t: &[String]| render(&t[at.saturating_sub(3)..(at + 4).min(t.len())]);
            format!(
                "{file} differs (normalised):\n  sqlite   {}\n  postgres {}\n  where: `{}` / `{}`",
                show(a),
                show(b),
                near(ta),
                near(tb)
            )
        })
    })
}

#[test]
fn each_migration_says_the_same_in_both_dialects_outside_its_dialect_blocks() {
    let mut problems = Vec::new();
    for m in MIGRATIONS {
        let file = file_name(m.version, m.name);
        let sides = (
            outside_dialect_blocks(&file, m.sqlite, Backend::Sqlite),
            outside_dialect_blocks(&file, m.postgres, Backend::Postgres),
        );
        match sides {
            (Ok(sqlite), Ok(postgres)) => problems.extend(first_difference(&file, &sqlite, &postgres)),
            (a, b) => problems.extend(a.err().into_iter().chain(b.err())),
        }
    }
    for block in DIALECT_BLOCKS {
        if !MIGRATIONS.iter().any(|m| file_name(m.version, m.name) == block.file) {
            problems
                .push(format!("the dialect block \"{}\" names {}, which is not a migration", block.why, block.file));
        }
    }
    assert!(problems.is_empty(), "the migrations drifted apart:\n\n{}", problems.join("\n\n"));
}

#[test]
fn every_script_on_disk_is_a_listed_migration_in_both_dialects() {
    let listed: BTreeSet<String> = MIGRATIONS.iter().map(|m| file_name(m.version, m.name)).collect();
    for dialect in ["sqlite", "postgres"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect);
        let on_disk: BTreeSet<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(on_disk, listed, "migrations/{dialect} and MIGRATIONS disagree");
    }
}

#[test]
fn a_change_to_one_copy_alone_is_reported_with_its_file_and_statement() {
    let m = MIGRATIONS.iter().find(|m| m.version == 3).unwrap();
    let file = file_name(m.version, m.name);
    let changed = m.postgres.replace("capacity BIGINT NOT NULL DEFAULT 20", "capacity BIGINT DEFAULT 20");
    assert!(changed != m.postgres, "the example statement is no longer in 0003");
    let sqlite = outside_dialect_blocks(&file, m.sqlite, Backend::Sqlite).unwrap();
    let postgres = outside_dialect_blocks(&file, &changed, Backend::Postgres).unwrap();
    let report = first_difference(&file, &sqlite, &postgres).unwrap();
    assert!(report.starts_with("0003_routing.sql differs"), "{report}");
    assert!(
        report.contains("sqlite   #1: alter table users add column capacity bigint not null default 20"),
        "{report}"
    );
    assert!(report.contains("postgres #1: alter table users add column capacity bigint default 20"), "{report}");
    // A dialect block that no longer fits its script is an error, not a pass.
    let five = MIGRATIONS.iter().find(|m| m.version == 5).unwrap();
    let broken =
        five.sqlite.replace("ALTER TABLE alerts_new RENAME TO alerts", "ALTER TABLE alerts_new RENAME TO alarms");
    let err = outside_dialect_blocks("0005_response_times.sql", &broken, Backend::Sqlite).unwrap_err();
    assert!(err.contains("alter table alerts_new rename to alerts"), "{err}");
}
