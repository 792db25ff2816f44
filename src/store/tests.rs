use super::*;
use crate::incident::{ObjectRef, Sample, State, stable_id};
use crate::signature::Severity;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_756_202_400 + secs, 0).unwrap()
}

fn incident(n: u32, signature: &str, severity: Severity, gateway: &str, secs: i64) -> Incident {
    let (ns, name) = gateway.split_once('/').unwrap();
    Incident {
        id: stable_id(&[&n.to_string(), signature]),
        key: stable_id(&[signature, gateway]),
        signature: signature.into(),
        title: format!("{signature} title"),
        severity,
        cluster: "aks-1".into(),
        object: ObjectRef::new("Gateway", Some(ns), name),
        gateway: Some(gateway.into()),
        first_seen: t(secs),
        last_seen: t(secs + 60),
        count: 3,
        pods: vec![format!("{name}-istio-6d9f7c8b5d-x2kqz")],
        samples: vec![Sample {
            input: "gw.log".into(),
            line: 7,
            ts: Some(t(secs)),
            text: format!("{signature} seen on {name}"),
            container: Some("istio-proxy".into()),
            previous: false,
        }],
        details: vec![("listener".into(), "0.0.0.0_80".into())],
        guide_step: "step".into(),
        remediation: "fix it".into(),
        previous: None,
        state: State::Open,
    }
}

fn filled(dir: &Path) -> Store {
    let mut store = Store::open(dir, Mode::Write).unwrap();
    store
        .upsert(incident(
            1,
            "proxy.listener_bind_failed",
            Severity::Critical,
            "default/httpbin-gateway",
            0,
        ))
        .unwrap();
    store
        .upsert(incident(
            2,
            "lb.sync_failed",
            Severity::Error,
            "shop/shop-gw",
            3600,
        ))
        .unwrap();
    store
        .upsert(incident(
            3,
            "proxy.route_not_found",
            Severity::Warning,
            "default/httpbin-gateway",
            7200,
        ))
        .unwrap();
    store.commit("test").unwrap();
    store
}

fn ids(found: &[Incident]) -> Vec<&str> {
    found.iter().map(|i| i.signature.as_str()).collect()
}

#[test]
fn search_filters_and_orders_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let all = Search {
        limit: 10,
        ..Search::default()
    };
    assert_eq!(
        ids(&store.search(&all).unwrap()),
        [
            "proxy.route_not_found",
            "lb.sync_failed",
            "proxy.listener_bind_failed"
        ]
    );
    let text = Search {
        text: "bind".into(),
        ..all.clone()
    };
    assert_eq!(
        ids(&store.search(&text).unwrap()),
        ["proxy.listener_bind_failed"]
    );
    let severe = Search {
        severity: Some(Severity::Error),
        ..all.clone()
    };
    assert_eq!(
        ids(&store.search(&severe).unwrap()),
        ["lb.sync_failed", "proxy.listener_bind_failed"]
    );
    let gateway = Search {
        gateway: Some("httpbin-gateway".into()),
        ..all.clone()
    };
    assert_eq!(store.search(&gateway).unwrap().len(), 2);
    let qualified = Search {
        gateway: Some("shop/shop-gw".into()),
        ..all.clone()
    };
    assert_eq!(ids(&store.search(&qualified).unwrap()), ["lb.sync_failed"]);
    let ns = Search {
        namespace: Some("shop".into()),
        ..all.clone()
    };
    assert_eq!(ids(&store.search(&ns).unwrap()), ["lb.sync_failed"]);
    let window = Search {
        since: Some(t(3000)),
        until: Some(t(4000)),
        ..all.clone()
    };
    assert_eq!(ids(&store.search(&window).unwrap()), ["lb.sync_failed"]);
    let sigs = Search {
        signatures: vec!["lb.sync_failed".into(), "proxy.route_not_found".into()],
        limit: 1,
        ..all.clone()
    };
    assert_eq!(
        ids(&store.search(&sigs).unwrap()),
        ["proxy.route_not_found"]
    );
    assert_eq!(store.count(&sigs).unwrap(), 2);
    let fielded = Search {
        text: "signature:lb.sync_failed OR pods:httpbin-gateway-istio-6d9f7c8b5d-x2kqz".into(),
        ..all
    };
    assert_eq!(store.search(&fielded).unwrap().len(), 3);
}

#[test]
fn upserts_replace_by_id_and_show_accepts_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = filled(dir.path());
    let mut grown = incident(
        1,
        "proxy.listener_bind_failed",
        Severity::Critical,
        "default/httpbin-gateway",
        0,
    );
    grown.count = 40;
    store.upsert(grown.clone()).unwrap();
    store.commit("again").unwrap();
    assert_eq!(store.len(), 3);
    let shown = store.get(&grown.id[..8]).unwrap().unwrap();
    assert_eq!(shown, grown);
    assert_eq!(store.get("ffffffffffff").unwrap(), None);
    let err = store.get("xyz").unwrap_err().to_string();
    assert!(err.contains("not an incident id"), "{err}");
    assert_eq!(store.last_payload().as_deref(), Some("again"));
    assert_eq!(
        store.latest(&grown.key).unwrap(),
        Some((grown.id.clone(), grown.last_seen))
    );
}

#[test]
fn latest_finds_the_newest_incident_of_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path(), Mode::Write).unwrap();
    let old = incident(1, "lb.sync_failed", Severity::Error, "shop/shop-gw", 0);
    let new = incident(2, "lb.sync_failed", Severity::Error, "shop/shop-gw", 5000);
    store.upsert(new.clone()).unwrap();
    store.upsert(old.clone()).unwrap();
    store.commit("").unwrap();
    assert_eq!(
        store.latest(&old.key).unwrap(),
        Some((new.id.clone(), new.last_seen))
    );
    assert_eq!(store.latest("nope").unwrap(), None);
}

