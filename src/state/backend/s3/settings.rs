//! The settings of `backend "s3"`: Terraform's arguments, with the `AWS_*` environment
//! variables and the shared credentials file for what the block leaves out, in Terraform's
//! order (the block, then the environment, then the file's profile). The secret key and
//! session token are kept only here and scrubbed from every message ([`S3Settings::scrub`]).

use super::sigv4::Credentials;
use crate::config::S3BackendBlock;
use std::path::PathBuf;

/// Terraform's default prefix of the keys of workspaces other than `default`.
const DEFAULT_WORKSPACE_KEY_PREFIX: &str = "env:";

/// The resolved settings of one s3 backend.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// The key of the `default` workspace's state.
    pub key: String,
    pub region: String,
    /// The store's base URL, without a trailing `/`.
    pub endpoint: String,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub path_style: bool,
    pub(super) credentials: Credentials,
    pub use_lockfile: bool,
    pub workspace_key_prefix: String,
    /// The headers `encrypt`, `kms_key_id` and `acl` add to each object written.
    pub(super) write_headers: Vec<(String, String)>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl S3Settings {
    /// The settings from the block, with `env` (the process environment in use) for what it
    /// leaves out. The error says what is missing or wrong, without any secret.
    pub fn resolve(
        block: &S3BackendBlock,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<S3Settings, String> {
        let bucket =
            block.bucket.clone().filter(|b| !b.is_empty()).ok_or(
                "backend \"s3\" needs bucket: the name of the bucket that holds the state",
            )?;
        let key = block.key.clone().unwrap_or_default();
        check_key(&key)?;
        let region = block
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .filter(|r| !r.is_empty())
            .ok_or(
                "backend \"s3\" needs a region: set region in the block or the AWS_REGION (or \
                 AWS_DEFAULT_REGION) environment variable (an S3-compatible store takes any \
                 name, us-east-1 usually)",
            )?;
        let endpoint = endpoint(block, &env, &region)?;
        let credentials = credentials(block, &env)?;
        let prefix = block
            .workspace_key_prefix
            .clone()
            .unwrap_or_else(|| DEFAULT_WORKSPACE_KEY_PREFIX.to_string());
        Ok(S3Settings {
            bucket,
            key,
            region,
            endpoint,
            path_style: block.use_path_style.unwrap_or(false),
            credentials,
            use_lockfile: block.use_lockfile.unwrap_or(false),
            workspace_key_prefix: prefix,
            write_headers: write_headers(block),
        })
    }

    /// The key of workspace `name`'s state, as Terraform's s3 backend names it: `key` for
    /// `default`, `<workspace_key_prefix>/<name>/<key>` for the others.
    pub fn workspace_key(&self, name: &str) -> String {
        if name == "default" {
            self.key.clone()
        } else {
            format!("{}/{name}/{}", self.workspace_key_prefix, self.key)
        }
    }

    /// `text` with the secret key and session token replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let secrets = [
            Some(&self.credentials.secret_key),
            self.credentials.session_token.as_ref(),
        ];
        secrets
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
    }
}

/// Terraform's rules for `key`: not empty, no `//`, neither starting nor ending with `/`.
fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.contains("//") || key.starts_with('/') || key.ends_with('/') {
        return Err(format!(
            "backend \"s3\" needs key, the object that holds the state (such as \
             \"gourmetgram/terraform.tfstate\"): not empty, without \"//\", neither starting \
             nor ending with \"/\" (it is {key:?})"
        ));
    }
    Ok(())
}

