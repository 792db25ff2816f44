//! `aks-gw-logs bundle analyze`: archives read in place, entries named in
//! the evidence, incidents by Gateway, bad archives reported by entry.

use std::io::Write;
use std::path::Path;

use crate::{bundle_json, incident, json_lines, run, signature_gateway, stderr, stdout, tar_gz};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/samples");
const POD: &str = "httpbin-gateway-istio-6d9f7c8b5d-x2kqz";

/// A small `istioctl bug-report` archive from the sample inputs.
fn bug_report(dir: &Path) -> String {
    let sample = |name: &str| std::fs::read(Path::new(SAMPLES).join(name)).unwrap();
    let proxy_log = format!("bug-report/proxies/default/{POD}/istio-proxy.log");
    let config_dump = format!("bug-report/proxies/default/{POD}/config_dump?include_eds");
    let (log, events, crs) = (
        sample("httpbin-gateway-istio.log"),
        sample("events.txt"),
        sample("httpbin-gateway.yaml"),
    );
    tar_gz(
        dir,
        "bug-report.tar.gz",
        &[
            (&proxy_log, &log),
            (&config_dump, b"{}"),
            ("bug-report/cluster/events", &events),
            ("bug-report/cluster/crs", &crs),
        ],
    )
}

#[test]
fn a_bug_report_is_read_in_place_and_reported_by_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bug_report(dir.path());
    let store = dir.path().join("store").display().to_string();
    let out = run(&["--store", &store, "bundle", "analyze", &bundle], b"", &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "error-level incidents: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "{bundle} (TarGz, istioctl bug-report): 3 entries read, 1 skipped"
        )),
        "{text}"
    );
    let gateways: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "Gateways")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        gateways[0]
            .trim_start()
            .starts_with("default/httpbin-gateway")
            && gateways[0].contains("critical"),
        "{gateways:?}"
    );
    assert!(text.contains(&format!("bug-report/proxies/default/{POD}/istio-proxy.log:10 (container istio-proxy)  listener '0.0.0.0_80' failed to bind")), "{text}");
    assert!(text.contains("bug-report/cluster/events:3"), "{text}");
    assert!(text.contains("What to do"), "{text}");
    assert_eq!(
        dir.path().read_dir().unwrap().count(),
        2,
        "nothing extracted beside the bundle and the store"
    );

    // The incidents went to the store, named after the bundle's cluster.
    let found = json_lines(&stdout(&run(
        &[
            "--store",
            &store,
            "incident",
            "search",
            "--json",
            "--gateway",
            "httpbin-gateway",
        ],
        b"",
        &[],
    )));
    assert!(found.len() >= 5, "{found:?}");
    assert!(found.iter().all(|i| i["cluster"] == "bug-report"));
    let md = stdout(&run(
        &[
            "--no-store",
            "bundle",
            "analyze",
            "--format",
            "markdown",
            &bundle,
        ],
        b"",
        &[],
    ));
    assert!(md.starts_with("# Bundle analysis\n"), "{md}");
    assert!(
        md.contains("| `default/httpbin-gateway` | critical |"),
        "{md}"
    );
    assert!(md.contains("### `proxy.listener_bind_failed`"), "{md}");
    let json = bundle_json(&bundle, &[]);
    let bind = incident(&json, "proxy.listener_bind_failed");
    assert_eq!(bind["pods"][0], POD);
    assert_eq!(bind["samples"][0]["line"], 10);
}

