//! `terraform { backend "s3" { ... } }`: Terraform's arguments for an S3 or S3-compatible store,
//! each a literal. The arguments ggplan does not implement are refused by name, with what to
//! write instead where there is something.

use super::Decoder;
use crate::config::{Attr, BackendBlock, Block, S3BackendBlock};
use hcl_edit::expr::{Expression, ObjectKey};

const STRINGS: [&str; 10] = [
    "bucket",
    "key",
    "region",
    "access_key",
    "secret_key",
    "token",
    "profile",
    "workspace_key_prefix",
    "kms_key_id",
    "acl",
];

const FLAGS: [&str; 3] = ["use_path_style", "use_lockfile", "encrypt"];

/// Terraform's checks that ggplan never makes: it validates no credentials through STS,
/// requests no account id, queries no instance metadata service, checks no region name
/// against AWS's list and sends no `x-amz-checksum-*` header. Either value means the same.
const NEVER_DONE_CHECKS: [&str; 5] = [
    "skip_credentials_validation",
    "skip_region_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_s3_checksum",
];

/// Terraform's arguments that ggplan refuses, with why and what to do.
const REFUSED: [(&str, &str); 4] = [
    (
        "dynamodb_table",
        "ggplan does not lock through DynamoDB (Terraform deprecates it too). Remove it and \
         set use_lockfile = true: the lock is then the KEY.tflock object, as Terraform 1.10+ \
         writes it.",
    ),
    (
        "endpoint",
        "Terraform replaced it with endpoints = { s3 = \"https://...\" }: write that instead.",
    ),
    (
        "force_path_style",
        "Terraform renamed it use_path_style: write use_path_style = true instead.",
    ),
    (
        "dynamodb_endpoint",
        "ggplan does not lock through DynamoDB: remove it and set use_lockfile = true.",
    ),
];

impl Decoder<'_> {
    /// `backend "s3" { bucket = "..." key = "..." ... }`.
    pub(super) fn s3_backend(&mut self, block: &Block) {
        let attrs = &block.body.attributes;
        for (name, why) in REFUSED {
            if let Some(attr) = attrs.get(name) {
                self.error(
                    Some(attr.span.clone()),
                    "Unsupported argument",
                    format!("{name} is not supported in ggplan's s3 backend: {why}"),
                );
            }
        }
        let known: Vec<&str> = STRINGS
            .iter()
            .chain(&FLAGS)
            .chain(&NEVER_DONE_CHECKS)
            .chain(REFUSED.iter().map(|(name, _)| name))
            .chain(&["endpoints"])
            .copied()
            .collect();
        self.reject_unknown(&block.body, &known, "ggplan's s3 backend");
        for name in NEVER_DONE_CHECKS {
            if let Some(attr) = attrs.get(name) {
                self.literal_bool(attr);
            }
        }
        let endpoint_s3 = attrs.get("endpoints").and_then(|a| self.s3_endpoint(a));
        let mut string = |name| attrs.get(name).and_then(|a| self.literal_string(a));
        let mut s3 = S3BackendBlock {
            bucket: string("bucket"),
            key: string("key"),
            region: string("region"),
            access_key: string("access_key"),
            secret_key: string("secret_key"),
            token: string("token"),
            profile: string("profile"),
            workspace_key_prefix: string("workspace_key_prefix"),
            kms_key_id: string("kms_key_id"),
            acl: string("acl"),
            endpoint_s3,
            ..S3BackendBlock::default()
        };
        let mut flag = |name| attrs.get(name).map(|a| self.literal_bool(a));
        s3.use_path_style = flag("use_path_style");
        s3.use_lockfile = flag("use_lockfile");
        s3.encrypt = flag("encrypt");
        self.module.backend = Some(BackendBlock::S3(Box::new(s3)));
    }

    /// `endpoints = { s3 = "..." }`: only the S3 endpoint means something to ggplan (it calls
    /// no other AWS service).
    fn s3_endpoint(&mut self, attr: &Attr) -> Option<String> {
        let Expression::Object(object) = &attr.value.expr else {
            self.error(
                Some(attr.value.span.clone()),
                "Invalid value",
                "endpoints must be an object such as { s3 = \"https://...\" }.".into(),
            );
            return None;
        };
        let mut s3 = None;
        for (key, value) in object.iter() {
            let name = match key {
                ObjectKey::Ident(id) => id.as_str().to_string(),
                ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                ObjectKey::Expression(_) => String::new(),
            };
            match (name.as_str(), value.expr()) {
                ("s3", Expression::String(url)) => s3 = Some(url.value().to_string()),
                ("s3", _) => self.error(
                    Some(attr.value.span.clone()),
                    "Invalid value",
                    "endpoints.s3 must be a literal string (the store's URL).".into(),
                ),
                _ => self.error(
                    Some(attr.value.span.clone()),
                    "Unsupported argument",
                    format!(
                        "endpoints.{name} is not supported: ggplan's s3 backend calls only the \
                         S3 endpoint (no STS, IAM or DynamoDB), so only endpoints.s3 may be set."
                    ),
                ),
            }
        }
        s3
    }
}
