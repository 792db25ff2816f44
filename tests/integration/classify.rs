//! `aks-gw-logs classify`: output modes, exit codes, and bad input.

use crate::{json_lines, run, stderr, stdout, write};

const BIND: &str = "2021-12-11T14:05:39.566883Z\terror\tenvoy config\tlistener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied";
const REJECTED_BIND: &str = "2021-12-11T14:05:39.567281Z\twarning\tenvoy config\tgRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: Error adding/updating listener(s) 0.0.0.0_80: cannot bind '0.0.0.0:80': Permission denied";
const INFO: &str =
    "2025-08-26T10:00:00.101234Z\tinfo\tgateway\treconciling\tgateway=default/httpbin-gateway";
const ACCESS_200: &str = "[2025-08-26T10:01:05.020Z] \"GET /get HTTP/1.1\" 200 - via_upstream - \"-\" 0 19 3 2 \"203.0.113.7\" \"curl/8.5.0\" \"9b7a\" \"httpbin.example.com\" \"10.244.1.9:8080\" outbound|8000||httpbin.default.svc.cluster.local 10.244.1.23:40112 10.244.1.23:80 203.0.113.7:55012 - -";
const RENDER: &str = "{\"level\":\"error\",\"time\":\"2025-08-26T10:00:00.102311Z\",\"scope\":\"gateway\",\"msg\":\"error rendering templates: parametersRef targeting configmap \\\"default/gw-options\\\", but configmap does not exist\",\"gateway\":{\"Namespace\":\"default\",\"Name\":\"httpbin-gateway\"}}";

