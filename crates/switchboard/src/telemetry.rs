//! Application logs: to standard error, level from `RUST_LOG` (default
//! `info`). Logs carry ids, codes, routes and timings, never message text,
//! names or other PHI: the types that hold PHI print redacted `Debug`, and
//! handlers do not log request bodies.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
