//! Envoy's application log: the format istio's bootstrap sets inside
//! istio-proxy (`time\tlevel\tenvoy <logger> <file>:<line>\tmsg\tthread=N`,
//! caller and thread optional, tabs possibly lost in a copy), its JSON twin
//! (`{"time","level","scope":"envoy <logger>","msg","caller","thread"}`), and
//! Envoy's upstream bracket format
//! (`[Envoy (Epoch N)] [%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v`, epoch prefix
//! and caller optional). Every variant yields scope `envoy <logger>`.

use nom::Parser;
use nom::bytes::complete::{tag, take_till1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, verify};
use nom::sequence::{delimited, terminated};

use crate::parse::istio::{self, Head};
use crate::parse::line::{self, JsonObject, JsonValue};
use crate::parse::prefix::level_of_word;
use crate::parse::time::{self, PResult};
use crate::record::{Field, Format, Level, Record, Source};

/// Parses one Envoy line (text, JSON or bracket; prefix already removed),
/// or `None` when the line is not Envoy's.
pub fn parse(text: &str, line: u64) -> Option<Record> {
    match text.as_bytes().first()? {
        b'[' => parse_bracket(text, line),
        b'{' => {
            let obj = line::json_object(text).ok()?;
            (is_envoy_json(&obj) && !line::is_access_log_json(&obj)).then(|| from_json(&obj, line))
        }
        _ => from_head(istio::head(text)?, line),
    }
}

/// `true` for a source-location token: `file.ext:123` (any path before it).
pub fn is_caller(token: &str) -> bool {
    let Some(colon) = token.rfind(':') else {
        return false;
    };
    let (file, num) = (&token[..colon], &token[colon + 1..]);
    !num.is_empty()
        && num.bytes().all(|c| c.is_ascii_digit())
        && file.contains('.')
        && !file.contains(' ')
}

/// `true` for an Envoy logger name (`config`, `upstream`, `ext_authz`).
fn is_logger(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// The Envoy "scope" column at the start of a head's rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggerColumn<'a> {
    /// `envoy <logger>`.
    pub scope: &'a str,
    /// `<file>:<line>`, absent in older builds.
    pub caller: Option<&'a str>,
    /// The message and an optional `thread=N`.
    pub body: &'a str,
}

/// Splits `envoy <logger>[ <caller>]` off the rest of a line head. With real
/// tabs the column must be exactly that; with tabs lost, the caller is the
/// next token if it looks like one.
pub fn logger_column(rest: &str, tabs: bool) -> Option<LoggerColumn<'_>> {
    let after = rest.strip_prefix("envoy ")?;
    let logger_len = after
        .bytes()
        .position(|c| c == b' ' || c == b'\t')
        .unwrap_or(after.len());
    if !is_logger(&after[..logger_len]) {
        return None;
    }
    let scope = &rest[..6 + logger_len];
    let after = &after[logger_len..];
    if tabs {
        let end = memchr::memchr(b'\t', after.as_bytes()).unwrap_or(after.len());
        let (column, body) = (&after[..end], after.get(end + 1..).unwrap_or(""));
        let caller = match column.strip_prefix(' ') {
            None if column.is_empty() => None,
            Some(c) if is_caller(c) => Some(c),
            _ => return None,
        };
        return Some(LoggerColumn {
            scope,
            caller,
            body,
        });
    }
    let body = after.trim_start_matches([' ', '\t']);
    let tok_len = body
        .bytes()
        .position(|c| c == b' ' || c == b'\t')
        .unwrap_or(body.len());
    let (caller, body) = if is_caller(&body[..tok_len]) {
        (
            Some(&body[..tok_len]),
            body[tok_len..].trim_start_matches([' ', '\t']),
        )
    } else {
        (None, body)
    };
    Some(LoggerColumn {
        scope,
        caller,
        body,
    })
}

