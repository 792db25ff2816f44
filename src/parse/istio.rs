//! istiod and pilot-agent lines (Go, `istio.io/istio/pkg/log`): the text
//! encoder `time\tlevel\t[scope\t]msg[\tk=v k2=v2]`, including copies whose
//! tabs became runs of spaces, and the JSON encoder (`level`, `time`,
//! `scope`, `msg`, `caller`, `stack`, one key per label) with its Stackdriver
//! variant (`timestamp`, `severity`, `logger`, `message`).
//!
//! The line head (`time<sep>level<sep>`) is shared with Envoy's text format
//! inside istio-proxy, so [`head`] is public to the other line parsers.

use chrono::{DateTime, Utc};

use crate::parse::line::{JsonObject, JsonValue};
use crate::parse::prefix::level_of_word;
use crate::parse::time;
use crate::record::{Field, Format, Level, Record, Source};

/// istio scopes recognised when tabs were lost (with real tabs any token is a scope).
pub const KNOWN_SCOPES: [&str; 30] = [
    "gateway",
    "controllers",
    "ads",
    "delta",
    "model",
    "status",
    "tag-watcher",
    "klog",
    "xdsproxy",
    "sds",
    "cache",
    "ca",
    "citadelclient",
    "default",
    "validation",
    "kube",
    "krt",
    "leaderelection",
    "analysis",
    "authorization",
    "wasm",
    "spiffe",
    "telemetry",
    "installer",
    "webhook",
    "serviceentry",
    "processing",
    "cni",
    "healthcheck",
    "dns",
];

/// The start of an istiod or Envoy text line: its time and level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Head<'a> {
    /// The line's timestamp.
    pub ts: DateTime<Utc>,
    /// The level column, normalised.
    pub level: Level,
    /// `true` when the columns are separated by real tabs.
    pub tabs: bool,
    /// Everything after the level column and its separator.
    pub rest: &'a str,
    /// Byte offset of `rest` in the line (for the tab-stop rule of [`split_scope`]).
    pub rest_at: usize,
}

/// Reads `time<TAB>level<TAB>` or, tabs lost, `time<spaces>level<spaces>`.
/// The level must be one of the lowercase words Go and spdlog print.
pub fn head(text: &str) -> Option<Head<'_>> {
    let (ts, used) = time::scan_rfc3339(text.as_bytes())?;
    let after = &text[used..];
    let (tabs, level_col) = if let Some(s) = after.strip_prefix('\t') {
        (true, s)
    } else if after.starts_with(' ') {
        (false, after.trim_start_matches([' ', '\t']))
    } else {
        return None;
    };
    let word_len = level_col
        .bytes()
        .position(|c| c == b'\t' || c == b' ')
        .unwrap_or(level_col.len());
    let level = level_of_word(&level_col[..word_len])?;
    let after_word = &level_col[word_len..];
    let real_tab = tabs && after_word.starts_with('\t');
    let rest = if real_tab {
        &after_word[1..]
    } else {
        after_word.trim_start_matches([' ', '\t'])
    };
    let tabs = real_tab || (tabs && after_word.is_empty());
    Some(Head {
        ts,
        level,
        tabs,
        rest,
        rest_at: text.len() - rest.len(),
    })
}

/// `true` for a key of a `k=v` label: `[A-Za-z0-9_.-]`.
#[inline]
fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Length of `key=` at the start of `s` (key and `=`), if `s` starts with one.
#[inline]
fn key_eq_len(s: &[u8]) -> Option<usize> {
    let n = s.iter().position(|&c| !is_key_byte(c))?;
    (n > 0 && s[n] == b'=').then_some(n + 1)
}

/// `true` when `s` reads as a label run `k=v k2=v2`.
pub fn is_label_run(s: &str) -> bool {
    key_eq_len(s.as_bytes()).is_some()
}

