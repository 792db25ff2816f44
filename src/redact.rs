//! Redaction: credentials in evidence are replaced by `[REDACTED:<kind>]`
//! before a record reaches the printer, the grouper (and so the store and
//! every report). Kinds: bearer tokens, JWTs, Azure SAS signatures
//! (`sig=`), storage account keys and connection-string secrets
//! (`AccountKey=`, `SharedAccessKey=`, `Password=`, `Pwd=`), `user:pass@`
//! in URLs, PEM private keys, and values of variables whose names look
//! secret (`*_TOKEN=`, `*PASSWORD=`, `*_SECRET=`, `*_KEY=`). One literal
//! search decides whether a record can hold any of them, so records
//! without a candidate cost one scan. Counts are kept per kind.

use std::collections::BTreeMap;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::classify::Hit;
use crate::record::Record;

/// A kind of secret: its name, the literals one of which it always holds
/// (case-insensitively), and the regex whose `secret` group is replaced.
struct Rule {
    kind: &'static str,
    regex: Regex,
}

const RULES: [(&str, &str); 8] = [
    (
        "pem_private_key",
        r"(?s)-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----(?P<secret>.*?)(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)",
    ),
    (
        "jwt",
        r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
    ),
    (
        "bearer_token",
        r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
    ),
    (
        "sas_signature",
        r"(?i)[?&]sig=(?P<secret>[A-Za-z0-9%+/=_-]{8,})",
    ),
    (
        "connection_string_secret",
        r"(?i)\b(?:AccountKey|SharedAccessKey|Password|Pwd)=(?P<secret>[^;\s&]+)",
    ),
    (
        "url_credentials",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<secret>[^@\s/]+)@",
    ),
    (
        "secret_variable",
        r#"(?i)\b[A-Z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|ACCESS_?KEY|CLIENT_?SECRET)["']?\s*[=:]\s*["']?(?P<secret>[^\s"',;&]{4,})"#,
    ),
    (
        "basic_auth",
        r"(?i)\bbasic\s+(?P<secret>[A-Za-z0-9+/]{12,}={0,2})",
    ),
];

/// Literals every secret of some rule contains (lower case).
const LITERALS: [&str; 16] = [
    "private key",
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

/// Replaces secrets and counts them.
pub struct Redactor {
    rules: Vec<Rule>,
    candidates: AhoCorasick,
    counts: BTreeMap<&'static str, u64>,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new()
    }
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor {
            rules: RULES
                .iter()
                .map(|(kind, re)| Rule {
                    kind,
                    regex: Regex::new(re).expect("redaction regex"),
                })
                .collect(),
            candidates: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(LITERALS)
                .expect("redaction literals"),
            counts: BTreeMap::new(),
        }
    }

    /// The text with its secrets replaced, or `None` when it has none.
    pub fn text(&mut self, text: &str) -> Option<String> {
        if !self.candidates.is_match(text) {
            return None;
        }
        let mut out: Option<String> = None;
        for rule in &self.rules {
            let current = out.as_deref().unwrap_or(text);
            if !rule.regex.is_match(current) {
                continue;
            }
            let mut n = 0u64;
            let mut replaced = String::with_capacity(current.len());
            let mut last = 0;
            for caps in rule.regex.captures_iter(current) {
                let Some(secret) = caps.name("secret") else {
                    continue;
                };
                if secret.as_str().starts_with("[REDACTED:") {
                    continue;
                }
                replaced.push_str(&current[last..secret.start()]);
                replaced.push_str("[REDACTED:");
                replaced.push_str(rule.kind);
                replaced.push(']');
                last = secret.end();
                n += 1;
            }
            if n > 0 {
                replaced.push_str(&current[last..]);
                *self.counts.entry(rule.kind).or_default() += n;
                out = Some(replaced);
            }
        }
        out
    }

    /// A record and hit with their secrets replaced, or `None` when
    /// neither holds any (the common case: no copy is made).
    pub fn record(&mut self, record: &Record, hit: Option<&Hit>) -> Option<(Record, Option<Hit>)> {
        let message = self.text(&record.message);
        let mut fields = None;
        for (i, (_, value)) in record.fields.iter().enumerate() {
            if let Some(clean) = self.text(value) {
                fields
                    .get_or_insert_with(|| record.fields.clone())
                    .get_mut(i)
                    .expect("same length")
                    .1 = clean;
            }
        }
        let mut captures = None;
        if let Some(hit) = hit {
            for (i, (_, value)) in hit.captures.iter().enumerate() {
                if let Some(clean) = self.text(value) {
                    captures
                        .get_or_insert_with(|| hit.captures.clone())
                        .get_mut(i)
                        .expect("same length")
                        .1 = clean;
                }
            }
        }
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

    /// Values redacted so far, per kind.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// `3 redacted (jwt 2, sas_signature 1)`, or `None` when none was.
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
        let mut r = Redactor::new();
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
        let kinds: Vec<&str> = r.counts().keys().copied().collect();
        assert_eq!(kinds.len(), 8, "{kinds:?}");
        assert!(r.summary().unwrap().starts_with("12 secrets redacted ("));
    }

    #[test]
    fn ordinary_lines_are_left_alone() {
        let mut r = Redactor::new();
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
}