/// Splits a trailing `thread=N` off a message (after a tab, or any blanks
/// when tabs were lost). Returns message and thread.
fn split_thread(body: &str, tabs: bool) -> (&str, Option<&str>) {
    let trimmed = if tabs {
        body
    } else {
        body.trim_end_matches([' ', '\t'])
    };
    let sep = if tabs {
        memchr::memrchr(b'\t', trimmed.as_bytes())
    } else {
        trimmed.rfind([' ', '\t'])
    };
    if let Some(at) = sep {
        let tail = &trimmed[at + 1..];
        if let Some(n) = tail.strip_prefix("thread=")
            && !n.is_empty()
            && n.bytes().all(|c| c.is_ascii_digit())
        {
            let msg = &trimmed[..at];
            let msg = if tabs {
                msg
            } else {
                msg.trim_end_matches([' ', '\t'])
            };
            return (msg, Some(n));
        }
    }
    (trimmed, None)
}

/// Builds the Envoy record of a text line from its head, or `None` when the
/// third column is not an Envoy logger (then it is an istio line).
pub fn from_head(head: Head<'_>, line: u64) -> Option<Record> {
    let col = logger_column(head.rest, head.tabs)?;
    let (message, thread) = split_thread(col.body, head.tabs);
    let mut fields = Vec::with_capacity(2);
    if let Some(c) = col.caller {
        fields.push((Field::Caller, c.to_string()));
    }
    if let Some(t) = thread {
        fields.push((Field::Thread, t.to_string()));
    }
    Some(Record {
        line,
        ts: Some(head.ts),
        source: Source::Envoy,
        format: Format::EnvoyText,
        level: Some(head.level),
        scope: Some(col.scope.to_string()),
        message: message.to_string(),
        fields,
    })
}

/// One `[...]` cell of the bracket format.
fn cell(i: &str) -> PResult<'_, &str> {
    delimited(char('['), take_till1(|c| c == ']'), char(']')).parse(i)
}

/// The parts of a bracket line.
struct Bracket<'a> {
    ts: chrono::DateTime<chrono::Utc>,
    thread: &'a str,
    level: Level,
    logger: &'a str,
    caller: Option<&'a str>,
    message: &'a str,
}

/// `[Envoy (Epoch N)] [ts][thread][level][logger] [caller] message`.
fn bracket(i: &str) -> PResult<'_, Bracket<'_>> {
    let (i, _) = opt((tag("[Envoy (Epoch "), digit1, tag(")] "))).parse(i)?;
    let (i, ts) = delimited(char('['), time::timestamp, char(']')).parse(i)?;
    let (i, thread) = cell(i)?;
    let (i, level) = cell(i)?;
    let level = level_of_word(level)
        .or_else(|| Level::from_word(level))
        .ok_or(nom::Err::Error(()))?;
    let (i, logger) = verify(cell, |l: &str| is_logger(l)).parse(i)?;
    let (i, _) = opt(char(' ')).parse(i)?;
    let (i, caller) = opt(terminated(
        verify(cell, |c: &str| is_caller(c)),
        opt(char(' ')),
    ))
    .parse(i)?;
    Ok((
        "",
        Bracket {
            ts,
            thread,
            level,
            logger,
            caller,
            message: i,
        },
    ))
}

/// Parses Envoy's upstream bracket format, or `None`.
pub fn parse_bracket(text: &str, line: u64) -> Option<Record> {
    let (_, b) = bracket(text).ok()?;
    let mut fields = Vec::with_capacity(2);
    fields.push((Field::Thread, b.thread.to_string()));
    if let Some(c) = b.caller {
        fields.push((Field::Caller, c.to_string()));
    }
    let mut scope = String::with_capacity(6 + b.logger.len());
    scope.push_str("envoy ");
    scope.push_str(b.logger);
    Some(Record {
        line,
        ts: Some(b.ts),
        source: Source::Envoy,
        format: Format::EnvoyBracket,
        level: Some(b.level),
        scope: Some(scope),
        message: b.message.to_string(),
        fields,
    })
}

/// `true` for Envoy's JSON format: its `scope` (or `logger`) starts with `envoy `.
pub fn is_envoy_json(obj: &JsonObject<'_>) -> bool {
    obj.iter().any(|(k, v)| {
        matches!(k.as_ref(), "scope" | "logger")
            && matches!(v, JsonValue::Str(s) if s.starts_with("envoy "))
    })
}

