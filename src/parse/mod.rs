//! Text in, [`Record`]s out. An input is either a stream of lines (logs,
//! `kubectl get events` tables, `kubectl describe` text), read by the stateful
//! [`Reader`], or one structured document (a YAML or multi-line JSON object or
//! list), read by [`parse_document`]. Line formats are recognised per line, so
//! a gateway pod log that mixes pilot-agent, Envoy and access-log lines reads
//! correctly; a line of no known format becomes a plain-text record and is
//! never dropped. Problems (truncated JSON, a malformed row) are reported as
//! [`Problem`]s with their line, and reading goes on.

pub mod access_log;
pub mod condition;
pub mod describe;
pub mod envoy;
pub mod event;
pub mod event_table;
pub mod istio;
pub mod klog;
pub mod line;
pub mod marker;
pub mod prefix;
mod reader;
pub mod time;

pub use reader::{InputKind, Reader, each_object, parse_document, parse_document_with, sniff};

/// A problem found while reading one input; reading goes on after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line the problem is on.
    pub line: u64,
    /// What was wrong and what was expected, in plain words.
    pub message: String,
}

impl Problem {
    /// A problem on `line`.
    pub fn new(line: u64, message: impl Into<String>) -> Problem {
        Problem {
            line,
            message: message.into(),
        }
    }
}
