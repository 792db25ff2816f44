use std::collections::HashSet;
use std::sync::Arc;

use super::*;
use crate::classify::Classifier;
use crate::record::{Format, Source};
use crate::signature::{PatternFile, fixture};

fn set() -> SignatureSet {
    let text = [
        fixture(
            "proxy.listener_bind_failed",
            Some("critical"),
            "",
            r"listener '(?P<listener>[^']+)' failed to bind",
        ),
        fixture(
            "lb.address_pending",
            Some("error"),
            "object_kind = \"Service\"\nescalate = { after = 600, to = \"critical\" }\n",
            r"address pending for (?P<object>\S+)",
        ),
        fixture(
            "pod.probe_failed",
            Some("error"),
            "sources = [\"event\"]\n",
            r"Readiness probe failed: ",
        ),
    ]
    .concat();
    SignatureSet::compile(&[PatternFile {
        name: "t.toml".into(),
        text: Arc::from(text),
        user: false,
    }])
    .unwrap()
}

const T0: i64 = 1_756_202_400;

fn rec(line: u64, secs: i64, level: Level, msg: &str) -> Record {
    Record {
        line,
        ts: DateTime::from_timestamp(T0 + secs, 0),
        source: Source::Envoy,
        format: Format::Text,
        level: Some(level),
        scope: None,
        message: msg.into(),
        fields: Vec::new(),
    }
}

fn gateway_pod(input: &str) -> Origin {
    Origin {
        cluster: "aks-1".into(),
        input: input.into(),
        pod: Some("httpbin-gateway-istio-6d9f7c8b5d-x2kqz".into()),
        namespace: Some("default".into()),
        ..Origin::default()
    }
}

/// Classifies and groups the records; returns every incident.
fn group(
    set: &SignatureSet,
    origin: &Origin,
    records: &[Record],
    history: &mut dyn History,
) -> Vec<Incident> {
    let read_at = DateTime::from_timestamp(T0 + 86_400, 0).unwrap();
    let mut grouper = Grouper::new(set, DEFAULT_QUIET, read_at);
    let mut classifier = Classifier::new(set);
    for r in records {
        if let Some(hit) = classifier.classify(r) {
            grouper.push(origin, r, &hit, history);
        }
    }
    grouper.incidents().cloned().collect()
}

fn bind(line: u64, secs: i64, listener: &str) -> Record {
    rec(
        line,
        secs,
        Level::Error,
        &format!("listener '{listener}' failed to bind or apply socket options"),
    )
}

#[test]
fn repeats_on_one_gateway_are_one_incident_with_first_last_and_diverse_samples() {
    let set = set();
    let records: Vec<Record> = (0..20)
        .map(|i| bind(i + 1, i as i64 * 10, &format!("0.0.0.0_{}", 80 + i % 7)))
        .collect();
    let incidents = group(&set, &gateway_pod("gw.log"), &records, &mut NoHistory);
    assert_eq!(incidents.len(), 1);
    let inc = &incidents[0];
    assert_eq!(inc.signature, "proxy.listener_bind_failed");
    assert_eq!(inc.object.to_string(), "Gateway/default/httpbin-gateway");
    assert_eq!(inc.gateway.as_deref(), Some("default/httpbin-gateway"));
    assert_eq!(inc.count, 20);
    assert_eq!(inc.first_seen, DateTime::from_timestamp(T0, 0).unwrap());
    assert_eq!(
        inc.last_seen,
        DateTime::from_timestamp(T0 + 190, 0).unwrap()
    );
    assert_eq!(inc.pods, ["httpbin-gateway-istio-6d9f7c8b5d-x2kqz"]);
    assert_eq!(inc.samples.len(), MAX_SAMPLES);
    assert_eq!(inc.samples[0].line, 1, "the first sample is the first hit");
    assert_eq!(
        inc.samples.last().unwrap().line,
        20,
        "the last sample is the last hit"
    );
    let texts: HashSet<&str> = inc.samples.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts.len(),
        MAX_SAMPLES,
        "middle samples differ from each other: {texts:?}"
    );
    assert_eq!(
        inc.details,
        [("listener".to_string(), "0.0.0.0_80".to_string())]
    );
    assert_eq!(inc.state, State::Open);
}

