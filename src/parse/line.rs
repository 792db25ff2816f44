//! One process-log line, prefix already removed, to one [`Record`]: the
//! dispatcher over the line formats (istiod/pilot-agent, Envoy, access log,
//! klog, JSON variants of each), the one-pass JSON object decoder they
//! share, and [`always_parse`], the cheap structural test that tells the
//! prefilter which raw lines must be parsed even without a literal hit.
//!
//! Dispatch is by first byte, so a line is tried only against the formats
//! it can be: `{` JSON, `[` access log then Envoy bracket, a digit istiod or
//! Envoy text, `I`/`W`/`E`/`F` klog. Anything else, or a line no parser
//! accepts, is kept as a plain-text record.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::parse::{Problem, access_log, envoy, istio, klog, prefix};
use crate::record::Record;

/// Parses one line (prefix already removed) into a record; never fails.
/// Truncated or otherwise invalid JSON becomes a text record and a [`Problem`].
pub fn parse_line(text: &str, line: u64, problems: &mut Vec<Problem>) -> Record {
    let text = text.trim_end_matches(['\r', '\n']);
    let parsed = match text.as_bytes().first() {
        Some(b'{') => return json_line(text, line, problems),
        Some(b'[') => {
            access_log::parse_text(text, line).or_else(|| envoy::parse_bracket(text, line))
        }
        Some(b'0'..=b'9') => process_text(text, line),
        Some(b'I' | b'W' | b'E' | b'F') => klog::parse(text, line),
        _ => None,
    };
    parsed.unwrap_or_else(|| Record::text(line, text))
}

/// istiod/pilot-agent or Envoy text, which share the `time level` head.
fn process_text(text: &str, line: u64) -> Option<Record> {
    let head = istio::head(text)?;
    Some(envoy::from_head(head, line).unwrap_or_else(|| istio::from_head(head, line)))
}

/// A JSON line: access log, Envoy, istio, or else plain text.
fn json_line(text: &str, line: u64, problems: &mut Vec<Problem>) -> Record {
    let obj = match json_object(text) {
        Ok(obj) => obj,
        Err(message) => {
            problems.push(Problem::new(line, message));
            return Record::text(line, text);
        }
    };
    if is_access_log_json(&obj) {
        access_log::from_json(&obj, line)
    } else if envoy::is_envoy_json(&obj) {
        envoy::from_json(&obj, line)
    } else if istio::is_istio_json(&obj) {
        istio::from_json(&obj, line)
    } else {
        Record::text(line, text)
    }
}

/// `true` for a JSON access log: it has a `response_code` key.
pub fn is_access_log_json(obj: &JsonObject<'_>) -> bool {
    obj.iter().any(|(k, _)| k == "response_code")
}

/// `true` when a raw line must be parsed even if no prefilter literal is in it.
///
/// Structural and allocation-free, on the raw line with any CRI or
/// `--timestamps` prefix: CRI partial lines; istio/Envoy text lines whose
/// level column is warn or above; text access logs with response
/// flags (their level is warn or error); klog `W`/`E`/`F`; JSON with a
/// `level`/`severity` value that is not a plain info-or-below word, or with
/// a `\u` or `\/` escape (a key or a literal could hide in it); JSON access
/// logs (their message is rendered, not copied) for which `access_log_matters`
/// says yes. Text access logs without flags are info records whose message
/// is the line: only a prefilter literal makes them worth parsing.
/// Every other line parses to text or to a record below warn whose message
/// is a substring of the line, so only a signature literal in it can matter.
///
/// `access_log_matters(body)` is asked about a JSON line that has a
/// `"response_code"` key; `|_| true` is always safe (the prefilter renders
/// the line with [`access_log::render_plain_flagless`] and looks for its
/// literals in the message).
pub fn always_parse(raw: &str, access_log_matters: &dyn Fn(&str) -> bool) -> bool {
    match prefix::scan(raw) {
        Some(s) if s.partial => true,
        Some(s) => body_needs_parse(&raw[s.body..], access_log_matters),
        None => body_needs_parse(raw, access_log_matters),
    }
}

/// [`always_parse`] for a line whose CRI or `--timestamps` prefix is already
/// removed (and that is not a CRI partial).
pub fn body_needs_parse(body: &str, access_log_matters: &dyn Fn(&str) -> bool) -> bool {
    if body.starts_with('{') {
        return json_needs_parse(body, access_log_matters);
    }
    let body = body.as_bytes();
    match body.first() {
        Some(b'[') => access_log_has_flags(body),
        Some(b'W' | b'E' | b'F') => klog::looks_like(body),
        Some(b'0'..=b'9') => text_level_may_warn(body),
        _ => false,
    }
}

