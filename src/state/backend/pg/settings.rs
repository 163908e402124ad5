//! The settings of `backend "pg"`: Terraform's arguments, their `PG_*` environment fallbacks and
//! the standard libpq variables (`PGUSER`, `PGPASSWORD`, ...) for what the connection string
//! leaves out. The password is kept only in the driver's configuration and scrubbed from every
//! message ([`PgSettings::scrub`]).

use super::tls::{self, TlsParams};
use crate::config::PgBackendBlock;
use postgres::config::{Host, SslMode};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Terraform's default schema.
const DEFAULT_SCHEMA: &str = "terraform_remote_state";

/// How long connecting may take before the run gives up with an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The resolved settings of one pg backend.
#[derive(Clone)]
pub struct PgSettings {
    pub(super) config: postgres::Config,
    /// The TLS connector (`sslmode=disable` never uses it).
    pub(super) tls: MakeRustlsConnect,
    /// Every secret the settings hold, as written: never shown.
    secrets: Vec<String>,
    pub schema_name: String,
    pub skip_schema_creation: bool,
    pub skip_table_creation: bool,
    pub skip_index_creation: bool,
}

impl std::fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSettings")
            .field("server", &self.server())
            .field("schema_name", &self.schema_name)
            .finish_non_exhaustive()
    }
}

