//! Redaction: credentials in evidence are replaced by `[REDACTED:<kind>]`
//! before a record reaches the printer, the grouper (and so the store and
//! every report). Kinds: bearer tokens, JWTs, Azure SAS signatures
//! (`sig=`), storage account keys and connection-string secrets
//! (`AccountKey=`, `SharedAccessKey=`, `Password=`, `Pwd=`), `user:pass@`
//! in URLs, PEM private keys (also base64-encoded, as a Secret's `tls.key`
//! carries them, and over several lines of one stream), values of variables
//! whose names look secret (`*_TOKEN=`, `*PASSWORD=`, `*_SECRET=`,
//! `*_KEY=`), basic auth, the `data` of Kubernetes Secrets, and the kinds
//! users add with `[[redact]]` rules in their patterns directory. One literal
//! search decides whether a value can hold a built-in kind, so values
//! without a candidate cost one scan. Counts are kept per kind.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use base64::Engine as _;
use regex::Regex;
use serde_json::Value;

use crate::classify::Hit;
use crate::record::{Field, Record, Source};

/// The kind of a PEM private key, also used for the lines inside one.
const PEM: &str = "pem_private_key";
/// The kind of a Kubernetes Secret's `data`/`stringData` values.
pub const SECRET_DATA: &str = "secret_data";

/// A kind of secret and the regex whose `secret` group (or whole match,
/// when it has none) is replaced.
#[derive(Clone)]
struct Rule {
    kind: String,
    regex: Regex,
    /// Built-in rules run only when a literal of theirs is present; user
    /// rules always run.
    gated: bool,
    /// A further test of the matched secret (a base64 run must decode to a
    /// private key).
    accept: Accept,
}

/// A `[[redact]]` rule from a user pattern file, compiled.
#[derive(Clone, Debug)]
pub struct UserRule {
    /// The kind counted and written in `[REDACTED:<kind>]`.
    pub kind: String,
    /// Its regex: the `secret` group, or the whole match, is replaced.
    pub regex: Regex,
}

/// The built-in kinds, as `patterns list` and `--help` name them.
pub const BUILTIN_KINDS: [&str; 9] = [
    PEM,
    "jwt",
    "bearer_token",
    "sas_signature",
    "connection_string_secret",
    "url_credentials",
    "secret_variable",
    "basic_auth",
    SECRET_DATA,
];

/// A further test of a matched secret.
type Accept = Option<fn(&str) -> bool>;

/// The built-in rules: kind, regex, further test.
const RULES: [(&str, &str, Accept); 9] = [
    (
        PEM,
        r"(?s)-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?P<secret>.+?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)",
        None,
    ),
    // "-----BEGIN" in base64, as `tls.key` and last-applied annotations hold it.
    (
        PEM,
        r"(?P<secret>LS0tLS1CRUdJTi[A-Za-z0-9+/]{16,}={0,2})",
        Some(encodes_private_key),
    ),
    (
        "jwt",
        r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
        None,
    ),
    (
        "bearer_token",
        r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
        None,
    ),
    (
        "sas_signature",
        r"(?i)[?&]sig=(?P<secret>[A-Za-z0-9%+/=_-]{8,})",
        None,
    ),
    (
        "connection_string_secret",
        r"(?i)\b(?:AccountKey|SharedAccessKey|Password|Pwd)=(?P<secret>[^;\s&]+)",
        None,
    ),
    (
        "url_credentials",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<secret>[^@\s/]+)@",
        None,
    ),
    (
        "secret_variable",
        r#"(?i)\b[A-Z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|ACCESS_?KEY|CLIENT_?SECRET)["']?\s*[=:]\s*["']?(?P<secret>[^\s"',;&]{4,})"#,
        None,
    ),
    (
        "basic_auth",
        r"(?i)\bbasic\s+(?P<secret>[A-Za-z0-9+/]{12,}={0,2})",
        None,
    ),
];

/// Literals every secret of some built-in rule contains (matched
/// case-insensitively).
const LITERALS: [&str; 17] = [
    "private key",
    "ls0tls1crudjti",
    "eyj",
    "bearer",
    "sig=",
    "accountkey=",
    "sharedaccesskey=",
    "password",
    "pwd=",
    "@",
    "token",
    "secret",
    "passwd",
    "apikey",
    "api_key",
    "access",
    "basic",
];

