//! The provider configuration: where the MLflow tracking server is, how to authenticate, and
//! how patient to be with it. Unset attributes fall back to MLflow's own environment variables,
//! so a stack can leave the provider block out when the environment says it all.

use ggplan_sdk::{AttrPath, Attribute, Diagnostic, Diagnostics, Schema, Type, Value};
use std::time::Duration;

const DEFAULT_TIMEOUT_SECONDS: i64 = 30;
const DEFAULT_RETRIES: i64 = 5;

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    None,
    Basic { username: String, password: String },
    Bearer { token: String },
}

impl Auth {
    /// Which credentials were used, for messages: the username, never a secret.
    pub(crate) fn describe(&self) -> String {
        match self {
            Auth::None => "no credentials".to_string(),
            Auth::Basic { username, .. } => format!("username {username:?} with its password"),
            Auth::Bearer { .. } => "a bearer token".to_string(),
        }
    }
}

/// The configured provider settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The tracking server's base URL, without a trailing slash.
    pub tracking_uri: String,
    pub auth: Auth,
    pub insecure_tls: bool,
    /// The limit of one HTTP request.
    pub request_timeout: Duration,
    /// How many times a transient failure is retried before it is reported.
    pub retries: u32,
}

/// The schema of `provider "mlflow" { ... }`.
pub(crate) fn schema() -> Schema {
    Schema::new(
        "The MLflow tracking server that holds the model registry.",
        [
            (
                "tracking_uri",
                Attribute::optional(Type::String)
                    .describe("The server's URL (http or https); default MLFLOW_TRACKING_URI."),
            ),
            (
                "username",
                Attribute::optional(Type::String).describe(
                    "Basic-auth user (MLflow's basic-auth app); default MLFLOW_TRACKING_USERNAME.",
                ),
            ),
            (
                "password",
                Attribute::optional(Type::String)
                    .sensitive()
                    .describe("Basic-auth password; default MLFLOW_TRACKING_PASSWORD."),
            ),
            (
                "token",
                Attribute::optional(Type::String).sensitive().describe(
                    "A bearer token, instead of a username; default MLFLOW_TRACKING_TOKEN.",
                ),
            ),
            (
                "insecure_tls",
                Attribute::optional(Type::Bool)
                    .default(Value::Bool(false))
                    .describe(
                        "Accept any TLS certificate (self-signed test servers only); default \
                     MLFLOW_TRACKING_INSECURE_TLS.",
                    ),
            ),
            (
                "request_timeout",
                Attribute::optional(Type::Number)
                    .default(Value::int(DEFAULT_TIMEOUT_SECONDS))
                    .describe("Seconds one HTTP request may take."),
            ),
            (
                "retries",
                Attribute::optional(Type::Number)
                    .default(Value::int(DEFAULT_RETRIES))
                    .describe(
                        "How often a transient failure (connection refused, timeout, 429, 5xx) is \
                         retried, with exponential backoff, before it is reported. A create is not \
                         sent again once it may have arrived: its object is looked for instead.",
                    ),
            ),
        ],
    )
}

