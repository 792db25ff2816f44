//! Tests of the `kubectl describe` reader over text laid out as kubectl
//! prints it (generic describer for Gateway API objects, built-in
//! describer Events sections aligned by tabwriter).

use super::*;
use crate::record::{Field, Level, Source};

/// Feeds `text` line by line through a fresh [`Describe`], starting at line 1;
/// lines it does not take are kept as plain text, as the reader would.
fn read(text: &str) -> (Vec<Record>, Vec<Problem>) {
    let mut d = Describe::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if d.push(l, n, &mut out, &mut problems) == Step::NotMine {
            out.push(Record::text(n, l));
        }
    }
    d.finish(&mut out);
    (out, problems)
}

fn of(records: &[Record], source: Source) -> Vec<&Record> {
    records.iter().filter(|r| r.source == source).collect()
}

/// Lays out rows like Go's tabwriter with padding 2 (kubectl describe):
/// every cell but the last padded to its column's widest cell plus 2.
fn tabwrite(indent: &str, rows: &[&[&str]]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        out.push_str(indent);
        for (c, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if c + 1 < row.len() {
                out.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    }
    out
}

const GATEWAY: &str = r#"Name:         httpbin-gateway
Namespace:    default
Labels:       <none>
Annotations:  <none>
API Version:  gateway.networking.k8s.io/v1
Kind:         Gateway
Metadata:
  Creation Timestamp:  2025-08-26T10:00:00Z
  Generation:          1
  Resource Version:    123456
  UID:                 0b6e5f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b
Spec:
  Gateway Class Name:  istio
  Listeners:
    Allowed Routes:
      Namespaces:
        From:  Same
    Hostname:  httpbin.example.com
    Name:      https
    Port:      443
    Protocol:  HTTPS
    Tls:
      Certificate Refs:
        Group:  
        Kind:   Secret
        Name:   httpbin-credential
      Mode:     Terminate
Status:
  Addresses:
    Type:   Hostname
    Value:  httpbin-gateway-istio.default.svc.cluster.local
  Conditions:
    Last Transition Time:  2025-08-26T10:00:00Z
    Message:               Resource accepted
    Observed Generation:   1
    Reason:                Accepted
    Status:                True
    Type:                  Accepted
    Last Transition Time:  2025-08-26T10:00:07Z
    Message:               Failed to assign to any requested addresses: hostname "httpbin-gateway-istio.default.svc.cluster.local" not found
    Observed Generation:   1
    Reason:                AddressNotUsable
    Status:                False
    Type:                  Programmed
  Listeners:
    Attached Routes:  1
    Conditions:
      Last Transition Time:  2025-08-26T10:00:00Z
      Message:               No errors found
      Observed Generation:   1
      Reason:                Accepted
      Status:                True
      Type:                  Accepted
      Last Transition Time:  2025-08-26T10:00:00Z
      Message:               No errors found
      Observed Generation:   1
      Reason:                NoConflicts
      Status:                False
      Type:                  Conflicted
      Last Transition Time:  2025-08-26T10:00:00Z
      Message:               Bad TLS configuration
      Observed Generation:   1
      Reason:                Invalid
      Status:                False
      Type:                  Programmed
      Last Transition Time:  2025-08-26T10:00:00Z
      Message:               invalid certificate reference /Secret/httpbin-credential., secret default/httpbin-credential not found
      Observed Generation:   1
      Reason:                InvalidCertificateRef
      Status:                False
      Type:                  ResolvedRefs
    Name:                    https
    Supported Kinds:
      Group:  gateway.networking.k8s.io
      Kind:   HTTPRoute
Events:  <none>
"#;

#[test]
fn gateway_programmed_false_and_listener_certificate() {
    let (out, problems) = read(GATEWAY);
    assert!(problems.is_empty());
    let conds = of(&out, Source::Condition);
    assert_eq!(conds.len(), 6);
    let programmed = conds[1];
    assert_eq!(programmed.format, Format::ConditionDescribe);
    assert_eq!(programmed.get(&Field::ConditionType), Some("Programmed"));
    assert_eq!(programmed.get(&Field::ConditionStatus), Some("False"));
    assert_eq!(programmed.get(&Field::Reason), Some("AddressNotUsable"));
    assert_eq!(programmed.level, Some(Level::Error));
    assert_eq!(
        programmed.message,
        "Failed to assign to any requested addresses: hostname \"httpbin-gateway-istio.default.svc.cluster.local\" not found"
    );
    assert_eq!(
        programmed.object().as_deref(),
        Some("Gateway/default/httpbin-gateway")
    );
    assert_eq!(programmed.line, 39);
    assert_eq!(
        programmed.ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-08-26T10:00:07+00:00")
    );
    assert_eq!(programmed.get(&Field::Listener), None);
    assert_eq!(conds[0].level, Some(Level::Info));

    let listener: Vec<&&Record> = conds
        .iter()
        .filter(|r| r.get(&Field::Listener) == Some("https"))
        .collect();
    assert_eq!(listener.len(), 4);
    assert_eq!(listener[1].get(&Field::ConditionType), Some("Conflicted"));
    assert_eq!(listener[1].level, Some(Level::Info));
    assert_eq!(listener[2].get(&Field::Reason), Some("Invalid"));
    assert_eq!(listener[2].message, "Bad TLS configuration");
    let cert = listener[3];
    assert_eq!(cert.get(&Field::ConditionType), Some("ResolvedRefs"));
    assert_eq!(cert.get(&Field::Reason), Some("InvalidCertificateRef"));
    assert_eq!(cert.level, Some(Level::Error));
    assert_eq!(
        cert.message,
        "invalid certificate reference /Secret/httpbin-credential., secret default/httpbin-credential not found"
    );
    assert_eq!(cert.get(&Field::Namespace), Some("default"));
    assert_eq!(cert.line, 66);

    // Records come out in line order, other lines kept as text.
    assert!(out.windows(2).all(|w| w[0].line <= w[1].line));
    assert!(
        out.iter()
            .any(|r| r.message.contains("Gateway Class Name:"))
    );
    assert!(
        !out.iter()
            .any(|r| r.source == Source::Text && r.message.contains("Bad TLS"))
    );
}

const ROUTE: &str = r#"Name:         httpbin
Namespace:    shop
Labels:       <none>
Annotations:  <none>
API Version:  gateway.networking.k8s.io/v1
Kind:         HTTPRoute
Metadata:
  Creation Timestamp:  2025-08-26T10:05:00Z
  Generation:          1
Spec:
  Parent Refs:
    Group:      gateway.networking.k8s.io
    Kind:       Gateway
    Name:       httpbin-gateway
    Namespace:  default
  Rules:
    Backend Refs:
      Group:   
      Kind:    Service
      Name:    httpbin
      Port:    8000
      Weight:  1
Status:
  Parents:
    Conditions:
      Last Transition Time:  2025-08-26T10:05:00Z
      Message:               hostnames matched parent hostname "", but namespace "shop" is not allowed by the parent
      Observed Generation:   1
      Reason:                NotAllowedByListeners
      Status:                False
      Type:                  Accepted
      Last Transition Time:  2025-08-26T10:05:00Z
      Message:               All references resolved
      Observed Generation:   1
      Reason:                ResolvedRefs
      Status:                True
      Type:                  ResolvedRefs
    Controller Name:         istio.io/gateway-controller
    Parent Ref:
      Group:      gateway.networking.k8s.io
      Kind:       Gateway
      Name:       httpbin-gateway
      Namespace:  default
    Conditions:
      Last Transition Time:  2025-08-26T10:05:00Z
      Message:               no hostnames matched parent hostname "web.example.com"
      Observed Generation:   1
      Reason:                NoMatchingListenerHostname
      Status:                False
      Type:                  Accepted
    Controller Name:         istio.io/gateway-controller
    Parent Ref:
      Group:         gateway.networking.k8s.io
      Kind:          Gateway
      Name:          shop-gateway
      Section Name:  https
Events:  <none>
"#;

#[test]
fn route_parents_not_allowed_by_listeners() {
    let (out, problems) = read(ROUTE);
    assert!(problems.is_empty());
    let conds = of(&out, Source::Condition);
    assert_eq!(conds.len(), 3);
    let accepted = conds[0];
    assert_eq!(accepted.get(&Field::ConditionType), Some("Accepted"));
    assert_eq!(accepted.get(&Field::Reason), Some("NotAllowedByListeners"));
    assert_eq!(
        accepted.get(&Field::Parent),
        Some("default/httpbin-gateway")
    );
    assert_eq!(
        accepted.get(&Field::Controller),
        Some("istio.io/gateway-controller")
    );
    assert_eq!(accepted.object().as_deref(), Some("HTTPRoute/shop/httpbin"));
    assert_eq!(accepted.level, Some(Level::Error));
    assert_eq!(
        accepted.message,
        "hostnames matched parent hostname \"\", but namespace \"shop\" is not allowed by the parent"
    );
    assert_eq!(accepted.line, 26);
    assert_eq!(conds[1].get(&Field::ConditionType), Some("ResolvedRefs"));
    assert_eq!(conds[1].level, Some(Level::Info));
    // The second parent names no namespace: the route's own.
    assert_eq!(conds[2].get(&Field::Parent), Some("shop/shop-gateway"));
    assert_eq!(
        conds[2].get(&Field::Reason),
        Some("NoMatchingListenerHostname")
    );
}

#[test]
fn pod_events_with_and_without_counts() {
    let mut text = String::from(
        "Name:             httpbin-gateway-istio-6d9f7c8b5d-x2kqz
Namespace:        default
Priority:         0
Service Account:  httpbin-gateway-istio
Node:             aks-nodepool1-12345678-vmss000000/10.224.0.4
Labels:           gateway.networking.k8s.io/gateway-name=httpbin-gateway
                  pod-template-hash=6d9f7c8b5d
Status:           Running
IP:               10.244.1.12
Containers:
  istio-proxy:
    Image:          mcr.microsoft.com/oss/istio/proxyv2:1.26.3-distroless
    State:          Running
    Ready:          False
    Restart Count:  0
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Ready                       False 
Events:
",
    );
    text.push_str(&tabwrite(
        "  ",
        &[
            &["Type", "Reason", "Age", "From", "Message"],
            &["----", "------", "----", "----", "-------"],
            &[
                "Normal",
                "Scheduled",
                "5m",
                "default-scheduler",
                "Successfully assigned default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz to aks-nodepool1-12345678-vmss000000",
            ],
            &[
                "Warning",
                "Unhealthy",
                "2m (x12 over 5m)",
                "kubelet",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
            ],
            &["Warning", "BackOff", "30s", "", "Back-off restarting failed container"],
        ],
    ));
    let (out, problems) = read(&text);
    assert!(problems.is_empty());
    let events = of(&out, Source::Event);
    assert_eq!(events.len(), 3);
    let scheduled = events[0];
    assert_eq!(scheduled.format, Format::EventDescribe);
    assert_eq!(scheduled.level, Some(Level::Info));
    assert_eq!(scheduled.get(&Field::Count), Some("1"));
    assert_eq!(scheduled.scope.as_deref(), Some("default-scheduler"));
    let unhealthy = events[1];
    assert_eq!(unhealthy.get(&Field::Reason), Some("Unhealthy"));
    assert_eq!(unhealthy.get(&Field::Count), Some("12"));
    assert_eq!(unhealthy.get(&Field::Reporter), Some("kubelet"));
    assert_eq!(unhealthy.level, Some(Level::Warn));
    assert_eq!(
        unhealthy.message,
        "Readiness probe failed: HTTP probe failed with statuscode: 503"
    );
    assert_eq!(
        unhealthy.object().as_deref(),
        Some("Pod/default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz")
    );
    assert_eq!(unhealthy.line, 24);
    assert_eq!(unhealthy.ts, None);
    assert_eq!(events[2].get(&Field::Reporter), None);
    assert_eq!(events[2].message, "Back-off restarting failed container");
    // The pod's own condition table is not read as Gateway conditions.
    assert!(of(&out, Source::Condition).is_empty());
}

#[test]
fn events_rows_cut_at_runs_when_not_aligned() {
    let text = "Events:
  Type     Reason                  Age   From                Message
  ----     ------                  ----  ----                -------
  Warning  SyncLoadBalancerFailed  3m (x4 over 10m)  service-controller  Error syncing load balancer: failed to ensure load balancer: Code=\"AllocationFailed\"
  Normal   EnsuringLoadBalancer  10m  service-controller  Ensuring load balancer
2025-08-26T10:00:00.101234Z\tinfo\tads\tPush debounce stable";
    let (out, problems) = read(text);
    assert!(problems.is_empty());
    let events = of(&out, Source::Event);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].get(&Field::Count), Some("4"));
    assert_eq!(
        events[0].get(&Field::Reason),
        Some("SyncLoadBalancerFailed")
    );
    assert_eq!(events[0].get(&Field::ObjectName), None);
    assert_eq!(events[1].get(&Field::Count), Some("1"));
    // The section ended; the next line is not part of it.
    assert_eq!(out.last().unwrap().line, 6);
    assert_eq!(out.last().unwrap().source, Source::Text);
}

