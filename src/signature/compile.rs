//! Pattern files to a [`SignatureSet`]: every value is checked (ids, severity,
//! sources, levels, regex syntax, required literals, example counts,
//! `supersedes` targets) and every problem becomes a [`Diagnostic`] pointing
//! at its span, so `patterns lint` reports all of them at once. The compiled
//! set holds one multi-pattern regex per field (`regex-automata` meta regex,
//! `MatchKind::All`) that says in one pass which signatures match a record,
//! guarded by a SIMD search for the regexes' required literals (a value with
//! none of them skips the automaton), plus per-signature regexes run only on
//! the winners to extract captures.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use regex::Regex;
use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};

use super::diagnostic::Diagnostic;
use super::literal::{self, LiteralSet};
use super::redaction;
use super::spec::{Examples, FileSpec, SignatureSpec};
use super::{LazyRegex, PatternFile, Severity, Signature};
use crate::checks;
use crate::record::{Level, Record, Source};
use crate::redact::UserRule;

/// Examples each signature needs at least.
const MIN_MATCH_EXAMPLES: usize = 3;
const MIN_NO_MATCH_EXAMPLES: usize = 2;

/// The compiled signature library.
#[derive(Clone, Debug)]
pub struct SignatureSet {
    sigs: Vec<Signature>,
    groups: Vec<FieldGroup>,
    literals: Vec<Vec<u8>>,
    by_id: HashMap<String, usize>,
    /// The `[[redact]]` rules of the files, in load order.
    redactions: Vec<UserRule>,
}

/// All regexes that run on one field, as one automaton.
#[derive(Clone, Debug)]
struct FieldGroup {
    field: String,
    /// The required literals of these regexes: a value with none of them
    /// cannot match, and is not given to the (costlier) regex automaton.
    literals: LiteralSet,
    regex: meta::Regex,
    /// Pattern id → (signature index, index of the regex in the signature).
    owners: Vec<(usize, usize)>,
}

