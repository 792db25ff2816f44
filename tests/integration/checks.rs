//! Resource checks in `bundle analyze`: objects of a real tar.gz bundle
//! become incidents with their entry and line as evidence, access logs tell
//! in-cluster clients from external ones, and a `--patterns` override
//! without `check = true` turns a check off.

use std::path::Path;

use crate::{bundle_json, incident, signature_gateway, tar_gz, write};

/// A bug-report archive of these entries.
fn bundle(dir: &Path, entries: &[(&str, &str)]) -> String {
    let entries: Vec<(&str, &[u8])> = entries.iter().map(|(p, d)| (*p, d.as_bytes())).collect();
    tar_gz(dir, "bug-report.tar.gz", &entries)
}

const CRS: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: apps
  labels:
    istio.io/rev: asm-1-26
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
status:
  addresses:
  - type: IPAddress
    value: 20.81.10.5
  conditions:
  - type: Programmed
    status: \"True\"
    reason: Programmed
    message: ok
    lastTransitionTime: \"2025-08-26T10:00:05Z\"
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: legacy
  namespace: apps
spec:
  gatewayClassName: approuting-istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
";

const RESOURCES: &str = "apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: istiod-asm-1-26
    namespace: aks-istio-system
    labels:
      app: istiod
  status:
    readyReplicas: 2
- apiVersion: v1
  kind: Node
  metadata:
    name: aks-system-12345678-vmss000000
    labels:
      kubernetes.azure.com/mode: system
      kubernetes.azure.com/agentpool: system
  status:
    addresses:
    - type: InternalIP
      address: 10.224.0.4
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-istio-6d9f7c8b5d-x2kqz
    namespace: apps
    labels:
      gateway.networking.k8s.io/gateway-name: web
  spec:
    nodeName: aks-system-12345678-vmss000000
  status:
    phase: Running
";

const PROXY_LOG: &str = "2025-08-26T10:05:00.000000Z\tinfo\tProxy role\tips=[10.244.2.8] type=router id=web-istio-6d9f7c8b5d-x2kqz.apps domain=apps.svc.cluster.local
[2025-08-26T10:05:11.000Z] \"GET / HTTP/1.1\" 200 - via_upstream - \"-\" 0 612 3 2 \"-\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-7f0c1d2e3f42\" \"web.contoso.com\" \"10.244.4.7:8080\" outbound|8080||web.apps.svc.cluster.local 10.244.2.8:41113 10.244.2.8:80 10.244.7.9:40113 - apps.web.0
[2025-08-26T10:05:12.000Z] \"GET / HTTP/1.1\" 200 - via_upstream - \"-\" 0 612 3 2 \"-\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-7f0c1d2e3f43\" \"web.contoso.com\" \"10.244.4.7:8080\" outbound|8080||web.apps.svc.cluster.local 10.244.2.8:41114 10.244.2.8:80 10.244.7.9:40114 - apps.web.0
";

fn entries(proxy_log: &str) -> Vec<(&'static str, String)> {
    vec![
        ("bug-report/cluster/crs", CRS.to_string()),
        ("bug-report/cluster/k8s-resources", RESOURCES.to_string()),
        (
            "bug-report/proxies/apps/web-istio-6d9f7c8b5d-x2kqz/istio-proxy.log",
            proxy_log.to_string(),
        ),
    ]
}

fn analyze(dir: &Path, proxy_log: &str, global: &[&str]) -> Vec<serde_json::Value> {
    let owned = entries(proxy_log);
    let list: Vec<(&str, &str)> = owned.iter().map(|(p, d)| (*p, d.as_str())).collect();
    bundle_json(&bundle(dir, &list), global)
}

fn signatures(incidents: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = incidents.iter().map(signature_gateway).collect();
    ids.sort();
    ids
}

#[test]
fn objects_in_a_bundle_are_checked_and_point_at_their_entry_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let incidents = analyze(dir.path(), PROXY_LOG, &[]);
    assert_eq!(
        signatures(&incidents),
        [
            "class.not_istio apps/legacy",
            "net.external_traffic_absent apps/web",
            "net.gateway_on_system_pool apps/web",
        ]
    );
    let legacy = incident(&incidents, "class.not_istio");
    assert_eq!(legacy["samples"][0]["input"], "bug-report/cluster/crs");
    assert_eq!(
        legacy["samples"][0]["line"], 25,
        "the second document starts there"
    );
    assert_eq!(legacy["object"]["kind"], "Gateway");
    assert_eq!(legacy["severity"], "error");
    let pool = incident(&incidents, "net.gateway_on_system_pool");
    assert_eq!(
        pool["samples"][0]["input"],
        "bug-report/cluster/k8s-resources"
    );
    assert_eq!(pool["samples"][0]["line"], 24, "the Pod item starts there");
    assert_eq!(pool["pods"][0], "web-istio-6d9f7c8b5d-x2kqz");
    assert!(
        pool["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d[0] == "agentpool" && d[1] == "system"),
        "{pool}"
    );
    let absent = incident(&incidents, "net.external_traffic_absent");
    let text = absent["samples"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("public address 20.81.10.5")
            && text.contains("2 requests from inside the cluster"),
        "{text}"
    );
    // Dated by the newest evidence the bundle holds, not by the clock.
    assert_eq!(absent["first_seen"], "2025-08-26T10:00:05Z", "{absent}");
}

#[test]
fn one_external_client_clears_external_traffic_absent() {
    let dir = tempfile::tempdir().unwrap();
    let external = PROXY_LOG.replace("10.244.7.9:40114", "203.0.113.9:40114");
    let incidents = analyze(dir.path(), &external, &[]);
    assert!(
        !signatures(&incidents)
            .iter()
            .any(|s| s.starts_with("net.external_traffic_absent")),
        "{incidents:?}"
    );
    // Through a node address (externalTrafficPolicy: Cluster) counts as external too.
    let via_node = PROXY_LOG.replace("10.244.7.9:40114", "10.224.0.4:40114");
    let incidents = analyze(dir.path(), &via_node, &[]);
    assert!(
        !signatures(&incidents)
            .iter()
            .any(|s| s.starts_with("net.external_traffic_absent"))
    );
}

#[test]
fn an_override_without_check_turns_the_check_off() {
    let dir = tempfile::tempdir().unwrap();
    let patterns = dir.path().join("patterns");
    std::fs::create_dir(&patterns).unwrap();
    write(
        &patterns,
        "local.toml",
        br#"[[signature]]
id = "class.not_istio"
title = "Gateway class is not istio (regex only here)"
severity = "error"
guide_step = "g"
remediation = "r"
sources = ["condition"]
regexes = ['''never written by any controller: (?P<x>\w+)''']
[signature.examples]
match = ["never written by any controller: abc", "never written by any controller: d", "never written by any controller: e"]
no_match = ["a", "b"]
"#,
    );
    let patterns = patterns.display().to_string();
    let incidents = analyze(dir.path(), PROXY_LOG, &["--patterns", &patterns]);
    let ids = signatures(&incidents);
    assert!(
        !ids.iter().any(|s| s.starts_with("class.not_istio")),
        "{ids:?}"
    );
    assert!(
        ids.iter()
            .any(|s| s.starts_with("net.gateway_on_system_pool")),
        "{ids:?}"
    );
}
