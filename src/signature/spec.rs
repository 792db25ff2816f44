//! The on-disk form of a pattern file: serde types that mirror the TOML
//! described in `patterns/README.md`, with byte spans kept on every value a
//! later check can complain about. Nothing here compiles a regex or judges a
//! value; `compile.rs` does that and turns problems into diagnostics that
//! point at these spans.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// One pattern file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// The guide section the file's signatures come from.
    pub section: Option<String>,
    /// The signatures, in file order.
    #[serde(default)]
    pub signature: Vec<Spanned<SignatureSpec>>,
    /// Known-routine rules: warn/error records they match are neither hits
    /// nor `unclassified`, unless they repeat more than `repeat` allows.
    #[serde(default)]
    pub benign: Vec<Spanned<SignatureSpec>>,
    /// Extra kinds of secret to redact (`[[redact]]`).
    #[serde(default)]
    pub redact: Vec<Spanned<RedactSpec>>,
}

/// One `[[redact]]` table: a kind of secret the built-in redaction does not
/// know, the regex that finds it (its `secret` group, or the whole match, is
/// replaced) and examples that prove it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactSpec {
    pub kind: Spanned<String>,
    pub regex: Spanned<String>,
    pub examples: Option<Spanned<Examples>>,
}

/// When a benign rule stops being benign: `count` matches within `within` seconds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    pub count: u32,
    pub within: u64,
}

/// How a persisting incident escalates: to severity `to` once it has lasted
/// `after` seconds (first to last hit).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    pub after: u64,
    pub to: String,
}

/// One `[[signature]]` or `[[benign]]` table. Severity, guide step and
/// remediation are required of signatures only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub severity: Option<Spanned<String>>,
    pub guide_step: Option<Spanned<String>>,
    pub remediation: Option<Spanned<String>>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub levels: Vec<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, Spanned<OneOrMany>>,
    #[serde(default)]
    pub unless: Vec<Spanned<String>>,
    #[serde(default)]
    pub supersedes: Vec<Spanned<String>>,
    pub startup_grace: Option<Spanned<u64>>,
    pub repeat: Option<Spanned<Repeat>>,
    pub escalate: Option<Spanned<Escalate>>,
    pub object_kind: Option<Spanned<String>>,
    /// `true`: a built-in resource check (`src/checks/`) evaluates it too.
    pub check: Option<Spanned<bool>>,
    /// Required unless `check = true`.
    pub regexes: Option<Spanned<Vec<Spanned<String>>>>,
    /// Required with regexes.
    pub examples: Option<Spanned<Examples>>,
}

/// A `where` value: one accepted value or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The accepted values.
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Inline examples that `patterns test` checks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(rename = "match", default)]
    pub matches: Vec<Spanned<String>>,
    #[serde(default)]
    pub no_match: Vec<Spanned<String>>,
}
