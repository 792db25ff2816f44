//! Templates for warn/error lines that no signature names, in the manner of
//! Drain (He et al., ICWS 2017): variable parts are masked first (numbers,
//! durations, IPv4/IPv6 addresses with ports, hex, UUIDs, pod-name suffixes,
//! quoted values, `key=value` values), then a line joins the most similar
//! template of the same length and first word when at least half its words
//! agree; words that differ become `<*>`. Each template becomes one
//! `unclassified` incident, so a failure mode no signature knows yet shows
//! up as one line with a count on its first day.

use std::collections::HashMap;

/// The wildcard a variable part becomes.
pub const WILDCARD: &str = "<*>";

/// How alike a line and a template must be to merge: the share of positions
/// where their words are equal (or the template has a wildcard).
const SIMILARITY: f64 = 0.5;

/// Most templates kept per (length, first word) bucket; past it a line's
/// masked text is its own template.
const MAX_PER_BUCKET: usize = 64;

/// The templates seen so far.
#[derive(Debug, Default)]
pub struct TemplateMiner {
    buckets: HashMap<(usize, String), Vec<usize>>,
    templates: Vec<Vec<String>>,
}

/// A line's template: a stable number within this miner and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Index of the template in the miner (stable for the miner's life).
    pub id: usize,
    /// The template, words joined by single spaces.
    pub text: String,
    /// The line's own masked words (its shape before any merging).
    pub shape: String,
}

impl TemplateMiner {
    /// An empty miner.
    pub fn new() -> TemplateMiner {
        TemplateMiner::default()
    }

    /// How many templates it holds.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// `true` before the first line.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// Adds a line; returns the template it now belongs to.
    pub fn add(&mut self, line: &str) -> Template {
        let words = masked_words(line);
        let shape = words.join(" ");
        let first = words.first().cloned().unwrap_or_default();
        let bucket = self.buckets.entry((words.len(), first)).or_default();
        let best = bucket
            .iter()
            .map(|&t| (similarity(&self.templates[t], &words), t))
            .filter(|&(s, _)| s >= SIMILARITY)
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let id = match best {
            Some((_, t)) => {
                let template = &mut self.templates[t];
                for (have, word) in template.iter_mut().zip(&words) {
                    if have != word {
                        *have = WILDCARD.to_string();
                    }
                }
                t
            }
            None => {
                let id = self.templates.len();
                self.templates.push(words);
                if bucket.len() < MAX_PER_BUCKET {
                    bucket.push(id);
                }
                id
            }
        };
        Template {
            id,
            text: self.templates[id].join(" "),
            shape,
        }
    }
}

fn similarity(template: &[String], words: &[String]) -> f64 {
    if template.is_empty() {
        return 1.0;
    }
    let same = template
        .iter()
        .zip(words)
        .filter(|(t, w)| t == w || t.as_str() == WILDCARD)
        .count();
    same as f64 / template.len() as f64
}

/// The line's words with variable parts masked.
pub fn masked_words(line: &str) -> Vec<String> {
    let unquoted = mask_quoted(line);
    unquoted.split_whitespace().map(mask_word).collect()
}

/// `"..."` and `'...'` (closed on the same line) become `"<*>"` / `'<*>'`.
fn mask_quoted(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest.as_bytes()[start] as char;
        // An apostrophe inside a word (`don't`) is not a quote.
        let in_word = quote == '\''
            && rest[..start]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        let close = rest[start + 1..].find(quote);
        match close {
            Some(len) if !in_word => {
                out.push_str(&rest[..start]);
                out.push(quote);
                out.push_str(WILDCARD);
                out.push(quote);
                rest = &rest[start + 1 + len + 1..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One word, masked if it is a variable (punctuation around it kept).
fn mask_word(word: &str) -> String {
    if let Some((key, _)) = word.split_once('=')
        && !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        return format!("{key}={WILDCARD}");
    }
    let core = word
        .trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '{' | '}'));
    if core.is_empty() {
        return word.to_string();
    }
    let masked = if is_variable(core) {
        WILDCARD.to_string()
    } else if let Some(stem) = pod_stem(core) {
        format!("{stem}-{WILDCARD}")
    } else {
        return word.to_string();
    };
    let start = word.find(core).unwrap_or(0);
    format!("{}{masked}{}", &word[..start], &word[start + core.len()..])
}

/// Numbers (with a unit: `12ms`, `1.5s`, `30%`), IPs with ports, hex, UUIDs
/// and `host:port`.
fn is_variable(w: &str) -> bool {
    is_number(w) || is_ip(w) || is_hex(w) || is_uuid(w) || is_host_port(w)
}

fn is_number(w: &str) -> bool {
    let w = w.strip_prefix(['-', '+']).unwrap_or(w);
    let digits = w
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    if digits == 0 || !w.as_bytes()[0].is_ascii_digit() {
        return false;
    }
    let unit = &w[digits..];
    unit.len() <= 3 && unit.bytes().all(|b| b.is_ascii_alphabetic() || b == b'%')
        // A Go duration such as `1m30s` or `23h59m59.68s`.
        || unit.bytes().all(|b| b.is_ascii_digit() || b == b'.' || matches!(b, b'h' | b'm' | b's' | b'u' | b'n'))
}

fn is_ip(w: &str) -> bool {
    let host = w
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty())
        .map_or(w, |(h, _)| h);
    let v4 = host.split('.').count() == 4
        && host
            .split('.')
            .all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()));
    let bare = w.trim_start_matches('[');
    let bare = bare.split(']').next().unwrap_or(bare);
    let v6 = bare.matches(':').count() >= 2
        && bare
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    v4 || v6
}