impl SignatureSet {
    /// Checks and compiles pattern files. Later user files override built-in
    /// signatures of the same id. Returns every problem found.
    pub fn compile(files: &[PatternFile]) -> Result<SignatureSet, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut parsed: Vec<Parsed> = Vec::new();
        let mut failed_ids = Vec::new();
        let mut redactions = Vec::new();
        for file in files {
            parse_file(
                file,
                &mut parsed,
                &mut redactions,
                &mut failed_ids,
                &mut diags,
            );
        }
        let redactions = redaction::resolve(redactions, &mut diags);
        // Resolve overrides and duplicates.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keep: Vec<Option<Parsed>> = Vec::new();
        for p in parsed {
            match index.get(&p.sig.id) {
                Some(&i) => {
                    let earlier = keep[i].as_ref().expect("kept");
                    if p.user && !earlier.user {
                        keep[i] = Some(p);
                    } else {
                        diags.push(
                            Diagnostic::new(&p.file, &p.source, p.id_span.clone(), "duplicate id")
                                .with_help(format!("already defined in {}", earlier.file)),
                        );
                    }
                }
                None => {
                    index.insert(p.sig.id.clone(), keep.len());
                    keep.push(Some(p));
                }
            }
        }
        let mut parsed: Vec<Parsed> = keep.into_iter().flatten().collect();
        let by_id: HashMap<String, usize> = parsed
            .iter()
            .enumerate()
            .map(|(i, p)| (p.sig.id.clone(), i))
            .collect();
        for p in parsed.iter_mut() {
            for (target, span) in &p.supersedes {
                match by_id.get(target) {
                    Some(_) if *target == p.sig.id => {
                        diags.push(Diagnostic::new(
                            &p.file,
                            &p.source,
                            span.clone(),
                            "a signature cannot supersede itself",
                        ));
                    }
                    Some(&i) => p.sig.supersedes.push(i),
                    // Already reported where that signature is defined.
                    None if failed_ids.contains(target) => {}
                    None => diags.push(
                        Diagnostic::new(
                            &p.file,
                            &p.source,
                            span.clone(),
                            format!("unknown signature id {target:?} in supersedes"),
                        )
                        .with_help("expected the id of a signature in the library"),
                    ),
                }
            }
        }
        for (i, p) in parsed.iter().enumerate() {
            for &j in &p.sig.supersedes {
                if parsed[j].sig.supersedes.contains(&i) {
                    diags.push(Diagnostic::new(
                        &p.file,
                        &p.source,
                        p.id_span.clone(),
                        format!(
                            "{} and {} supersede each other; one must win",
                            p.sig.id, parsed[j].sig.id
                        ),
                    ));
                }
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let sources: Vec<(String, Arc<str>, Range<usize>)> = parsed
            .iter()
            .map(|p| (p.file.clone(), p.source.clone(), p.id_span.clone()))
            .collect();
        let sigs: Vec<Signature> = parsed.into_iter().map(|p| p.sig).collect();
        let mut set = SignatureSet::build(sigs).map_err(|(sig, message)| {
            let (file, source, span) = &sources[sig];
            vec![
                Diagnostic::new(file, source, span.clone(), "regexes do not compile")
                    .with_help(message.replace('\n', " ")),
            ]
        })?;
        set.redactions = redactions;
        Ok(set)
    }

    /// Builds the automata; on failure, the index of the signature whose
    /// regex could not be compiled (too large, say) and why.
    fn build(sigs: Vec<Signature>) -> Result<SignatureSet, (usize, String)> {
        type Group = (Vec<String>, Vec<(usize, usize)>, Vec<Vec<u8>>);
        let mut by_field: BTreeMap<String, Group> = BTreeMap::new();
        let mut literals = Vec::new();
        for (i, sig) in sigs.iter().enumerate() {
            let entry = by_field.entry(sig.field.clone()).or_default();
            for (k, re) in sig.regexes.iter().enumerate() {
                entry.0.push(re.as_str().to_string());
                entry.1.push((i, k));
                let required = literal::required_literals(re.as_str()).unwrap_or_default();
                entry.2.extend(required.iter().cloned());
                if sig.matches_log_lines() {
                    literals.extend(required);
                }
            }
        }
        literals.sort();
        literals.dedup();
        let mut groups = Vec::new();
        for (field, (patterns, owners, required)) in by_field {
            let regex = meta::Regex::builder()
                .configure(
                    meta::Config::new()
                        .match_kind(MatchKind::All)
                        // Only which patterns match is asked of it.
                        .which_captures(WhichCaptures::None)
                        // The default 2 MB cache thrashes on a large
                        // overlapping set; the cache grows only as needed.
                        .hybrid_cache_capacity(256 << 20),
                )
                .syntax(syntax::Config::new().utf8(true))
                .build_many(&patterns)
                .map_err(|e| {
                    let pid = e.pattern().map_or(0, |p| p.as_usize());
                    (owners[pid].0, e.to_string())
                })?;
            groups.push(FieldGroup {
                field,
                literals: LiteralSet::new(required),
                regex,
                owners,
            });
        }

        let by_id = sigs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Ok(SignatureSet {
            sigs,
            groups,
            literals,
            by_id,
            redactions: Vec::new(),
        })
    }

    /// The user's `[[redact]]` rules, in load order.
    pub fn redactions(&self) -> &[UserRule] {
        &self.redactions
    }

    /// The signatures, in load order (index = the signature's number).
    pub fn signatures(&self) -> &[Signature] {
        &self.sigs
    }

    /// The signature with this id.
    pub fn get(&self, id: &str) -> Option<&Signature> {
        self.by_id.get(id).map(|&i| &self.sigs[i])
    }

    /// The index of the signature with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Literals one of which appears in any log line (a record of a
    /// process-log source) that a signature regex can match. Events and
    /// conditions need none: the reader wants every line that starts or
    /// continues an Event table, a `describe` section or a one-line object.
    pub fn prefilter_literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// Calls `found` with the index of every signature whose regexes match
    /// the record's fields (before source, level and `where` checks) and the
    /// index of its first regex that matches (the one captures come from).
    pub fn candidates(&self, record: &Record, mut found: impl FnMut(usize, usize)) {
        let mut set = None::<PatternSet>;
        for group in &self.groups {
            let Some(value) = record.get_named(&group.field) else {
                continue;
            };
            if !group.literals.may_match(value.as_bytes()) {
                continue;
            }
            let set = set.get_or_insert_with(|| PatternSet::new(0));
            if set.capacity() < group.regex.pattern_len() {
                *set = PatternSet::new(group.regex.pattern_len());
            } else {
                set.clear();
            }
            group
                .regex
                .which_overlapping_matches(&Input::new(value), set);
            // A signature's regexes are consecutive patterns, in file order.
            let mut last = usize::MAX;
            for pid in set.iter() {
                let (sig, regex) = group.owners[pid.as_usize()];
                if sig != last {
                    found(sig, regex);
                    last = sig;
                }
            }
        }
    }
}

/// A signature read from a file, with the spans later checks need.
struct Parsed {
    sig: Signature,
    user: bool,
    file: String,
    source: Arc<str>,
    id_span: Range<usize>,
    supersedes: Vec<(String, Range<usize>)>,
}

fn parse_file(
    file: &PatternFile,
    out: &mut Vec<Parsed>,
    redactions: &mut Vec<redaction::Parsed>,
    failed_ids: &mut Vec<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let spec: FileSpec = match toml::from_str(&file.text) {
        Ok(spec) => spec,
        Err(err) => {
            let span = err.span().unwrap_or(0..0);
            let message = err.message().trim().replace('\n', " ");
            diags.push(
                Diagnostic::new(&file.name, &file.text, span, message)
                    .with_help("see patterns/README.md for the format"),
            );
            return;
        }
    };
    for rule in spec.redact {
        redactions.extend(redaction::check(file, rule, diags));
    }
    let rules = spec.signature.into_iter().map(|s| (s, false));
    let benign = spec.benign.into_iter().map(|s| (s, true));
    for (sig, benign) in rules.chain(benign) {
        let id = sig.get_ref().id.get_ref().clone();
        match check_signature(
            file,
            spec.section.as_deref(),
            sig.into_inner(),
            benign,
            diags,
        ) {
            Some(p) => out.push(p),
            None => failed_ids.push(id),
        }
    }
}

fn check_signature(
    file: &PatternFile,
    section: Option<&str>,
    spec: SignatureSpec,
    benign: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Parsed> {
    let before = diags.len();
    let diag = |span: Range<usize>, msg: String| Diagnostic::new(&file.name, &file.text, span, msg);
    let table = if benign {
        "[[benign]]"
    } else {
        "[[signature]]"
    };
    let sig_span = spec.id.span();
    let required =
        |value: &Option<toml::Spanned<String>>, what: &str, diags: &mut Vec<Diagnostic>| {
            if value.is_none() && !benign {
                diags.push(
                    diag(
                        sig_span.clone(),
                        format!("{table} {} has no {what}", spec.id.get_ref()),
                    )
                    .with_help(format!("expected `{what} = \"...\"`")),
                );
            }
        };
    required(&spec.severity, "severity", diags);
    required(&spec.guide_step, "guide_step", diags);
    required(&spec.remediation, "remediation", diags);
    if benign {
        for (present, what) in [
            (!spec.supersedes.is_empty(), "supersedes"),
            (spec.startup_grace.is_some(), "startup_grace"),
            (spec.escalate.is_some(), "escalate"),
        ] {
            if present {
                diags.push(
                    diag(sig_span.clone(), format!("a [[benign]] rule cannot have {what}"))
                        .with_help("expected only id, title, sources, levels, field, where, unless, repeat, regexes, examples"),
                );
            }
        }
    } else if let Some(r) = &spec.repeat {
        diags.push(
            diag(r.span(), "only a [[benign]] rule can have repeat".into())
                .with_help("move this rule to a [[benign]] table"),
        );
    }
    if let Some(r) = &spec.repeat
        && (r.get_ref().count < 2 || r.get_ref().within == 0)
    {
        diags.push(
            diag(r.span(), "repeat needs count >= 2 and within >= 1".into())
                .with_help("expected `repeat = { count = 3, within = 900 }` (within in seconds)"),
        );
    }
    let id = spec.id.get_ref().clone();
    if !valid_id(&id) {
        diags.push(
            diag(spec.id.span(), format!("invalid signature id {id:?}"))
                .with_help("expected `area.name`, lowercase letters, digits and `_`"),
        );
    }
    for (value, what) in [
        (Some(&spec.title), "title"),
        (spec.guide_step.as_ref(), "guide_step"),
        (spec.remediation.as_ref(), "remediation"),
    ] {
        let Some(value) = value else { continue };
        if value.get_ref().trim().is_empty() {
            diags.push(diag(value.span(), format!("{what} is empty")).with_help("expected text"));
        }
    }
    if spec.title.get_ref().contains('\n') {
        diags.push(
            diag(spec.title.span(), "title spans several lines".into())
                .with_help("expected one line"),
        );
    }
    let severity = match &spec.severity {
        None => Some(Severity::Info),
        Some(sev) => {
            let parsed = Severity::from_name(sev.get_ref());
            if parsed.is_none() {
                diags.push(
                    diag(sev.span(), format!("unknown severity {:?}", sev.get_ref()))
                        .with_help("expected one of critical, error, warning, info"),
                );
            }
            parsed
        }
    };
    let escalate =
        spec.escalate.as_ref().and_then(|e| {
            let target = Severity::from_name(&e.get_ref().to);
            let higher = target.zip(severity).is_some_and(|(to, from)| to > from);
            if !higher || e.get_ref().after == 0 {
                diags.push(
                diag(e.span(), "escalate needs a higher severity and after >= 1".into()).with_help(
                    "expected `escalate = { after = 600, to = \"critical\" }` (after in seconds)",
                ),
            );
            }
            target.map(|to| (e.get_ref().after, to))
        });
    if let Some(kind) = &spec.object_kind
        && !kind.get_ref().starts_with(|c: char| c.is_ascii_uppercase())
    {
        diags.push(
            diag(
                kind.span(),
                format!("object_kind {:?} is not a Kubernetes kind", kind.get_ref()),
            )
            .with_help("expected a kind such as \"Gateway\", \"Service\" or \"ConfigMap\""),
        );
    }
    let mut sources = Vec::new();
    for s in &spec.sources {
        match Source::from_name(s.get_ref()) {
            Some(src) => sources.push(src),
            None => diags.push(
                diag(s.span(), format!("unknown source {:?}", s.get_ref())).with_help(
                    "expected one of istio, envoy, access_log, klog, event, condition, text",
                ),
            ),
        }
    }
    let mut levels = Vec::new();
    for l in &spec.levels {
        match Level::from_word(l.get_ref()) {
            Some(level) => levels.push(level),
            None => diags.push(
                diag(l.span(), format!("unknown level {:?}", l.get_ref()))
                    .with_help("expected one of trace, debug, info, warn, error, critical"),
            ),
        }
    }
    let field = spec
        .field
        .as_ref()
        .map_or_else(|| "message".to_string(), |f| f.get_ref().clone());
    if let Some(f) = &spec.field
        && !valid_field_name(f.get_ref())
    {
        diags.push(
            diag(f.span(), format!("invalid field name {:?}", f.get_ref()))
                .with_help("expected a field name such as message, reason or flags"),
        );
    }
    let mut conditions = Vec::new();
    for (key, value) in &spec.where_ {
        let values = value.get_ref().values();
        if values.is_empty() {
            diags.push(
                diag(value.span(), format!("`where.{key}` lists no values"))
                    .with_help("expected a string or a non-empty list of strings"),
            );
        }
        conditions.push((key.clone(), values));
    }
    let check = spec.check.as_ref().is_some_and(|c| *c.get_ref());
    if let Some(c) = &spec.check
        && *c.get_ref()
    {
        if benign {
            diags.push(
                diag(c.span(), "a [[benign]] rule cannot be a check".into())
                    .with_help("remove `check = true`"),
            );
        } else if !checks::exists(&id) {
            let known: Vec<&str> = checks::CHECKS.iter().map(|(id, _)| *id).collect();
            diags.push(
                diag(c.span(), format!("no built-in check evaluates {id:?}")).with_help(format!(
                    "expected `check = true` only on one of {}",
                    known.join(", ")
                )),
            );
        }
    }
    if let Some(s) = spec
        .sources
        .iter()
        .find(|s| Source::from_name(s.get_ref()) == Some(Source::Check))
    {
        diags.push(
            diag(s.span(), "regexes never run on check findings".into())
                .with_help("expected `check = true` to evaluate a signature on objects"),
        );
    }
    let mut regexes = Vec::new();
    let patterns: &[toml::Spanned<String>] = spec.regexes.as_ref().map_or(&[], |r| r.get_ref());
    if patterns.is_empty() && !check {
        let span = spec.regexes.as_ref().map_or(sig_span.clone(), |r| r.span());
        diags.push(
            diag(span, "no regexes".into())
                .with_help("expected at least one regex (or `check = true` for a built-in check)"),
        );
    }
    for p in patterns {
        match check_regex(file, p.get_ref(), p.span()) {
            Ok(re) => {
                if literal::required_literals(p.get_ref()).is_none() {
                    diags.push(
                        diag(p.span(), "regex has no required literal".into()).with_help(format!(
                            "expected a literal run of at least {} bytes that every match contains \
                             (outside optional parts, free of \" \\ < > & and non-ASCII)",
                            literal::MIN_LITERAL
                        )),
                    );
                }
                regexes.push(re);
            }
            Err(d) => diags.push(d),
        }
    }
    let mut unless = Vec::new();
    for p in &spec.unless {
        match compile_regex(file, p.get_ref(), p.span()) {
            Ok(re) => unless.push(re),
            Err(d) => diags.push(d),
        }
    }
    let no_examples = Examples::default();
    let examples = spec.examples.as_ref().map_or(&no_examples, |e| e.get_ref());
    let examples_span = spec
        .examples
        .as_ref()
        .map_or(sig_span.clone(), |e| e.span());
    let counts = (examples.matches.len(), examples.no_match.len());
    if patterns.is_empty() {
        if counts != (0, 0) {
            diags.push(
                diag(examples_span, format!("{id} has examples but no regexes")).with_help(
                    "expected no [signature.examples] on a check-only signature (its cases are the check's tests)",
                ),
            );
        }
    } else if counts.0 < MIN_MATCH_EXAMPLES || counts.1 < MIN_NO_MATCH_EXAMPLES {
        diags.push(
            diag(
                examples_span,
                format!(
                    "{} has {} match and {} no_match examples",
                    id, counts.0, counts.1
                ),
            )
            .with_help(format!(
                "expected at least {MIN_MATCH_EXAMPLES} match and {MIN_NO_MATCH_EXAMPLES} no_match examples"
            )),
        );
    }
    if diags.len() > before {
        return None;
    }
    Some(Parsed {
        sig: Signature {
            id: id.clone(),
            title: spec.title.into_inner().trim().to_string(),
            severity: severity.expect("checked"),
            guide_step: spec
                .guide_step
                .map(|g| g.into_inner().trim().to_string())
                .unwrap_or_default(),
            remediation: spec
                .remediation
                .map(|r| r.into_inner().trim().to_string())
                .unwrap_or_default(),
            section: section.map(str::to_string),
            file: file.name.clone(),
            sources,
            levels,
            field,
            conditions,
            unless,
            supersedes: Vec::new(),
            startup_grace: spec.startup_grace.map(|g| g.into_inner()),
            escalate,
            object_kind: spec.object_kind.map(|k| k.into_inner()),
            benign,
            check,
            repeat: spec.repeat.map(|r| {
                let r = r.into_inner();
                (r.count, r.within)
            }),
            regexes,
            examples_match: examples
                .matches
                .iter()
                .map(|e| e.get_ref().clone())
                .collect(),
            examples_no_match: examples
                .no_match
                .iter()
                .map(|e| e.get_ref().clone())
                .collect(),
        },
        user: file.user,
        file: file.name.clone(),
        source: file.text.clone(),
        id_span: spec.id.span(),
        supersedes: spec
            .supersedes
            .iter()
            .map(|s| (s.get_ref().clone(), s.span()))
            .collect(),
    })
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.split('.');
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if ok(a) && ok(b))
}

fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
}

