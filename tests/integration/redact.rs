//! Redaction end to end: secrets in log lines never reach classify's
//! output, a bundle report in any format, or the store; `--no-redact`
//! keeps them.

use std::path::Path;

use crate::{run, stdout, write};

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