/// Level words that [`Level::from_word`] reads as warn or above.
const PROBLEM_LEVELS: [&[u8]; 11] = [
    b"warn",
    b"warning",
    b"error",
    b"err",
    b"critical",
    b"crit",
    b"fatal",
    b"panic",
    b"dpanic",
    b"alert",
    b"emergency",
];

/// `true` when a `time<space>level<space>...` line (istio, pilot-agent, Envoy
/// in istio-proxy, tabs kept or lost) has a warn-or-above level column.
fn text_level_may_warn(b: &[u8]) -> bool {
    let Some(gap) = b.iter().position(u8::is_ascii_whitespace) else {
        return false;
    };
    let rest = b[gap..].trim_ascii_start();
    let end = rest
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(rest.len());
    PROBLEM_LEVELS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(&rest[..end]))
}

/// The `[`-line half of [`always_parse`]: `true` for a text access log whose
/// response flags are set (its level is then warn or error, see
/// `access_log`), or one too odd to tell. An access log without flags is an
/// info record, and Envoy bracket lines (`[ts][thread][level]...`) carry
/// their level word in the text, which the prefilter already looks for.
fn access_log_has_flags(b: &[u8]) -> bool {
    let Some(close) = memchr::memchr(b']', b) else {
        return false;
    };
    let Some(request) = b[close + 1..].strip_prefix(b" \"") else {
        return bracket_level_may_warn(b);
    };
    let Some(end) = memchr::memchr(b'"', request) else {
        return true;
    };
    let mut tokens = request[end + 1..]
        .split(|&c| c == b' ')
        .filter(|t| !t.is_empty());
    let _code = tokens.next();
    tokens.next().is_none_or(|flags| flags != b"-")
}

/// `true` when an Envoy bracket line's level column (`[ts][thread][level]`,
/// maybe after `[Envoy (Epoch N)] `) is not a plain below-warn word: such a
/// level may be spelled in a way no prefilter literal covers (`ERR`).
fn bracket_level_may_warn(b: &[u8]) -> bool {
    let mut fields = b.split(|&c| c == b']').map(|f| f.trim_ascii_start());
    let first = fields.next().unwrap_or_default();
    if first.starts_with(b"[Envoy") {
        fields.next();
    }
    let Some(level) = fields.nth(1).and_then(|f| f.strip_prefix(b"[")) else {
        return true;
    };
    !BELOW_WARN.iter().any(|w| w.eq_ignore_ascii_case(level))
}

/// Level words below warn, in every spelling the formats use.
const BELOW_WARN: [&[u8]; 7] = [
    b"trace",
    b"debug",
    b"dbg",
    b"info",
    b"information",
    b"notice",
    b"default",
];

/// The JSON half of [`always_parse`].
fn json_needs_parse(body: &str, access_log_matters: &dyn Fn(&str) -> bool) -> bool {
    let b = body.as_bytes();
    // A cut-off object is parsed so that its problem gets reported.
    if !b.trim_ascii_end().ends_with(b"}") {
        return true;
    }
    if memchr::memchr_iter(b'\\', b).any(|at| matches!(b.get(at + 1), Some(b'u' | b'/'))) {
        return true;
    }
    static RESPONSE_CODE: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(b"\"response_code\""));
    static LEVEL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"level\""));
    static SEVERITY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"severity\""));
    // A JSON access log (or a line that only mentions the key: it then
    // goes on to the level checks like any other JSON).
    if RESPONSE_CODE.find(b).is_some() && access_log_matters(body) {
        return true;
    }
    level_value_may_warn(b, &LEVEL) || level_value_may_warn(b, &SEVERITY)
}

/// `true` when some `"key": "value"` has a value other than a level below warn.
fn level_value_may_warn(b: &[u8], key: &Finder<'_>) -> bool {
    for at in key.find_iter(b) {
        let mut i = at + key.needle().len();
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if b.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if b.get(i) != Some(&b'"') {
            continue;
        }
        let start = i + 1;
        let Some(len) = memchr::memchr(b'"', &b[start..]) else {
            return true;
        };
        let value = b[start..start + len].trim_ascii();
        if !BELOW_WARN.iter().any(|w| w.eq_ignore_ascii_case(value)) {
            return true;
        }
    }
    false
}

