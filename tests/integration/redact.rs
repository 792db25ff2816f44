//! Redaction end to end: secrets in log lines never reach classify's
//! output, a bundle report in any format, or the store; `--no-redact`
//! keeps them. The secret corpus (`corpus/secrets/`) carries secrets of
//! every kind in every input format, listed in its `SECRETS.tsv`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::{run, stderr, stdout, tar_gz, write};

/// Error lines that carry a secret each (unclassified errors are incidents too).
const LOG: &str = "\
2025-08-26T10:00:00.000000Z\terror\tads\tpull failed: https://admin:Sup3rS3cretPw@registry.contoso.com/v2 refused\n\
2025-08-26T10:00:01.000000Z\terror\tauth\trequest with Authorization: Bearer kJ8s9dF7gH6jK5lZ4xC3vB2nM1qW0eR9tY8u rejected\n\
2025-08-26T10:00:02.000000Z\terror\tstorage\tupload to https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D failed\n\
2025-08-26T10:00:03.000000Z\terror\tdb\tconnect Server=tcp:db;User ID=app;Password=Hunter2Hunter2!;Encrypt=true failed\n";

const SECRETS: [&str; 4] = [
    "Sup3rS3cretPw",
    "kJ8s9dF7gH6jK5lZ4xC3vB2nM1qW0eR9tY8u",
    "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
    "Hunter2Hunter2!",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
    }
}

#[test]
fn no_secret_reaches_output_reports_or_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "istiod.log", LOG.as_bytes());
    let store = dir.path().join("store").display().to_string();
    let json = stdout(&run(
        &["--store", &store, "classify", "--json", &log],
        b"",
        &[],
    ));
    assert_eq!(json.lines().count(), 4, "{json}");
    assert_clean("classify --json", &json);
    assert!(json.contains("[REDACTED:url_credentials]"), "{json}");
    let human = stdout(&run(&["--no-store", "classify", &log], b"", &[]));
    assert_clean("classify", &human);
    for format in ["terminal", "json", "markdown", "html"] {
        let report = stdout(&run(
            &[
                "--no-store",
                "bundle",
                "analyze",
                "--fail-on",
                "never",
                "--format",
                format,
                &log,
            ],
            b"",
            &[],
        ));
        assert_clean(format, &report);
        if format == "terminal" {
            assert!(report.contains("4 secrets redacted ("), "{report}");
        }
    }
    let stored = stdout(&run(
        &["--store", &store, "incident", "search", "--json"],
        b"",
        &[],
    ));
    assert!(!stored.is_empty());
    assert_clean("the store", &stored);
    let raw = std::fs::read_dir(Path::new(&store).join("index"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read(e.path()).unwrap_or_default())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect::<String>();
    assert_clean("the index files", &raw);
}

#[test]
fn no_redact_keeps_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "istiod.log", LOG.as_bytes());
    let json = stdout(&run(
        &["--no-store", "--no-redact", "classify", "--json", &log],
        b"",
        &[],
    ));
    for secret in SECRETS {
        assert!(json.contains(secret), "{secret}: {json}");
    }
}

/// The secret corpus directory.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/secrets")
}

/// `(kind, file, secret)` of every secret the corpus holds.
fn corpus_secrets() -> Vec<(String, String, String)> {
    let list = std::fs::read_to_string(corpus().join("SECRETS.tsv")).unwrap();
    let secrets: Vec<_> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "SECRETS.tsv: {l}");
            (
                cols[0].to_string(),
                cols[1].to_string(),
                cols[2].to_string(),
            )
        })
        .collect();
    for (_, file, secret) in &secrets {
        let text = std::fs::read_to_string(corpus().join(file)).unwrap();
        assert!(
            text.contains(secret.as_str()),
            "{file} does not hold {secret}"
        );
    }
    secrets
}

/// The corpus's input files (not its list or patterns), by name.
fn corpus_inputs() -> Vec<(String, Vec<u8>)> {
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file() && e.file_name() != "SECRETS.tsv")
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    inputs.sort();
    inputs
}

/// Panics naming every corpus secret `text` still holds.
fn assert_corpus_clean(what: &str, text: &str, secrets: &[(String, String, String)]) {
    let leaks: Vec<String> = secrets
        .iter()
        .filter(|(_, _, secret)| text.contains(secret.as_str()))
        .map(|(kind, file, _)| format!("{kind} from {file}"))
        .collect();
    assert!(leaks.is_empty(), "{what} leaks {leaks:?}");
}

/// The kinds a `N secrets redacted (kind n, ...)` line names.
fn kinds_counted(text: &str) -> BTreeSet<String> {
    const HEAD: &str = " secrets redacted (";
    let at = text
        .find(HEAD)
        .unwrap_or_else(|| panic!("no redaction summary in {text}"));
    let rest = &text[at + HEAD.len()..];
    rest[..rest.find(')').unwrap()]
        .split(", ")
        .map(|kv| kv.rsplit_once(' ').unwrap().0.to_string())
        .collect()
}

