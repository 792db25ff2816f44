//! Envoy access-log lines: istio's default text format
//! (`pilot/pkg/model/telemetry_logging.go`, 1.26)
//!
//! ```text
//! [START] "METHOD PATH PROTOCOL" CODE FLAGS DETAILS TERMINATION "TRANSPORT_FAILURE"
//! RX TX DURATION UPSTREAM_TIME "XFF" "UA" "REQ_ID" "AUTHORITY" "UPSTREAM_HOST"
//! UPSTREAM_CLUSTER UPSTREAM_LOCAL DOWNSTREAM_LOCAL DOWNSTREAM_REMOTE SNI ROUTE
//! ```
//!
//! and JSON access logs with istio's default keys (`start_time`,
//! `response_code`, ...; unknown keys ignored). A JSON entry is rendered into
//! the text format (missing values as `-`) and that becomes its message, so
//! one signature regex serves both. Fields hold the column text as written
//! (`-` included); a short or custom tail still yields what is there, as long
//! as the start, the quoted request, the code and the flags are present.

use std::borrow::Cow;

use nom::Parser;
use nom::bytes::complete::{take_till, take_till1};
use nom::character::complete::{char, digit1};
use nom::sequence::{delimited, preceded};

use crate::parse::line::JsonObject;
use crate::parse::time::{self, PResult};
use crate::record::{Field, Format, Level, Record, Source};

/// One column of the default format: its JSON key, its field, whether the
/// text format quotes it.
struct Column {
    key: &'static str,
    field: Option<Field>,
    quoted: bool,
}

const fn col(key: &'static str, field: Option<Field>, quoted: bool) -> Column {
    Column { key, field, quoted }
}

const START: usize = 0;
const METHOD: usize = 1;
const PATH: usize = 2;
const PROTOCOL: usize = 3;
const CODE: usize = 4;
const FLAGS: usize = 5;
/// The first column after the flags; from here on columns are read one by one.
const DETAILS: usize = 6;
const N: usize = 24;

/// The columns of the default format, in text order.
static COLUMNS: [Column; N] = [
    col("start_time", None, false),
    col("method", Some(Field::Method), false),
    col("path", Some(Field::Path), false),
    col("protocol", Some(Field::Protocol), false),
    col("response_code", Some(Field::Code), false),
    col("response_flags", Some(Field::Flags), false),
    col("response_code_details", Some(Field::Details), false),
    col(
        "connection_termination_details",
        Some(Field::TerminationDetails),
        false,
    ),
    col(
        "upstream_transport_failure_reason",
        Some(Field::TransportFailure),
        true,
    ),
    col("bytes_received", None, false),
    col("bytes_sent", None, false),
    col("duration", None, false),
    col("upstream_service_time", None, false),
    col("x_forwarded_for", Some(Field::ForwardedFor), true),
    col("user_agent", Some(Field::UserAgent), true),
    col("request_id", Some(Field::RequestId), true),
    col("authority", Some(Field::Authority), true),
    col("upstream_host", Some(Field::UpstreamHost), true),
    col("upstream_cluster", Some(Field::UpstreamCluster), false),
    col("upstream_local_address", None, false),
    col("downstream_local_address", Some(Field::LocalAddress), false),
    col(
        "downstream_remote_address",
        Some(Field::RemoteAddress),
        false,
    ),
    col("requested_server_name", None, false),
    col("route_name", Some(Field::Route), false),
];

/// Parses one access-log line (text or JSON; prefix already removed), or `None`.
pub fn parse(text: &str, line: u64) -> Option<Record> {
    if text.starts_with('{') {
        let obj = crate::parse::line::json_object(text).ok()?;
        return crate::parse::line::is_access_log_json(&obj).then(|| from_json(&obj, line));
    }
    parse_text(text, line)
}

/// A `"..."` column: the closing quote is the first one followed by a space
/// or the end of the line (Envoy does not escape quotes in text logs).
fn quoted(i: &str) -> PResult<'_, &str> {
    let b = i.as_bytes();
    if b.first() != Some(&b'"') {
        return Err(nom::Err::Error(()));
    }
    for at in memchr::memchr_iter(b'"', &b[1..]) {
        let end = at + 1;
        if matches!(b.get(end + 1), None | Some(b' ')) {
            return Ok((&i[end + 1..], &i[1..end]));
        }
    }
    Err(nom::Err::Error(()))
}

