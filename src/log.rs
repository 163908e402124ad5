//! The debug log, for finding out what a run did and where its time went: `GGPLAN_LOG` (or
//! Terraform's `TF_LOG`) set to `trace`, `debug`, `info`, `warn` or `error` turns it on, `json`
//! writes JSON lines at trace level (as `TF_LOG=json`); `GGPLAN_LOG_PATH` (or `TF_LOG_PATH`)
//! appends it to a file instead of standard error.
//!
//! What is logged is addresses, provider call names, outcomes and durations, never values,
//! and only ggplan's own events: the log cannot carry a secret.

use std::sync::Mutex;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Turns the log on as the environment asks; a bad setting is said, and the log stays off.
pub fn init() -> Result<(), String> {
    let Some(setting) = var("GGPLAN_LOG").or_else(|| var("TF_LOG")) else {
        return Ok(());
    };
    let (level, json) = match setting.to_ascii_lowercase().as_str() {
        "json" => (Level::TRACE, true),
        "trace" => (Level::TRACE, false),
        "debug" => (Level::DEBUG, false),
        "info" => (Level::INFO, false),
        "warn" => (Level::WARN, false),
        "error" => (Level::ERROR, false),
        "off" | "" => return Ok(()),
        _ => {
            return Err(format!(
                "GGPLAN_LOG (or TF_LOG) is {setting:?}; use trace, debug, info, warn, error, \
                 json or off."
            ));
        }
    };
    let writer = match var("GGPLAN_LOG_PATH").or_else(|| var("TF_LOG_PATH")) {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("Cannot open the log file {path}: {e}"))?;
            BoxMakeWriter::new(Mutex::new(file))
        }
        None => BoxMakeWriter::new(std::io::stderr),
    };
    // Only ggplan's own events: the HTTP and SSH libraries providers use may log headers or
    // payloads at their debug levels, which could carry a secret.
    let ours = Targets::new().with_target("ggplan", level);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_target(false)
        .with_writer(writer);
    let installed = if json {
        builder.json().finish().with(ours).try_init()
    } else {
        builder.finish().with(ours).try_init()
    };
    installed.map_err(|e| format!("Cannot start the log: {e}"))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