#[test]
fn no_secret_of_the_corpus_survives_any_output_report_or_the_store() {
    let secrets = corpus_secrets();
    let inputs = corpus_inputs();
    let dir = tempfile::tempdir().unwrap();
    let patterns = corpus().join("patterns").display().to_string();
    let store = dir.path().join("store").display().to_string();
    let paths: Vec<String> = inputs
        .iter()
        .map(|(name, _)| corpus().join(name).display().to_string())
        .collect();

    // Every record of every format, and the incidents into a store.
    let mut args = vec![
        "--store",
        &store,
        "--patterns",
        &patterns,
        "classify",
        "--all",
        "--json",
        "--fail-on",
        "never",
    ];
    args.extend(paths.iter().map(String::as_str));
    let out = run(&args, b"", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (json, err) = (stdout(&out), stderr(&out));
    assert_corpus_clean("classify --all --json", &json, &secrets);
    assert_corpus_clean("classify's stderr", &err, &secrets);
    // Every kind the corpus lists was found and counted.
    let listed: BTreeSet<String> = secrets.iter().map(|(k, _, _)| k.clone()).collect();
    let counted = kinds_counted(&err);
    assert!(
        counted.is_superset(&listed),
        "counted {counted:?}, listed {listed:?}"
    );
    assert!(
        json.contains("[REDACTED:contoso_api_key]"),
        "the user rule applies"
    );

    // The same run as a human reads it, and the store.
    let mut human = vec![
        "--no-store",
        "--patterns",
        &patterns,
        "classify",
        "--all",
        "--fail-on",
        "never",
    ];
    human.extend(paths.iter().map(String::as_str));
    assert_corpus_clean("classify --all", &stdout(&run(&human, b"", &[])), &secrets);
    let found = stdout(&run(
        &["--store", &store, "incident", "search", "--json"],
        b"",
        &[],
    ));
    let ids: Vec<String> = crate::json_lines(&found)
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 10, "{found}");
    let mut reads = vec![
        vec!["incident".to_string(), "search".into()],
        vec!["incident".into(), "stats".into()],
    ];
    reads.extend(
        ids.iter()
            .map(|id| vec!["incident".into(), "show".into(), id.clone()]),
    );
    for read in reads {
        let mut cmd = vec!["--store", &store];
        cmd.extend(read.iter().map(String::as_str));
        let out = run(&cmd, b"", &[]);
        assert!(out.status.success(), "{cmd:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{cmd:?}");
        assert_corpus_clean(&cmd.join(" "), &stdout(&out), &secrets);
    }
    assert_corpus_clean("incident search --json", &found, &secrets);
    let mut index = Vec::new();
    for entry in std::fs::read_dir(Path::new(&store).join("index"))
        .unwrap()
        .flatten()
    {
        index.extend(std::fs::read(entry.path()).unwrap_or_default());
    }
    assert_corpus_clean(
        "the index files",
        &String::from_utf8_lossy(&index),
        &secrets,
    );

    // The corpus as a bundle, in every report format.
    let entries: Vec<(String, &[u8])> = inputs
        .iter()
        .map(|(name, data)| (format!("logs/{name}"), data.as_slice()))
        .collect();
    let entries: Vec<(&str, &[u8])> = entries.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    let bundle = tar_gz(dir.path(), "secrets.tar.gz", &entries);
    let bundle_store = dir.path().join("bundle-store").display().to_string();
    for format in ["terminal", "json", "markdown", "html"] {
        let out = run(
            &[
                "--store",
                &bundle_store,
                "--patterns",
                &patterns,
                "bundle",
                "analyze",
                "--fail-on",
                "never",
                "--format",
                format,
                &bundle,
            ],
            b"",
            &[],
        );
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{format}");
        assert_corpus_clean(format, &stdout(&out), &secrets);
        assert_corpus_clean(&format!("{format} stderr"), &stderr(&out), &secrets);
        let summary = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            kinds_counted(&summary).is_superset(&listed),
            "{format}: {summary}"
        );
    }
}

#[test]
fn without_redaction_the_corpus_secrets_are_printed() {
    // The corpus is only proof if its secrets reach the output when not
    // redacted. The objects of secrets.yaml (a Secret's data, a
    // ConfigMap's connection string) make no records and are never
    // printed, so only their counts above show they were seen.
    let patterns = corpus().join("patterns").display().to_string();
    let paths: Vec<String> = corpus_inputs()
        .iter()
        .map(|(name, _)| corpus().join(name).display().to_string())
        .collect();
    let mut args = vec![
        "--no-store",
        "--no-redact",
        "--patterns",
        &patterns,
        "classify",
        "--all",
        "--json",
    ];
    args.extend(paths.iter().map(String::as_str));
    let json = stdout(&run(&args, b"", &[]));
    for (kind, file, secret) in corpus_secrets() {
        if file != "secrets.yaml" {
            assert!(
                json.contains(&secret),
                "{kind} from {file} is not printed: {secret}"
            );
        }
    }
    assert!(!json.contains("[REDACTED:"));
}