/// A bare column: up to the next space.
fn bare(i: &str) -> PResult<'_, &str> {
    take_till1(|c| c == ' ').parse(i)
}

/// `[START] "REQUEST" CODE FLAGS`: what a line needs to be an access log.
fn head(i: &str) -> PResult<'_, (&str, &str, &str, &str)> {
    let (i, start) = delimited(char('['), take_till(|c| c == ']'), char(']')).parse(i)?;
    if !start.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(nom::Err::Error(()));
    }
    let (i, request) = preceded(char(' '), quoted).parse(i)?;
    let (i, code) = preceded(char(' '), digit1).parse(i)?;
    let (i, flags) = preceded(char(' '), bare).parse(i)?;
    Ok((i, (start, request, code, flags)))
}

/// Splits `METHOD PATH PROTOCOL` (TCP: `- - -`): the method is the first
/// word, the protocol the last, the path what is between.
fn request_parts(request: &str) -> [Option<&str>; 3] {
    let Some((method, rest)) = request.split_once(' ') else {
        return [Some(request).filter(|r| !r.is_empty()), None, None];
    };
    match rest.rsplit_once(' ') {
        Some((path, protocol)) => [Some(method), Some(path), Some(protocol)],
        None => [Some(method), Some(rest), None],
    }
}

/// Parses istio's default text access-log format, or `None`.
pub fn parse_text(text: &str, line: u64) -> Option<Record> {
    let (mut i, (start, request, code, flags)) = head(text).ok()?;
    let mut cols: [Option<&str>; N] = [None; N];
    cols[START] = Some(start);
    let [m, p, v] = request_parts(request);
    (cols[METHOD], cols[PATH], cols[PROTOCOL]) = (m, p, v);
    cols[CODE] = Some(code);
    cols[FLAGS] = Some(flags);
    for (n, column) in COLUMNS.iter().enumerate().skip(DETAILS) {
        let Some(after) = i.strip_prefix(' ') else {
            break;
        };
        let parsed = if column.quoted {
            quoted(after)
        } else {
            bare(after)
        };
        let Ok((rest, value)) = parsed else {
            break;
        };
        cols[n] = Some(value);
        i = rest;
    }
    let ts = time::rfc3339(start);
    Some(build(
        &cols,
        ts,
        text.to_string(),
        Format::AccessLogText,
        line,
    ))
}

/// The downstream remote address (`ip:port`) of an access-log line, text or
/// JSON (prefix already removed), without parsing the rest: the third
/// column from the end of the text format (remote address, requested server
/// name, route name), or the `downstream_remote_address` key. `None` unless
/// the line opens like an access log and the value is a socket address.
pub fn downstream_remote(body: &str) -> Option<&str> {
    let remote = if body.starts_with('{') {
        const KEY: &str = "\"downstream_remote_address\":";
        let at = body.find(KEY)?;
        let rest = body[at + KEY.len()..].trim_start().strip_prefix('"')?;
        &rest[..rest.find('"')?]
    } else {
        let b = body.as_bytes();
        if b.first() != Some(&b'[') || !b.get(1).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let close = memchr::memchr(b']', b)?;
        if !body[close..].starts_with("] \"") {
            return None;
        }
        body.trim_end().rsplit(' ').nth(2)?
    };
    remote
        .parse::<std::net::SocketAddr>()
        .is_ok()
        .then_some(remote)
}