/// Splits a label run into `(key, value)` pairs. A value runs until the
/// next ` key=` (so `controller=gateway deployment` is one label).
pub fn labels(run: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = run;
    std::iter::from_fn(move || {
        let b = rest.as_bytes();
        let klen = key_eq_len(b)?;
        let key = &rest[..klen - 1];
        let mut end = rest.len();
        let mut i = klen;
        while let Some(p) = memchr::memchr(b' ', &b[i..]) {
            let sp = i + p;
            if key_eq_len(&b[sp + 1..]).is_some() {
                end = sp;
                break;
            }
            i = sp + 1;
        }
        let value = &rest[klen..end];
        rest = if end < rest.len() {
            &rest[end + 1..]
        } else {
            ""
        };
        Some((key, value))
    })
}

/// Splits the scope column off `rest` (see [`Head`]); returns scope and body.
///
/// With real tabs the third column is a scope when it is a single token
/// followed by a tab, unless it is an unknown word and the only column after
/// it is a label run (a default-scope message like `reconciling\tgateway=x`).
/// With tabs lost the token must be a [`KNOWN_SCOPES`] entry followed by two
/// or more blanks, or by one blank that ends on a tab stop.
pub fn split_scope(rest: &str, tabs: bool, rest_at: usize) -> (Option<&str>, &str) {
    if tabs {
        let Some(t) = memchr::memchr(b'\t', rest.as_bytes()) else {
            return (None, rest);
        };
        let token = &rest[..t];
        let body = &rest[t + 1..];
        let token_ok = !token.is_empty() && !token.bytes().any(|c| c == b' ' || c == b'=');
        if !token_ok {
            return (None, rest);
        }
        if is_label_run(body) && !body.contains('\t') && !KNOWN_SCOPES.contains(&token) {
            return (None, rest);
        }
        return (Some(token), body);
    }
    let n = rest
        .bytes()
        .position(|c| c == b' ' || c == b'\t')
        .unwrap_or(rest.len());
    let token = &rest[..n];
    if n == rest.len() || !KNOWN_SCOPES.contains(&token) {
        return (None, rest);
    }
    let after = &rest[n..];
    let body = after.trim_start_matches([' ', '\t']);
    let blanks = after.len() - body.len();
    let on_tab_stop = (rest_at + n + blanks).is_multiple_of(8);
    if blanks >= 2 || after.starts_with('\t') || on_tab_stop {
        (Some(token), body)
    } else {
        (None, rest)
    }
}

/// Splits trailing labels off a body: after the last tab (real tabs) or the
/// last tab or run of two or more spaces (tabs lost). Returns message and labels.
pub fn split_labels(body: &str, tabs: bool) -> (&str, Option<&str>) {
    if tabs {
        if let Some(t) = memchr::memrchr(b'\t', body.as_bytes()) {
            let tail = &body[t + 1..];
            if is_label_run(tail) {
                return (&body[..t], Some(tail));
            }
        }
        return (body, None);
    }
    let body = body.trim_end_matches([' ', '\t']);
    let gap = memchr::memmem::rfind(body.as_bytes(), b"  ");
    let tab = memchr::memrchr(b'\t', body.as_bytes());
    if let Some(p) = gap.max(tab) {
        let tail = body[p..].trim_start_matches([' ', '\t']);
        let msg = body[..p].trim_end_matches([' ', '\t']);
        if !msg.is_empty() && is_label_run(tail) {
            return (msg, Some(tail));
        }
    }
    (body, None)
}

/// Builds the istio record of a text line from its head (not an Envoy line).
pub fn from_head(head: Head<'_>, line: u64) -> Record {
    let (scope, body) = split_scope(head.rest, head.tabs, head.rest_at);
    let (message, run) = split_labels(body, head.tabs);
    let mut fields = Vec::new();
    if let Some(run) = run {
        for (k, v) in labels(run) {
            fields.push((Field::Label(k.to_string()), v.to_string()));
        }
    }
    Record {
        line,
        ts: Some(head.ts),
        source: Source::Istio,
        format: Format::IstioText,
        level: Some(head.level),
        scope: scope.map(str::to_string),
        message: message.to_string(),
        fields,
    }
}