impl Settings {
    /// Settings from a provider block, with `env` (MLflow's variables) filling the gaps.
    pub(crate) fn from_config(
        config: &Value,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, Diagnostics> {
        let text = |name: &str, var: &str| -> Option<String> {
            config
                .get(name)
                .as_str()
                .map(str::to_string)
                .or_else(|| env(var))
                .filter(|s| !s.is_empty())
        };
        let tracking_uri = tracking_uri(text("tracking_uri", "MLFLOW_TRACKING_URI"))?;
        let auth = auth(
            text("username", "MLFLOW_TRACKING_USERNAME"),
            text("password", "MLFLOW_TRACKING_PASSWORD"),
            text("token", "MLFLOW_TRACKING_TOKEN"),
        )?;
        let insecure_tls = match config.get("insecure_tls").as_bool() {
            Some(b) => b,
            None => env("MLFLOW_TRACKING_INSECURE_TLS").is_some_and(|v| v == "true"),
        };
        let request_timeout = whole(config, "request_timeout", DEFAULT_TIMEOUT_SECONDS, 1)?;
        let retries = whole(config, "retries", DEFAULT_RETRIES, 0)?;
        Ok(Settings {
            tracking_uri: tracking_uri.trim_end_matches('/').to_string(),
            auth,
            insecure_tls,
            request_timeout: Duration::from_secs(request_timeout),
            retries: u32::try_from(retries).unwrap_or(u32::MAX),
        })
    }
}

/// The tracking server's URL (from the block or the environment), which must be set and be an
/// http(s) URL.
fn tracking_uri(uri: Option<String>) -> Result<String, Diagnostics> {
    let Some(tracking_uri) = uri else {
        return Err(Diagnostic::error(
            "The MLflow tracking server is not set",
            "Set tracking_uri in the provider \"mlflow\" block, or export \
             MLFLOW_TRACKING_URI (for example http://127.0.0.1:5000).",
        )
        .at_attribute(AttrPath::attr("tracking_uri"))
        .into());
    };
    if !(tracking_uri.starts_with("http://") || tracking_uri.starts_with("https://")) {
        return Err(Diagnostic::error(
            "The MLflow tracking URI is not an http(s) URL",
            format!(
                "tracking_uri is {tracking_uri:?}; this provider talks to a tracking server \
                 over REST, so it must start with http:// or https://."
            ),
        )
        .at_attribute(AttrPath::attr("tracking_uri"))
        .into());
    }
    Ok(tracking_uri)
}

/// The credentials (from the block or the environment): a username with its password, a
/// token, or none.
fn auth(
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
) -> Result<Auth, Diagnostics> {
    match (username, password, token) {
        (Some(_), _, Some(_)) => Err(Diagnostic::error(
            "Both a username and a token are set for MLflow",
            "Use either username/password (basic auth) or token (bearer), not both; \
             check the provider block and the MLFLOW_TRACKING_* variables.",
        )
        .at_attribute(AttrPath::attr("token"))
        .into()),
        (Some(username), Some(password), None) => Ok(Auth::Basic { username, password }),
        (Some(username), None, None) => Err(Diagnostic::error(
            "An MLflow username is set without a password",
            format!(
                "Set password (or MLFLOW_TRACKING_PASSWORD) for user {username:?}, or \
                 remove the username."
            ),
        )
        .at_attribute(AttrPath::attr("password"))
        .into()),
        (None, Some(_), _) => Err(Diagnostic::error(
            "An MLflow password is set without a username",
            "Set username (or MLFLOW_TRACKING_USERNAME), or remove the password.",
        )
        .at_attribute(AttrPath::attr("username"))
        .into()),
        (None, None, Some(token)) => Ok(Auth::Bearer { token }),
        (None, None, None) => Ok(Auth::None),
    }
}

/// A whole-number attribute of at least `min`, or `default` when unset.
fn whole(config: &Value, name: &str, default: i64, min: i64) -> Result<u64, Diagnostics> {
    let value = config.get(name);
    let number = if value.is_null() {
        Some(default)
    } else {
        value.as_number().and_then(|n| n.as_i64())
    };
    number
        .filter(|n| *n >= min)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| {
            Diagnostic::error(
                format!("Invalid {name} for the MLflow provider"),
                format!("{name} must be a whole number of at least {min}."),
            )
            .at_attribute(AttrPath::attr(name))
            .into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn environment_fills_what_the_block_leaves_out() {
        let env = |var: &str| match var {
            "MLFLOW_TRACKING_URI" => Some("http://127.0.0.1:5000/".to_string()),
            "MLFLOW_TRACKING_USERNAME" => Some("alice".to_string()),
            "MLFLOW_TRACKING_PASSWORD" => Some("s3cret".to_string()),
            _ => None,
        };
        let settings = Settings::from_config(&Value::Null, env).unwrap();
        assert_eq!(settings.tracking_uri, "http://127.0.0.1:5000");
        assert_eq!(
            settings.auth,
            Auth::Basic {
                username: "alice".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(settings.retries, 5);
        assert_eq!(settings.request_timeout, Duration::from_secs(30));
        assert!(!settings.auth.describe().contains("s3cret"));
    }

    #[test]
    fn the_block_wins_over_the_environment() {
        let env = |_: &str| Some("http://elsewhere".to_string());
        let config = Value::object([
            ("tracking_uri", Value::string("https://mlflow.example")),
            ("token", Value::string("t0ken")),
            ("retries", Value::int(0)),
            ("request_timeout", Value::int(2)),
        ]);
        let env_without_user =
            |var: &str| (var == "MLFLOW_TRACKING_URI").then(|| env(var)).flatten();
        let settings = Settings::from_config(&config, env_without_user).unwrap();
        assert_eq!(settings.tracking_uri, "https://mlflow.example");
        assert_eq!(
            settings.auth,
            Auth::Bearer {
                token: "t0ken".into()
            }
        );
        assert_eq!(settings.retries, 0);
        assert_eq!(settings.auth.describe(), "a bearer token");
    }

    #[test]
    fn incomplete_or_conflicting_settings_are_refused() {
        let err = Settings::from_config(&Value::Null, no_env).unwrap_err();
        assert!(err.0[0].detail.contains("MLFLOW_TRACKING_URI"));
        let with = |pairs: Vec<(&str, Value)>| {
            let mut all = vec![("tracking_uri", Value::string("http://h"))];
            all.extend(pairs);
            Settings::from_config(&Value::object(all), no_env)
        };
        assert!(with(vec![("username", Value::string("u"))]).is_err());
        assert!(with(vec![("password", Value::string("p"))]).is_err());
        let both = with(vec![
            ("username", Value::string("u")),
            ("password", Value::string("p")),
            ("token", Value::string("t")),
        ]);
        assert!(both.is_err());
        assert!(with(vec![("retries", Value::int(-1))]).is_err());
        assert!(with(vec![("request_timeout", Value::int(0))]).is_err());
        let ftp = Settings::from_config(
            &Value::object([("tracking_uri", Value::string("file:///tmp/mlruns"))]),
            no_env,
        );
        assert!(ftp.unwrap_err().0[0].summary.contains("http"));
    }
}