/// Whether a base64 run starting with `-----BEGIN` encodes a private key
/// (and not a certificate).
fn encodes_private_key(run: &str) -> bool {
    let head = &run[..run.len().min(64) / 4 * 4];
    base64::engine::general_purpose::STANDARD
        .decode(head)
        .is_ok_and(|bytes| bytes.windows(11).any(|w| w == b"PRIVATE KEY"))
}

/// Whether a text opens a PEM private key it does not close.
fn opens_pem(text: &str) -> bool {
    let Some(begin) = text.rfind("-----BEGIN ") else {
        return false;
    };
    let rest = &text[begin..];
    rest.lines()
        .next()
        .is_some_and(|first| first.contains("PRIVATE KEY-----"))
        && !rest.contains("-----END ")
}

/// Where the END line of a PEM private key ends in `text`.
fn pem_end(text: &str) -> Option<usize> {
    let at = text.find("-----END ")?;
    let close = text[at..].find("PRIVATE KEY-----")?;
    Some(at + close + "PRIVATE KEY-----".len())
}

/// Whether a field, key or variable name says its value is a secret: it
/// ends with a secret word (`DB_PASSWORD`, `clientSecret`, `apiKey`), so
/// `secretName` and `tokenRef`, which name a secret, are not.
fn secret_name(name: &str) -> bool {
    const WORDS: [&str; 10] = [
        "token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "apikey",
        "api_key",
        "api-key",
        "accesskey",
        "access_key",
    ];
    let name = name.as_bytes();
    // Every word ends in one of these letters.
    if !matches!(
        name.last(),
        Some(b'n' | b'd' | b't' | b'y' | b'N' | b'D' | b'T' | b'Y')
    ) {
        return false;
    }
    WORDS.iter().any(|w| {
        name.len() >= w.len() && name[name.len() - w.len()..].eq_ignore_ascii_case(w.as_bytes())
    })
}

/// The kind of a value redacted because of its name.
const NAMED: &str = "secret_variable";

/// The built-in rules and their literal search, compiled once per process
/// (every pipeline has a redactor of its own).
fn builtin() -> &'static (Vec<Rule>, AhoCorasick) {
    static BUILTIN: OnceLock<(Vec<Rule>, AhoCorasick)> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        let rules = RULES
            .iter()
            .map(|&(kind, re, accept)| Rule {
                kind: kind.to_string(),
                regex: Regex::new(re).expect("redaction regex"),
                gated: true,
                accept,
            })
            .collect();
        let candidates = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(LITERALS)
            .expect("redaction literals");
        (rules, candidates)
    })
}

/// Replaces secrets and counts them.
pub struct Redactor {
    rules: Vec<Rule>,
    candidates: AhoCorasick,
    counts: BTreeMap<String, u64>,
    /// Streams inside a PEM private key: the last line of the key read.
    open_pem: HashMap<String, u64>,
    /// A buffer for joining values.
    scratch: String,
    /// Whether user rules (which have no literals) are among the rules.
    user_rules: bool,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(&[])
    }
}

impl Redactor {
    /// The built-in rules, then `user` rules in order.
    pub fn new(user: &[UserRule]) -> Redactor {
        let (builtin, candidates) = builtin();
        let user_rules = !user.is_empty();
        let user = user.iter().map(|r| Rule {
            kind: r.kind.clone(),
            regex: r.regex.clone(),
            gated: false,
            accept: None,
        });
        Redactor {
            rules: builtin.iter().cloned().chain(user).collect(),
            candidates: candidates.clone(),
            counts: BTreeMap::new(),
            open_pem: HashMap::new(),
            scratch: String::new(),
            user_rules,
        }
    }

    /// The text with its secrets replaced, or `None` when it has none.
    pub fn text(&mut self, text: &str) -> Option<String> {
        let candidate = self.candidates.is_match(text);
        self.replace_in(text, candidate)
    }

