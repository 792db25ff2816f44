//! Stub: CRI and `kubectl logs --timestamps` prefixes.

use chrono::{DateTime, Utc};

/// What a line prefix said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix<'a> {
    /// The prefix timestamp.
    pub ts: Option<DateTime<Utc>>,
    /// CRI stream (`stdout`/`stderr`), `None` for a `--timestamps` prefix.
    pub stream: Option<&'a str>,
    /// CRI `P`: this is a partial line continued by the next one of the same stream.
    pub partial: bool,
}

/// Splits a CRI (`TS stdout F msg`) or `kubectl logs --timestamps` (`TS msg`) prefix off a line.
pub fn split_prefix(line: &str) -> (Option<Prefix<'_>>, &str) {
    (None, line)
}