/// Parses one istiod/pilot-agent line (text or JSON, prefix already removed),
/// or `None` when the line is not in that format (Envoy lines included).
pub fn parse(text: &str, line: u64) -> Option<Record> {
    if text.starts_with('{') {
        let obj = crate::parse::line::json_object(text).ok()?;
        if crate::parse::line::is_access_log_json(&obj)
            || crate::parse::envoy::is_envoy_json(&obj)
            || !is_istio_json(&obj)
        {
            return None;
        }
        return Some(from_json(&obj, line));
    }
    let head = head(text)?;
    if crate::parse::envoy::logger_column(head.rest, head.tabs).is_some() {
        return None;
    }
    Some(from_head(head, line))
}

/// `true` when a JSON object has the keys of the istio encoder or its Stackdriver variant.
pub fn is_istio_json(obj: &JsonObject<'_>) -> bool {
    obj.iter().any(|(k, _)| {
        matches!(
            k.as_ref(),
            "level" | "msg" | "severity" | "message" | "scope" | "logger"
        )
    })
}

/// The parts every JSON process log shares; the rest of the keys are labels.
pub(crate) struct JsonParts<'o> {
    pub ts: Option<DateTime<Utc>>,
    pub level: Option<Level>,
    pub scope: Option<&'o str>,
    pub message: &'o str,
    pub caller: Option<&'o str>,
    pub thread: Option<String>,
    pub labels: Vec<(Field, String)>,
}

/// Splits a JSON object into the istio encoder's keys (or their Stackdriver
/// names) and labels; the first of two synonyms wins, a later one is a label.
/// With `thread_key`, a `thread` key is the Envoy thread rather than a label.
pub(crate) fn json_parts<'o>(obj: &'o JsonObject<'_>, thread_key: bool) -> JsonParts<'o> {
    let mut p = JsonParts {
        ts: None,
        level: None,
        scope: None,
        message: "",
        caller: None,
        thread: None,
        labels: Vec::new(),
    };
    let (mut have_time, mut have_level, mut have_msg) = (false, false, false);
    for (key, value) in obj {
        match (key.as_ref(), value) {
            ("time" | "timestamp", v) if !have_time => {
                have_time = true;
                p.ts = match v {
                    JsonValue::Str(s) => time::rfc3339(s.as_ref()),
                    JsonValue::Number(n) => n.as_f64().and_then(time::epoch_seconds),
                    _ => None,
                };
            }
            ("level" | "severity", JsonValue::Str(s)) if !have_level => {
                have_level = true;
                p.level = level_of_word(s).or_else(|| Level::from_word(s));
            }
            ("scope" | "logger", JsonValue::Str(s)) if p.scope.is_none() => {
                if !s.is_empty() {
                    p.scope = Some(s.as_ref());
                }
            }
            ("msg" | "message", JsonValue::Str(s)) if !have_msg => {
                have_msg = true;
                p.message = s.as_ref();
            }
            ("caller", JsonValue::Str(s)) if p.caller.is_none() => p.caller = Some(s.as_ref()),
            ("thread", v) if thread_key && p.thread.is_none() => p.thread = Some(v.render()),
            (k, v) => p.labels.push((Field::Label(k.to_string()), v.render())),
        }
    }
    p
}