#[test]
fn a_foreign_directory_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = Store::open(dir.path(), Mode::Write).err().unwrap();
    assert!(matches!(err, StoreError::Foreign(_)), "{err}");
    assert!(
        err.to_string().contains("is not an aks-gw-logs store"),
        "{err}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    let missing = dir.path().join("none");
    let err = Store::open(&missing, Mode::Read).err().unwrap();
    assert!(err.to_string().contains("no incident store at"), "{err}");
    assert!(!missing.exists());
}

#[test]
fn another_schema_version_or_a_damaged_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path()).close("").unwrap();
    let marker = dir.path().join(MARKER);
    std::fs::write(
        &marker,
        r#"{"format":"aks-gw-logs incident store","schema_version":99}"#,
    )
    .unwrap();
    let err = Store::open(dir.path(), Mode::Read).err().unwrap();
    assert!(err.to_string().contains("schema version 99"), "{err}");
    std::fs::write(
        &marker,
        r#"{"format":"aks-gw-logs incident store","schema_version":1}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("index/meta.json"), "{ not json").unwrap();
    let err = Store::open(dir.path(), Mode::Write).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("index/meta.json")).unwrap(),
        "{ not json"
    );
}

#[test]
fn a_second_writer_is_told_who_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path(), Mode::Write).unwrap();
    let err = Store::open(dir.path(), Mode::Write).err().unwrap();
    assert!(
        err.to_string()
            .contains(&format!("in use by process {}", std::process::id())),
        "{err}"
    );
    // Readers are not blocked.
    let reader = Store::open(dir.path(), Mode::Read).unwrap();
    assert!(reader.is_empty());
    first.close("").unwrap();
    assert!(!dir.path().join("writer.pid").exists());
    Store::open(dir.path(), Mode::Write).unwrap();
}

#[test]
fn query_mistakes_are_explained_with_their_column() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let search = |text: &str| {
        store.search(&Search {
            text: text.into(),
            limit: 5,
            ..Search::default()
        })
    };
    let err = search("bind AND (listener").unwrap_err().to_string();
    assert!(err.starts_with("query syntax error at column"), "{err}");
    assert!(err.contains("\n  bind AND (listener\n"), "{err}");
    let err = search("colour:red").unwrap_err().to_string();
    assert!(
        err.contains("field \"colour\" that incidents do not have"),
        "{err}"
    );
    let err = search("-bind").unwrap_err().to_string();
    assert!(err.contains("only excludes"), "{err}");
}

#[test]
fn stats_count_per_signature_and_gateway_over_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let stats = store.stats(&Search::default()).unwrap();
    assert_eq!(stats.incidents, 3);
    assert_eq!(
        stats.by_gateway,
        [
            ("default/httpbin-gateway".to_string(), 2),
            ("shop/shop-gw".to_string(), 1)
        ]
    );
    assert_eq!(stats.by_signature.len(), 3);
    assert_eq!(stats.bucket_seconds, 300);
    let counts: u64 = stats.histogram.iter().map(|b| b.count).sum();
    assert_eq!(counts, 3);
    assert_eq!(stats.histogram.first().map(|b| b.count), Some(1));
    assert!(stats.histogram.len() as i64 * stats.bucket_seconds >= 7200);
}

/// A store whose index writes are charged to `budget`.
fn on_small_disk(dir: &Path, budget: &super::fault::Budget) -> Store {
    let budget = budget.clone();
    Store::open_with(dir, Mode::Write, move |d| {
        Box::new(super::fault::FullDisk::new(d, budget))
    })
    .unwrap()
}

#[test]
fn a_full_disk_fails_the_commit_clearly_and_keeps_everything_committed_before() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let budget = super::fault::Budget::unlimited();
    let mut store = on_small_disk(&dir, &budget);
    let sig = "lb.sync_failed";
    let first: Vec<Incident> = (0..20)
        .map(|n| incident(n, sig, Severity::Error, "shop/shop-gw", i64::from(n)))
        .collect();
    for inc in &first {
        store.upsert(inc.clone()).unwrap();
    }
    store.commit("first").unwrap();
    // Room for part of the next segment only.
    budget.set(4_000);
    for n in 20..2_000 {
        let inc = incident(n, sig, Severity::Error, "shop/shop-gw", i64::from(n));
        if store.upsert(inc).is_err() {
            break;
        }
    }
    let err = store.commit("second").expect_err("the disk is full");
    let text = err.to_string();
    assert!(
        text.contains("No space left on device") && text.contains("free space"),
        "{text}"
    );
    assert!(!text.contains("IoError {"), "no debug rendering: {text}");
    drop(store);

    let store = Store::open(&dir, Mode::Read).unwrap();
    assert_eq!(store.len(), 20);
    assert_eq!(store.last_payload().as_deref(), Some("first"));
    for inc in &first {
        let stored = store.get(&inc.id).unwrap().expect("kept");
        assert_eq!(stored.count, inc.count);
    }
    drop(store);

    // With room again, a new writer goes on from there.
    let mut store = Store::open(&dir, Mode::Write).unwrap();
    store
        .upsert(incident(5_000, sig, Severity::Error, "shop/shop-gw", 9))
        .unwrap();
    store.close("third").unwrap();
    assert_eq!(Store::open(&dir, Mode::Read).unwrap().len(), 21);
}