#[test]
fn different_objects_and_clusters_are_different_incidents() {
    let set = set();
    let records = [
        rec(
            1,
            0,
            Level::Error,
            "address pending for default/httpbin-gateway-istio",
        ),
        rec(2, 1, Level::Error, "address pending for shop/shop-gw-istio"),
        rec(
            3,
            2,
            Level::Error,
            "address pending for default/httpbin-gateway-istio",
        ),
    ];
    let incidents = group(&set, &gateway_pod("a.log"), &records, &mut NoHistory);
    let objects: Vec<(String, u64)> = incidents
        .iter()
        .map(|i| (i.object.to_string(), i.count))
        .collect();
    assert_eq!(
        objects,
        [
            ("Service/default/httpbin-gateway-istio".to_string(), 2),
            ("Service/shop/shop-gw-istio".to_string(), 1)
        ]
    );
    let mut other = gateway_pod("a.log");
    other.cluster = "aks-2".into();
    let again = group(&set, &other, &records, &mut NoHistory);
    assert_ne!(again[0].id, incidents[0].id);
    assert_ne!(again[0].key, incidents[0].key);
}

#[test]
fn a_quiet_window_closes_an_incident_and_the_recurrence_links_back() {
    let set = set();
    let quiet = DEFAULT_QUIET.num_seconds();
    let records = [
        bind(1, 0, "0.0.0.0_80"),
        bind(2, 60, "0.0.0.0_80"),
        bind(3, 60 + quiet + 1, "0.0.0.0_80"),
    ];
    let incidents = group(&set, &gateway_pod("gw.log"), &records, &mut NoHistory);
    assert_eq!(incidents.len(), 2);
    assert_eq!((incidents[0].count, incidents[0].state), (2, State::Closed));
    assert_eq!((incidents[1].count, incidents[1].state), (1, State::Open));
    assert_eq!(
        incidents[1].previous.as_deref(),
        Some(incidents[0].id.as_str())
    );
    assert_eq!(incidents[0].key, incidents[1].key);
}

#[test]
fn a_check_finding_joins_its_open_incident_however_quiet() {
    let set = set();
    let quiet = DEFAULT_QUIET.num_seconds();
    let mut finding = bind(2, 60 + quiet + 1, "0.0.0.0_80");
    finding.source = Source::Check;
    let records = [bind(1, 0, "0.0.0.0_80"), finding];
    let incidents = group(&set, &gateway_pod("gw.log"), &records, &mut NoHistory);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(incidents[0].count, 2);
    assert_eq!(incidents[0].last_seen.timestamp(), T0 + 60 + quiet + 1);
}

#[test]
fn reading_the_same_input_again_gives_the_same_ids() {
    let set = set();
    let records = [
        bind(1, 0, "0.0.0.0_80"),
        rec(2, 5, Level::Warn, "leader election lost after 3 tries"),
    ];
    let a = group(&set, &gateway_pod("gw.log"), &records, &mut NoHistory);
    let b = group(&set, &gateway_pod("gw.log"), &records, &mut NoHistory);
    assert_eq!(a.len(), 2);
    assert_eq!(a, b);
}

#[test]
fn a_persisting_incident_escalates_as_its_signature_says() {
    let set = set();
    let line = |n: u64, secs: i64| {
        rec(
            n,
            secs,
            Level::Error,
            "address pending for default/gw-istio",
        )
    };
    let short = group(
        &set,
        &gateway_pod("a"),
        &[line(1, 0), line(2, 300)],
        &mut NoHistory,
    );
    assert_eq!(short[0].severity, Severity::Error);
    let long = group(
        &set,
        &gateway_pod("a"),
        &[line(1, 0), line(2, 300), line(3, 600)],
        &mut NoHistory,
    );
    assert_eq!(long[0].severity, Severity::Critical);
}

