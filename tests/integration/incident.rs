//! `classify` feeding the incident store, and `incident search|show|stats`
//! reading it: filters, ids, re-reads, refusals, a second writer.

use std::io::Write;

use crate::{Writer, json_lines, run, stderr, stdout, write};

const BIND: &str = "2025-08-26T10:00:04.501777Z\terror\tenvoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150\tlistener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied\tthread=15";
const PROXY_ROLE: &str = "2025-08-26T09:59:58.101230Z\tinfo\tProxy role\tips=[10.244.1.23] type=router id=httpbin-gateway-istio-6d9f7c8b5d-x2kqz.default domain=default.svc.cluster.local";
const LB: &str = "E0826 10:02:11.123456       1 controller.go:320] error processing service shop/shop-gw-istio (will retry): failed to ensure load balancer: Code=\"PublicIPCountLimitReached\" Message=\"Cannot create more than 10 public IP addresses\"";
const ODD: &str = "2025-08-26T10:03:00.000000Z\twarn\tads\tleader election lost for gateway controller after 3 tries";

fn gateway_log() -> String {
    [PROXY_ROLE, BIND, &BIND.replace("10:00:04", "10:00:09"), ODD]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn classify(store: &str, input: &str) -> std::process::Output {
    run(
        &[
            "--store",
            store,
            "classify",
            "--fail-on",
            "never",
            "--cluster",
            "aks-prod",
            input,
        ],
        b"",
        &[],
    )
}

fn search(store: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["--store", store, "incident", "search", "--json"];
    args.extend_from_slice(extra);
    let out = run(&args, b"", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    json_lines(&stdout(&out))
}

#[test]
fn classify_records_incidents_that_search_show_and_stats_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let gw = write(dir.path(), "gw.log", gateway_log().as_bytes());
    let lb = write(
        dir.path(),
        "cloud-controller.log",
        format!("{LB}\n").as_bytes(),
    );
    assert_eq!(classify(&store, &gw).status.code(), Some(0));
    assert_eq!(classify(&store, &lb).status.code(), Some(0));

    let all = search(&store, &[]);
    let sigs: Vec<&str> = all
        .iter()
        .map(|i| i["signature"].as_str().unwrap())
        .collect();
    assert_eq!(sigs.len(), 3, "{all:?}");
    assert!(
        sigs.contains(&"proxy.listener_bind_failed")
            && sigs.contains(&"lb.sync_failed")
            && sigs.contains(&"unclassified")
    );

    let bind = &search(
        &store,
        &[
            "--gateway",
            "httpbin-gateway",
            "--signature",
            "proxy.listener_bind_failed",
        ],
    )[0];
    assert_eq!(bind["count"], 2);
    assert_eq!(bind["cluster"], "aks-prod");
    assert_eq!(bind["object"]["kind"], "Gateway");
    assert_eq!(bind["object"]["name"], "httpbin-gateway");
    assert_eq!(bind["pods"][0], "httpbin-gateway-istio-6d9f7c8b5d-x2kqz");
    assert_eq!(bind["first_seen"], "2025-08-26T10:00:04.501777Z");
    assert_eq!(bind["last_seen"], "2025-08-26T10:00:09.501777Z");
    assert_eq!(bind["samples"].as_array().unwrap().len(), 2);
    assert!(
        bind["remediation"]
            .as_str()
            .unwrap()
            .contains("Permission denied")
    );

    let lb_hits = search(&store, &["--namespace", "shop"]);
    assert_eq!(lb_hits.len(), 1);
    assert_eq!(lb_hits[0]["object"]["kind"], "Service");
    assert_eq!(
        search(&store, &["cannot bind", "--severity", "critical"]).len(),
        1
    );
    // klog lines carry no year: theirs is this year's.
    assert_eq!(
        search(
            &store,
            &[
                "--since",
                "2025-08-27",
                "--signature",
                "proxy.listener_bind_failed"
            ]
        )
        .len(),
        0
    );
    assert_eq!(search(&store, &["--until", "2025-08-25"]).len(), 0);
    assert_eq!(search(&store, &["--limit", "1"]).len(), 1);

    let id = bind["id"].as_str().unwrap();
    let shown = run(&["--store", &store, "incident", "show", &id[..8]], b"", &[]);
    let text = stdout(&shown);
    assert!(text.starts_with(&format!("Incident {id}")), "{text}");
    assert!(
        text.contains("Object:     Gateway/default/httpbin-gateway"),
        "{text}"
    );
    assert!(text.contains("gw.log:2"), "{text}");
    assert!(text.contains("What to do:"), "{text}");

    let table = stdout(&run(&["--store", &store, "incident", "search"], b"", &[]));
    assert!(table.lines().next().unwrap().starts_with("ID "), "{table}");
    assert!(table.contains(&id[..12]), "{table}");

    let stats = run(
        &["--store", &store, "incident", "stats", "--json"],
        b"",
        &[],
    );
    let stats: serde_json::Value = serde_json::from_str(&stdout(&stats)).unwrap();
    assert_eq!(stats["incidents"], 3);
    let histogram_total: u64 = stats["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["incidents"].as_u64().unwrap())
        .sum();
    assert_eq!(histogram_total, 3);
    let human = stdout(&run(&["--store", &store, "incident", "stats"], b"", &[]));
    assert!(
        human.contains("By Gateway") && human.contains('█'),
        "{human}"
    );
}

#[test]
fn reading_the_same_input_again_updates_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let gw = write(dir.path(), "gw.log", gateway_log().as_bytes());
    classify(&store, &gw);
    let first = search(&store, &[]);
    classify(&store, &gw);
    assert_eq!(search(&store, &[]), first);
}

#[test]
fn no_store_records_nothing_and_incident_commands_say_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let data_home = dir.path().display().to_string();
    let out = run(
        &["--no-store", "classify", "-"],
        gateway_log().as_bytes(),
        &[("XDG_DATA_HOME", &data_home)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    let out = run(
        &["incident", "search"],
        b"",
        &[("XDG_DATA_HOME", &data_home)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no incident store at"),
        "{}",
        stderr(&out)
    );
    // The default store is under XDG_DATA_HOME.
    run(
        &["classify", "-"],
        gateway_log().as_bytes(),
        &[("XDG_DATA_HOME", &data_home)],
    );
    assert!(
        dir.path()
            .join("aks-gw-logs/store/aks-gw-logs-store.json")
            .exists()
    );
    let out = run(
        &["incident", "search", "--json"],
        b"",
        &[("XDG_DATA_HOME", &data_home)],
    );
    assert_eq!(json_lines(&stdout(&out)).len(), 2);
}

#[test]
fn a_foreign_store_directory_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let notes = write(dir.path(), "notes.txt", b"precious");
    let out = run(
        &[
            "--store",
            &dir.path().display().to_string(),
            "classify",
            "-",
        ],
        gateway_log().as_bytes(),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not an aks-gw-logs store"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert_eq!(std::fs::read_to_string(notes).unwrap(), "precious");
}

#[test]
fn query_syntax_errors_say_where_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let gw = write(dir.path(), "gw.log", gateway_log().as_bytes());
    classify(&store, &gw);
    let out = run(
        &[
            "--store",
            &store,
            "incident",
            "search",
            "bind AND (listener",
        ],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("query syntax error at column"), "{err}");
    assert!(err.contains("bind AND (listener\n"), "{err}");
    let out = run(
        &[
            "--store",
            &store,
            "incident",
            "search",
            "--since",
            "yesterday",
        ],
        b"",
        &[],
    );
    assert!(
        stderr(&out).contains("--since: \"yesterday\" is not a time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_writer_is_refused_while_searches_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    // A writer that holds the store: classify reading a stdin kept open.
    let mut writer = Writer::start(&store, "10ms", &[]);
    let mut stdin = writer.stdin.take().unwrap();
    // A hit commits once the interval has passed since the last commit, and
    // the reader passes a line on when the next one shows it has no
    // continuation: after the log, hits keep coming, spaced out, until a
    // commit covers the log's four lines.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let feeder = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            stdin.write_all(gateway_log().as_bytes()).unwrap();
            for _ in 0..500 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(30));
                writeln!(stdin, "{BIND}\n{PROXY_ROLE}").unwrap();
            }
            stdin
        })
    };
    writer.wait_for_commit(4);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let stdin = feeder.join().unwrap();

    let second = run(
        &["--store", &store, "classify", "-"],
        gateway_log().as_bytes(),
        &[],
    );
    assert_eq!(second.status.code(), Some(2));
    let err = stderr(&second);
    assert!(
        err.contains(&format!("is in use by process {}", writer.child.id())),
        "{err}"
    );
    assert_eq!(
        search(&store, &[]).len(),
        2,
        "searching works while the writer runs"
    );

    drop(stdin);
    assert!(writer.child.wait().unwrap().code().is_some());
    assert_eq!(
        run(
            &["--store", &store, "classify", "--fail-on", "never", "-"],
            b"",
            &[]
        )
        .status
        .code(),
        Some(0)
    );
}
