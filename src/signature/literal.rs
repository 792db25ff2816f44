//! Required literals: for each signature regex, a set of byte strings one of
//! which must appear in any text the regex matches. The classifier feeds all of
//! them to one Aho-Corasick prefilter and skips the lines that contain none, so
//! most benign lines are never parsed. Soundness matters more than
//! selectivity: a literal is only required when the regex cannot match without
//! it, and literals are cut at bytes that a JSON encoder might escape (so the
//! literal still appears in the raw JSON line whose decoded message matches).

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
}