fn is_hex(w: &str) -> bool {
    if let Some(rest) = w.strip_prefix("0x") {
        return !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit());
    }
    w.len() >= 8
        && w.bytes().all(|b| b.is_ascii_hexdigit())
        && w.bytes().any(|b| b.is_ascii_digit())
}

fn is_uuid(w: &str) -> bool {
    let parts: Vec<&str> = w.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_host_port(w: &str) -> bool {
    w.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && host.contains('.')
            && !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The workload name of a pod name with generated suffixes:
/// `httpbin-gateway-istio-6d9f7c8b5d-x2kqz` (Deployment: ReplicaSet hash and
/// pod suffix) or `web-7x2kq` (one generated suffix); `None` otherwise.
pub fn pod_stem(name: &str) -> Option<&str> {
    let (rest, suffix) = name.rsplit_once('-')?;
    if !is_generated(suffix, 5, 5) {
        return None;
    }
    match rest.rsplit_once('-') {
        Some((stem, hash)) if is_generated(hash, 6, 10) && !stem.is_empty() => Some(stem),
        _ if !rest.is_empty() => Some(rest),
        _ => None,
    }
}

/// Lowercase letters and digits of a generated name part (Kubernetes draws
/// them from `bcdfghjklmnpqrstvwxz2456789`), with at least one digit or a
/// consonant run no word has.
fn is_generated(part: &str, min: usize, max: usize) -> bool {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (min..=max).contains(&part.len())
        && part.bytes().all(|b| ALPHABET.contains(&b))
        && part.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_parts_are_masked() {
        let words = masked_words(
            "failed to connect to 10.0.0.12:15012 after 3 attempts in 1.5s id=42 pod httpbin-gateway-istio-6d9f7c8b5d-x2kqz \"default/gw\" uuid 74215fc5-3c7c-9601-967a-d0eb982bf6fe hash 0x1f",
        );
        assert_eq!(
            words.join(" "),
            "failed to connect to <*> after <*> attempts in <*> id=<*> pod httpbin-gateway-istio-<*> \"<*>\" uuid <*> hash <*>"
        );
        assert_eq!(masked_words("addr [fd00::1]:443, ok")[1], "[<*>,");
        assert_eq!(masked_words("x509: don't 'quoted text' here")[1], "don't");
        assert_eq!(masked_words("x509: don't 'quoted text' here")[2], "'<*>'");
        assert_eq!(masked_words("took 23h59m59.68s")[1], "<*>");
        // Words are not variables just for holding a digit.
        assert_eq!(
            masked_words("x509 http2 v1 failed").join(" "),
            "x509 http2 v1 failed"
        );
    }

    #[test]
    fn pod_names_lose_their_generated_suffixes() {
        assert_eq!(
            pod_stem("httpbin-gateway-istio-6d9f7c8b5d-x2kqz"),
            Some("httpbin-gateway-istio")
        );
        assert_eq!(
            pod_stem("istiod-asm-1-26-5d6f7b8c9d-xk2p9"),
            Some("istiod-asm-1-26")
        );
        // Generated parts have no vowels.
        assert_eq!(pod_stem("istiod-asm-1-26-5d6f7b8c9d-abc12"), None);
        assert_eq!(pod_stem("web-7x2kq"), Some("web"));
        assert_eq!(pod_stem("httpbin-gateway"), None);
        assert_eq!(pod_stem("my-gateway-istio"), None);
    }

    #[test]
    fn similar_lines_share_a_template_and_different_ones_do_not() {
        let mut miner = TemplateMiner::new();
        let a = miner.add(
            "upstream connect error to cluster outbound|80||a.default.svc.cluster.local: timeout",
        );
        let b = miner.add(
            "upstream connect error to cluster outbound|80||b.shop.svc.cluster.local: timeout",
        );
        assert_eq!(a.id, b.id);
        assert_eq!(b.text, "upstream connect error to cluster <*> timeout");
        let c = miner.add("leader election lost for gateway controller");
        assert_ne!(c.id, a.id);
        // Same length and first word but too different: its own template.
        let d = miner.add("upstream reset by peer while reading body");
        assert_ne!(d.id, a.id);
        assert_eq!(miner.len(), 3);
        // A line that matches an existing template keeps it unchanged.
        let e = miner.add(
            "upstream connect error to cluster outbound|443||c.edge.svc.cluster.local: timeout",
        );
        assert_eq!((e.id, e.text), (a.id, b.text));
    }
}