/// Builds the JSON access-log record: its message is the entry rendered in
/// the default text format.
pub fn from_json(obj: &JsonObject<'_>, line: u64) -> Record {
    let mut owned: [Option<Cow<'_, str>>; N] = Default::default();
    for (key, value) in obj {
        if let Some(n) = COLUMNS.iter().position(|c| c.key == key.as_ref())
            && owned[n].is_none()
        {
            owned[n] = value.as_token();
        }
    }
    let mut cols: [Option<&str>; N] = [Some("-"); N];
    for (slot, value) in cols.iter_mut().zip(&owned) {
        if let Some(v) = value {
            *slot = Some(v.as_ref());
        }
    }
    let message = render(&cols);
    let ts = owned[START].as_deref().and_then(time::rfc3339);
    build(&cols, ts, message, Format::AccessLogJson, line)
}

/// Renders a JSON access-log line (`body`, prefix removed) into `out`
/// exactly as [`from_json`] would, without parsing it into a record, when
/// the line is an info record made of plain values: one flat object with a
/// `response_code` key, strings without escapes, unsigned integers as
/// written, `true`/`false`/`null`, and no response flags. Then every field
/// of its record is a substring of the message, so whether any signature
/// literal is in the message tells whether the record can matter. Anything
/// else answers `false` (the caller parses the line).
pub fn render_plain_flagless(body: &str, out: &mut String) -> bool {
    let mut walk = FlatJson { s: body, i: 0 };
    if !walk.eat(b'{') {
        return false;
    }
    let mut cols: [Option<&str>; N] = [None; N];
    let mut has_code = false;
    if !walk.eat(b'}') {
        loop {
            let Some(key) = walk.string() else {
                return false;
            };
            if !walk.eat(b':') {
                return false;
            }
            let Some(value) = walk.scalar() else {
                return false;
            };
            has_code |= key == "response_code";
            // As `from_json`: the first usable value of a key counts.
            if let Some(n) = COLUMNS.iter().position(|c| c.key == key)
                && cols[n].is_none()
            {
                cols[n] = value;
            }
            if walk.eat(b'}') {
                break;
            }
            if !walk.eat(b',') {
                return false;
            }
        }
    }
    if !walk.at_end() || !has_code || cols[FLAGS].is_some() {
        return false;
    }
    for col in &mut cols {
        col.get_or_insert("-");
    }
    out.clear();
    render_into(&cols, out);
    true
}

/// A cursor over a flat JSON object for [`render_plain_flagless`].
struct FlatJson<'s> {
    s: &'s str,
    i: usize,
}

impl<'s> FlatJson<'s> {
    fn skip_ws(&mut self) {
        let b = self.s.as_bytes();
        while b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    /// Skips whitespace, then `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        let found = self.s.as_bytes().get(self.i) == Some(&c);
        self.i += usize::from(found);
        found
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.i == self.s.len()
    }

    /// A string without escapes; its content.
    fn string(&mut self) -> Option<&'s str> {
        if !self.eat(b'"') {
            return None;
        }
        let rest = &self.s[self.i..];
        let len = memchr::memchr2(b'"', b'\\', rest.as_bytes())?;
        // A raw control character makes the line invalid JSON, which the
        // parser refuses: so must this.
        if rest.as_bytes()[len] != b'"' || rest.as_bytes()[..len].iter().any(|&b| b < 0x20) {
            return None;
        }
        self.i += len + 1;
        Some(&rest[..len])
    }

    /// A value as [`JsonValue::as_token`](crate::parse::line::JsonValue::as_token) gives it (`None` for null, empty
    /// or `-`), if it is a plain string, an unsigned integer that renders as
    /// written (at most 18 digits, no leading zero), `true`, `false` or
    /// `null`; `None` for anything else.
    fn scalar(&mut self) -> Option<Option<&'s str>> {
        self.skip_ws();
        let rest = &self.s[self.i..];
        match rest.as_bytes().first()? {
            b'"' => {
                let s = self.string()?;
                Some((!s.is_empty() && s != "-").then_some(s))
            }
            b'0'..=b'9' => {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let plain = digits <= 18
                    && (digits == 1 || !rest.starts_with('0'))
                    && !matches!(rest.as_bytes().get(digits), Some(b'.' | b'e' | b'E'));
                self.i += digits;
                plain.then_some(Some(&rest[..digits]))
            }
            _ => {
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| rest.starts_with(w))?;
                self.i += word.len();
                Some((word != "null").then_some(&rest[..word.len()]))
            }
        }
    }
}

/// Writes the columns in the default text format.
fn render(cols: &[Option<&str>; N]) -> String {
    let mut out = String::with_capacity(256);
    render_into(cols, &mut out);
    out
}