/// Checks a signature regex's syntax; it is compiled later (once in the
/// multi-pattern automaton, and alone on first use for captures).
fn check_regex(
    file: &PatternFile,
    pattern: &str,
    span: Range<usize>,
) -> Result<LazyRegex, Diagnostic> {
    match syntax_error(file, pattern, span) {
        Some(d) => Err(d),
        None => Ok(LazyRegex::new(pattern)),
    }
}

/// Compiles one regex; a syntax error points at the offending character.
pub(super) fn compile_regex(
    file: &PatternFile,
    pattern: &str,
    span: Range<usize>,
) -> Result<Regex, Diagnostic> {
    if let Some(d) = syntax_error(file, pattern, span.clone()) {
        return Err(d);
    }
    Regex::new(pattern).map_err(|err| {
        Diagnostic::new(&file.name, &file.text, span, "regex does not compile")
            .with_help(err.to_string().replace('\n', " "))
    })
}

/// A syntax error in `pattern`, pointing at the offending character.
fn syntax_error(file: &PatternFile, pattern: &str, span: Range<usize>) -> Option<Diagnostic> {
    let err = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .err()?;
    let (offset, kind) = match &err {
        regex_syntax::Error::Parse(e) => (e.span().start.offset, e.kind().to_string()),
        regex_syntax::Error::Translate(e) => (e.span().start.offset, e.kind().to_string()),
        _ => (0, err.to_string()),
    };
    let at = span.start + string_body_offset(&file.text[span.clone()]) + offset;
    Some(
        Diagnostic::new(
            &file.name,
            &file.text,
            at..at + 1,
            format!("invalid regex: {kind}"),
        )
        .with_help("expected Rust regex syntax (https://docs.rs/regex)"),
    )
}