    /// [`Redactor::text`], told whether a built-in literal is present.
    fn replace_in(&mut self, text: &str, candidate: bool) -> Option<String> {
        if !candidate && !self.user_rules {
            return None;
        }
        let mut out: Option<String> = None;
        for rule in &self.rules {
            if rule.gated && !candidate {
                continue;
            }
            let current = out.as_deref().unwrap_or(text);
            if !rule.regex.is_match(current) {
                continue;
            }
            let mut n = 0u64;
            let mut replaced = String::with_capacity(current.len());
            let mut last = 0;
            for caps in rule.regex.captures_iter(current) {
                let Some(secret) = caps.name("secret").or_else(|| caps.get(0)) else {
                    continue;
                };
                if secret.is_empty()
                    || secret.as_str().starts_with("[REDACTED:")
                    || rule.accept.is_some_and(|accept| !accept(secret.as_str()))
                {
                    continue;
                }
                replaced.push_str(&current[last..secret.start()]);
                replaced.push_str("[REDACTED:");
                replaced.push_str(&rule.kind);
                replaced.push(']');
                last = secret.end();
                n += 1;
            }
            if n > 0 {
                replaced.push_str(&current[last..]);
                *self.counts.entry(rule.kind.clone()).or_default() += n;
                out = Some(replaced);
            }
        }
        out
    }

    /// Line `line` of `stream`, with its secrets replaced, or `None` when it
    /// has none. A PEM private key spread over lines is followed: the lines
    /// after an unclosed BEGIN line, up to its END line, are replaced whole
    /// while they come one after another.
    pub fn line(&mut self, stream: &str, line: u64, text: &str) -> Option<String> {
        let candidate = self.candidates.is_match(text);
        self.line_scanned(stream, line, text, candidate)
    }

    /// [`Redactor::line`], told whether a built-in literal is in `text`.
    fn line_scanned(
        &mut self,
        stream: &str,
        line: u64,
        text: &str,
        candidate: bool,
    ) -> Option<String> {
        let inside = !self.open_pem.is_empty()
            && self
                .open_pem
                .remove(stream)
                .is_some_and(|last| line == last.wrapping_add(1));
        if !inside {
            let keys = self.counts.get(PEM).copied();
            let clean = self.replace_in(text, candidate);
            // "-----BEGIN ... PRIVATE KEY-----" holds a literal ("private key").
            if candidate && opens_pem(text) {
                self.open_pem.insert(stream.to_string(), line);
                // A BEGIN line with nothing after it: the key is counted here.
                if self.counts.get(PEM).copied() == keys {
                    *self.counts.entry(PEM.to_string()).or_default() += 1;
                }
            }
            return clean;
        }
        let redacted = format!("[REDACTED:{PEM}]");
        let Some(end) = pem_end(text) else {
            self.open_pem.insert(stream.to_string(), line);
            return (!text.trim().is_empty()).then_some(redacted);
        };
        let end_line = text[..end].rfind("-----END ").unwrap_or(0);
        let tail = &text[end_line..];
        let clean_tail = self.line(stream, line, tail);
        Some(format!(
            "{redacted}{}",
            clean_tail.as_deref().unwrap_or(tail)
        ))
    }

    /// A record (line `record.line` of `stream`) and its hit with their
    /// secrets replaced, or `None` when neither holds any (the common case:
    /// no copy is made).
    pub fn record(
        &mut self,
        stream: &str,
        record: &Record,
        hit: Option<&Hit>,
    ) -> Option<(Record, Option<Hit>)> {
        let in_message = self.candidates.is_match(&record.message);
        let message = self.line_scanned(stream, record.line, &record.message, in_message);
        // An access log's fields are all columns of its message (the line,
        // or the JSON entry rendered): without a literal there, they have
        // none. Only fields of other names (labels) can be named secrets.
        let scan_fields = in_message || self.user_rules || record.source != Source::AccessLog;
        let (fields, in_fields) = self.pairs(
            &record.fields,
            |f| matches!(f, Field::Label(_)).then(|| f.as_str()),
            scan_fields,
        );
        // Captures are cut from the message and the fields.
        let scan_captures = in_message || in_fields || message.is_some() || self.user_rules;
        let captures = match hit {
            Some(hit) if scan_captures => self.pairs(&hit.captures, |_| None, true).0,
            _ => None,
        };
        if message.is_none() && fields.is_none() && captures.is_none() {
            return None;
        }
        let mut clean = record.clone();
        if let Some(m) = message {
            clean.message = m;
        }
        if let Some(f) = fields {
            clean.fields = f;
        }
        let hit = hit.map(|h| Hit {
            signature: h.signature,
            captures: captures.unwrap_or_else(|| h.captures.clone()),
        });
        Some((clean, hit))
    }

