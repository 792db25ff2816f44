//! The line prefilter: one Aho-Corasick automaton over every literal that a
//! line must contain to be worth parsing: the required literals of all
//! signature regexes, the level words that make an unmatched line
//! `unclassified`, and the info lines the classifier keeps state from. Lines
//! that contain none of them, are not structurally special
//! (`parse::line::always_parse`) and are not wanted by the reader (a table
//! header, a `describe` section, a pending CRI partial) cannot produce a
//! hit, so `classify` skips them without parsing. This is what lets
//! classification run at grep speed on logs that are 98% benign.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::classify::CONTEXT_LITERALS;
use crate::signature::SignatureSet;

/// Level words, in the spellings the supported formats print them.
const LEVEL_LITERALS: [&str; 12] = [
    "warn", "Warn", "WARN", "error", "Error", "ERROR", "critical", "Critical", "CRITICAL", "fatal",
    "Fatal", "FATAL",
];

/// Decides cheaply whether a raw line may matter.
#[derive(Clone, Debug)]
pub struct Prefilter {
    automaton: AhoCorasick,
}

impl Prefilter {
    /// The prefilter for a signature set.
    pub fn new(set: &SignatureSet) -> Prefilter {
        let mut literals: Vec<Vec<u8>> = set.prefilter_literals().to_vec();
        literals.extend(
            LEVEL_LITERALS
                .iter()
                .chain(CONTEXT_LITERALS.iter())
                .map(|s| s.as_bytes().to_vec()),
        );
        literals.sort();
        literals.dedup();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .expect("literal set builds");
        Prefilter { automaton }
    }

    /// `true` when the line contains any literal.
    pub fn may_match(&self, line: &[u8]) -> bool {
        self.automaton.is_match(line)
    }
}
