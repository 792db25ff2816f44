//! `[[redact]]` tables of pattern files: a user's own kinds of secret. Each
//! is checked like a signature (a valid kind name that is not a built-in
//! one and not defined twice, a regex that compiles and cannot match the
//! empty string, at least one `match` example it redacts and one
//! `no_match` example it leaves alone) and every problem becomes a
//! [`Diagnostic`] at its span. The compiled rules go to the
//! [`crate::redact::Redactor`] of every classifying command.

use std::ops::Range;
use std::sync::Arc;

use regex::Regex;
use toml::Spanned;

use super::PatternFile;
use super::diagnostic::Diagnostic;
use super::spec::RedactSpec;
use crate::redact::{BUILTIN_KINDS, UserRule};

/// A checked rule and where its kind is defined, for duplicate errors.
pub struct Parsed {
    pub rule: UserRule,
    pub file: String,
    pub source: Arc<str>,
    pub kind_span: Range<usize>,
}

/// Checks one `[[redact]]` table; `None` when it has problems (pushed to `diags`).
pub fn check(
    file: &PatternFile,
    spec: Spanned<RedactSpec>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Parsed> {
    let table_span = spec.span();
    let spec = spec.into_inner();
    let diag = |span: Range<usize>, message: String| {
        Diagnostic::new(&file.name, &file.text, span, message)
    };
    let before = diags.len();
    let kind = spec.kind.get_ref();
    if !valid_kind(kind) {
        diags.push(
            diag(spec.kind.span(), format!("invalid redaction kind {kind:?}")).with_help(
                "expected lowercase letters, digits and underscores, such as contoso_api_key",
            ),
        );
    } else if BUILTIN_KINDS.contains(&kind.as_str()) {
        diags.push(
            diag(
                spec.kind.span(),
                format!("{kind} is a built-in redaction kind"),
            )
            .with_help("built-in kinds are always redacted; give this rule a kind of its own"),
        );
    }
    let regex = match super::compile::compile_regex(file, spec.regex.get_ref(), spec.regex.span()) {
        Ok(re) if re.is_match("") => {
            diags.push(
                diag(spec.regex.span(), "this regex matches the empty string".into())
                    .with_help("a redaction regex must need at least one character, or it would redact everywhere"),
            );
            None
        }
        Ok(re) => Some(re),
        Err(d) => {
            diags.push(d);
            None
        }
    };
    match &spec.examples {
        None => diags.push(
            diag(table_span, "a [[redact]] rule needs examples".into())
                .with_help("add [redact.examples] with match = [...] (text holding the secret) and no_match = [...] (text it must leave alone)"),
        ),
        Some(examples) => {
            let ex = examples.get_ref();
            if ex.matches.is_empty() || ex.no_match.is_empty() {
                diags.push(
                    diag(examples.span(), "expected at least 1 match and 1 no_match example".into())
                        .with_help("match: text holding the secret; no_match: text the rule must leave alone"),
                );
            }
            if let Some(re) = &regex {
                for m in &ex.matches {
                    if !finds_secret(re, m.get_ref()) {
                        diags.push(diag(
                            m.span(),
                            "this match example holds no secret the regex finds".into(),
                        ));
                    }
                }
                for m in &ex.no_match {
                    if re.is_match(m.get_ref()) {
                        diags.push(diag(
                            m.span(),
                            "the regex matches this no_match example".into(),
                        ));
                    }
                }
            }
        }
    }
    if diags.len() > before {
        return None;
    }
    Some(Parsed {
        rule: UserRule {
            kind: kind.clone(),
            regex: regex?,
        },
        file: file.name.clone(),
        source: file.text.clone(),
        kind_span: spec.kind.span(),
    })
}

/// Whether the regex finds a non-empty secret (its `secret` group, or the
/// whole match) in `text`.
fn finds_secret(re: &Regex, text: &str) -> bool {
    re.captures_iter(text).any(|caps| {
        caps.name("secret")
            .or_else(|| caps.get(0))
            .is_some_and(|m| !m.is_empty())
    })
}

/// `[a-z0-9_]+`, starting with a letter.
fn valid_kind(kind: &str) -> bool {
    kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Rules in load order; a kind defined twice is an error at its second place.
pub fn resolve(parsed: Vec<Parsed>, diags: &mut Vec<Diagnostic>) -> Vec<UserRule> {
    let mut out: Vec<(UserRule, String)> = Vec::new();
    for p in parsed {
        if let Some((_, first)) = out.iter().find(|(r, _)| r.kind == p.rule.kind) {
            diags.push(
                Diagnostic::new(&p.file, &p.source, p.kind_span, "duplicate redaction kind")
                    .with_help(format!("already defined in {first}")),
            );
            continue;
        }
        out.push((p.rule, p.file));
    }
    out.into_iter().map(|(r, _)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::super::SignatureSet;
    use super::*;

    fn file(name: &str, text: &str) -> PatternFile {
        PatternFile {
            name: name.into(),
            text: Arc::from(text),
            user: true,
        }
    }

    const GOOD: &str = r#"
[[redact]]
kind = "contoso_api_key"
regex = '''\bctso_(?P<secret>[a-z0-9]{16})\b'''
[redact.examples]
match = ["billing call with ctso_0123456789abcdef failed"]
no_match = ["billing call failed"]
"#;

    fn messages(text: &str) -> Vec<String> {
        match SignatureSet::compile(&[file("u.toml", text)]) {
            Ok(_) => Vec::new(),
            Err(diags) => diags.iter().map(|d| d.message.clone()).collect(),
        }
    }

    #[test]
    fn a_good_rule_reaches_the_set() {
        let set = SignatureSet::compile(&[file("u.toml", GOOD)]).expect("compiles");
        let kinds: Vec<&str> = set.redactions().iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["contoso_api_key"]);
    }

    #[test]
    fn bad_rules_are_reported_at_their_values() {
        assert_eq!(
            messages(&GOOD.replace("contoso_api_key", "jwt")),
            ["jwt is a built-in redaction kind"]
        );
        assert_eq!(
            messages(&GOOD.replace("contoso_api_key", "Contoso-Key")),
            ["invalid redaction kind \"Contoso-Key\""]
        );
        assert_eq!(
            messages(&GOOD.replace(r"\bctso_(?P<secret>[a-z0-9]{16})\b", "[a-z0-9]*")),
            ["this regex matches the empty string"]
        );
        assert_eq!(
            messages(&GOOD.replace("ctso_0123456789abcdef", "ctso_short")),
            ["this match example holds no secret the regex finds"]
        );
        assert_eq!(
            messages(&GOOD.replace("billing call failed", "ctso_fedcba9876543210")),
            ["the regex matches this no_match example"]
        );
        let without_examples = &GOOD[..GOOD.find("[redact.examples]").unwrap()];
        assert_eq!(
            messages(without_examples),
            ["a [[redact]] rule needs examples"]
        );
        assert!(messages(&GOOD.replace("(?P<secret>", "(?P<secret")).len() == 1);
    }

    #[test]
    fn a_kind_defined_twice_is_an_error_naming_the_first_file() {
        let diags = SignatureSet::compile(&[file("a.toml", GOOD), file("b.toml", GOOD)])
            .expect_err("duplicate");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].file, "b.toml");
        assert_eq!(diags[0].message, "duplicate redaction kind");
        assert_eq!(diags[0].help.as_deref(), Some("already defined in a.toml"));
    }
}
