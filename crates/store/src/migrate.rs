//! Versioned, forward-only migrations, embedded in the binary, one script
//! per backend per version. Each applied script's SHA-256 is recorded; a
//! script that changed after it was applied stops the start-up.

use crate::{Backend, StoreError};
use sqlx::{AnyPool, Executor as _, Row as _};

#[cfg(test)]
mod drift;
#[cfg(test)]
mod normalise;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "practice_hours",
        sqlite: include_str!("../migrations/sqlite/0002_practice_hours.sql"),
        postgres: include_str!("../migrations/postgres/0002_practice_hours.sql"),
    },
    Migration {
        version: 3,
        name: "routing",
        sqlite: include_str!("../migrations/sqlite/0003_routing.sql"),
        postgres: include_str!("../migrations/postgres/0003_routing.sql"),
    },
    Migration {
        version: 4,
        name: "inbox_indexes",
        sqlite: include_str!("../migrations/sqlite/0004_inbox_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0004_inbox_indexes.sql"),
    },
    Migration {
        version: 5,
        name: "response_times",
        sqlite: include_str!("../migrations/sqlite/0005_response_times.sql"),
        postgres: include_str!("../migrations/postgres/0005_response_times.sql"),
    },
    Migration {
        version: 6,
        name: "onboarding",
        sqlite: include_str!("../migrations/sqlite/0006_onboarding.sql"),
        postgres: include_str!("../migrations/postgres/0006_onboarding.sql"),
    },
    Migration {
        version: 7,
        name: "operator_keys",
        sqlite: include_str!("../migrations/sqlite/0007_operator_keys.sql"),
        postgres: include_str!("../migrations/postgres/0007_operator_keys.sql"),
    },
    Migration {
        version: 8,
        name: "daily_use",
        sqlite: include_str!("../migrations/sqlite/0008_daily_use.sql"),
        postgres: include_str!("../migrations/postgres/0008_daily_use.sql"),
    },
    Migration {
        version: 9,
        name: "readiness",
        sqlite: include_str!("../migrations/sqlite/0009_readiness.sql"),
        postgres: include_str!("../migrations/postgres/0009_readiness.sql"),
    },
    Migration {
        version: 10,
        name: "notifications",
        sqlite: include_str!("../migrations/sqlite/0010_notifications.sql"),
        postgres: include_str!("../migrations/postgres/0010_notifications.sql"),
    },
    Migration {
        version: 11,
        name: "enrollment",
        sqlite: include_str!("../migrations/sqlite/0011_enrollment.sql"),
        postgres: include_str!("../migrations/postgres/0011_enrollment.sql"),
    },
    Migration {
        version: 12,
        name: "push_sessions_and_reminder_opt_out",
        sqlite: include_str!("../migrations/sqlite/0012_push_sessions_and_reminder_opt_out.sql"),
        postgres: include_str!("../migrations/postgres/0012_push_sessions_and_reminder_opt_out.sql"),
    },
    Migration {
        version: 13,
        name: "attachments",
        sqlite: include_str!("../migrations/sqlite/0013_attachments.sql"),
        postgres: include_str!("../migrations/postgres/0013_attachments.sql"),
    },
    Migration {
        version: 14,
        name: "documents_pool",
        sqlite: include_str!("../migrations/sqlite/0014_documents_pool.sql"),
        postgres: include_str!("../migrations/postgres/0014_documents_pool.sql"),
    },
    Migration {
        version: 15,
        name: "second_factors",
        sqlite: include_str!("../migrations/sqlite/0015_second_factors.sql"),
        postgres: include_str!("../migrations/postgres/0015_second_factors.sql"),
    },
    Migration {
        version: 16,
        name: "sessions_seen",
        sqlite: include_str!("../migrations/sqlite/0016_sessions_seen.sql"),
        postgres: include_str!("../migrations/postgres/0016_sessions_seen.sql"),
    },
    Migration {
        version: 17,
        name: "sensitivity",
        sqlite: include_str!("../migrations/sqlite/0017_sensitivity.sql"),
        postgres: include_str!("../migrations/postgres/0017_sensitivity.sql"),
    },
    Migration {
        version: 18,
        name: "passkeys",
        sqlite: include_str!("../migrations/sqlite/0018_passkeys.sql"),
        postgres: include_str!("../migrations/postgres/0018_passkeys.sql"),
    },
    Migration {
        version: 19,
        name: "access_reviews",
        sqlite: include_str!("../migrations/sqlite/0019_access_reviews.sql"),
        postgres: include_str!("../migrations/postgres/0019_access_reviews.sql"),
    },
    Migration {
        version: 20,
        name: "single_sign_on",
        sqlite: include_str!("../migrations/sqlite/0020_single_sign_on.sql"),
        postgres: include_str!("../migrations/postgres/0020_single_sign_on.sql"),
    },
    Migration {
        version: 21,
        name: "emergency_access",
        sqlite: include_str!("../migrations/sqlite/0021_emergency_access.sql"),
        postgres: include_str!("../migrations/postgres/0021_emergency_access.sql"),
    },
    Migration {
        version: 22,
        name: "caregivers",
        sqlite: include_str!("../migrations/sqlite/0022_caregivers.sql"),
        postgres: include_str!("../migrations/postgres/0022_caregivers.sql"),
    },
    Migration {
        version: 23,
        name: "caregiver_accounts",
        sqlite: include_str!("../migrations/sqlite/0023_caregiver_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0023_caregiver_accounts.sql"),
    },
    Migration {
        version: 24,
        name: "topic_sensitivity",
        sqlite: include_str!("../migrations/sqlite/0024_topic_sensitivity.sql"),
        postgres: include_str!("../migrations/postgres/0024_topic_sensitivity.sql"),
    },
    Migration {
        version: 25,
        name: "search_index",
        sqlite: include_str!("../migrations/sqlite/0025_search_index.sql"),
        postgres: include_str!("../migrations/postgres/0025_search_index.sql"),
    },
    Migration {
        version: 26,
        name: "ehr_clients",
        sqlite: include_str!("../migrations/sqlite/0026_ehr_clients.sql"),
        postgres: include_str!("../migrations/postgres/0026_ehr_clients.sql"),
    },
    Migration {
        version: 27,
        name: "retention",
        sqlite: include_str!("../migrations/sqlite/0027_retention.sql"),
        postgres: include_str!("../migrations/postgres/0027_retention.sql"),
    },
    Migration {
        version: 28,
        name: "record_exports",
        sqlite: include_str!("../migrations/sqlite/0028_record_exports.sql"),
        postgres: include_str!("../migrations/postgres/0028_record_exports.sql"),
    },
];