#[test]
fn malformed_event_row_is_reported_and_kept() {
    let text = "Events:
  Type     Reason     Age   From     Message
  ----     ------     ----  ----     -------
  Warning  Unhealthy
  Normal   Pulled     5m    kubelet  Container image already present on machine";
    let (out, problems) = read(text);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].line, 4);
    assert!(
        problems[0]
            .message
            .contains("Type, Reason, Age, From, Message")
    );
    assert_eq!(out[0].source, Source::Text);
    assert_eq!(out[0].message, "  Warning  Unhealthy");
    assert_eq!(out[1].get(&Field::Reason), Some("Pulled"));
}

#[test]
fn gateway_class_waiting_for_controller_and_non_gateway_kinds() {
    let text = "Name:         istio-remote
Namespace:    
API Version:  gateway.networking.k8s.io/v1
Kind:         GatewayClass
Status:
  Conditions:
    Last Transition Time:  1970-01-01T00:00:00Z
    Message:               Waiting for controller
    Reason:                Pending
    Status:                Unknown
    Type:                  Accepted

Name:         cert
Namespace:    default
API Version:  cert-manager.io/v1
Kind:         Certificate
Status:
  Conditions:
    Last Transition Time:  2025-08-26T10:00:00Z
    Message:               Issuing certificate as Secret does not exist
    Reason:                DoesNotExist
    Status:                False
    Type:                  Ready
";
    let (out, _) = read(text);
    let conds = of(&out, Source::Condition);
    assert_eq!(conds.len(), 1);
    let c = conds[0];
    assert_eq!(c.get(&Field::ObjectKind), Some("GatewayClass"));
    assert_eq!(c.get(&Field::Namespace), None);
    assert_eq!(c.get(&Field::ConditionStatus), Some("Unknown"));
    assert_eq!(c.get(&Field::Reason), Some("Pending"));
    assert_eq!(c.level, Some(Level::Warn));
    assert_eq!(c.message, "Waiting for controller");
    assert_eq!(
        c.ts.map(|t| t.to_rfc3339()).as_deref(),
        Some("1970-01-01T00:00:00+00:00")
    );
    // The Certificate's condition stays as text.
    assert!(
        out.iter()
            .any(|r| r.source == Source::Text && r.message.contains("DoesNotExist"))
    );
}