/// Builds the istio record of a JSON line.
pub fn from_json(obj: &JsonObject<'_>, line: u64) -> Record {
    let p = json_parts(obj, false);
    let mut fields = Vec::with_capacity(p.labels.len() + 1);
    if let Some(c) = p.caller {
        fields.push((Field::Caller, c.to_string()));
    }
    fields.extend(p.labels);
    Record {
        line,
        ts: p.ts,
        source: Source::Istio,
        format: Format::IstioJson,
        level: p.level,
        scope: p.scope.map(str::to_string),
        message: p.message.to_string(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::utc;

    fn label<'r>(r: &'r Record, k: &str) -> Option<&'r str> {
        r.get(&Field::Label(k.to_string()))
    }

    #[test]
    fn scoped_line_with_label() {
        let r = parse(
            "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\tgateway=default/httpbin-gateway",
            7,
        )
        .unwrap();
        assert_eq!(r.line, 7);
        assert_eq!(r.source, Source::Istio);
        assert_eq!(r.format, Format::IstioText);
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.scope.as_deref(), Some("gateway"));
        assert_eq!(r.message, "reconciling");
        assert_eq!(label(&r, "gateway"), Some("default/httpbin-gateway"));
        assert_eq!(r.ts, Some(utc(2025, 8, 26, 10, 0, 0, 101_234_000)));
    }

    #[test]
    fn label_values_with_spaces() {
        let r = parse(
            "2025-08-26T10:00:07.003451Z\terror\tcontrollers\terror handling default/httpbin-gateway, retrying (retry count: 1): apply failed: patch autoscaling/v2, Kind=HorizontalPodAutoscaler/default/httpbin-gateway-istio: HorizontalPodAutoscaler.autoscaling \"httpbin-gateway-istio\" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`\tcontroller=gateway deployment",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.scope.as_deref(), Some("controllers"));
        assert!(
            r.message
                .starts_with("error handling default/httpbin-gateway, retrying")
        );
        assert!(r.message.ends_with("`minReplicas`"));
        assert_eq!(label(&r, "controller"), Some("gateway deployment"));
        assert_eq!(r.fields.len(), 1);
    }

    #[test]
    fn several_labels_and_empty_values() {
        let run = "resourceName=default latency=120ms ttl= x=a=b c";
        let got: Vec<_> = labels(run).collect();
        assert_eq!(
            got,
            vec![
                ("resourceName", "default"),
                ("latency", "120ms"),
                ("ttl", ""),
                ("x", "a=b c")
            ]
        );
    }

    #[test]
    fn default_scope_has_three_columns() {
        let r = parse(
            "2025-08-26T10:00:02.113450Z\twarn\tEnvoy proxy is NOT ready: config not received from XDS server (is Istiod running?): cds updates: 0 successful, 0 rejected; lds updates: 0 successful, 0 rejected",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope, None);
        assert!(
            r.message
                .starts_with("Envoy proxy is NOT ready: config not received")
        );
        assert!(r.fields.is_empty());
    }

    #[test]
    fn default_scope_single_word_message_with_labels() {
        let r = parse(
            "2025-08-26T10:00:00.000001Z\tinfo\treconciling\tgateway=default/httpbin-gateway",
            1,
        )
        .unwrap();
        assert_eq!(r.scope, None);
        assert_eq!(r.message, "reconciling");
        assert_eq!(label(&r, "gateway"), Some("default/httpbin-gateway"));
        // Default scope, message with spaces, labels.
        let r = parse(
            "2025-08-26T10:00:00.000001Z\tinfo\tProxy role\tips=[10.244.1.23] type=router id=x domain=default.svc.cluster.local",
            1,
        )
        .unwrap();
        assert_eq!(r.scope, None);
        assert_eq!(r.message, "Proxy role");
        assert_eq!(label(&r, "ips"), Some("[10.244.1.23]"));
        assert_eq!(label(&r, "domain"), Some("default.svc.cluster.local"));
    }

    #[test]
    fn real_klog_scope_and_default_watch_error() {
        let r = parse(
            "2023-10-25T19:47:54.248609Z     info    klog    k8s.io/client-go@v0.28.1/tools/cache/reflector.go:229: failed to list *v1beta1.Gateway: the server could not find the requested resource (get gateways.gateway.networking.k8s.io)",
            1,
        )
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("klog"));
        assert!(
            r.message.starts_with(
                "k8s.io/client-go@v0.28.1/tools/cache/reflector.go:229: failed to list"
            )
        );
        let r = parse(
            "2023-10-25T19:47:54.248655Z     error   watch error in cluster Kubernetes: failed to list *v1beta1.Gateway: the server could not find the requested resource (get gateways.gateway.networking.k8s.io)",
            2,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.scope, None);
        assert!(
            r.message
                .starts_with("watch error in cluster Kubernetes: failed to list")
        );
    }

    #[test]
    fn real_tabs_lost_with_label() {
        let r = parse(
            "2024-09-25T15:15:23.016108Z     error   controllers     error handling istio-validator-1-22-istio-system, retrying (retry count: 1): webhook is not ready, retry        controller=validation",
            3,
        )
        .unwrap();
        assert_eq!(r.format, Format::IstioText);
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.scope.as_deref(), Some("controllers"));
        assert_eq!(
            r.message,
            "error handling istio-validator-1-22-istio-system, retrying (retry count: 1): webhook is not ready, retry"
        );
        assert_eq!(label(&r, "controller"), Some("validation"));
    }

    #[test]
    fn real_sds_warn_with_tabs() {
        let r = parse(
            "2023-03-08T18:08:50.125880Z\twarn\tsds\tfailed to warm certificate: failed to generate workload certificate: create certificate: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing dial tcp 10.245.19.106:15012: connect: connection timed out\"",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope.as_deref(), Some("sds"));
        assert!(r.message.ends_with("connect: connection timed out\""));
        assert!(r.fields.is_empty());
    }

    #[test]
    fn tabs_lost_single_space_and_tab_stop_scope() {
        // A single space between time and level.
        let r = parse(
            "2025-08-26T09:59:58.000111Z info leader election lock obtained: istio-gateway-deployment-asm-1-26",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.scope, None);
        assert_eq!(
            r.message,
            "leader election lock obtained: istio-gateway-deployment-asm-1-26"
        );
        // `gateway` (7 letters) at column 40 expands its tab to one space.
        let r = parse(
            "2025-08-26T10:00:00.101234Z     info    gateway reconciling     gateway=default/httpbin-gateway",
            1,
        )
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("gateway"));
        assert_eq!(r.message, "reconciling");
        assert_eq!(label(&r, "gateway"), Some("default/httpbin-gateway"));
        // A default-scope message that begins with a scope word off a tab stop.
        let r = parse("2025-08-26T10:00:00.101234Z  info  cache synced", 1).unwrap();
        assert_eq!(r.scope, None);
        assert_eq!(r.message, "cache synced");
    }

    #[test]
    fn tabs_partly_lost_keeps_labels() {
        let r = parse(
            "2025-08-26T10:00:00.812345Z  info  cache  generated new workload certificate\tresourceName=default latency=120ms ttl=23h59m59s",
            1,
        )
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("cache"));
        assert_eq!(r.message, "generated new workload certificate");
        assert_eq!(label(&r, "resourceName"), Some("default"));
        assert_eq!(label(&r, "ttl"), Some("23h59m59s"));
    }

    #[test]
    fn fatal_is_critical_and_unknown_levels_are_not_istio() {
        let r = parse(
            "2025-08-26T10:00:00.000000Z\tfatal\tfailed to start: boom",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Critical));
        assert_eq!(parse("2025-08-26T10:00:00.000000Z\tpanic\tx", 1), None);
        assert_eq!(parse("2025-08-26T10:00:00.000000Z\tWARN\tx", 1), None);
        assert_eq!(parse("2025-08-26T10:00:00.000000Z hello world", 1), None);
        assert_eq!(parse("2025-08-26T10:00:00.000000Z", 1), None);
        assert_eq!(parse("not a line", 1), None);
    }

    #[test]
    fn empty_message_and_only_tabs() {
        let r = parse("2025-08-26T10:00:00.000000Z\tinfo", 1).unwrap();
        assert_eq!(r.message, "");
        let r = parse("2025-08-26T10:00:00.000000Z\tinfo\t\t\t\t", 1).unwrap();
        assert_eq!(r.scope, None);
        assert_eq!(r.level, Some(Level::Info));
    }

    #[test]
    fn envoy_lines_are_not_istio() {
        assert_eq!(
            parse(
                "2021-12-11T14:05:39.566883Z\terror\tenvoy config\tlistener '0.0.0.0_80' failed to bind",
                1
            ),
            None
        );
    }

    #[test]
    fn json_with_namespaced_name_label() {
        let r = parse(
            r#"{"level":"info","time":"2025-05-08T10:34:07.440418Z","scope":"gateway","msg":"reconciling","gateway":{"Namespace":"istio-system","Name":"default-k8s-gateway"}}"#,
            4,
        )
        .unwrap();
        assert_eq!(r.format, Format::IstioJson);
        assert_eq!(r.source, Source::Istio);
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.scope.as_deref(), Some("gateway"));
        assert_eq!(r.message, "reconciling");
        assert_eq!(
            label(&r, "gateway"),
            Some("istio-system/default-k8s-gateway")
        );
        assert_eq!(r.ts, Some(utc(2025, 5, 8, 10, 34, 7, 440_418_000)));
    }

    #[test]
    fn json_error_with_escapes_caller_and_stack() {
        let r = parse(
            r#"{"level":"error","time":"2025-08-26T10:00:00.102311Z","scope":"gateway","msg":"error rendering templates: parametersRef targeting configmap \"default/gw-options\", but configmap does not exist","caller":"gateway/deploymentcontroller.go:453","stack":"a\nb","gateway":{"Namespace":"default","Name":"httpbin-gateway"},"attempt":3,"ok":true,"list":[1,"x"],"other":{"a":null}}"#,
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(
            r.message,
            "error rendering templates: parametersRef targeting configmap \"default/gw-options\", but configmap does not exist"
        );
        assert_eq!(
            r.get(&Field::Caller),
            Some("gateway/deploymentcontroller.go:453")
        );
        assert_eq!(label(&r, "stack"), Some("a\nb"));
        assert_eq!(label(&r, "gateway"), Some("default/httpbin-gateway"));
        assert_eq!(label(&r, "attempt"), Some("3"));
        assert_eq!(label(&r, "ok"), Some("true"));
        assert_eq!(label(&r, "list"), Some(r#"[1,"x"]"#));
        assert_eq!(label(&r, "other"), Some(r#"{"a":null}"#));
    }

    #[test]
    fn stackdriver_keys() {
        let r = parse(
            r#"{"timestamp":"2025-08-26T10:00:00.5Z","severity":"Warning","logger":"ads","message":"ADS:LDS: ACK ERROR router~10.244.1.23~x.default~default.svc.cluster.local-7 Internal:Error adding/updating listener(s) 0.0.0.0_80: cannot bind '0.0.0.0:80': Permission denied"}"#,
            1,
        )
        .unwrap();
        assert_eq!(r.format, Format::IstioJson);
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope.as_deref(), Some("ads"));
        assert!(r.message.starts_with("ADS:LDS: ACK ERROR"));
        assert!(r.ts.is_some());
        assert!(r.fields.is_empty());
    }

    #[test]
    fn json_default_scope_and_numeric_time() {
        let r = parse(r#"{"level":"fatal","time":1756202400,"msg":"boom"}"#, 1).unwrap();
        assert_eq!(r.level, Some(Level::Critical));
        assert_eq!(r.scope, None);
        assert_eq!(r.ts, Some(utc(2025, 8, 26, 10, 0, 0, 0)));
        assert_eq!(parse(r#"{"kind":"Event"}"#, 1), None);
        assert_eq!(parse(r#"{"level":"info""#, 1), None);
    }
}
