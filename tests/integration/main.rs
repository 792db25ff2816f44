//! The `aks-gw-logs` binary, run as a user runs it: real files in temp
//! directories, stdin, exit codes, stderr messages. One integration-test
//! binary; modules per command.

mod bundle;
mod checks;
mod classify;
mod crash;
mod fake_kube_faithful;
mod follow;
mod incident;
mod patterns;
mod properties;
mod redact;

/// The fake Kubernetes API server the `follow` tests run against.
#[path = "../fake_kube/mod.rs"]
#[allow(dead_code)]
mod fake_kube;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the binary with `args`, feeding `stdin`, with colour decided by the
/// test (NO_COLOR unset unless given). The default incident store is a
/// fresh temporary directory (XDG_DATA_HOME), never the user's: tests that
/// keep a store across runs pass `--store`.
pub fn run(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let data_home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aks-gw-logs"));
    cmd.args(args)
        .env("XDG_DATA_HOME", data_home.path())
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("binary starts");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("binary runs");
    writer.join().unwrap();
    out
}

/// Writes `bytes` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Writes a gzip-compressed tar archive `dir/name` of `entries` (path,
/// contents) and returns its path.
pub fn tar_gz(dir: &Path, name: &str, entries: &[(&str, &[u8])]) -> String {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, path, *data).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    write(dir, name, &gz.finish().unwrap())
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// `bundle analyze --format json --fail-on never` of `bundle` with no
/// store, `global` flags before the command: its incidents (the run must
/// not fail).
pub fn bundle_json(bundle: &str, global: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["--no-store"];
    args.extend_from_slice(global);
    args.extend([
        "bundle",
        "analyze",
        "--format",
        "json",
        "--fail-on",
        "never",
        bundle,
    ]);
    let out = run(&args, b"", &[]);
    assert_eq!(out.status.code(), Some(0), "{bundle}: {}", stderr(&out));
    json_lines(&stdout(&out))
}

/// `signature gateway` of an incident (`-` for no Gateway), as `.expected` files list them.
pub fn signature_gateway(incident: &serde_json::Value) -> String {
    format!(
        "{} {}",
        incident["signature"].as_str().unwrap_or(""),
        incident["gateway"].as_str().unwrap_or("-")
    )
}

/// The first incident of a signature.
pub fn incident<'v>(incidents: &'v [serde_json::Value], signature: &str) -> &'v serde_json::Value {
    incidents
        .iter()
        .find(|i| i["signature"] == signature)
        .unwrap_or_else(|| panic!("no {signature} incident in {incidents:#?}"))
}

/// Parses JSON lines.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// `classify -` writing into `store`, with stdin held open by the test and
/// `--stats` progress lines on stderr: a writer that runs until told.
pub struct Writer {
    pub child: std::process::Child,
    pub stdin: Option<std::process::ChildStdin>,
    progress: std::io::BufReader<std::process::ChildStderr>,
}

impl Writer {
    /// Starts it, committing every `interval` (`10ms`, say); `extra` goes
    /// before the `-`.
    pub fn start(store: &str, interval: &str, extra: &[&str]) -> Writer {
        let mut args = vec![
            "--store",
            store,
            "classify",
            "--stats",
            "--commit-interval",
            interval,
        ];
        args.extend_from_slice(extra);
        args.push("-");
        let mut child = Command::new(env!("CARGO_BIN_EXE_aks-gw-logs"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let stdin = child.stdin.take();
        let progress = std::io::BufReader::new(child.stderr.take().expect("stderr piped"));
        Writer {
            child,
            stdin,
            progress,
        }
    }

    /// Reads progress until a commit covers line `line` of stdin; returns
    /// the line the last commit read was through and how many commits it saw.
    pub fn wait_for_commit(&mut self, line: u64) -> (u64, u32) {
        use std::io::BufRead;
        let (mut through, mut commits) = (0, 0);
        let mut text = String::new();
        while through < line {
            text.clear();
            let n = self.progress.read_line(&mut text).expect("stderr readable");
            assert!(n > 0, "the writer ended before line {line} was committed");
            if let Some((_, at)) = text.trim_end().rsplit_once("read through line ") {
                through = at.parse().expect("a line number");
                commits += 1;
            }
        }
        (through, commits)
    }
}
