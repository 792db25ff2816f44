//! The signature library: named failure patterns loaded from `patterns/`
//! (embedded at build time, extended or overridden with `--patterns DIR`),
//! checked, and compiled into one [`SignatureSet`]. `spec.rs` reads the TOML,
//! `compile.rs` checks it and builds regexes, `literal.rs` finds the
//! prefilter literals, and `diagnostic.rs` renders errors as
//! `file:line:col` with a caret.

mod compile;
pub mod diagnostic;
pub mod literal;
mod redaction;
mod spec;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::record::{Level, Source};

pub use compile::SignatureSet;
pub use diagnostic::Diagnostic;

/// How bad a failure is, from the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    /// Parses a name written by [`Severity::as_str`].
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id given to warn/error records that no signature matches.
pub const UNCLASSIFIED: &str = "unclassified";

/// One compiled signature.
#[derive(Clone, Debug)]
pub struct Signature {
    /// The public id, e.g. `proxy.listener_bind_failed`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Severity from the catalogue.
    pub severity: Severity,
    /// The troubleshooting-guide step.
    pub guide_step: String,
    /// What to do about it.
    pub remediation: String,
    /// The guide section of its file.
    pub section: Option<String>,
    /// The pattern file it came from.
    pub file: String,
    /// Sources it applies to; empty means every source.
    pub sources: Vec<Source>,
    /// Levels it applies to; empty means any level.
    pub levels: Vec<Level>,
    /// The field its regexes run on.
    pub field: String,
    /// Other fields that must hold one of the listed values.
    pub conditions: Vec<(String, Vec<String>)>,
    /// Regexes on `field` that veto a match.
    pub unless: Vec<Regex>,
    /// Indices of the signatures this one wins over.
    pub supersedes: Vec<usize>,
    /// Seconds after a process start during which a hit is startup noise.
    pub startup_grace: Option<u64>,
    /// The kind of the object its `object` capture names (`Gateway`, ...).
    pub object_kind: Option<String>,
    /// `(seconds, severity)`: an incident that lasts this long escalates.
    pub escalate: Option<(u64, Severity)>,
    /// `true` for a `[[benign]]` rule: what it matches is routine, not a failure.
    pub benign: bool,
    /// `true` when a resource check (`src/checks/`) evaluates it on objects.
    pub check: bool,
    /// For a benign rule: `(count, within seconds)` after which it stops being benign.
    pub repeat: Option<(u32, u64)>,
    /// The regexes, in file order, with captures (compiled on first use:
    /// only the regexes of signatures that win a record are ever needed).
    pub regexes: Vec<LazyRegex>,
    /// Inline examples that must produce a hit of this signature.
    pub examples_match: Vec<String>,
    /// Inline examples that must not.
    pub examples_no_match: Vec<String>,
}

impl Signature {
    /// `true` when the signature can match a record read from a log line
    /// (istio, Envoy, access log, klog or plain text), not only Events and
    /// status conditions.
    pub fn matches_log_lines(&self) -> bool {
        self.sources.is_empty()
            || self
                .sources
                .iter()
                .any(|s| !matches!(s, Source::Event | Source::Condition))
    }
}

/// A regex whose pattern is known valid, compiled the first time it is used.
#[derive(Clone, Debug)]
pub struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Regex>,
}

impl LazyRegex {
    /// A regex of a pattern that has passed `regex_syntax` parsing.
    pub fn new(pattern: &str) -> LazyRegex {
        LazyRegex {
            pattern: pattern.to_string(),
            compiled: OnceLock::new(),
        }
    }

    /// The pattern.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex. The multi-pattern automaton was built from the
    /// same pattern, so compiling it alone cannot fail.
    pub fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            Regex::new(&self.pattern).expect("pattern compiled in the signature set")
        })
    }
}

/// The text of one pattern file, with the name errors should use.
#[derive(Clone, Debug)]
pub struct PatternFile {
    /// File name for diagnostics (`patterns/networking.toml`).
    pub name: String,
    /// Its contents.
    pub text: Arc<str>,
    /// `true` for user files from `--patterns`, which override built-in ids.
    pub user: bool,
}

/// The pattern files built into the binary, in name order.
pub fn builtin_files() -> Vec<PatternFile> {
    let files: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));
    files
        .iter()
        .map(|(name, text)| PatternFile {
            name: format!("patterns/{name}"),
            text: Arc::from(*text),
            user: false,
        })
        .collect()
}

/// The `*.toml` files of a user patterns directory, in name order.
pub fn user_files(dir: &Path) -> anyhow::Result<Vec<PatternFile>> {
    use anyhow::Context;
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read patterns directory {}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_file(p, true)).collect()
}

/// Reads one pattern file from disk.
pub fn read_file(path: &Path, user: bool) -> anyhow::Result<PatternFile> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read pattern file {}", path.display()))?;
    Ok(PatternFile {
        name: path.display().to_string(),
        text: Arc::from(text),
        user,
    })
}

/// Pattern-file text for tests: one `[[signature]]` (or `[[benign]]` when
/// `severity` is `None`) with placeholder examples, `extra` lines before its
/// regex.
#[cfg(test)]
pub(crate) fn fixture(id: &str, severity: Option<&str>, extra: &str, regex: &str) -> String {
    let (table, head) = match severity {
        Some(sev) => (
            "signature",
            format!("severity = \"{sev}\"\nguide_step = \"g\"\nremediation = \"r\"\n"),
        ),
        None => ("benign", String::new()),
    };
    format!(
        "\n[[{table}]]\nid = \"{id}\"\ntitle = \"{id} title\"\n{head}{extra}regexes = ['''{regex}''']\n\
         [{table}.examples]\nmatch = [\"a\", \"b\", \"c\"]\nno_match = [\"d\", \"e\"]\n"
    )
}