fn lines(parts: &[&str]) -> String {
    parts.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn json_prints_one_object_per_hit_with_the_specific_signature() {
    let out = run(
        &["classify", "--json", "-"],
        lines(&[INFO, BIND, REJECTED_BIND, ACCESS_200, RENDER]).as_bytes(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let hits = json_lines(&stdout(&out));
    let ids: Vec<&str> = hits
        .iter()
        .map(|h| h["signature"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "proxy.listener_bind_failed",
            "proxy.listener_bind_failed",
            "custom.parameters_ref_missing"
        ]
    );
    assert_eq!(hits[0]["line"], 2);
    assert_eq!(hits[0]["severity"], "critical");
    assert_eq!(hits[1]["line"], 3);
    assert_eq!(hits[2]["line"], 5);
    assert_eq!(hits[2]["input"], "<stdin>");
    assert!(
        hits[2]["message"]
            .as_str()
            .unwrap()
            .contains("\"default/gw-options\"")
    );
}

#[test]
fn all_prints_every_record_with_null_for_unmatched() {
    let out = run(
        &["classify", "--all", "--json"],
        lines(&[INFO, BIND, ACCESS_200, "some plain text"]).as_bytes(),
        &[],
    );
    let recs = json_lines(&stdout(&out));
    assert_eq!(recs.len(), 4);
    let lines: Vec<u64> = recs.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
    assert!(recs[0]["signature"].is_null());
    assert_eq!(recs[0]["scope"], "gateway");
    assert_eq!(recs[1]["signature"], "proxy.listener_bind_failed");
    assert!(recs[2]["signature"].is_null());
    assert_eq!(recs[2]["source"], "access_log");
    assert_eq!(recs[3]["source"], "text");
}

#[test]
fn count_prints_hits_per_signature() {
    let input = lines(&[BIND, BIND, REJECTED_BIND, INFO, RENDER]);
    let out = run(&["classify", "--count", "--json"], input.as_bytes(), &[]);
    let rows = json_lines(&stdout(&out));
    assert_eq!(rows[0]["signature"], "proxy.listener_bind_failed");
    assert_eq!(rows[0]["count"], 3);
    assert_eq!(rows[1]["signature"], "custom.parameters_ref_missing");
    assert_eq!(rows[1]["count"], 1);
    let human = run(&["classify", "--count"], input.as_bytes(), &[]);
    let text = stdout(&human);
    assert!(
        text.contains("       3  critical  proxy.listener_bind_failed"),
        "{text}"
    );
    assert!(text.contains("       4            total"), "{text}");
}

#[test]
fn exit_status_follows_fail_on() {
    let benign = lines(&[INFO, ACCESS_200]);
    assert_eq!(
        run(&["classify"], benign.as_bytes(), &[]).status.code(),
        Some(0)
    );
    let bad = lines(&[BIND]);
    assert_eq!(
        run(&["classify"], bad.as_bytes(), &[]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["classify", "--fail-on", "never"], bad.as_bytes(), &[])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn human_output_names_hit_and_remediation_without_colour_in_a_pipe() {
    let out = run(&["classify"], lines(&[BIND]).as_bytes(), &[]);
    let text = stdout(&out);
    assert!(
        text.contains("<stdin>:1  critical proxy.listener_bind_failed"),
        "{text}"
    );
    assert!(text.contains("What to do"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour in a pipe: {text:?}");
    let forced = run(
        &["classify", "--color", "always"],
        lines(&[BIND]).as_bytes(),
        &[],
    );
    assert!(stdout(&forced).contains("\u{1b}["));
}

#[test]
fn terminal_escapes_in_log_text_never_reach_the_output() {
    let evil = format!("{BIND} \u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mred");
    let out = run(
        &["classify", "--color", "always"],
        lines(&[&evil]).as_bytes(),
        &[],
    );
    let text = stdout(&out);
    assert!(text.contains("Permission denied red"), "{text:?}");
    assert!(
        !text.contains("\u{1b}]0;")
            && !text.contains("\u{1b}[2J")
            && !text.contains("\u{1b}[31mred")
    );
}

#[test]
fn bad_input_is_reported_by_file_and_line_and_the_rest_is_classified() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(format!("{BIND}\r\n").as_bytes()); // 1: CRLF
    bytes.extend_from_slice(b"2025-08-26T10:00:00.1Z\terror\tads\tbad \xff\xfe utf8\n"); // 2
    bytes.extend_from_slice(b"nul\0byte\n"); // 3
    bytes.extend_from_slice(
        b"{\"level\":\"error\",\"time\":\"2025-08-26T10:00:00Z\",\"msg\":\"trunc\n",
    ); // 4
    let mut long = vec![b'x'; 10 << 20];
    long.push(b'\n');
    bytes.extend_from_slice(&long); // 5
    bytes.extend_from_slice(format!("{REJECTED_BIND}\r\n").as_bytes()); // 6
    let path = write(dir.path(), "gw.log", &bytes);
    let missing = dir.path().join("missing.log").display().to_string();
    let out = run(&["classify", "--json", &path, &missing], b"", &[]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{path}:1: CRLF (Windows) line endings")),
        "{err}"
    );
    assert_eq!(
        err.matches("CRLF").count(),
        1,
        "noted once per input: {err}"
    );
    assert!(
        err.contains(&format!("{path}:2: invalid UTF-8 at byte")),
        "{err}"
    );
    assert!(err.contains(&format!("{path}:3: 1 NUL byte(s)")), "{err}");
    assert!(
        err.contains(&format!("{path}:4: expected a complete JSON object")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{path}:5: line is 10485760 bytes long")),
        "{err}"
    );
    assert!(err.contains(&format!("{missing}: no such file")), "{err}");
    let hits = json_lines(&stdout(&out));
    let found: Vec<(u64, &str)> = hits
        .iter()
        .map(|h| {
            (
                h["line"].as_u64().unwrap(),
                h["signature"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&(1, "proxy.listener_bind_failed")),
        "{found:?}"
    );
    assert!(
        found.contains(&(6, "proxy.listener_bind_failed")),
        "{found:?}"
    );
    assert!(!hits[0]["message"].as_str().unwrap().ends_with('\r'));
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing file makes the run fail after the rest is read"
    );
}

#[test]
fn truncated_json_is_reported_even_when_nothing_else_in_it_matters() {
    let out = run(
        &["classify", "-"],
        b"{\"level\":\"info\",\"msg\":\"reconciling\"}\n{\"level\":\"info\",\"msg\":\"recon",
        &[],
    );
    let err = stderr(&out);
    assert!(
        err.contains("<stdin>:2: expected a complete JSON object"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn archives_given_by_mistake_get_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "logs.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    let out = run(&["classify", &path], b"", &[]);
    assert!(
        stderr(&out).contains(&format!("{path}:1: this is gzip-compressed data")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_teaches_with_examples() {
    let out = run(&["classify", "--help"], b"", &[]);
    let text = stdout(&out);
    assert!(
        text.contains("Examples:") && text.contains("aks-gw-logs classify -"),
        "{text}"
    );
    assert!(text.contains("--fail-on"));
    let top = stdout(&run(&["--help"], b"", &[]));
    assert!(top.contains("Exit status"));
}

/// A JSON access log without flags is skipped unparsed only when its
/// rendered message holds no literal: a user signature whose literal spans
/// the text format's glue (`200 - via_upstream`: the `-` is the missing
/// flags) still hits, and the same line with flags-free, literal-free text
/// does not.
#[test]
fn flagless_json_access_logs_are_skipped_only_when_their_rendering_cannot_hit() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "glue.toml",
        br#"
[[signature]]
id = "custom.ok_via_upstream"
title = "A 200 served by the upstream"
severity = "info"
guide_step = "test"
remediation = "none"
sources = ["access_log"]
regexes = ['''(?P<code>200) - via_upstream''']

[signature.examples]
match = [
  '''[2025-08-26T10:01:05.020Z] "GET /get HTTP/1.1" 200 - via_upstream - "-" 0 19 3 2 "-" "-" "-" "-" "-" - - - - - -''',
  '''[2025-08-26T10:01:05.020Z] "GET /a HTTP/1.1" 200 - via_upstream - "-" 0 1 1 1 "-" "-" "-" "-" "-" - - - - - -''',
  '''[2025-08-26T10:01:05.020Z] "GET /b HTTP/1.1" 200 - via_upstream - "-" 0 2 2 2 "-" "-" "-" "-" "-" - - - - - -''',
]
no_match = [
  '''[2025-08-26T10:01:05.020Z] "GET /get HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 3 2 "-" "-" "-" "-" "-" - - - - - -''',
  '''[2025-08-26T10:01:05.020Z] "GET /get HTTP/1.1" 301 - direct_response - "-" 0 0 0 - "-" "-" "-" "-" "-" - - - - - -''',
]
"#,
    );
    let patterns = dir.path().to_str().unwrap().to_string();
    let served = r#"{"start_time":"2025-08-26T10:01:05.020Z","method":"GET","path":"/get","protocol":"HTTP/1.1","response_code":200,"response_code_details":"via_upstream","bytes_sent":19}"#;
    let redirected = served
        .replace("200", "301")
        .replace("via_upstream", "direct_response");
    let input = lines(&[served, &redirected]);
    let out = run(
        &["--patterns", &patterns, "classify", "--count", "-"],
        input.as_bytes(),
        &[],
    );
    let counts = stdout(&out);
    assert!(counts.contains("custom.ok_via_upstream"), "{counts}");
    let all = run(
        &["--patterns", &patterns, "classify", "--json", "-"],
        input.as_bytes(),
        &[],
    );
    let hits = json_lines(&stdout(&all));
    assert_eq!(hits.len(), 1, "{}", stdout(&all));
    assert_eq!(hits[0]["line"], 1);
    assert_eq!(hits[0]["signature"], "custom.ok_via_upstream");
}