/// [`render`] into a buffer.
fn render_into(cols: &[Option<&str>; N], out: &mut String) {
    let get = |n: usize| cols[n].unwrap_or("-");
    out.push('[');
    out.push_str(get(START));
    out.push_str("] \"");
    out.push_str(get(METHOD));
    out.push(' ');
    out.push_str(get(PATH));
    out.push(' ');
    out.push_str(get(PROTOCOL));
    out.push('"');
    for (n, column) in COLUMNS.iter().enumerate().skip(CODE) {
        out.push(' ');
        if column.quoted {
            out.push('"');
            out.push_str(get(n));
            out.push('"');
        } else {
            out.push_str(get(n));
        }
    }
}

/// The level of an entry: `Error` for 5xx with flags, `Warn` for 4xx or 0
/// with flags, else `Info`.
pub fn level(code: &str, flags: &str) -> Level {
    let code: u16 = code.parse().unwrap_or(0);
    if flags == "-" {
        Level::Info
    } else if code >= 500 {
        Level::Error
    } else if code == 0 || (400..500).contains(&code) {
        Level::Warn
    } else {
        Level::Info
    }
}

fn build(
    cols: &[Option<&str>; N],
    ts: Option<chrono::DateTime<chrono::Utc>>,
    message: String,
    format: Format,
    line: u64,
) -> Record {
    let mut fields = Vec::with_capacity(17);
    for (column, value) in COLUMNS.iter().zip(cols) {
        if let (Some(field), Some(value)) = (&column.field, value) {
            fields.push((field.clone(), value.to_string()));
        }
    }
    Record {
        line,
        ts,
        source: Source::AccessLog,
        format,
        level: Some(level(cols[CODE].unwrap_or("0"), cols[FLAGS].unwrap_or("-"))),
        scope: None,
        message,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::utc;

    const REAL_NR: &str = "[2021-09-10T02:31:12.093Z] \"GET /metrics HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 0 - \"10.0.54.168\" \"Prometheus/2.21.0\" \"74215fc5-3c7c-9601-967a-d0eb982bf6fe\" \"10.0.54.180:8080\" \"-\" - - 10.0.54.180:8080 10.0.54.168:59378 - -";

    fn get(r: &Record, f: Field) -> Option<&str> {
        r.get(&f)
    }

    #[test]
    fn real_route_not_found() {
        let r = parse(REAL_NR, 8).unwrap();
        assert_eq!(r.line, 8);
        assert_eq!(r.source, Source::AccessLog);
        assert_eq!(r.format, Format::AccessLogText);
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope, None);
        assert_eq!(r.message, REAL_NR);
        assert_eq!(r.ts, Some(utc(2021, 9, 10, 2, 31, 12, 93_000_000)));
        assert_eq!(get(&r, Field::Method), Some("GET"));
        assert_eq!(get(&r, Field::Path), Some("/metrics"));
        assert_eq!(get(&r, Field::Protocol), Some("HTTP/1.1"));
        assert_eq!(get(&r, Field::Code), Some("404"));
        assert_eq!(get(&r, Field::Flags), Some("NR"));
        assert_eq!(get(&r, Field::Details), Some("route_not_found"));
        assert_eq!(get(&r, Field::TerminationDetails), Some("-"));
        assert_eq!(get(&r, Field::TransportFailure), Some("-"));
        assert_eq!(get(&r, Field::ForwardedFor), Some("10.0.54.168"));
        assert_eq!(get(&r, Field::UserAgent), Some("Prometheus/2.21.0"));
        assert_eq!(
            get(&r, Field::RequestId),
            Some("74215fc5-3c7c-9601-967a-d0eb982bf6fe")
        );
        assert_eq!(get(&r, Field::Authority), Some("10.0.54.180:8080"));
        assert_eq!(get(&r, Field::UpstreamHost), Some("-"));
        assert_eq!(get(&r, Field::UpstreamCluster), Some("-"));
        assert_eq!(get(&r, Field::LocalAddress), Some("10.0.54.180:8080"));
        assert_eq!(get(&r, Field::RemoteAddress), Some("10.0.54.168:59378"));
        assert_eq!(get(&r, Field::Route), Some("-"));
        assert_eq!(r.fields.len(), 17);
        assert_eq!(r.fields[0].0, Field::Method);
    }

    #[test]
    fn downstream_remote_agrees_with_the_parser() {
        let json = r#"{"start_time":"2025-08-26T10:00:00.000Z","method":"GET","path":"/","protocol":"HTTP/1.1","response_code":200,"downstream_remote_address":"203.0.113.7:55012","downstream_local_address":"10.244.1.5:80"}"#;
        for line in [REAL_NR, json] {
            let parsed = parse(line, 1).unwrap();
            assert_eq!(
                downstream_remote(line),
                get(&parsed, Field::RemoteAddress),
                "{line}"
            );
        }
        assert_eq!(downstream_remote(REAL_NR), Some("10.0.54.168:59378"));
        for not_access_log in [
            "[2025-08-26 10:00:00.123][15][warning][config] a b 10.0.0.1:80 c d",
            "2025-08-26T10:00:00Z\tinfo\tads\tpush 10.0.0.1:80 x y",
            "[2025-08-26T10:00:00.000Z] \"GET / HTTP/1.1\" 200 - - - not-an-address x y",
            r#"{"msg":"downstream_remote_address is 1.2.3.4:5"}"#,
            "",
        ] {
            assert_eq!(downstream_remote(not_access_log), None, "{not_access_log}");
        }
    }

    #[test]
    fn lb_probe_and_no_healthy_upstream() {
        let r = parse(
            "[2025-08-26T10:01:02.411Z] \"GET / HTTP/1.1\" 404 NR route_not_found - \"-\" 0 0 0 - \"10.224.0.4\" \"-\" \"3f1c2b7e-6a1d-4a0e-9c55-1b2f0d9e8a11\" \"20.81.10.5\" \"-\" - - 10.244.1.23:80 10.224.0.4:41874 - -",
            1,
        )
        .unwrap();
        assert_eq!(get(&r, Field::RemoteAddress), Some("10.224.0.4:41874"));
        assert_eq!(get(&r, Field::Authority), Some("20.81.10.5"));
        assert_eq!(get(&r, Field::UserAgent), Some("-"));
        let r = parse(
            "[2025-08-26T10:01:05.020Z] \"GET /get HTTP/1.1\" 503 UH no_healthy_upstream - \"-\" 0 19 0 - \"203.0.113.7\" \"curl/8.5.0\" \"9b7a…\" \"httpbin.example.com\" \"-\" outbound|8000||httpbin.default.svc.cluster.local - 10.244.1.23:80 203.0.113.7:55012 - -",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(get(&r, Field::Flags), Some("UH"));
        assert_eq!(get(&r, Field::Details), Some("no_healthy_upstream"));
        assert_eq!(
            get(&r, Field::UpstreamCluster),
            Some("outbound|8000||httpbin.default.svc.cluster.local")
        );
        assert_eq!(get(&r, Field::RequestId), Some("9b7a…"));
        assert_eq!(get(&r, Field::RemoteAddress), Some("203.0.113.7:55012"));
    }

    #[test]
    fn success_is_info_even_with_a_user_agent_with_spaces() {
        let r = parse(
            "[2025-08-26T10:01:07.000Z] \"GET /get HTTP/2\" 200 - via_upstream - \"-\" 0 512 3 2 \"203.0.113.7\" \"Mozilla/5.0 (X11; Linux x86_64) \"quoted\"\" \"id-1\" \"httpbin.example.com\" \"10.244.2.9:8080\" outbound|8000||httpbin.default.svc.cluster.local 10.244.1.23:51234 10.244.1.23:443 203.0.113.7:55030 httpbin.example.com default.httpbin",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(get(&r, Field::Protocol), Some("HTTP/2"));
        assert_eq!(
            get(&r, Field::UserAgent),
            Some("Mozilla/5.0 (X11; Linux x86_64) \"quoted\"")
        );
        assert_eq!(get(&r, Field::UpstreamHost), Some("10.244.2.9:8080"));
        assert_eq!(get(&r, Field::LocalAddress), Some("10.244.1.23:443"));
        assert_eq!(get(&r, Field::Route), Some("default.httpbin"));
    }

    #[test]
    fn tcp_entry() {
        let r = parse(
            "[2025-08-26T10:02:00.000Z] \"- - -\" 0 UF,URX - - \"delayed_connect_error:_111\" 0 0 1000 - \"-\" \"-\" \"-\" \"-\" \"10.244.2.9:5432\" outbound|5432||db.default.svc.cluster.local - 10.244.1.23:5432 10.224.0.9:40000 - -",
            1,
        )
        .unwrap();
        assert_eq!(get(&r, Field::Method), Some("-"));
        assert_eq!(get(&r, Field::Path), Some("-"));
        assert_eq!(get(&r, Field::Protocol), Some("-"));
        assert_eq!(get(&r, Field::Code), Some("0"));
        assert_eq!(get(&r, Field::Flags), Some("UF,URX"));
        assert_eq!(
            get(&r, Field::TransportFailure),
            Some("delayed_connect_error:_111")
        );
        assert_eq!(r.level, Some(Level::Warn));
    }

    #[test]
    fn short_or_custom_tails_keep_what_is_there() {
        let r = parse(
            "[2025-08-26T10:01:06.331Z] \"GET /get HTTP/1.1\" 500 NC cluster_not_found",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(get(&r, Field::Details), Some("cluster_not_found"));
        assert_eq!(get(&r, Field::Authority), None);
        assert_eq!(r.fields.len(), 6);
        let r = parse(
            "[2025-08-26T10:01:06.331Z] \"GET /get HTTP/1.1\" 500 NC cluster_not_found - custom tail here",
            1,
        )
        .unwrap();
        assert_eq!(get(&r, Field::TerminationDetails), Some("-"));
        assert_eq!(get(&r, Field::TransportFailure), None);
        let r = parse("[2025-08-26T10:01:06.331Z] \"GET /get HTTP/1.1\" 301 -", 1).unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(get(&r, Field::Details), None);
        // Not access logs.
        assert_eq!(parse("[2025-08-26T10:01:06.331Z] \"GET\" OK", 1), None);
        assert_eq!(
            parse("[2025-08-26 10:00:00.000][15][info][main] x", 1),
            None
        );
        assert_eq!(parse("[abc] \"GET / HTTP/1.1\" 200 -", 1), None);
    }

    #[test]
    fn levels() {
        assert_eq!(level("503", "UH"), Level::Error);
        assert_eq!(level("503", "-"), Level::Info);
        assert_eq!(level("404", "NR"), Level::Warn);
        assert_eq!(level("0", "DC"), Level::Warn);
        assert_eq!(level("200", "DC"), Level::Info);
        assert_eq!(level("x", "UF"), Level::Warn);
    }

    #[test]
    fn json_entry_renders_the_text_format() {
        let r = parse(
            r#"{"start_time":"2025-08-26T10:01:05.020Z","method":"GET","path":"/get","protocol":"HTTP/1.1","response_code":503,"response_flags":"UH","response_code_details":"no_healthy_upstream","connection_termination_details":null,"upstream_transport_failure_reason":null,"bytes_received":0,"bytes_sent":19,"duration":0,"upstream_service_time":null,"x_forwarded_for":"203.0.113.7","user_agent":"curl/8.5.0","request_id":"9b7a","authority":"httpbin.example.com","upstream_host":null,"upstream_cluster":"outbound|8000||httpbin.default.svc.cluster.local","upstream_local_address":null,"downstream_local_address":"10.244.1.23:80","downstream_remote_address":"203.0.113.7:55012","requested_server_name":null,"route_name":null,"traceparent":"00-abc","grpc_status":null}"#,
            6,
        )
        .unwrap();
        assert_eq!(r.format, Format::AccessLogJson);
        assert_eq!(r.source, Source::AccessLog);
        assert_eq!(r.line, 6);
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(
            r.message,
            "[2025-08-26T10:01:05.020Z] \"GET /get HTTP/1.1\" 503 UH no_healthy_upstream - \"-\" 0 19 0 - \"203.0.113.7\" \"curl/8.5.0\" \"9b7a\" \"httpbin.example.com\" \"-\" outbound|8000||httpbin.default.svc.cluster.local - 10.244.1.23:80 203.0.113.7:55012 - -"
        );
        assert_eq!(r.ts, Some(utc(2025, 8, 26, 10, 1, 5, 20_000_000)));
        assert_eq!(get(&r, Field::Code), Some("503"));
        assert_eq!(get(&r, Field::UpstreamHost), Some("-"));
        assert_eq!(get(&r, Field::RemoteAddress), Some("203.0.113.7:55012"));
        assert_eq!(r.fields.len(), 17);
        // The rendered message parses back to the same fields.
        let again = parse(&r.message, 6).unwrap();
        assert_eq!(again.fields, r.fields);
        assert_eq!(again.level, r.level);
    }

    #[test]
    fn sparse_json_entry() {
        let r = parse(
            r#"{"response_code":"404","response_flags":"NR","authority":"","start_time":"bad"}"#,
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.ts, None);
        assert_eq!(get(&r, Field::Authority), Some("-"));
        assert!(r.message.starts_with("[bad] \"- - -\" 404 NR - - \"-\""));
        assert_eq!(parse(r#"{"level":"info","msg":"x"}"#, 1), None);
    }

    const FLAGLESS: &str = r#"{"authority":"httpbin.example.com","bytes_received":0,"bytes_sent":4495,"connection_termination_details":null,"downstream_local_address":"10.244.1.23:80","downstream_remote_address":"10.224.0.5:34985","duration":27,"method":"GET","path":"/api/v1/errors?since=1h","protocol":"HTTP/1.1","request_id":"ef8e2976-20fc-43b7-8957-ff59e0b6b5f4","requested_server_name":null,"response_code":200,"response_code_details":"via_upstream","response_flags":"-","route_name":"default.httpbin-gateway.0","start_time":"2025-08-26T10:01:17.066Z","upstream_cluster":"outbound|8000||httpbin.default.svc.cluster.local","upstream_host":"10.244.4.2:8000","upstream_service_time":"11","user_agent":"Mozilla/5.0 [x] - y","ok":true}"#;

    /// The contract the prefilter relies on: when the plain path renders a
    /// line, the line parses to an info record with exactly that message,
    /// and every field of it is a substring of the message.
    #[test]
    fn plain_flagless_lines_render_as_parsing_would() {
        let yes = [
            FLAGLESS.to_string(),
            FLAGLESS.replace(r#""response_flags":"-","#, ""),
            FLAGLESS.replace(r#""-""#, "null"),
            FLAGLESS.replace(r#""-""#, r#""""#),
            r#" { "response_code" : 404 , "path" : "a b" , "response_code_details":"x-y" } "#
                .to_string(),
            // The first usable value of a key counts, as in `from_json`.
            r#"{"response_code":200,"path":null,"path":"/second","path":"/third"}"#.to_string(),
            r#"{"response_code":0,"response_flags":null,"response_flags":"-"}"#.to_string(),
        ];
        let mut out = String::new();
        for raw in &yes {
            assert!(render_plain_flagless(raw, &mut out), "{raw}");
            let obj = crate::parse::line::json_object(raw).unwrap();
            let r = from_json(&obj, 1);
            assert_eq!(r.level, Some(Level::Info), "{raw}");
            assert_eq!(out, r.message, "{raw}");
            for (_, value) in &r.fields {
                assert!(out.contains(value.as_str()), "{value:?} not in {out}");
            }
        }
    }

    #[test]
    fn plain_flagless_path_declines_everything_else() {
        let no = [
            r#"{"response_code":503,"response_flags":"UH"}"#,
            r#"{"response_code":200,"response_flags":null,"response_flags":"UF"}"#,
            r#"{"path":"/no-code"}"#,
            r#"{"msg":"response_code"}"#,
            r#"{"response_code":200,"path":"/a\"b"}"#,
            r#"{"response_code":200,"path":"a\/b"}"#,
            r#"{"response_code":200,"duration":1.5}"#,
            r#"{"response_code":200,"duration":1e3}"#,
            r#"{"response_code":200,"duration":012}"#,
            r#"{"response_code":200,"duration":-3}"#,
            r#"{"response_code":99999999999999999999}"#,
            r#"{"response_code":200,"tags":["a","b"]}"#,
            r#"{"response_code":200,"meta":{"a":1}}"#,
            r#"{"response_code":200,"path":"/x""#,
            r#"{"response_code":200} trailing"#,
            r#"{"response_code":200,}"#,
            r#"{"response_code":tru}"#,
            // Raw control characters: invalid JSON (found by fuzzing).
            "{\"response_code\":200,\"path\":\"/a\u{1}\0b\"}",
            "{\"response_code\":200,\"pa\tth\":\"/a\"}",
            "",
        ];
        let mut out = String::new();
        for raw in no {
            assert!(!render_plain_flagless(raw, &mut out), "{raw}");
        }
    }
}