#[test]
fn a_damaged_bundle_is_reported_by_entry_and_the_rest_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bug_report(dir.path());
    let bytes = std::fs::read(&bundle).unwrap();
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let out = run(
        &[
            "--no-store",
            "bundle",
            "analyze",
            "--fail-on",
            "never",
            &cut.display().to_string(),
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cut.tar.gz: ") && (err.contains("corrupt") || err.contains("truncated")),
        "{err}"
    );
    assert!(
        stdout(&out).contains("proxy.listener_bind_failed"),
        "entries before the damage were analysed"
    );

    // A bundle of nothing this reads says so.
    let odd = dir.path().join("odd.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&odd).unwrap());
    z.start_file("core.bin", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"\x7fELF").unwrap();
    z.finish().unwrap();
    let out = run(
        &[
            "--no-store",
            "bundle",
            "analyze",
            &odd.display().to_string(),
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("odd.zip: -: no entry of a known layout among 1 entries"),
        "{}",
        stderr(&out)
    );

    let missing = run(
        &["--no-store", "bundle", "analyze", "/nonexistent/bundle.tgz"],
        b"",
        &[],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no such file"),
        "{}",
        stderr(&missing)
    );
}

/// An AKS Periscope node zip: a `podscontainerlogs` entry that is not the
/// JSON Periscope writes is reported by entry, saying what was expected (and
/// without its escape sequences); the other entries are still analysed, the
/// wrapped log with the pod its JSON names.
#[test]
fn a_periscope_container_log_that_is_not_its_json_is_reported_by_entry() {
    let dir = tempfile::tempdir().unwrap();
    let log =
        std::fs::read_to_string(Path::new(SAMPLES).join("httpbin-gateway-istio.log")).unwrap();
    let good = serde_json::json!({
        "name": POD,
        "ready": "0/1",
        "status": "Running",
        "restart": 0,
        "age": 754_000_000_000u64,
        "containerName": "istio-proxy",
        "containerLog": log,
    });
    let path = dir.path().join("aks-userpool-12345678-vmss000001.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let mut add = |name: &str, data: &[u8]| {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    };
    add(
        "podscontainerlogs/coredns-789789675-7xq2k-coredns",
        b"{\"name\":\"coredns-789789675-7xq2k\",\"containerName\":\"core\x1b[2Jdns",
    );
    add(
        &format!("podscontainerlogs/{POD}-istio-proxy"),
        good.to_string().as_bytes(),
    );
    add("iptables/iptables", b"Chain PREROUTING (policy ACCEPT)\n");
    z.finish().unwrap();
    let bundle = path.display().to_string();
    let out = run(
        &[
            "--no-store",
            "bundle",
            "analyze",
            "--fail-on",
            "never",
            &bundle,
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let line = err.lines().find(|l| {
        l.contains(&format!(
            "{bundle}: podscontainerlogs/coredns-789789675-7xq2k-coredns: "
        ))
    });
    assert!(
        line.is_some_and(|l| l.contains("invalid JSON (")
            && l.contains("expected an AKS Periscope podscontainerlogs JSON object")),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "{bundle} (Zip, AKS Periscope): 2 entries read, 1 skipped, 1 problems"
        )),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l
            .trim_start()
            .starts_with(&format!("podscontainerlogs/{POD}-istio-proxy:10 "))
            && l.contains("listener '0.0.0.0_80' failed to bind")),
        "{text}"
    );
    let json = bundle_json(&bundle, &[]);
    let bind = incident(&json, "proxy.listener_bind_failed");
    assert_eq!(bind["pods"][0], POD);
    assert_eq!(bind["gateway"], "default/httpbin-gateway");
}

/// Every sample bundle in `corpus/bundles/` (one per layout, built by
/// `make_bundles.py`) gives exactly the incidents its `.expected` file lists.
#[test]
fn sample_bundles_give_their_expected_incidents() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/bundles");
    let mut checked = 0;
    for expected in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = expected.path();
        let Some(name) = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_suffix(".expected")
        else {
            continue;
        };
        let want: std::collections::BTreeSet<String> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        let bundle = dir.join(name).display().to_string();
        let got: std::collections::BTreeSet<String> = bundle_json(&bundle, &[])
            .iter()
            .map(signature_gateway)
            .collect();
        assert_eq!(got, want, "{name}");
        // Gateways the objects name without an incident are listed as healthy.
        if name.ends_with(".tar.gz") || name == "aks-periscope.zip" {
            let text = stdout(&run(
                &[
                    "--no-store",
                    "bundle",
                    "analyze",
                    "--fail-on",
                    "never",
                    &bundle,
                ],
                b"",
                &[],
            ));
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with("edge/edge-gw"));
            assert!(
                line.is_some_and(|l| l.contains("no incident found")),
                "{name}: {text}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 5, "one sample bundle per layout");
}

/// The HTML report is one self-contained page whose text from the bundle
/// cannot become markup.
#[test]
fn the_html_report_is_self_contained_and_escapes_bundle_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir
        .path()
        .join("httpbin-gateway-istio-6d9f7c8b5d-x2kqz.log");
    std::fs::write(
        &log,
        "2025-08-26T10:00:04.501777Z\terror\tenvoy config\tlistener '<script>alert(1)</script>' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied\n",
    )
    .unwrap();
    let out = run(
        &[
            "--no-store",
            "bundle",
            "analyze",
            "--format",
            "html",
            &log.display().to_string(),
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let html = stdout(&out);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"),
        "{html}"
    );
    assert!(
        html.contains("<svg") && html.contains("<rect"),
        "a timeline chart: {html}"
    );
    assert!(
        !html.contains("<script"),
        "no markup from the bundle: {html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    // No external resources: nothing the browser would fetch.
    for fetch in [
        " src=", " href=", "url(", "@import", "<link", "<img", "<iframe",
    ] {
        assert!(!html.contains(fetch), "{fetch}: {html}");
    }
    assert!(html.contains("<tr><td>httpbin-gateway</td>"), "{html}");
}

/// The incidents of a sample bundle, as JSON.
fn sample_incidents(name: &str) -> Vec<serde_json::Value> {
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/bundles")
        .join(name);
    bundle_json(&bundle.display().to_string(), &[])
}

#[test]
fn log_sections_name_the_container_and_the_previous_instance() {
    // cluster-info dump: `==== START logs for container istio-proxy of pod ... ====`.
    let dump = sample_incidents("cluster-info-dump");
    let bind = incident(&dump, "proxy.listener_bind_failed");
    assert_eq!(bind["samples"][0]["container"], "istio-proxy", "{bind}");
    assert_eq!(
        bind["samples"][0]["input"],
        format!("default/{POD}/logs.txt")
    );
    // bug-report: the previous instance's log follows its marker in the same file.
    let report = sample_incidents("bug-report.tar.gz");
    let bind = incident(&report, "proxy.listener_bind_failed");
    let samples = bind["samples"].as_array().unwrap();
    let previous: Vec<bool> = samples
        .iter()
        .map(|s| s["previous"].as_bool().unwrap_or(false))
        .collect();
    assert!(
        previous.contains(&true) && previous.contains(&false),
        "{bind}"
    );
    let marker = samples
        .iter()
        .filter(|s| s["previous"] == true)
        .map(|s| s["line"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(
        samples
            .iter()
            .filter(|s| s["previous"] != true)
            .all(|s| s["line"].as_u64().unwrap() < marker),
        "lines after the marker, and only those, are the previous instance's: {bind}"
    );
    // troubleshoot.sh: `<container>-previous.log`.
    let support = sample_incidents("support-bundle.tar.gz");
    let bind = incident(&support, "proxy.listener_bind_failed");
    assert_eq!(bind["samples"][0]["previous"], true, "{bind}");
    assert_eq!(bind["samples"][0]["container"], "istio-proxy");
}