/// A JSON object as decoded by [`json_object`]: keys in order, strings
/// borrowed from the line unless they had escapes.
pub type JsonObject<'a> = Vec<(Cow<'a, str>, JsonValue<'a>)>;

/// A JSON number, kept as written by the parser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JsonNumber {
    /// A non-negative integer.
    U(u64),
    /// A negative integer.
    I(i64),
    /// Any other number.
    F(f64),
}

impl JsonNumber {
    /// The number as a float.
    pub fn as_f64(self) -> Option<f64> {
        Some(match self {
            JsonNumber::U(n) => n as f64,
            JsonNumber::I(n) => n as f64,
            JsonNumber::F(n) => n,
        })
    }
}

impl fmt::Display for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonNumber::U(n) => write!(f, "{n}"),
            JsonNumber::I(n) => write!(f, "{n}"),
            JsonNumber::F(n) => write!(f, "{n}"),
        }
    }
}

/// A JSON value whose strings borrow from the input where they can.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue<'a> {
    Null,
    Bool(bool),
    Number(JsonNumber),
    Str(Cow<'a, str>),
    Array(Vec<JsonValue<'a>>),
    Object(JsonObject<'a>),
}

impl JsonValue<'_> {
    /// The value as label text: strings as they are, a Kubernetes
    /// `NamespacedName` object (`{"Namespace":"a","Name":"b"}`) as `a/b`
    /// (just `b` when the namespace is empty), anything else as compact JSON.
    pub fn render(&self) -> String {
        match self {
            JsonValue::Str(s) => s.to_string(),
            JsonValue::Number(n) => n.to_string(),
            JsonValue::Bool(b) => b.to_string(),
            JsonValue::Null => "null".to_string(),
            JsonValue::Object(o) => match namespaced_name(o) {
                Some(("", name)) => name.to_string(),
                Some((ns, name)) => format!("{ns}/{name}"),
                None => serde_json::to_string(self).unwrap_or_default(),
            },
            JsonValue::Array(_) => serde_json::to_string(self).unwrap_or_default(),
        }
    }

    /// The value as access-log text: `None` for null, empty or `-`.
    pub fn as_token(&self) -> Option<Cow<'_, str>> {
        match self {
            JsonValue::Null => None,
            JsonValue::Str(s) if s.is_empty() || s == "-" => None,
            JsonValue::Str(s) => Some(Cow::Borrowed(s.as_ref())),
            other => Some(Cow::Owned(other.render())),
        }
    }
}

/// The `Namespace` and `Name` of a two-key `types.NamespacedName` object.
fn namespaced_name<'o>(o: &'o JsonObject<'_>) -> Option<(&'o str, &'o str)> {
    let [(k1, JsonValue::Str(v1)), (k2, JsonValue::Str(v2))] = o.as_slice() else {
        return None;
    };
    match (k1.as_ref(), k2.as_ref()) {
        ("Namespace", "Name") => Some((v1, v2)),
        ("Name", "Namespace") => Some((v2, v1)),
        _ => None,
    }
}

/// Decodes one JSON object line, or says in plain words why it is not one.
pub fn json_object(text: &str) -> Result<JsonObject<'_>, String> {
    match serde_json::from_str::<JsonValue<'_>>(text) {
        Ok(JsonValue::Object(obj)) => Ok(obj),
        Ok(_) => Err("expected a complete JSON object: found another JSON value".to_string()),
        Err(e) => {
            let full = e.to_string();
            let what = full
                .rfind(" at line ")
                .map_or(full.as_str(), |i| &full[..i]);
            Err(if e.column() > 0 {
                format!(
                    "expected a complete JSON object: {what} at column {}",
                    e.column()
                )
            } else {
                format!("expected a complete JSON object: {what}")
            })
        }
    }
}