    /// Name-value pairs with their values' secrets replaced (when `scan`),
    /// or `None` when none held any, and whether a built-in literal is in
    /// any value. A value whose `name` (if it has one that counts) says it
    /// is a secret is replaced whole.
    fn pairs<K: Clone>(
        &mut self,
        pairs: &[(K, String)],
        name: impl Fn(&K) -> Option<&str>,
        scan: bool,
    ) -> (Option<Vec<(K, String)>>, bool) {
        // One literal search over all the values (joined by a newline,
        // which no literal holds) decides whether any value needs a look.
        let candidate = scan && {
            let mut joined = std::mem::take(&mut self.scratch);
            joined.clear();
            for (_, value) in pairs {
                joined.push_str(value);
                joined.push('\n');
            }
            let found = self.candidates.is_match(&joined);
            self.scratch = joined;
            found
        };
        let mut out: Option<Vec<(K, String)>> = None;
        for (i, (key, value)) in pairs.iter().enumerate() {
            let named = name(key).and_then(|n| self.named(n, value));
            let clean = match named {
                Some(clean) => Some(clean),
                None if scan => {
                    let here = candidate && self.candidates.is_match(value);
                    self.replace_in(value, here)
                }
                None => None,
            };
            if let Some(clean) = clean {
                out.get_or_insert_with(|| pairs.to_vec())[i].1 = clean;
            }
        }
        (out, candidate)
    }

    /// `[REDACTED:secret_variable]` (counted) when `name` says `value` is
    /// a secret and it is not empty or redacted already.
    fn named(&mut self, name: &str, value: &str) -> Option<String> {
        if value.is_empty() || value == "-" || value.starts_with("[REDACTED:") || !secret_name(name)
        {
            return None;
        }
        *self.counts.entry(NAMED.to_string()).or_default() += 1;
        Some(format!("[REDACTED:{NAMED}]"))
    }

    /// A Kubernetes object with its secrets replaced, or `None` when it has
    /// none: every value of a Secret's `data` and `stringData`, and secrets
    /// in any string of any object (annotations, ConfigMap data, messages).
    pub fn object(&mut self, object: &Value) -> Option<Value> {
        let mut clean = object.clone();
        let mut changed = false;
        if clean.get("kind").and_then(Value::as_str) == Some("Secret") {
            for key in ["data", "stringData"] {
                if let Some(Value::Object(data)) = clean.get_mut(key) {
                    for value in data.values_mut() {
                        *value = Value::String(format!("[REDACTED:{SECRET_DATA}]"));
                        *self.counts.entry(SECRET_DATA.to_string()).or_default() += 1;
                        changed = true;
                    }
                }
            }
        }
        changed |= self.strings(&mut clean);
        changed.then_some(clean)
    }