#[test]
fn keys_and_ages() {
    assert_eq!(
        key_value("Name:         httpbin"),
        Some(("Name", "httpbin"))
    );
    assert_eq!(key_value("Status:"), Some(("Status", "")));
    assert_eq!(
        key_value("Last Transition Time:  2025-08-26T10:00:00Z"),
        Some(("Last Transition Time", "2025-08-26T10:00:00Z"))
    );
    assert_eq!(key_value("kubernetes.io/name: x"), None);
    assert_eq!(key_value("2025-08-26T10:00:00Z info"), None);
    assert_eq!(key_value("Warning  Unhealthy: x"), None);
    assert_eq!(age_cell("2m (x12 over 5m)"), Some(Some(12)));
    assert_eq!(age_cell("5m"), Some(None));
    assert_eq!(age_cell("2m (x over 5m)"), None);
    assert_eq!(age_cell("Readiness probe"), None);
    assert!(Describe::starts("Name:  x"));
    assert!(Describe::starts("Events:"));
    assert!(!Describe::starts("Events:  <none>"));
    assert!(!Describe::starts("Name:"));
}

#[test]
fn false_starts_and_partial_conditions_keep_their_lines() {
    let (out, problems) = read("Events:\nnot a header\n");
    assert!(problems.is_empty());
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].line, out[0].message.as_str()), (1, "Events:"));
    assert_eq!((out[1].line, out[1].message.as_str()), (2, "not a header"));

    // A pasted fragment of a condition with no `Type:`.
    let text = "Status:\n  Conditions:\n    Message:  Resource accepted\n    Reason:   Accepted\n";
    let (out, _) = read(text);
    assert!(of(&out, Source::Condition).is_empty());
    let texts: Vec<(u64, &str)> = out.iter().map(|r| (r.line, r.message.as_str())).collect();
    assert_eq!(
        texts,
        vec![
            (1, "Status:"),
            (3, "    Message:  Resource accepted"),
            (4, "    Reason:   Accepted"),
        ]
    );
}