/// A string that borrows from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for JsonValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = JsonValue<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(JsonValue::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(JsonValue::Number(JsonNumber::U(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(JsonValue::Number(if v >= 0 {
            JsonNumber::U(v as u64)
        } else {
            JsonNumber::I(v)
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(JsonValue::Number(JsonNumber::F(v)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(JsonValue::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(JsonValue::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(JsonValue::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(JsonValue::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Text(k)) = map.next_key()? {
            let v: JsonValue<'de> = map.next_value()?;
            out.push((k, v));
        }
        Ok(JsonValue::Object(out))
    }
}

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonValue::Null => s.serialize_unit(),
            JsonValue::Bool(b) => s.serialize_bool(*b),
            JsonValue::Number(JsonNumber::U(n)) => s.serialize_u64(*n),
            JsonValue::Number(JsonNumber::I(n)) => s.serialize_i64(*n),
            JsonValue::Number(JsonNumber::F(n)) => s.serialize_f64(*n),
            JsonValue::Str(v) => s.serialize_str(v),
            JsonValue::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsonValue::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, Format, Level, Source};

    fn parse(text: &str) -> Record {
        let mut problems = Vec::new();
        let r = parse_line(text, 9, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(r.line, 9);
        r
    }

    #[test]
    fn dispatches_every_format() {
        let cases: [(&str, Source, Format, Option<Level>); 11] = [
            (
                "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\tgateway=default/httpbin-gateway",
                Source::Istio,
                Format::IstioText,
                Some(Level::Info),
            ),
            (
                r#"{"level":"error","time":"2025-08-26T10:00:00.102311Z","scope":"gateway","msg":"error rendering templates: strategic merge patch failed: invalid JSON document","gateway":{"Namespace":"default","Name":"httpbin-gateway"}}"#,
                Source::Istio,
                Format::IstioJson,
                Some(Level::Error),
            ),
            (
                "2025-08-26T10:00:04.501777Z\terror\tenvoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150\tlistener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied\tthread=15",
                Source::Envoy,
                Format::EnvoyText,
                Some(Level::Error),
            ),
            (
                r#"{"time":"2025-08-26T10:00:03.200101Z","level":"warning","scope":"envoy config","msg":"DeltaAggregatedResources gRPC config stream to xds-grpc closed: 14, ","caller":"external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155","thread":"15"}"#,
                Source::Envoy,
                Format::EnvoyJson,
                Some(Level::Warn),
            ),
            (
                "[2025-08-26 10:00:00.000][15][warning][config] [external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155] StreamAggregatedResources gRPC config stream closed: 14, ",
                Source::Envoy,
                Format::EnvoyBracket,
                Some(Level::Warn),
            ),
            (
                "[2021-09-10T02:31:12.093Z] \"GET /metrics HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 0 - \"10.0.54.168\" \"Prometheus/2.21.0\" \"74215fc5-3c7c-9601-967a-d0eb982bf6fe\" \"10.0.54.180:8080\" \"-\" - - 10.0.54.180:8080 10.0.54.168:59378 - -",
                Source::AccessLog,
                Format::AccessLogText,
                Some(Level::Warn),
            ),
            (
                r#"{"start_time":"2025-08-26T10:01:05.020Z","method":"GET","path":"/get","protocol":"HTTP/1.1","response_code":503,"response_flags":"UH","response_code_details":"no_healthy_upstream"}"#,
                Source::AccessLog,
                Format::AccessLogJson,
                Some(Level::Error),
            ),
            (
                "E0826 10:00:00.000000       1 reflector.go:229] failed to list *v1.Gateway",
                Source::Klog,
                Format::Klog,
                Some(Level::Error),
            ),
            ("plain text from an app", Source::Text, Format::Text, None),
            (r#"{"kind":"Event"}"#, Source::Text, Format::Text, None),
            ("[not a time] something", Source::Text, Format::Text, None),
        ];
        for (text, source, format, level) in cases {
            let r = parse(text);
            assert_eq!(
                (r.source, r.format, r.level),
                (source, format, level),
                "{text}"
            );
        }
    }

    #[test]
    fn truncated_json_is_text_and_a_problem() {
        let text = r#"{"level":"error","time":"2025-08-26T10:00:00.102311Z","scope":"gateway","msg":"error rendering templ"#;
        let mut problems = Vec::new();
        let r = parse_line(text, 12, &mut problems);
        assert_eq!(r.source, Source::Text);
        assert_eq!(r.message, text);
        assert_eq!(
            problems,
            vec![Problem::new(
                12,
                format!(
                    "expected a complete JSON object: EOF while parsing a string at column {}",
                    text.len()
                )
            )]
        );
        let mut problems = Vec::new();
        parse_line("{Namespace:a Name:b}", 3, &mut problems);
        assert_eq!(
            problems[0].message,
            "expected a complete JSON object: key must be a string at column 2"
        );
        let mut problems = Vec::new();
        parse_line(r#"{"a":1} tail"#, 3, &mut problems);
        assert_eq!(
            problems[0].message,
            "expected a complete JSON object: trailing characters at column 9"
        );
    }

    #[test]
    fn crlf_and_garbage_never_panic() {
        let r = parse("2025-08-26T10:00:02.113450Z\twarn\tEnvoy proxy is NOT ready\r");
        assert_eq!(r.message, "Envoy proxy is NOT ready");
        let long = "x".repeat(10 << 20);
        assert_eq!(parse(&long).message.len(), 10 << 20);
        let nested = "[".repeat(10_000);
        assert_eq!(parse(&nested).source, Source::Text);
        let mut problems = Vec::new();
        let deep = "{\"a\":".repeat(1000);
        assert_eq!(parse_line(&deep, 1, &mut problems).source, Source::Text);
        assert_eq!(problems.len(), 1);
        for text in [
            "",
            "\t\t\t\t",
            "{",
            "[",
            "[2025",
            "[2025-08-26T10:01:02.411Z]",
            "[2025-08-26T10:01:02.411Z] \"GET",
            "[2025-08-26T10:01:02.411Z] \"GET / HTTP/1.1\" ",
            "[Envoy (Epoch 0)] [",
            "W",
            "W0826",
            "W0826 10:00:00.000000",
            "2025-08-26T10:00:00.000000Z\t",
            "2025-08-26T10:00:00.000000Z\twarning\tenvoy",
            "2025-08-26T10:00:00.000000Z\twarning\tenvoy \t",
            "2025-08-26T10:00:00.000000Z  warning  envoy config",
            "\u{0}\u{1}\u{7f}é漢字",
            "2025-08-26T10:00:00.000000Zé",
        ] {
            let mut problems = Vec::new();
            let _ = parse_line(text, 1, &mut problems);
        }
    }

    #[test]
    fn json_label_rendering() {
        let r = parse(
            r#"{"level":"info","msg":"x","gw":{"Name":"b","Namespace":"a"},"cls":{"Namespace":"","Name":"istio"},"n":-3,"f":1.5,"z":null,"esc":"a\"b"}"#,
        );
        let label = |k: &str| r.get(&Field::Label(k.to_string())).map(str::to_string);
        assert_eq!(label("gw").as_deref(), Some("a/b"));
        assert_eq!(label("cls").as_deref(), Some("istio"));
        assert_eq!(label("n").as_deref(), Some("-3"));
        assert_eq!(label("f").as_deref(), Some("1.5"));
        assert_eq!(label("z").as_deref(), Some("null"));
        assert_eq!(label("esc").as_deref(), Some("a\"b"));
    }

    #[test]
    fn always_parse_structural_cases() {
        let yes = [
            "W0826 10:00:00.000000       1 reflector.go:229] x",
            "E0826 10:00:00.000000 1 x.go:1] boom",
            "F0826 10:00:00.000000 1 x.go:1] boom",
            "2025-08-26T10:00:00.123456789Z stderr F E0826 10:00:00.000000 1 x.go:1] boom",
            "2025-08-26T10:00:00.123456789Z W0826 10:00:00.000000 1 x.go:1] boom",
            "[2021-09-10T02:31:12.093Z] \"GET /metrics HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 0 -",
            "2025-08-26T10:00:00.123456789Z stdout F [2021-09-10T02:31:12.093Z] \"GET / HTTP/1.1\" 503 UH no_healthy_upstream",
            "[2025-08-26 10:00:00.000][15][warning][config] [x.cc:1] m",
            "[Envoy (Epoch 0)] [2025-08-26 10:00:00.000][15][ERR][main] [x.cc:1] m",
            "2025-08-26T10:00:00.123456789Z stdout P {\"partial\":",
            "2025-08-26T10:00:00.123456789Z stdout P plain partial text",
            r#"{"level":"panic","msg":"x"}"#,
            r#"{"severity":"Warning","message":"x"}"#,
            r#"{"level" : "ERR","msg":"x"}"#,
            r#"{"lev\u0065l":"err","msg":"x"}"#,
            r#"{"level":"info","msg":"x","level":"alert"}"#,
            r#"{"response_code":503,"response_flags":"UH"}"#,
            r#"{"response_code":200,"path":"a\/b"}"#,
            r#"{"response_code":200,"tags":["x"]}"#,
            r#"{"msg":"response_code","level":"error"}"#,
        ];
        // The prefilter's rule, for a line with no literal in its message.
        let matters = |body: &str| !access_log::render_plain_flagless(body, &mut String::new());
        for raw in yes {
            assert!(always_parse(raw, &matters), "{raw}");
        }
        // A JSON access log is parsed when the caller says it matters.
        let access =
            r#"{"start_time":"2025-08-26T10:01:05.020Z","response_code":200,"response_flags":"-"}"#;
        assert!(always_parse(access, &|_| true));
        assert!(!always_parse(access, &matters));
        let no = [
            "",
            // Access logs without response flags are info records.
            "2025-08-26T10:00:00.123456789Z stdout F [2021-09-10T02:31:12.093Z] \"GET / HTTP/1.1\" 200 - via_upstream",
            "[Envoy (Epoch 0)] [2025-08-26 10:00:00.000][15][info][main] [x.cc:1] m",
            "I0826 10:00:00.000000 1 x.go:1] fine",
            "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling",
            "2025-08-26T10:00:00.123456789Z stdout F 2025-08-26T10:00:00.101234Z\tinfo\tads\tpush",
            r#"{"level":"info","time":"2025-08-26T10:00:00Z","msg":"\"level\": \"nope\""}"#,
            r#"{"severity":"Info","message":"x","note":"level"}"#,
            "Error: something", // a level word literally: the prefilter sees it
            "Warning: something",
            "hello [world]",
            "2025-08-26T10:00:00.123456789Z stdout F hello",
            "2025-08-26T10:00:00.123456789Z hello",
        ];
        for raw in no {
            assert!(!always_parse(raw, &matters), "{raw}");
        }
    }

    /// Lines glued from fragments of every format: nothing panics, and every
    /// line `always_parse` lets the prefilter skip keeps the contract.
    #[test]
    fn always_parse_is_sound_on_generated_lines() {
        const FRAGMENTS: [&str; 52] = [
            "2025-08-26T10:00:00.123456Z",
            "2025-08-26T10:00:00.123456789Z",
            "2025-13-26T10:00:00.1Z",
            " ",
            "  ",
            "\t",
            "stdout ",
            "stderr ",
            "F ",
            "P ",
            "info",
            "warn",
            "warning",
            "error",
            "fatal",
            "critical",
            "debug",
            "panic",
            "Warning",
            "gateway",
            "ads",
            "envoy ",
            "config",
            "x/y.cc:12",
            "thread=15",
            "k=v",
            "controller=gateway deployment",
            "{",
            "}",
            "\"level\"",
            "\"severity\"",
            ":",
            "\"",
            "\"msg\"",
            "\"response_code\"",
            ",",
            "[",
            "]",
            "[Envoy (Epoch 0)] ",
            "[2025-08-26 10:00:00.000]",
            "W0826 10:00:00.000000 1 x.go:1]",
            "E0826 10:",
            "I0826 10:00:00.000000 1 x.go:1] ok",
            "\"GET / HTTP/1.1\"",
            "404",
            "503",
            "NR",
            "-",
            "é",
            "\\u0065",
            "{\"level\":\"",
            "\"}",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const PREFIXES: [&str; 5] = [
            "",
            "",
            "2025-08-26T10:00:00.5Z ",
            "2025-08-26T10:00:00.5Z stdout F ",
            "2025-08-26T10:00:00.5Z stderr P ",
        ];
        const HEADS: [&str; 12] = [
            "",
            "2025-08-26T10:00:00.1Z\t{L}\t",
            "2025-08-26T10:00:00.1Z  {L}  ",
            "2025-08-26T10:00:00.1Z {L} ",
            "2025-08-26T10:00:00.1Z\t{L}\tenvoy config x/y.cc:1\t",
            "{\"level\":\"{L}\",\"msg\":\"",
            "{\"severity\":\"{L}\",\"scope\":\"envoy main\",\"message\":\"",
            "[2025-08-26 10:00:00.000][1][{L}][config] ",
            "[2021-09-10T02:31:12.093Z] \"GET / HTTP/1.1\" {C} {F} ",
            "{\"response_code\":{C},\"response_flags\":\"{F}\",\"path\":\"",
            "W0826 10:00:00.000000 1 x.go:1] ",
            "I0826 10:00:00.000000 1 x.go:1] ",
        ];
        const LEVELS: [&str; 11] = [
            "info", "debug", "warn", "warning", "error", "fatal", "critical", "panic", "ERR",
            "Warning", "Info",
        ];
        const CODES: [&str; 5] = ["200", "404", "503", "0", "301"];
        const FLAGS: [&str; 3] = ["-", "NR", "UH"];
        let mut skipped = 0;
        for _ in 0..20_000 {
            let mut pick = |list: &[&'static str]| list[(next() % list.len() as u64) as usize];
            let (h, l, c, f, p) = (
                pick(&HEADS),
                pick(&LEVELS),
                pick(&CODES),
                pick(&FLAGS),
                pick(&PREFIXES),
            );
            let head = h.replace("{L}", l).replace("{C}", c).replace("{F}", f);
            let mut raw = format!("{p}{head}");
            for _ in 0..pick(&FRAGMENTS).len() % 10 {
                raw.push_str(pick(&FRAGMENTS));
            }
            raw.push_str(pick(&["", "\"}", "\"}", "\tthread=15", "\tk=v x=y"]));
            let (_, body) = prefix::split_prefix(&raw);
            let r = parse_line(body, 1, &mut Vec::new());
            if always_parse(&raw, &|_| true) {
                continue;
            }
            skipped += 1;
            let json = matches!(r.format, Format::IstioJson | Format::EnvoyJson);
            assert!(json || raw.contains(r.message.as_str()), "{raw:?}");
            assert!(!r.level.is_some_and(Level::is_problem), "{raw:?}");
        }
        assert!(skipped > 1000, "the generator should make skippable lines");
    }

    #[test]
    fn always_parse_looks_past_a_journal_prefix() {
        let journal = "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: ";
        for (body, want) in [
            ("E0826 10:00:31.123456 1234 pod_workers.go:1301] x", true),
            ("W0826 10:00:31.123456 1234 x.go:1] x", true),
            ("I0826 10:00:31.123456 1234 prober.go:107] x", false),
            ("Started kubelet.service - Kubelet.", false),
        ] {
            assert_eq!(
                always_parse(&format!("{journal}{body}"), &|_| true),
                want,
                "{body}"
            );
        }
        let r = parse("E0826 10:00:31.123456 1234 pod_workers.go:1301] x");
        assert_eq!(r.level, Some(Level::Error));
    }

    /// The soundness contract of `always_parse`: a line it answers `false`
    /// for parses to a record below warn, or one with a literal level word,
    /// and its message is a substring of the raw line.
    #[test]
    fn always_parse_is_sound_on_samples() {
        let samples = [
            "2025-08-26T10:00:00.101234Z\twarn\tgateway\tx",
            "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\tgateway=a/b",
            "2025-08-26T10:00:00.123456789Z stdout F 2025-08-26T10:00:00.101234Z\terror\tads\tpush failed",
            "2021-12-11T14:05:39.566883Z     error   envoy config    listener '0.0.0.0_80' failed",
            "I0826 10:00:00.000000 1 x.go:1] fine",
            r#"{"level":"info","msg":"plain"}"#,
            "garbage line",
            "Fatal0826 is not klog",
            "2025-08-26T10:00:00.123456789Z 2025-08-26T10:00:00.101234Z\tcritical\tenvoy main\tbad",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: I0826 10:00:31.123456 1234 prober.go:107] \"Probe failed\"",
            "Aug 26 10:00:31 aks-nodepool1-12345678-vmss000000 kubelet[1234]: E0826 10:00:31.123456 1234 pod_workers.go:1301] \"Error syncing pod, skipping\"",
            "Aug 26 10:00:40 aks-nodepool1-12345678-vmss000000 systemd[1]: Started kubelet.service - Kubelet.",
            "2025-08-26T10:00:31+0000 aks-nodepool1-12345678-vmss000000 kubelet: W0826 10:00:31.1 1 x.go:1] w",
        ];
        for raw in samples {
            if always_parse(raw, &|_| true) {
                continue;
            }
            let (_, body) = prefix::split_prefix(raw);
            let r = parse_line(body, 1, &mut Vec::new());
            assert!(raw.contains(r.message.as_str()), "{raw}");
            if r.level.is_some_and(Level::is_problem) {
                assert!(
                    ["warn", "error", "fatal", "critical"]
                        .iter()
                        .any(|w| raw.contains(w)),
                    "{raw}"
                );
            }
        }
    }
}
