//! Required literals: for each signature regex, a set of byte strings one of
//! which must appear in any text the regex matches. The classifier feeds all of
//! them to one Aho-Corasick prefilter and skips the lines that contain none, so
//! most benign lines are never parsed. Soundness matters more than
//! selectivity: a literal is only required when the regex cannot match without
//! it, and literals are cut at bytes that a JSON encoder might escape (so the
//! literal still appears in the raw JSON line whose decoded message matches).

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Hir, HirKind};

/// The shortest literal worth using as a prefilter.
pub const MIN_LITERAL: usize = 3;

/// One of these byte strings must occur in any match of `pattern`; `None`
/// when no such set of literals of at least [`MIN_LITERAL`] bytes exists.
pub fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(true)
        .build()
        .parse(pattern)
        .ok()?;
    required(&hir)
}

fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => best_piece(&lit.0).map(|p| vec![p]),
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Concat(subs) => subs
            .iter()
            .filter_map(required)
            .max_by_key(|set| set.iter().map(Vec::len).min().unwrap_or(0)),
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for sub in subs {
                all.extend(required(sub)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// The longest run of `bytes` free of JSON-escapable bytes, if long enough.
fn best_piece(bytes: &[u8]) -> Option<Vec<u8>> {
    bytes
        .split(|&b| is_escapable(b))
        .max_by_key(|piece| piece.len())
        .filter(|piece| piece.len() >= MIN_LITERAL)
        .map(<[u8]>::to_vec)
}

/// Bytes that some JSON encoder writes escaped (`\"`, `\\`, `\u003c`, `\u00e9`).
fn is_escapable(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&') || !(0x20..0x80).contains(&b)
}

/// How many literals one SIMD (Teddy) searcher gets. Teddy takes up to 64,
/// but it sorts them into 8 (or, past 32, 16 slower) buckets that share a
/// fingerprint, and every fingerprint hit is verified against its whole
/// bucket: on gateway logs two literals per bucket measured faster than
/// four, even with the extra passes.
/// Larger sets are split into searchers of at most this many literals each.
const PACKED_LIMIT: usize = 16;

/// The literals, less any that contains another (the shorter one suffices).
fn drop_containing(mut literals: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    literals.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    literals.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for lit in literals {
        if !kept.iter().any(|k| memchr::memmem::find(&lit, k).is_some()) {
            kept.push(lit);
        }
    }
    kept
}

/// How many bytes of a literal Teddy fingerprints it by.
const FINGERPRINT: usize = 4;

/// The shortest suffix [`rare_suffixes`] keeps (or the whole literal).
const KEEP: usize = 8;

/// Each literal cut to the suffix that starts at its rarest
/// 4-byte window in `background` (typical log text), keeping
/// at least 8 bytes. Teddy fingerprints a literal by its first bytes,
/// so a literal that starts like common text (`upstream_...`, `gateway ...`)
/// costs a verification at every such place in the input. A suffix is found
/// wherever its literal is, so no line that matters is lost; ties keep the
/// longer suffix.
pub fn rare_suffixes(literals: Vec<Vec<u8>>, background: &[u8]) -> Vec<Vec<u8>> {
    let mut counts: HashMap<[u8; FINGERPRINT], u32> = HashMap::new();
    for lit in &literals {
        for start in 0..=lit.len().saturating_sub(KEEP) {
            if let Some(gram) = lit.get(start..start + FINGERPRINT) {
                counts.insert(gram.try_into().expect("window length"), 0);
            }
        }
    }
    for gram in background.windows(FINGERPRINT) {
        if let Some(n) = counts.get_mut(gram) {
            *n += 1;
        }
    }
    literals
        .into_iter()
        .map(|lit| {
            let best = (0..=lit.len().saturating_sub(KEEP))
                .filter_map(|start| {
                    let gram: [u8; FINGERPRINT] =
                        lit.get(start..start + FINGERPRINT)?.try_into().ok()?;
                    Some((counts[&gram], start))
                })
                .min();
            match best {
                Some((_, start)) => lit[start..].to_vec(),
                None => lit,
            }
        })
        .collect()
}

/// Many literals searched for at once: groups of at most [`PACKED_LIMIT`]
/// literals, each searched with aho-corasick's SIMD (Teddy) searcher where
/// the CPU has it, else with an Aho-Corasick automaton.
#[derive(Clone, Debug)]
pub struct LiteralSet {
    searchers: Vec<Searcher>,
    literals: Vec<Vec<u8>>,
}

/// One group's searcher.
#[derive(Clone, Debug)]
enum Searcher {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Searcher {
    fn new(literals: &[Vec<u8>]) -> Searcher {
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(literals)
            .build();
        match packed {
            Some(searcher) => Searcher::Packed(searcher),
            None => Searcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(literals)
                    .expect("literal set builds"),
            ),
        }
    }

    /// Start of the first literal in `text[at..]`.
    fn find_from(&self, text: &[u8], at: usize) -> Option<usize> {
        match self {
            Searcher::Packed(s) => s.find_in(text, aho_corasick::Span::from(at..text.len())),
            Searcher::Automaton(a) => a.find(aho_corasick::Input::new(text).range(at..)),
        }
        .map(|m| m.start())
    }
}

impl LiteralSet {
    /// A set of these literals (duplicates and literals containing others dropped).
    pub fn new(literals: Vec<Vec<u8>>) -> LiteralSet {
        let literals = drop_containing(literals);
        let searchers = literals.chunks(PACKED_LIMIT).map(Searcher::new).collect();
        LiteralSet {
            searchers,
            literals,
        }
    }

    /// How many distinct literals it looks for.
    pub fn len(&self) -> usize {
        self.literals.len()
    }

    /// `true` when it looks for nothing.
    pub fn is_empty(&self) -> bool {
        self.literals.is_empty()
    }

    /// The literals, shortest first.
    pub fn literals(&self) -> impl Iterator<Item = String> + '_ {
        self.literals
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
    }

    /// `true` when `text` contains any literal.
    pub fn may_match(&self, text: &[u8]) -> bool {
        self.searchers
            .iter()
            .any(|s| s.find_from(text, 0).is_some())
    }

    /// Pushes, in ascending order, one offset inside each line of `text` (a
    /// run of whole lines) that contains a literal: one pass per automaton
    /// over the whole text instead of one call per line.
    pub fn mark_lines(&self, text: &[u8], marks: &mut Vec<usize>) {
        let mut found = Vec::new();
        for searcher in &self.searchers {
            let mut at = 0;
            while at < text.len() {
                let Some(start) = searcher.find_from(text, at) else {
                    break;
                };
                found.push(start);
                // One mark per line is enough: go on from the next line.
                at = line_end(text, start);
            }
        }
        found.sort_unstable();
        let first = marks.len();
        let mut end = 0;
        for m in found {
            if m >= end || marks.len() == first {
                marks.push(m);
                end = line_end(text, m);
            }
        }
    }
}

/// Offset just past the newline that ends the line holding `at`.
fn line_end(text: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(p: &str) -> Option<Vec<String>> {
        required_literals(p).map(|v| {
            v.into_iter()
                .map(|b| String::from_utf8(b).unwrap())
                .collect()
        })
    }

    #[test]
    fn picks_the_longest_required_piece() {
        assert_eq!(
            lits(r"listener '(?P<l>[^']+)' failed to bind or apply socket options"),
            Some(vec!["' failed to bind or apply socket options".into()])
        );
    }

    #[test]
    fn cuts_at_json_escapable_bytes() {
        assert_eq!(
            lits(r#"hostname "(?P<h>[^"]+)" not found"#),
            Some(vec![" not found".into()])
        );
    }

    #[test]
    fn alternation_needs_every_branch() {
        assert_eq!(
            lits(r"(?:Permission denied|Address already in use)"),
            Some(vec![
                "Permission denied".into(),
                "Address already in use".into()
            ])
        );
        assert_eq!(lits(r"(?:Permission denied|x)"), None);
    }

    #[test]
    fn optional_parts_are_not_required() {
        assert_eq!(lits(r"(?:closed since )?[0-9]+"), None);
        assert_eq!(lits(r"(?:abc)+def"), Some(vec!["def".into()]));
        assert_eq!(lits(r"(?i)failed"), None);
    }

    #[test]
    fn containing_literals_are_dropped() {
        let lits = vec![
            b"error rendering".to_vec(),
            b"error".to_vec(),
            b"warn".to_vec(),
            b"error".to_vec(),
        ];
        let set = LiteralSet::new(lits);
        assert_eq!(set.literals().collect::<Vec<_>>(), ["warn", "error"]);
    }

    #[test]
    fn large_sets_are_split_and_still_found() {
        let lits: Vec<Vec<u8>> = (0..150)
            .map(|i| format!("literal-{i:03}").into_bytes())
            .collect();
        let set = LiteralSet::new(lits);
        assert_eq!(set.searchers.len(), 150usize.div_ceil(PACKED_LIMIT));
        assert!(set.may_match(b"x literal-149 y") && set.may_match(b"literal-000"));
        assert!(!set.may_match(b"literal-15"));
    }

    #[test]
    fn marks_one_offset_per_matching_line() {
        let set = LiteralSet::new(vec![b"warn".to_vec(), b"error".to_vec()]);
        let text = b"info a\nwarn b\nwarn c warn\ninfo d\nerror e\n";
        let mut marks = Vec::new();
        set.mark_lines(text, &mut marks);
        assert_eq!(marks, [7, 14, 33]);
    }
}
