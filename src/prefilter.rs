//! The line prefilter: a SIMD search for every literal that a line must
//! contain to be worth parsing: the required literals of all signature
//! regexes and those of the info lines the classifier keeps state from.
//! Lines that contain none of them, are not structurally special
//! (`parse::line::always_parse`: a warn-or-above level column, access-log
//! response flags, klog `W`/`E`/`F`, JSON access logs with flags or whose
//! rendered message holds a literal) and are not wanted by
//! the reader (a table header, a `describe` section, a pending CRI partial)
//! cannot produce a hit or an `unclassified` record, so `classify` skips
//! them without parsing. This is what lets
//! classification run at grep speed on logs that are 98% benign.

use crate::classify::CONTEXT_LITERALS;
use crate::parse::{access_log, line};
use crate::signature::SignatureSet;
use crate::signature::literal::{self, LiteralSet};

/// Decides cheaply whether a raw line may matter.
#[derive(Clone, Debug)]
pub struct Prefilter {
    literals: LiteralSet,
}

impl Prefilter {
    /// The prefilter for a signature set.
    pub fn new(set: &SignatureSet) -> Prefilter {
        let mut literals: Vec<Vec<u8>> = set.prefilter_literals().to_vec();
        literals.extend(CONTEXT_LITERALS.iter().map(|s| s.as_bytes().to_vec()));
        // The library's inline examples are real log lines of every format:
        // what common log text looks like, to start literals away from it.
        let mut background = Vec::new();
        for sig in set.signatures() {
            for example in sig.examples_match.iter().chain(&sig.examples_no_match) {
                background.extend_from_slice(example.as_bytes());
                background.push(b'\n');
            }
        }
        Prefilter {
            literals: LiteralSet::new(literal::rare_suffixes(literals, &background)),
        }
    }

    /// `true` when a line with no literal in it must still be parsed: see
    /// [`line::always_parse`]; this is its second half, for a line whose CRI
    /// or `--timestamps` prefix is already removed (and that is not a CRI
    /// partial). A flagless JSON access log of plain values is rendered as
    /// the parser would, and matters only if its message holds a literal.
    pub fn body_needs_parse(&self, body: &str) -> bool {
        line::body_needs_parse(body, &|body| self.access_log_matters(body))
    }

    fn access_log_matters(&self, body: &str) -> bool {
        let mut message = String::with_capacity(body.len());
        !access_log::render_plain_flagless(body, &mut message)
            || self.literals.may_match(message.as_bytes())
    }

    /// How many distinct literals it looks for.
    pub fn literal_count(&self) -> usize {
        self.literals.len()
    }

    /// See [`LiteralSet::mark_lines`].
    pub fn mark_lines(&self, text: &[u8], marks: &mut Vec<usize>) {
        self.literals.mark_lines(text, marks);
    }

    /// `true` when the line contains any literal.
    pub fn may_match(&self, line: &[u8]) -> bool {
        self.literals.may_match(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_prefilter_keeps_problem_lines_and_skips_routine_ones() {
        let set = crate::load_signatures(None).unwrap();
        let p = Prefilter::new(&set);
        assert!(p.literal_count() > CONTEXT_LITERALS.len());

        assert!(p.may_match(
            b"listener '0.0.0.0_80' failed to bind or apply socket options: cannot bind"
        ));
        assert!(p.may_match(b"2025-08-26T09:59:58.100512Z\tinfo\tVersion 1.26.3-0a1b-Clean"));
        assert!(!p.may_match(
            b"2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\tgateway=default/gw"
        ));
    }
}
