//! Crash and fault safety of the incident store: a writer killed with
//! SIGKILL in the middle of a large ingest, or refused its writes by the
//! kernel, loses nothing it had committed, and the store opens, searches
//! and takes a new writer afterwards.

use std::collections::HashSet;
use std::io::Write;

use crate::{Writer, json_lines, run, stderr, stdout};

/// One line per Service: every line opens an incident of its own.
fn line(n: usize) -> String {
    format!(
        "E0826 10:{:02}:{:02}.{:06}       1 controller.go:320] error processing service load/svc-{n} (will retry): failed to ensure load balancer: Code=\"PublicIPCountLimitReached\"\n",
        n / 60_000 % 60,
        n / 1000 % 60,
        n % 1000 * 1000
    )
}

#[test]
fn a_killed_writer_keeps_every_committed_incident_and_an_intact_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let mut writer = Writer::start(&store, "20ms", &["--count"]);
    let mut stdin = writer.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        // Far more than is read before the kill; the pipe stays open, so
        // the writer cannot finish on its own.
        for chunk in (0..200_000).collect::<Vec<_>>().chunks(500) {
            let text: String = chunk.iter().map(|&n| line(n)).collect();
            if stdin.write_all(text.as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // Keep the pipe open until the writer is gone.
        let _ = stdin.write_all(b"");
        std::thread::sleep(std::time::Duration::from_secs(60));
    });

    // Wait until commits cover at least a few thousand lines, then kill.
    let (mut through, mut commits) = (0, 0);
    while through < 5_000 || commits < 3 {
        let (at, n) = writer.wait_for_commit(through + 1);
        (through, commits) = (at, commits + n);
    }
    let committed_through = through as usize;
    writer.child.kill().unwrap(); // SIGKILL
    let status = writer.child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    drop(feeder);

    // Every incident of a committed line is found.
    let out = run(
        &[
            "--store", &store, "incident", "search", "--json", "--limit", "1000000",
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let found: HashSet<String> = json_lines(&stdout(&out))
        .iter()
        .map(|i| i["object"]["name"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<usize> = (0..committed_through)
        .filter(|n| !found.contains(&format!("svc-{n}")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} committed incidents lost, e.g. svc-{:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(found.len() >= committed_through);

    // The index is intact: a new writer takes the store and adds to it.
    let more: String = (300_000..300_010).map(line).collect();
    let out = run(
        &["--store", &store, "classify", "--fail-on", "never", "-"],
        more.as_bytes(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        &[
            "--store",
            &store,
            "incident",
            "search",
            "--json",
            "svc-300005",
        ],
        b"",
        &[],
    );
    assert_eq!(json_lines(&stdout(&out)).len(), 1, "{}", stderr(&out));
    let stats = run(
        &["--store", &store, "incident", "stats", "--json"],
        b"",
        &[],
    );
    let stats: serde_json::Value = serde_json::from_str(&stdout(&stats)).unwrap();
    assert!(stats["incidents"].as_u64().unwrap() >= committed_through as u64 + 10);
}

/// Runs the binary with the kernel's file size limit at `kib` KiB and
/// SIGXFSZ ignored, so a write past it fails with EFBIG ("File too
/// large"), as writes to a full small file system fail with ENOSPC.
fn run_with_file_size_limit(kib: u32, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let script = format!("trap '' XFSZ; ulimit -f {kib}; exec \"$@\"");
    let mut child = std::process::Command::new("bash")
        .args(["-c", &script, "bash", env!("CARGO_BIN_EXE_aks-gw-logs")])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

#[test]
fn a_refused_write_mid_ingest_is_one_clear_line_and_keeps_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let first: String = (0..50).map(line).collect();
    let out = run(
        &[
            "--store",
            &store,
            "classify",
            "--count",
            "--fail-on",
            "never",
            "-",
        ],
        first.as_bytes(),
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A large ingest whose one commit (at the end) cannot be written.
    let second: String = (1_000..21_000).map(line).collect();
    let out = run_with_file_size_limit(
        64,
        &[
            "--store",
            &store,
            "classify",
            "--count",
            "--fail-on",
            "never",
            "--commit-interval",
            "1h",
            "-",
        ],
        second.as_bytes(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    for expected in [
        &format!("incident store at {store}") as &str,
        "File too large",
        "a file size limit was reached",
        "the store keeps the 50 of its last commit",
    ] {
        assert!(lines[0].contains(expected), "{expected:?} in {err}");
    }
    assert!(!err.contains("IoError {"), "no debug rendering: {err}");
    // Classifying went on to the end.
    assert!(
        stdout(&out).contains("20000  error     lb.sync_failed"),
        "{}",
        stdout(&out)
    );

    // The index is readable, with everything committed before.
    let out = run(
        &[
            "--store", &store, "incident", "search", "--json", "--limit", "1000",
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut found: Vec<String> = json_lines(&stdout(&out))
        .iter()
        .map(|i| i["object"]["name"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    let mut expected: Vec<String> = (0..50).map(|n| format!("svc-{n}")).collect();
    expected.sort();
    assert_eq!(found, expected);
}