/// Builds the Envoy record of a JSON line.
pub fn from_json(obj: &JsonObject<'_>, line: u64) -> Record {
    let p = istio::json_parts(obj, true);
    let mut fields = Vec::with_capacity(p.labels.len() + 2);
    if let Some(c) = p.caller {
        fields.push((Field::Caller, c.to_string()));
    }
    if let Some(t) = p.thread {
        fields.push((Field::Thread, t));
    }
    fields.extend(p.labels);
    Record {
        line,
        ts: p.ts,
        source: Source::Envoy,
        format: Format::EnvoyJson,
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

    #[test]
    fn text_with_caller_and_thread() {
        let r = parse(
            "2025-08-26T10:00:03.200101Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155\tDeltaAggregatedResources gRPC config stream to xds-grpc closed: 14, connection error: desc = \"transport: Error while dialing: dial tcp 10.0.112.34:15012: i/o timeout\"\tthread=15",
            5,
        )
        .unwrap();
        assert_eq!(r.line, 5);
        assert_eq!(r.source, Source::Envoy);
        assert_eq!(r.format, Format::EnvoyText);
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope.as_deref(), Some("envoy config"));
        assert_eq!(
            r.get(&Field::Caller),
            Some("external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155")
        );
        assert_eq!(r.get(&Field::Thread), Some("15"));
        assert_eq!(
            r.message,
            "DeltaAggregatedResources gRPC config stream to xds-grpc closed: 14, connection error: desc = \"transport: Error while dialing: dial tcp 10.0.112.34:15012: i/o timeout\""
        );
        assert_eq!(r.ts, Some(utc(2025, 8, 26, 10, 0, 3, 200_101_000)));
    }

    #[test]
    fn real_caller_without_thread() {
        let r = parse(
            "2025-04-16T18:06:18.013147Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/delta_subscription_state.cc:296\tdelta config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: Error adding/updating listener(s) virtualInbound: Proto constraint validation failed (...)",
            1,
        )
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("envoy config"));
        assert_eq!(
            r.get(&Field::Caller),
            Some(
                "external/envoy/source/extensions/config_subscription/grpc/delta_subscription_state.cc:296"
            )
        );
        assert_eq!(r.get(&Field::Thread), None);
        assert!(r.message.starts_with(
            "delta config for type.googleapis.com/envoy.config.listener.v3.Listener rejected"
        ));
    }

    #[test]
    fn old_format_without_caller_real_tabs() {
        let r = parse(
            "2021-10-26T15:20:05.983310Z\twarning\tenvoy config\tStreamAggregatedResources gRPC config stream closed: 14, closing transport due to: connection error: desc = \"error reading from server: EOF\", received prior goaway: code: NO_ERROR, debug data:",
            1,
        )
        .unwrap();
        assert_eq!(r.scope.as_deref(), Some("envoy config"));
        assert_eq!(r.get(&Field::Caller), None);
        assert_eq!(r.level, Some(Level::Warn));
        assert!(
            r.message
                .starts_with("StreamAggregatedResources gRPC config stream closed: 14")
        );
        assert!(r.message.ends_with("debug data:"));
    }

    #[test]
    fn real_tabs_lost_old_format() {
        let r = parse(
            "2021-12-11T14:05:39.566883Z     error   envoy config    listener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.scope.as_deref(), Some("envoy config"));
        assert_eq!(r.get(&Field::Caller), None);
        assert_eq!(
            r.message,
            "listener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied"
        );
        let r = parse(
            "2021-12-11T14:05:39.567281Z     warning envoy config    gRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: Error adding/updating listener(s) 0.0.0.0_80: cannot bind '0.0.0.0:80': Permission denied",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert!(r.message.starts_with("gRPC config for type.googleapis.com"));
    }

    #[test]
    fn tabs_lost_with_caller_and_thread() {
        let r = parse(
            "2025-08-26T10:00:04.501777Z  error  envoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150  listener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied  thread=15",
            1,
        )
        .unwrap();
        assert_eq!(
            r.get(&Field::Caller),
            Some("external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150")
        );
        assert_eq!(r.get(&Field::Thread), Some("15"));
        assert!(r.message.ends_with("Permission denied"));
        assert!(r.message.starts_with("listener '0.0.0.0_80'"));
    }

    #[test]
    fn thread_cut_off_and_message_with_tab() {
        let r = parse(
            "2025-08-26T10:00:19.988000Z\twarning\tenvoy config x/delta_subscription_state.cc:296\tdelta config: initial fetch timed out for type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret\tthread=",
            1,
        )
        .unwrap();
        assert_eq!(r.get(&Field::Thread), None);
        assert!(r.message.ends_with("\tthread="));
        let r = parse(
            "2025-08-26T10:00:19.988000Z\tcritical\tenvoy backtrace\tCaught Segmentation fault\tsecond\tthread=1",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Critical));
        assert_eq!(r.scope.as_deref(), Some("envoy backtrace"));
        assert_eq!(r.message, "Caught Segmentation fault\tsecond");
        assert_eq!(r.get(&Field::Thread), Some("1"));
    }

    #[test]
    fn istio_messages_starting_with_envoy_are_not_envoy() {
        assert_eq!(
            parse(
                "2025-08-26T10:00:00.000000Z\tinfo\tenvoy is starting now\tx=1",
                1
            ),
            None
        );
        assert_eq!(
            parse(
                "2025-08-26T10:00:00.000000Z\tinfo\tEnvoy command: [-c etc/istio/proxy/envoy-rev.json]",
                1
            ),
            None
        );
    }

    #[test]
    fn bracket_with_caller() {
        let r = parse(
            "[2025-08-26 10:00:00.000][15][warning][config] [external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155] StreamAggregatedResources gRPC config stream closed: 14, no healthy upstream",
            2,
        )
        .unwrap();
        assert_eq!(r.format, Format::EnvoyBracket);
        assert_eq!(r.source, Source::Envoy);
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.scope.as_deref(), Some("envoy config"));
        assert_eq!(r.get(&Field::Thread), Some("15"));
        assert_eq!(
            r.get(&Field::Caller),
            Some("external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155")
        );
        assert_eq!(
            r.message,
            "StreamAggregatedResources gRPC config stream closed: 14, no healthy upstream"
        );
        assert_eq!(r.ts, Some(utc(2025, 8, 26, 10, 0, 0, 0)));
    }

    #[test]
    fn bracket_with_epoch_prefix_and_iso_time() {
        let r = parse(
            "[Envoy (Epoch 0)] [2019-03-04T10:00:00.123Z][1][critical][main] [external/envoy/source/server/server.cc:90] error initializing configuration '/etc/istio/proxy/envoy-rev0.json': cannot bind '0.0.0.0:80': Permission denied",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Critical));
        assert_eq!(r.scope.as_deref(), Some("envoy main"));
        assert_eq!(r.get(&Field::Thread), Some("1"));
        assert_eq!(
            r.get(&Field::Caller),
            Some("external/envoy/source/server/server.cc:90")
        );
        assert!(r.message.starts_with("error initializing configuration"));
        assert_eq!(r.ts, Some(utc(2019, 3, 4, 10, 0, 0, 123_000_000)));
    }

    #[test]
    fn bracket_without_caller_keeps_connection_ids() {
        let r = parse(
            "[2021-11-03 17:22:43.361][1678][debug][http] [C0][S1] new stream",
            1,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Debug));
        assert_eq!(r.scope.as_deref(), Some("envoy http"));
        assert_eq!(r.get(&Field::Caller), None);
        assert_eq!(r.message, "[C0][S1] new stream");
        assert_eq!(
            parse("[2021-11-03 17:22:43.361][1678][loud][http] x", 1),
            None
        );
        assert_eq!(parse("[C0][S1] new stream", 1), None);
    }

    #[test]
    fn json_format() {
        let r = parse(
            r#"{"time":"2025-08-26T10:00:04.501777Z","level":"error","scope":"envoy config","msg":"listener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied","caller":"external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150","thread":"15"}"#,
            3,
        )
        .unwrap();
        assert_eq!(r.format, Format::EnvoyJson);
        assert_eq!(r.source, Source::Envoy);
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.scope.as_deref(), Some("envoy config"));
        assert_eq!(
            r.get(&Field::Caller),
            Some("external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150")
        );
        assert_eq!(r.get(&Field::Thread), Some("15"));
        assert!(r.message.ends_with("Permission denied"));
        assert_eq!(r.fields.len(), 2);
        assert_eq!(
            parse(r#"{"level":"info","scope":"ads","msg":"x"}"#, 1),
            None
        );
    }
}