    /// Replaces the secrets in every string under `value`, and the values
    /// of keys and of `{name, value}` entries (container env) whose names
    /// say they are secrets; whether any was.
    fn strings(&mut self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => self.replace(s, None),
            Value::Array(items) => items.iter_mut().fold(false, |c, v| self.strings(v) | c),
            Value::Object(map) => {
                let env_name = match (map.get("name"), map.get("value")) {
                    (Some(Value::String(name)), Some(Value::String(_))) => Some(name.clone()),
                    _ => None,
                };
                let mut changed = false;
                for (key, v) in map.iter_mut() {
                    let name = match &env_name {
                        Some(name) if key == "value" => Some(name.as_str()),
                        _ => Some(key.as_str()),
                    };
                    changed |= match v {
                        Value::String(s) => self.replace(s, name),
                        other => self.strings(other),
                    };
                }
                changed
            }
            _ => false,
        }
    }

    /// Replaces a string's secrets in place (all of it when `name` says it
    /// is one); whether any was.
    fn replace(&mut self, s: &mut String, name: Option<&str>) -> bool {
        let named = name.and_then(|n| self.named(n, s));
        match named.or_else(|| self.text(s)) {
            Some(clean) => {
                *s = clean;
                true
            }
            None => false,
        }
    }

    /// Values redacted so far, per kind.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// `3 secrets redacted (jwt 2, sas_signature 1)`, or `None` when none was.
    pub fn summary(&self) -> Option<String> {
        let total: u64 = self.counts.values().sum();
        (total > 0).then(|| {
            let kinds: Vec<String> = self
                .counts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            format!("{total} secrets redacted ({})", kinds.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets in the formats logs carry them, each with the value that
    /// must not survive.
    const SECRETS: [(&str, &str, &str); 12] = [
        (
            "bearer_token",
            "GET /apis Authorization: Bearer kJ8s9dF7gH6jK5lZ4xC3vB2nM1qW0eR9tY8u",
            "kJ8s9dF7gH6jK5lZ4xC3vB2nM1qW0eR9tY8u",
        ),
        (
            "jwt",
            "token=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
            "c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        ),
        (
            "sas_signature",
            "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D&se=2025",
            "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D",
        ),
        (
            "connection_string_secret",
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=dGhpcyBpcyBhIHNlY3JldCBrZXkgdmFsdWU=;EndpointSuffix=core.windows.net",
            "dGhpcyBpcyBhIHNlY3JldCBrZXkgdmFsdWU=",
        ),
        (
            "connection_string_secret",
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2hhcmVkYWNjZXNza2V5dmFsdWU=",
            "c2hhcmVkYWNjZXNza2V5dmFsdWU=",
        ),
        (
            "connection_string_secret",
            "Server=tcp:db.database.windows.net;User ID=app;Password=Hunter2Hunter2!;Encrypt=true",
            "Hunter2Hunter2!",
        ),
        (
            "connection_string_secret",
            "Driver={ODBC};Uid=app;Pwd=s3cr3tPwd99",
            "s3cr3tPwd99",
        ),
        (
            "url_credentials",
            "upstream connect to https://admin:Sup3rS3cret@registry.contoso.com/v2 failed",
            "Sup3rS3cret",
        ),
        (
            "pem_private_key",
            "key: -----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEAx9k2 -----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAx9k2",
        ),
        (
            "secret_variable",
            "env: AZURE_CLIENT_SECRET=q8Z~abcDEF123456ghij",
            "q8Z~abcDEF123456ghij",
        ),
        (
            "secret_variable",
            r#"{"msg":"starting","GITHUB_TOKEN":"ghp_0123456789abcdef0123"}"#,
            "ghp_0123456789abcdef0123",
        ),
        (
            "basic_auth",
            "Authorization: Basic YWRtaW46cGFzc3dvcmQxMjM=",
            "YWRtaW46cGFzc3dvcmQxMjM=",
        ),
    ];

    #[test]
    fn no_secret_survives_and_each_kind_is_counted() {
        let mut r = Redactor::default();
        for (kind, text, secret) in SECRETS {
            let clean = r
                .text(text)
                .unwrap_or_else(|| panic!("{kind}: nothing redacted in {text}"));
            assert!(!clean.contains(secret), "{kind}: {clean}");
            assert!(
                clean.contains(&format!("[REDACTED:{kind}]")),
                "{kind}: {clean}"
            );
        }
        let kinds: Vec<&str> = r.counts().keys().map(String::as_str).collect();
        assert_eq!(kinds.len(), 8, "{kinds:?}");
        assert!(r.summary().unwrap().starts_with("12 secrets redacted ("));
    }

    #[test]
    fn ordinary_lines_are_left_alone() {
        let mut r = Redactor::default();
        for text in [
            "2025-08-26T10:00:00Z\tinfo\tads\tPush debounce stable[12] 3 for config Gateway/shop/shop-gw",
            "[2025-08-26T10:05:11.000Z] \"GET / HTTP/1.1\" 200 - via_upstream - \"-\" 0 612 3 2 \"-\" \"curl/8.5.0\" \"x\" \"shop.contoso.com\" \"10.244.4.7:8080\" outbound|8080||storefront.shop.svc.cluster.local 10.244.2.8:41113 10.244.2.8:80 10.244.7.9:40113 - shop.shop-gw.0",
            "failed to warm certificate: secret default/httpbin-credential not found",
            "Envoy proxy is NOT ready: config not received from XDS server (is Istiod running?)",
            "mail to ops@contoso.com about the token bucket",
        ] {
            assert_eq!(r.text(text), None, "{text}");
        }
    }

    /// A 2048-bit-looking key body, as OpenSSL wraps it.
    const KEY_LINES: [&str; 3] = [
        "MIIEowIBAAKCAQEAx9k2Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr",
        "bG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQyNDI0",
        "c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWxlYWs=",
    ];

    #[test]
    fn a_private_key_over_several_lines_is_replaced_line_by_line() {
        let mut r = Redactor::default();
        let mut out = Vec::new();
        let lines = [
            "2025-08-26T10:00:00Z\terror\tsds\tbad key material:",
            "-----BEGIN RSA PRIVATE KEY-----",
            KEY_LINES[0],
            KEY_LINES[1],
            KEY_LINES[2],
            "-----END RSA PRIVATE KEY----- (from secret shop/tls)",
            "2025-08-26T10:00:01Z\tinfo\tads\tPush debounce stable[12] 3",
        ];
        for (i, text) in lines.iter().enumerate() {
            // Another stream's lines in between change nothing.
            assert_eq!(r.line("other", i as u64 + 1, "GET / 200"), None);
            out.push(r.line("a", i as u64 + 1, text).unwrap_or(text.to_string()));
        }
        for body in KEY_LINES {
            assert!(!out.iter().any(|l| l.contains(body)), "{out:#?}");
        }
        assert_eq!(out[2], "[REDACTED:pem_private_key]");
        assert_eq!(
            out[5],
            "[REDACTED:pem_private_key]-----END RSA PRIVATE KEY----- (from secret shop/tls)"
        );
        assert_eq!(out[6], lines[6], "the key ends at its END line");
        assert_eq!(r.counts().get(PEM), Some(&1), "one key");
    }

    #[test]
    fn a_gap_in_the_lines_ends_a_key_that_was_never_closed() {
        let mut r = Redactor::default();
        assert!(r.line("a", 7, "-----BEGIN PRIVATE KEY-----").is_none());
        assert_eq!(
            r.line("a", 8, KEY_LINES[0]).as_deref(),
            Some("[REDACTED:pem_private_key]")
        );
        // Lines 9.. were not seen (skipped by the prefilter): the next
        // record is not taken for a key line.
        assert_eq!(r.line("a", 40, "upstream reset: connection refused"), None);
    }

    #[test]
    fn base64_private_keys_are_replaced_and_certificates_kept() {
        use base64::engine::general_purpose::STANDARD;
        let key = STANDARD.encode(format!(
            "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            KEY_LINES[0]
        ));
        let cert = STANDARD.encode(format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            KEY_LINES[1]
        ));
        let mut r = Redactor::default();
        let text = format!("  tls.crt: {cert}\n  tls.key: {key}\n");
        let clean = r.text(&text).expect("the key is found");
        assert!(!clean.contains(&key), "{clean}");
        assert!(clean.contains(&cert), "{clean}");
        assert!(
            clean.contains("tls.key: [REDACTED:pem_private_key]"),
            "{clean}"
        );
    }

    #[test]
    fn secret_objects_lose_their_data_and_other_objects_their_secrets() {
        let mut r = Redactor::default();
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "shop-tls", "namespace": "shop"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5LWJ5dGVz"},
            "stringData": {"token": "plain-value"}
        });
        let clean = r.object(&secret).expect("changed");
        assert_eq!(clean["data"]["tls.key"], "[REDACTED:secret_data]");
        assert_eq!(clean["stringData"]["token"], "[REDACTED:secret_data]");
        assert_eq!(clean["metadata"]["name"], "shop-tls");
        assert_eq!(r.counts().get(SECRET_DATA), Some(&3));
        let config = serde_json::json!({
            "kind": "ConfigMap",
            "data": {"storage": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0a2V5;EndpointSuffix=x"}
        });
        let clean = r.object(&config).expect("changed");
        assert!(!clean.to_string().contains("c2VjcmV0a2V5"), "{clean}");
        let plain = serde_json::json!({"kind": "ConfigMap", "data": {"mesh": "accessLogFile: /dev/stdout"}});
        assert_eq!(r.object(&plain), None);
    }

    #[test]
    fn values_named_as_secrets_are_replaced_and_references_kept() {
        let mut r = Redactor::default();
        let pod = serde_json::json!({
            "kind": "Pod",
            "spec": {"containers": [{"name": "app", "env": [
                {"name": "AZURE_CLIENT_SECRET", "value": "q8Z~envClientSecret"},
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
            ]}],
            "volumes": [{"name": "tls", "secret": {"secretName": "shop-tls"}}]}
        });
        let clean = r.object(&pod).expect("changed").to_string();
        assert!(!clean.contains("q8Z~envClientSecret"), "{clean}");
        for kept in ["debug", "shop-tls", "secretKeyRef", "\"db\""] {
            assert!(clean.contains(kept), "{kept}: {clean}");
        }
        let record = Record {
            fields: vec![
                (
                    crate::record::Field::Label("ISTIO_META_DB_PASSWORD".into()),
                    "MeshDbPassw0rd".into(),
                ),
                (
                    crate::record::Field::Label("tokenRef".into()),
                    "vault/db".into(),
                ),
            ],
            ..Record::text(1, "env override")
        };
        let (clean, _) = r.record("s", &record, None).expect("changed");
        assert_eq!(clean.fields[0].1, "[REDACTED:secret_variable]");
        assert_eq!(clean.fields[1].1, "vault/db");
        assert_eq!(r.counts().get(NAMED), Some(&2));
    }

    #[test]
    fn user_rules_run_without_a_built_in_literal() {
        let rule = UserRule {
            kind: "contoso_api_key".into(),
            regex: Regex::new(r"\bctso_(?P<secret>[a-z0-9]{16})\b").unwrap(),
        };
        let mut r = Redactor::new(&[rule]);
        assert_eq!(
            r.text("called billing with ctso_0123456789abcdef ok")
                .as_deref(),
            Some("called billing with ctso_[REDACTED:contoso_api_key] ok")
        );
        assert_eq!(r.text("called billing ok"), None);
        assert_eq!(r.counts().get("contoso_api_key"), Some(&1));
    }

    /// `Redactor::record` skips an access log's fields when its message
    /// holds no literal: that is right only while every field is a column
    /// of the message.
    #[test]
    fn every_access_log_field_is_in_its_message() {
        let text = r#"[2025-08-26T10:05:11.000Z] "PUT /upload?x=1 HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} - "tls_error" 0 91 1 - "10.0.0.1" "curl/8.5.0" "5c0e6b1a" "shop.contoso.com" "10.244.4.7:8080" outbound|8080||storefront.shop.svc.cluster.local 10.244.2.8:41113 10.244.2.8:80 10.244.7.9:40113 shop.contoso.com shop.shop-gw.0"#;
        let json = r#"{"start_time":"2025-08-26T10:05:12.000Z","method":"GET","path":"/login?q=\"x\"","protocol":"HTTP/1.1","response_code":503,"response_flags":"UH","response_code_details":"no_healthy_upstream","connection_termination_details":"-","upstream_transport_failure_reason":"tls_error","bytes_received":0,"bytes_sent":19,"duration":0,"x_forwarded_for":"10.0.0.1","user_agent":"curl/8.5.0","request_id":"5c0e6b1a","authority":"shop.contoso.com","upstream_host":"10.244.4.7:8080","upstream_cluster":"outbound|8080||login.shop.svc.cluster.local","upstream_local_address":"10.244.2.8:41114","downstream_local_address":"10.244.2.8:80","downstream_remote_address":"10.244.7.9:40114","requested_server_name":"shop.contoso.com","route_name":"r0","api_token":"abc","extra":{"a":1}}"#;
        for line in [text, json] {
            let record = crate::parse::access_log::parse(line, 1).expect("an access log");
            assert_eq!(record.source, Source::AccessLog);
            assert!(record.fields.len() >= 15, "{:?}", record.fields);
            for (field, value) in &record.fields {
                assert!(!matches!(field, Field::Label(_)), "{field:?}");
                assert!(
                    record.message.contains(value.as_str()),
                    "{field:?}={value:?} not in {}",
                    record.message
                );
            }
        }
    }
}
