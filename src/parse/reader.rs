//! Stub: the stateful line reader and document parser.

use crate::parse::{Problem, line};
use crate::record::Record;

/// What an input is, judged from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A stream of lines.
    Lines,
    /// One or more multi-line JSON documents.
    Json,
    /// One or more YAML documents.
    Yaml,
}

/// Judges the kind of an input from its first bytes.
pub fn sniff(_head: &str) -> InputKind {
    InputKind::Lines
}

/// Parses a whole JSON or YAML input into records.
pub fn parse_document(_text: &str, _kind: InputKind, _problems: &mut Vec<Problem>) -> Vec<Record> {
    Vec::new()
}

/// Reads lines one at a time, keeping the state multi-line formats need.
#[derive(Default)]
pub struct Reader {}

impl Reader {
    /// A reader at the start of an input.
    pub fn new() -> Reader {
        Reader {}
    }

    /// Feeds one line (no newline), emitting the records it completes.
    pub fn push_line(
        &mut self,
        text: &str,
        lineno: u64,
        out: &mut Vec<Record>,
        problems: &mut Vec<Problem>,
    ) {
        out.push(line::parse_line(text, lineno, problems));
    }

    /// `true` when skipping the next line cannot change what later lines mean.
    pub fn is_idle(&self) -> bool {
        true
    }

    /// Ends the input, emitting anything still pending.
    pub fn finish(&mut self, _out: &mut Vec<Record>, _problems: &mut Vec<Problem>) {}
}