#[test]
fn unclassified_lines_are_grouped_by_shape() {
    let set = set();
    let records = [
        rec(
            1,
            0,
            Level::Warn,
            "upstream connect error to 10.0.0.1:8080 after 3 tries",
        ),
        rec(
            2,
            1,
            Level::Warn,
            "upstream connect error to 10.0.0.2:8080 after 5 tries",
        ),
        rec(
            3,
            2,
            Level::Error,
            "leader election lost for gateway controller",
        ),
        rec(4, 3, Level::Info, "not a problem, not a hit"),
    ];
    let incidents = group(&set, &gateway_pod("gw.log"), &records, &mut NoHistory);
    let got: Vec<(&str, &str, u64, Severity)> = incidents
        .iter()
        .map(|i| (i.signature.as_str(), i.title.as_str(), i.count, i.severity))
        .collect();
    assert_eq!(
        got,
        [
            (
                "unclassified",
                "upstream connect error to <*> after <*> tries",
                2,
                Severity::Warning
            ),
            (
                "unclassified",
                "leader election lost for gateway controller",
                1,
                Severity::Error
            ),
        ]
    );
}

#[test]
fn events_about_gateway_pods_concern_the_gateway_and_name_the_pod() {
    let set = set();
    let mut event = rec(
        1,
        0,
        Level::Warn,
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
    );
    event.source = Source::Event;
    event.fields = vec![
        (Field::ObjectKind, "Pod".into()),
        (Field::Namespace, "default".into()),
        (
            Field::ObjectName,
            "httpbin-gateway-istio-6d9f7c8b5d-x2kqz".into(),
        ),
    ];
    let origin = Origin {
        cluster: "aks-1".into(),
        input: "events.json".into(),
        ..Origin::default()
    };
    let incidents = group(&set, &origin, &[event], &mut NoHistory);
    assert_eq!(
        incidents[0].object.to_string(),
        "Gateway/default/httpbin-gateway"
    );
    assert_eq!(
        incidents[0].pods,
        ["httpbin-gateway-istio-6d9f7c8b5d-x2kqz"]
    );
    // istiod's own lines concern the istiod pod.
    let istiod = Origin {
        cluster: "aks-1".into(),
        input: "istiod.log".into(),
        pod: Some("istiod-asm-1-26-5d6f7b8c9d-xk2p9".into()),
        namespace: Some("aks-istio-system".into()),
        ..Origin::default()
    };
    let incidents = group(&set, &istiod, &[bind(1, 0, "x")], &mut NoHistory);
    assert_eq!(
        incidents[0].object.to_string(),
        "Pod/aks-istio-system/istiod-asm-1-26-5d6f7b8c9d-xk2p9"
    );
    assert_eq!(incidents[0].gateway, None);
}

#[test]
fn a_new_run_links_to_the_stored_incident_of_the_same_key() {
    struct Stored(String, DateTime<Utc>, Vec<String>);
    impl History for Stored {
        fn latest(&mut self, key: &str) -> Option<(String, DateTime<Utc>)> {
            self.2.push(key.to_string());
            Some((self.0.clone(), self.1))
        }
    }
    let set = set();
    let mut stored = Stored(
        "0123456789abcdef".into(),
        DateTime::from_timestamp(T0 - 3600, 0).unwrap(),
        Vec::new(),
    );
    let incidents = group(
        &set,
        &gateway_pod("gw.log"),
        &[bind(1, 0, "l")],
        &mut stored,
    );
    assert_eq!(incidents[0].previous.as_deref(), Some("0123456789abcdef"));
    assert_eq!(stored.2, [incidents[0].key.clone()]);
    // A stored incident newer than this hit is not its predecessor.
    let mut newer = Stored(
        "fedcba9876543210".into(),
        DateTime::from_timestamp(T0 + 3600, 0).unwrap(),
        Vec::new(),
    );
    let incidents = group(&set, &gateway_pod("gw.log"), &[bind(1, 0, "l")], &mut newer);
    assert_eq!(incidents[0].previous, None);
}