/// An arbitrary constant naming Switchboard's migration lock.
const PG_LOCK_KEY: i64 = 0x5377_6974_6368;

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<Vec<i64>, StoreError> {
    let mut conn = pool.acquire().await?;
    if backend == Backend::Postgres {
        // Several nodes may start at once: one migrates, the others wait.
        sqlx::query("SELECT pg_advisory_lock($1)").bind(PG_LOCK_KEY).execute(&mut *conn).await?;
    }
    let result = apply_pending(&mut conn, backend).await;
    if backend == Backend::Postgres {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(PG_LOCK_KEY).execute(&mut *conn).await;
    }
    result
}

async fn apply_pending(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<Vec<i64>, StoreError> {
    let create = match backend {
        Backend::Sqlite => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             checksum BLOB NOT NULL, applied_at BIGINT NOT NULL)"
        }
        Backend::Postgres => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             checksum BYTEA NOT NULL, applied_at BIGINT NOT NULL)"
        }
    };
    conn.execute(create).await?;
    let applied =
        sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version").fetch_all(&mut *conn).await?;
    let mut done = Vec::new();
    for row in &applied {
        let version: i64 = row.try_get(0)?;
        let checksum: Vec<u8> = row.try_get(1)?;
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == version) else {
            return Err(StoreError::Migration(format!(
                "the database has migration {version}, which this version of Switchboard does not know: it is newer than this binary"
            )));
        };
        let script = script_for(m, backend);
        if switchboard_crypto::sha256(script.as_bytes()).as_slice() != checksum.as_slice() {
            return Err(StoreError::Migration(format!(
                "migration {version} ({}) was changed after it was applied",
                m.name
            )));
        }
        done.push(version);
    }
    let mut newly = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let script = script_for(m, backend);
        let begin = if backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        conn.execute(begin).await?;
        let applied = async {
            conn.execute(script).await?;
            sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.name)
                .bind(switchboard_crypto::sha256(script.as_bytes()).to_vec())
                .bind(now_micros())
                .execute(&mut *conn)
                .await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        match applied {
            Ok(()) => {
                conn.execute("COMMIT").await?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
                newly.push(m.version);
            }
            Err(e) => {
                let _ = conn.execute("ROLLBACK").await;
                return Err(StoreError::Migration(format!("migration {} ({}) failed: {e}", m.version, m.name)));
            }
        }
    }
    Ok(newly)
}

fn script_for(m: &Migration, backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => m.sqlite,
        Backend::Postgres => m.postgres,
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
