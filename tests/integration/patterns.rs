//! `aks-gw-logs patterns list|test|lint`.

use crate::{json_lines, run, stderr, stdout, write};

#[test]
fn list_shows_the_catalogue_and_regexes() {
    let out = run(&["patterns", "list", "--json"], b"", &[]);
    assert_eq!(out.status.code(), Some(0));
    let sigs = json_lines(&stdout(&out));
    let ids: Vec<&str> = sigs.iter().map(|s| s["id"].as_str().unwrap()).collect();
    for id in [
        "proxy.listener_bind_failed",
        "gateway.service_missing",
        "route.ref_not_permitted",
        "pod.probe_failed",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let regexes = stdout(&run(&["patterns", "list", "--regexes"], b"", &[]));
    let total: usize = sigs
        .iter()
        .map(|s| s["regexes"].as_array().unwrap().len())
        .sum();
    assert_eq!(regexes.lines().count(), total);
}

#[test]
fn test_runs_every_inline_example() {
    let out = run(&["patterns", "test"], b"", &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 5 * 30, "{passed} examples");
}

#[test]
fn lint_points_at_file_line_col_with_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[[signature]]\nid = \"my.sig\"\ntitle = \"t\"\nseverity = \"severe\"\nguide_step = \"g\"\nremediation = \"r\"\nregexes = ['''ab(c''']\n[signature.examples]\nmatch = [\"a\",\"b\",\"c\"]\nno_match = [\"d\",\"e\"]\n";
    let path = write(dir.path(), "bad.toml", text.as_bytes());
    let out = run(&["patterns", "lint", &path], b"", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{path}:4:12: error: unknown severity \"severe\"")),
        "{err}"
    );
    assert!(
        err.contains("^^^^^^^^ expected one of critical, error, warning, info"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{path}:7:17: error: invalid regex")),
        "{err}"
    );
    let syntax = write(dir.path(), "syntax.toml", b"[[signature]\n");
    let err = stderr(&run(&["patterns", "lint", &syntax], b"", &[]));
    assert!(err.contains(&format!("{syntax}:1:")), "{err}");
}

#[test]
fn user_patterns_extend_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[[signature]]\nid = \"custom.my_failure\"\ntitle = \"My failure\"\nseverity = \"error\"\nguide_step = \"g\"\nremediation = \"r\"\nregexes = ['''flux capacitor (?P<reason>\\w+)''']\n[signature.examples]\nmatch = [\"a\",\"b\",\"c\"]\nno_match = [\"d\",\"e\"]\n";
    write(dir.path(), "mine.toml", text.as_bytes());
    let d = dir.path().display().to_string();
    let out = run(
        &["--patterns", &d, "classify", "--json"],
        b"2025-08-26T10:00:00.1Z\tinfo\tflux capacitor overheated\n",
        &[],
    );
    let hits = json_lines(&stdout(&out));
    assert_eq!(hits[0]["signature"], "custom.my_failure");
    assert_eq!(hits[0]["reason"], "overheated");
}