impl PgSettings {
    /// The settings from the block, with `env` (the process environment in use) for what it
    /// leaves out. The error says what is missing or wrong, without any secret.
    pub fn resolve(
        block: &PgBackendBlock,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<PgSettings, String> {
        let conn_str = block
            .conn_str
            .clone()
            .or_else(|| env("PG_CONN_STR"))
            .ok_or(
                "backend \"pg\" needs a connection string: set conn_str in the block or the \
             PG_CONN_STR environment variable (a postgres:// URL or libpq key=value pairs)",
            )?;
        let mut secrets = written_secrets(&conn_str);
        let scrubbed = |e: String| scrub_all(&format!("conn_str (or PG_CONN_STR): {e}"), &secrets);
        let (tls_params, conn_str) = TlsParams::take(&conn_str, &env).map_err(scrubbed)?;
        let tls = tls_params.connector().map_err(scrubbed)?;
        let mut config = postgres::Config::from_str(&conn_str).map_err(|e| {
            scrub_all(
                &format!(
                    "conn_str (or PG_CONN_STR) is not a valid PostgreSQL connection string: {e}"
                ),
                &secrets,
            )
        })?;
        fill_from_libpq_environment(&mut config, &env, &mut secrets);
        if let Some(password) = config.get_password() {
            secrets.push(String::from_utf8_lossy(password).into_owned());
        }
        config.ssl_mode(match tls_params.mode {
            tls::SslMode::Disable => SslMode::Disable,
            _ => SslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("ggplan");
        let flag = |given: Option<bool>, name: &str| match given {
            Some(b) => Ok(b),
            None => env(name).map_or(Ok(false), |v| parse_bool(name, &v)),
        };
        Ok(PgSettings {
            config,
            tls,
            secrets,
            schema_name: block
                .schema_name
                .clone()
                .or_else(|| env("PG_SCHEMA_NAME"))
                .unwrap_or_else(|| DEFAULT_SCHEMA.to_string()),
            skip_schema_creation: flag(block.skip_schema_creation, "PG_SKIP_SCHEMA_CREATION")?,
            skip_table_creation: flag(block.skip_table_creation, "PG_SKIP_TABLE_CREATION")?,
            skip_index_creation: flag(block.skip_index_creation, "PG_SKIP_INDEX_CREATION")?,
        })
    }

    /// The server and database, as `user@host:port/dbname`: safe to show.
    pub fn server(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            Some(Host::Unix(path)) => path.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or("");
        let db = self.config.get_dbname().unwrap_or(user);
        format!("{user}@{host}:{port}/{db}")
    }

    /// `text` with every secret of these settings replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        scrub_all(text, &self.secrets)
    }

    /// The schema as a quoted SQL identifier.
    pub(super) fn schema_sql(&self) -> String {
        format!("\"{}\"", self.schema_name.replace('"', "\"\""))
    }
}

/// The libpq variables Terraform's pg backend honours, for what the connection string does not
/// say.
fn fill_from_libpq_environment(
    config: &mut postgres::Config,
    env: &impl Fn(&str) -> Option<String>,
    secrets: &mut Vec<String>,
) {
    if config.get_hosts().is_empty() {
        config.host(env("PGHOST").as_deref().unwrap_or("localhost"));
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER").or_else(|| env("USER")).unwrap_or_default();
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(&db);
    }
    if config.get_password().is_none()
        && let Some(password) = env("PGPASSWORD")
    {
        config.password(password.as_bytes());
        secrets.push(password);
    }
}

/// The passwords written in a connection string, found without parsing it (so that even an
/// invalid one is scrubbed): a URL's `user:password@`, and `password=` pairs.
fn written_secrets(conn_str: &str) -> Vec<String> {
    let url = regex::Regex::new(r"^postgres(?:ql)?://[^/@:]*:([^@]+)@").expect("valid regex");
    let pair =
        regex::Regex::new(r"password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)").expect("valid regex");
    let mut found: Vec<String> = url
        .captures_iter(conn_str)
        .chain(pair.captures_iter(conn_str))
        .map(|c| c[1].trim_matches('\'').to_string())
        .collect();
    // A URL's password may be percent-encoded; the driver reports it decoded.
    let decoded: Vec<String> = found.iter().filter_map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    found
}

/// `text` with its `%XX` escapes decoded; `None` when it has none.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn scrub_all(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(format!(
            "the environment variable {name} is {value:?}; it must be true or false"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn block(conn_str: &str) -> PgBackendBlock {
        PgBackendBlock {
            conn_str: Some(conn_str.into()),
            ..Default::default()
        }
    }

    #[test]
    fn terraform_defaults_and_environment_fallbacks() {
        let s = PgSettings::resolve(&block("postgres://u@db:5433/tf"), env(&[])).unwrap();
        assert_eq!(s.schema_name, "terraform_remote_state");
        assert!(!s.skip_schema_creation && !s.skip_table_creation && !s.skip_index_creation);
        assert_eq!(s.server(), "u@db:5433/tf");

        let vars = [
            ("PG_CONN_STR", "host=h port=6000 user=v dbname=d"),
            ("PG_SCHEMA_NAME", "team"),
            ("PG_SKIP_TABLE_CREATION", "true"),
        ];
        let s = PgSettings::resolve(&PgBackendBlock::default(), env(&vars)).unwrap();
        assert_eq!(
            (s.schema_name.as_str(), s.server()),
            ("team", "v@h:6000/d".into())
        );
        assert!(s.skip_table_creation && !s.skip_index_creation);

        let err = PgSettings::resolve(&PgBackendBlock::default(), env(&[])).unwrap_err();
        assert!(err.contains("PG_CONN_STR"), "{err}");
        let bad = [
            ("PG_CONN_STR", "host=h"),
            ("PG_SKIP_INDEX_CREATION", "maybe"),
        ];
        let err = PgSettings::resolve(&PgBackendBlock::default(), env(&bad)).unwrap_err();
        assert!(err.contains("PG_SKIP_INDEX_CREATION"), "{err}");
    }

    #[test]
    fn passwords_are_scrubbed_even_from_invalid_connection_strings() {
        let s = PgSettings::resolve(&block("postgres://u:s%40cret@db/tf"), env(&[])).unwrap();
        assert_eq!(
            s.scrub("auth failed for s@cret and s%40cret"),
            "auth failed for *** and ***"
        );
        assert!(!format!("{s:?}").contains("cret"));

        let s = PgSettings::resolve(
            &block("host=db user=u"),
            env(&[("PGPASSWORD", "pw-from-env")]),
        )
        .unwrap();
        assert_eq!(s.scrub("x pw-from-env y"), "x *** y");

        let err = PgSettings::resolve(&block("host=db password='hunter 2' bogus=1"), env(&[]))
            .unwrap_err();
        assert!(
            err.contains("not a valid PostgreSQL connection string"),
            "{err}"
        );
        assert!(!err.contains("hunter"), "{err}");
    }

    #[test]
    fn tls_is_required_unless_disabled_as_lib_pq_does() {
        let s = PgSettings::resolve(&block("postgres://u@db/tf"), env(&[])).unwrap();
        assert_eq!(s.config.get_ssl_mode(), SslMode::Require);
        let s =
            PgSettings::resolve(&block("postgres://u@db/tf?sslmode=disable"), env(&[])).unwrap();
        assert_eq!(s.config.get_ssl_mode(), SslMode::Disable);
        let err = PgSettings::resolve(&block("postgres://u:hunter2@db/tf?sslmode=allow"), env(&[]))
            .unwrap_err();
        assert!(
            err.contains("\"allow\" is not supported") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