/// `endpoints.s3`, else `AWS_ENDPOINT_URL_S3`, else AWS's endpoint of the region.
fn endpoint(
    block: &S3BackendBlock,
    env: &impl Fn(&str) -> Option<String>,
    region: &str,
) -> Result<String, String> {
    let Some(url) = block
        .endpoint_s3
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
    else {
        return Ok(format!("https://s3.{region}.amazonaws.com"));
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains('@') {
        return Err(format!(
            "endpoints.s3 (or AWS_ENDPOINT_URL_S3) must be an http:// or https:// URL without \
             credentials in it, such as \"http://127.0.0.1:9000\"; it is {url:?}"
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// The access key pair: the block's, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
/// (with `AWS_SESSION_TOKEN`), else the profile's in the shared credentials file.
fn credentials(
    block: &S3BackendBlock,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Credentials, String> {
    let pair = |access: Option<String>, secret: Option<String>, token: Option<String>| match (
        access, secret,
    ) {
        (Some(access_key), Some(secret_key)) => Ok(Some(Credentials {
            access_key,
            secret_key,
            session_token: token.filter(|t| !t.is_empty()),
        })),
        (None, None) => Ok(None),
        _ => Err(()),
    };
    let written = pair(
        block.access_key.clone(),
        block.secret_key.clone(),
        block.token.clone(),
    )
    .map_err(|()| "backend \"s3\": access_key and secret_key go together; set both or neither")?;
    if let Some(found) = written {
        return Ok(found);
    }
    if block.profile.is_none()
        && let Some(found) = pair(
            env("AWS_ACCESS_KEY_ID"),
            env("AWS_SECRET_ACCESS_KEY"),
            env("AWS_SESSION_TOKEN"),
        )
        .map_err(
            |()| "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together; set both or neither",
        )?
    {
        return Ok(found);
    }
    let profile = block
        .profile
        .clone()
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let file = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".aws/credentials")));
    let text = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok());
    text.as_deref()
        .and_then(|text| profile_credentials(text, &profile))
        .ok_or_else(|| {
            format!(
                "backend \"s3\" found no credentials: set access_key and secret_key in the \
                 block, the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, \
                 or profile {profile:?} in the shared credentials file ({}). ggplan does not \
                 ask an instance metadata service or assume roles.",
                file.map_or("~/.aws/credentials".into(), |f| f.display().to_string())
            )
        })
}

/// The keys of `[profile]` in a shared credentials file (INI: `name = value` lines).
fn profile_credentials(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_profile = false;
    let (mut access, mut secret, mut token) = (None, None, None);
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let value = Some(value.trim().to_string());
        match (in_profile, name.trim()) {
            (true, "aws_access_key_id") => access = value,
            (true, "aws_secret_access_key") => secret = value,
            (true, "aws_session_token") => token = value,
            _ => {}
        }
    }
    Some(Credentials {
        access_key: access?,
        secret_key: secret?,
        session_token: token,
    })
}

/// Server-side encryption and the canned ACL, as headers of each object written.
fn write_headers(block: &S3BackendBlock) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    match (&block.kms_key_id, block.encrypt.unwrap_or(false)) {
        (Some(kms), _) => {
            headers.push(("x-amz-server-side-encryption".into(), "aws:kms".into()));
            headers.push((
                "x-amz-server-side-encryption-aws-kms-key-id".into(),
                kms.clone(),
            ));
        }
        (None, true) => headers.push(("x-amz-server-side-encryption".into(), "AES256".into())),
        (None, false) => {}
    }
    if let Some(acl) = &block.acl {
        headers.push(("x-amz-acl".into(), acl.clone()));
    }
    headers
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

    fn block() -> S3BackendBlock {
        S3BackendBlock {
            bucket: Some("tfstate".into()),
            key: Some("gg/terraform.tfstate".into()),
            ..Default::default()
        }
    }

    const KEYS: [(&str, &str); 3] = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret-0417"),
        ("AWS_REGION", "eu-west-3"),
    ];

    #[test]
    fn terraform_defaults_and_environment_fallbacks() {
        let s = S3Settings::resolve(&block(), env(&KEYS)).unwrap();
        assert_eq!(s.endpoint, "https://s3.eu-west-3.amazonaws.com");
        assert_eq!(s.credentials.access_key, "AKIDENV");
        assert!(!s.path_style && !s.use_lockfile && s.write_headers.is_empty());
        assert_eq!(s.workspace_key("default"), "gg/terraform.tfstate");
        assert_eq!(
            s.workspace_key("staging"),
            "env:/staging/gg/terraform.tfstate"
        );

        let b = S3BackendBlock {
            region: Some("us-east-1".into()),
            endpoint_s3: Some("http://127.0.0.1:9000/".into()),
            workspace_key_prefix: Some("teams".into()),
            access_key: Some("AKIDBLOCK".into()),
            secret_key: Some("block-secret".into()),
            encrypt: Some(true),
            acl: Some("private".into()),
            ..block()
        };
        let s = S3Settings::resolve(&b, env(&KEYS)).unwrap();
        assert_eq!(
            (s.endpoint.as_str(), s.region.as_str()),
            ("http://127.0.0.1:9000", "us-east-1")
        );
        assert_eq!(
            s.credentials.access_key, "AKIDBLOCK",
            "the block comes first"
        );
        assert_eq!(s.workspace_key("b"), "teams/b/gg/terraform.tfstate");
        assert_eq!(
            s.write_headers,
            [
                (
                    "x-amz-server-side-encryption".to_string(),
                    "AES256".to_string()
                ),
                ("x-amz-acl".to_string(), "private".to_string())
            ]
        );
    }

    #[test]
    fn the_shared_credentials_file_gives_the_profile_keys() {
        let dir = tempfile::TempDir::new().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = d\n\n\
             [team]\naws_access_key_id=AKIDTEAM\naws_secret_access_key=team-secret\naws_session_token=team-token\n",
        )
        .unwrap();
        let path = file.to_str().unwrap();
        let vars = [
            ("AWS_SHARED_CREDENTIALS_FILE", path),
            ("AWS_PROFILE", "team"),
            ("AWS_REGION", "r"),
        ];
        let s = S3Settings::resolve(&block(), env(&vars)).unwrap();
        assert_eq!(s.credentials.access_key, "AKIDTEAM");
        assert_eq!(s.credentials.session_token.as_deref(), Some("team-token"));
        assert_eq!(s.scrub("x team-token team-secret y"), "x *** *** y");

        let vars = [("AWS_SHARED_CREDENTIALS_FILE", path), ("AWS_REGION", "r")];
        let s = S3Settings::resolve(&block(), env(&vars)).unwrap();
        assert_eq!(s.credentials.access_key, "AKIDDEF");

        let vars = [("AWS_SHARED_CREDENTIALS_FILE", path), ("AWS_REGION", "r")];
        let b = S3BackendBlock {
            profile: Some("nobody".into()),
            ..block()
        };
        let err = S3Settings::resolve(&b, env(&vars)).unwrap_err();
        assert!(
            err.contains("found no credentials") && err.contains("nobody"),
            "{err}"
        );
    }

    #[test]
    fn missing_or_bad_settings_are_named_without_secrets() {
        let err = S3Settings::resolve(&block(), env(&KEYS[..2])).unwrap_err();
        assert!(err.contains("AWS_REGION"), "{err}");
        for key in ["", "/a", "a/", "a//b"] {
            let b = S3BackendBlock {
                key: Some(key.into()),
                ..block()
            };
            let err = S3Settings::resolve(&b, env(&KEYS)).unwrap_err();
            assert!(err.contains("needs key"), "{key}: {err}");
        }
        let b = S3BackendBlock {
            secret_key: Some("lonely-secret".into()),
            ..block()
        };
        let err = S3Settings::resolve(&b, env(&KEYS)).unwrap_err();
        assert!(
            err.contains("go together") && !err.contains("lonely"),
            "{err}"
        );
        let b = S3BackendBlock {
            endpoint_s3: Some("127.0.0.1:9000".into()),
            ..block()
        };
        let err = S3Settings::resolve(&b, env(&KEYS)).unwrap_err();
        assert!(err.contains("http://"), "{err}");
        let s = S3Settings::resolve(&block(), env(&KEYS)).unwrap();
        assert!(!format!("{s:?}").contains("env-secret"));
        assert_eq!(s.scrub("env-secret-0417"), "***");
    }
}