/// Where a TOML string's content starts inside its quoted form.
fn string_body_offset(quoted: &str) -> usize {
    for q in ["'''", "\"\"\""] {
        if let Some(rest) = quoted.strip_prefix(q) {
            let newline = if rest.starts_with("\r\n") {
                2
            } else {
                usize::from(rest.starts_with('\n'))
            };
            return q.len() + newline;
        }
    }
    usize::from(quoted.starts_with('\'') || quoted.starts_with('"'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::fixture;

    fn file(text: &str) -> PatternFile {
        PatternFile {
            name: "t.toml".into(),
            text: Arc::from(text),
            user: false,
        }
    }

    fn good() -> String {
        let bind = fixture(
            "proxy.listener_bind_failed",
            Some("critical"),
            "sources = [\"envoy\"]\nsupersedes = [\"proxy.config_rejected\"]\n",
            r"cannot bind '[^']+': (?P<reason>Permission denied|Address already in use)",
        );
        let rejected = fixture(
            "proxy.config_rejected",
            Some("error"),
            "",
            r"config for (?P<type>\S+) rejected: ",
        );
        bind + &rejected
    }

    #[test]
    fn compiles_and_finds_all_candidates_in_one_pass() {
        let set = SignatureSet::compile(&[file(&good())]).expect("compiles");
        assert_eq!(set.signatures().len(), 2);
        assert_eq!(set.signatures()[0].supersedes, vec![1]);
        let msg = "gRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: \
                   Error adding/updating listener(s) 0.0.0.0_80: cannot bind '0.0.0.0:80': Permission denied";
        let mut found = Vec::new();
        set.candidates(&Record::text(1, msg), |i, _| found.push(i));
        found.sort();
        assert_eq!(found, vec![0, 1]);
        assert!(
            set.prefilter_literals()
                .contains(&b"Address already in use".to_vec())
        );
    }

    #[test]
    fn bad_severity_points_at_the_value() {
        let text = good().replacen("\"critical\"", "\"severe\"", 1);
        let diags = SignatureSet::compile(&[file(&text)]).unwrap_err();
        assert_eq!(diags.len(), 1);
        let d = &diags[0];
        assert_eq!(d.line_col(), (5, 12));
        assert!(d.message.contains("unknown severity \"severe\""));
        assert!(d.to_string().contains("^^^^^^^^ expected one of critical"));
    }

    #[test]
    fn regex_error_points_inside_the_regex() {
        let text = good().replacen("config for (?P<type>", "config for (?P<type", 1);
        let diags = SignatureSet::compile(&[file(&text)]).unwrap_err();
        assert_eq!(diags.len(), 1);
        let (line, col) = diags[0].line_col();
        let expected = text
            .lines()
            .position(|l| l.contains("(?P<type\\S"))
            .unwrap()
            + 1;
        assert_eq!(line, expected);
        let line_text = text.lines().nth(line - 1).unwrap();
        let caret_char = line_text.chars().nth(col - 1).unwrap();
        assert!(
            diags[0].message.starts_with("invalid regex"),
            "{}",
            diags[0]
        );
        assert!(
            "(?P<type\\S".contains(caret_char),
            "caret at {caret_char:?}"
        );
    }

    #[test]
    fn toml_syntax_error_has_a_position() {
        let diags = SignatureSet::compile(&[file("[[signature]\nid = 1\n")]).unwrap_err();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line_col().0, 1);
    }

    #[test]
    fn unknown_supersedes_target_and_missing_literal_are_reported() {
        let text = good()
            .replacen("[\"proxy.config_rejected\"]", "[\"proxy.nope\"]", 1)
            .replacen(r"config for (?P<type>\S+) rejected: ", r"(?i)ab+", 1);
        let diags = SignatureSet::compile(&[file(&text)]).unwrap_err();
        let messages: Vec<_> = diags.iter().map(|d| d.message.clone()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("regex has no required literal")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown signature id \"proxy.nope\"")),
            "{messages:?}"
        );
    }

    #[test]
    fn user_files_override_builtin_ids_and_duplicates_are_errors() {
        let user = PatternFile {
            name: "mine.toml".into(),
            text: Arc::from(good().replace("proxy.listener_bind_failed title", "Mine")),
            user: true,
        };
        let set = SignatureSet::compile(&[file(&good()), user]).expect("override");
        assert_eq!(set.get("proxy.listener_bind_failed").unwrap().title, "Mine");
        let diags = SignatureSet::compile(&[file(&good()), file(&good())]).unwrap_err();
        assert!(diags.iter().all(|d| d.message == "duplicate id"));
    }

    #[test]
    fn too_few_examples_is_an_error() {
        let text = good().replacen("match = [\"a\", \"b\", \"c\"]", "match = [\"a\"]", 1);
        let diags = SignatureSet::compile(&[file(&text)]).unwrap_err();
        assert!(
            diags[0]
                .message
                .contains("has 1 match and 2 no_match examples")
        );
    }

    #[test]
    fn check_signatures_need_a_built_in_check_and_no_examples() {
        let check_only = |id: &str, extra: &str| {
            format!(
                "[[signature]]\nid = \"{id}\"\ntitle = \"t\"\nseverity = \"warning\"\n\
                 guide_step = \"g\"\nremediation = \"r\"\ncheck = true\n{extra}"
            )
        };
        let set = SignatureSet::compile(&[file(&check_only("net.gateway_on_system_pool", ""))])
            .expect("a check needs no regexes");
        assert!(set.signatures()[0].check);
        assert!(set.signatures()[0].regexes.is_empty());

        let diags = SignatureSet::compile(&[file(&check_only("net.made_up", ""))]).unwrap_err();
        assert!(
            diags[0]
                .message
                .contains("no built-in check evaluates \"net.made_up\"")
        );

        let examples = "[signature.examples]\nmatch = [\"a\"]\n";
        let diags =
            SignatureSet::compile(&[file(&check_only("net.gateway_on_system_pool", examples))])
                .unwrap_err();
        assert!(diags[0].message.contains("has examples but no regexes"));

        let no_check = check_only("net.gateway_on_system_pool", "").replace("check = true\n", "");
        let diags = SignatureSet::compile(&[file(&no_check)]).unwrap_err();
        assert!(diags[0].message.contains("no regexes"));

        let benign =
            check_only("net.gateway_on_system_pool", "").replace("[[signature]]", "[[benign]]");
        let diags = SignatureSet::compile(&[file(&benign)]).unwrap_err();
        assert!(
            diags
                .iter()
                .any(|d| d.message.contains("cannot be a check"))
        );
    }
}
