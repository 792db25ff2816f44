//! Each check against objects that show its failure and objects that do
//! not. Objects are read from YAML through the same document parser a
//! bundle's objects go through.

use super::*;
use crate::parse::{InputKind, parse_document_with};

/// Facts from YAML documents (and pods that wrote logs).
fn facts(yaml: &str) -> Facts {
    let mut facts = Facts::default();
    let mut problems = Vec::new();
    parse_document_with(yaml, InputKind::Yaml, &mut problems, &mut |o, line| {
        facts.objects.add(o, "objects.yaml", line);
    });
    assert!(problems.is_empty(), "{problems:?}");
    facts
}

/// `(signature, object, gateway)` of every finding of one check.
fn found(facts: &Facts, signature: &str) -> Vec<(String, String, Option<String>)> {
    let (_, check) = CHECKS.iter().find(|(id, _)| *id == signature).unwrap();
    check(facts)
        .into_iter()
        .map(|f| {
            assert_eq!(f.signature, signature);
            (
                f.signature.to_string(),
                f.object.object_ref().to_string(),
                f.gateway,
            )
        })
        .collect()
}

fn one(
    signature: &str,
    object: &str,
    gateway: Option<&str>,
) -> Vec<(String, String, Option<String>)> {
    vec![(
        signature.to_string(),
        object.to_string(),
        gateway.map(str::to_string),
    )]
}

const ISTIOD_126: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod-asm-1-26, namespace: aks-istio-system, labels: {app: istiod, istio.io/rev: asm-1-26}}
status: {readyReplicas: 2}
---
";

const ISTIOD_125: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod-asm-1-25, namespace: aks-istio-system, labels: {app: istiod, istio.io/rev: asm-1-25}}
status: {readyReplicas: 1}
---
";

fn gateway(ns: &str, name: &str, class: &str, labels: &str) -> String {
    format!(
        "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}
spec: {{gatewayClassName: {class}, listeners: [{{name: http, port: 80, protocol: HTTP}}]}}
---
"
    )
}

#[test]
fn every_check_has_a_catalogue_signature_marked_check() {
    let set = crate::load_signatures(None).unwrap();
    for (id, _) in CHECKS {
        let sig = set
            .get(id)
            .unwrap_or_else(|| panic!("{id} not in patterns/"));
        assert!(sig.check, "{id} lacks check = true");
    }
    let marked: Vec<&str> = set
        .signatures()
        .iter()
        .filter(|s| s.check)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(marked.len(), CHECKS.len(), "{marked:?}");
}

#[test]
fn probe_path_unrouted_needs_an_http_port_without_probe_annotations() {
    let service = |annotations: &str, app: &str| {
        format!(
            "{}
apiVersion: v1
kind: Service
metadata: {{name: web-istio, namespace: apps, labels: {{gateway.networking.k8s.io/gateway-name: web}}, annotations: {{{annotations}}}}}
spec:
  type: LoadBalancer
  ports:
  - {{name: status-port, port: 15021, appProtocol: tcp}}
  - {{name: http, port: 80, appProtocol: {app}}}
",
            gateway("apps", "web", "istio", "")
        )
    };
    assert_eq!(
        found(&facts(&service("", "http")), "lb.probe_path_unrouted"),
        one(
            "lb.probe_path_unrouted",
            "Service/apps/web-istio",
            Some("apps/web")
        )
    );
    for (annotations, app) in [
        (
            "service.beta.kubernetes.io/port_80_health-probe_protocol: tcp",
            "http",
        ),
        (
            "service.beta.kubernetes.io/port_80_no_probe_rule: 'true'",
            "http",
        ),
        ("", "tcp"),
    ] {
        let f = facts(&service(annotations, app));
        assert!(
            found(&f, "lb.probe_path_unrouted").is_empty(),
            "{annotations} {app}"
        );
    }
    // A port-443 annotation does not cover port 80.
    let other_port = service(
        "service.beta.kubernetes.io/port_443_health-probe_protocol: tcp",
        "http",
    );
    assert_eq!(
        found(&facts(&other_port), "lb.probe_path_unrouted").len(),
        1
    );
}

#[test]
fn gateway_on_system_pool_reads_the_node_mode_label() {
    let yaml = |mode: &str| {
        format!(
            "
apiVersion: v1
kind: Node
metadata: {{name: aks-nodes-1, labels: {{kubernetes.azure.com/mode: {mode}, kubernetes.azure.com/agentpool: nodes}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web-istio-6d9f7c8b5d-x2kqz, namespace: apps, labels: {{gateway.networking.k8s.io/gateway-name: web}}}}
spec: {{nodeName: aks-nodes-1}}
---
apiVersion: v1
kind: Pod
metadata: {{name: app-7c9d8b6f5d-q8w2z, namespace: apps}}
spec: {{nodeName: aks-nodes-1}}
"
        )
    };
    assert_eq!(
        found(&facts(&yaml("system")), "net.gateway_on_system_pool"),
        one(
            "net.gateway_on_system_pool",
            "Pod/apps/web-istio-6d9f7c8b5d-x2kqz",
            Some("apps/web")
        )
    );
    assert!(found(&facts(&yaml("user")), "net.gateway_on_system_pool").is_empty());
}

#[test]
fn external_traffic_absent_needs_pod_clients_only() {
    let yaml = "
apiVersion: v1
kind: Node
metadata: {name: aks-nodes-1}
status: {addresses: [{type: InternalIP, address: 10.224.0.4}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps}
spec: {gatewayClassName: istio}
status:
  addresses: [{type: IPAddress, value: 20.1.2.3}]
  conditions: [{type: Programmed, status: 'True', reason: Programmed}]
";
    let with = |clients: &[&str]| {
        let mut f = facts(yaml);
        for c in clients {
            f.traffic.add("apps/web", c);
        }
        found(&f, "net.external_traffic_absent")
    };
    assert_eq!(
        with(&["10.244.1.7:40000", "10.244.1.7:40001", "168.63.129.16:5000"]),
        one(
            "net.external_traffic_absent",
            "Gateway/apps/web",
            Some("apps/web")
        )
    );
    assert!(
        with(&["10.244.1.7:40000", "203.0.113.9:5000"]).is_empty(),
        "a public client"
    );
    assert!(
        with(&["10.244.1.7:40000", "10.224.0.4:5000"]).is_empty(),
        "through a node"
    );
    assert!(with(&[]).is_empty(), "no access log read");
    // Without Nodes a node address cannot be told from a pod's.
    let mut no_nodes = facts(yaml.split_once("---").unwrap().1);
    no_nodes.traffic.add("apps/web", "10.244.1.7:40000");
    assert!(found(&no_nodes, "net.external_traffic_absent").is_empty());
}

#[test]
fn class_not_istio_only_where_istio_runs() {
    let gw = gateway("apps", "web", "approuting-istio", "");
    assert!(
        found(&facts(&gw), "class.not_istio").is_empty(),
        "no istiod in the bundle"
    );
    let with_istiod = format!("{ISTIOD_126}{gw}{}", gateway("apps", "ok", "istio", ""));
    let hits = check_messages(&facts(&with_istiod), "class.not_istio");
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].contains(
            "Gateway apps/web has gatewayClassName \"approuting-istio\" (the App Routing"
        ),
        "{}",
        hits[0]
    );
    // A class of istio's controller is istio's.
    let own_class = format!(
        "{ISTIOD_126}{}
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: istio-internal}}
spec: {{controllerName: istio.io/gateway-controller}}
",
        gateway("apps", "web", "istio-internal", "")
    );
    assert!(found(&facts(&own_class), "class.not_istio").is_empty());
}

fn check_messages(facts: &Facts, signature: &str) -> Vec<String> {
    let (_, check) = CHECKS.iter().find(|(id, _)| *id == signature).unwrap();
    check(facts).into_iter().map(|f| f.message).collect()
}

#[test]
fn no_matching_parent_when_istio_wrote_no_parent_status() {
    let route = |parent_status: &str| {
        format!(
            "{}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: shop, namespace: apps}}
spec:
  parentRefs: [{{name: web, namespace: edge}}, {{name: svc-parent, kind: Service, group: ''}}]
status:
  parents: [{parent_status}]
",
            gateway("edge", "web", "istio", "")
        )
    };
    let written = "{parentRef: {name: web, namespace: edge}, controllerName: istio.io/gateway-controller, conditions: []}";
    assert!(found(&facts(&route(written)), "route.no_matching_parent").is_empty());
    assert_eq!(
        found(&facts(&route("")), "route.no_matching_parent"),
        one(
            "route.no_matching_parent",
            "HTTPRoute/apps/shop",
            Some("edge/web")
        )
    );
    let other = "{parentRef: {name: web, namespace: edge}, controllerName: example.com/other, conditions: []}";
    assert_eq!(
        found(&facts(&route(other)), "route.no_matching_parent").len(),
        1
    );
    // A parent in the route's namespace that does not exist.
    let missing = "
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: apps}
spec: {parentRefs: [{name: typo-gw}]}
";
    let messages = check_messages(&facts(missing), "route.no_matching_parent");
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("the bundle holds no Gateway apps/typo-gw"),
        "{}",
        messages[0]
    );
}

#[test]
fn parameters_ref_missing_only_when_the_namespace_configmaps_were_listed() {
    let gw = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps}
spec:
  gatewayClassName: istio
  infrastructure: {parametersRef: {group: '', kind: ConfigMap, name: web-options}}
---
";
    let root_ca = "
apiVersion: v1
kind: ConfigMap
metadata: {name: kube-root-ca.crt, namespace: apps}
---
";
    let options = "
apiVersion: v1
kind: ConfigMap
metadata: {name: web-options, namespace: apps}
data: {deployment: 'spec: {replicas: 2}'}
";
    assert!(
        found(&facts(gw), "custom.parameters_ref_missing").is_empty(),
        "not listed"
    );
    assert_eq!(
        found(
            &facts(&format!("{gw}{root_ca}")),
            "custom.parameters_ref_missing"
        ),
        one(
            "custom.parameters_ref_missing",
            "Gateway/apps/web",
            Some("apps/web")
        )
    );
    assert!(
        found(
            &facts(&format!("{gw}{root_ca}{options}")),
            "custom.parameters_ref_missing"
        )
        .is_empty()
    );
}

#[test]
fn unknown_revision_reads_the_gateway_then_its_namespace_and_tags() {
    let gw_125 = gateway("apps", "web", "istio", "istio.io/rev: asm-1-25");
    assert!(
        found(&facts(&gw_125), "revision.unknown").is_empty(),
        "no istiod: no verdict"
    );
    let f = facts(&format!("{ISTIOD_126}{gw_125}"));
    assert_eq!(
        found(&f, "revision.unknown"),
        one("revision.unknown", "Gateway/apps/web", Some("apps/web"))
    );
    assert!(check_messages(&f, "revision.unknown")[0].contains("(running: asm-1-26)"));
    // From the namespace label.
    let ns = "
apiVersion: v1
kind: Namespace
metadata: {name: apps, labels: {istio.io/rev: asm-1-24}}
---
";
    let unlabelled = gateway("apps", "web", "istio", "");
    assert_eq!(
        found(
            &facts(&format!("{ISTIOD_126}{ns}{unlabelled}")),
            "revision.unknown"
        )
        .len(),
        1
    );
    // A tag that points at a running revision is fine.
    let tag = "
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-revision-tag-prod, labels: {istio.io/tag: prod, istio.io/rev: asm-1-26}}
---
";
    let tagged = gateway("apps", "web", "istio", "istio.io/rev: prod");
    assert!(
        found(
            &facts(&format!("{ISTIOD_126}{tag}{tagged}")),
            "revision.unknown"
        )
        .is_empty()
    );
    let running = gateway("apps", "web", "istio", "istio.io/rev: asm-1-26");
    assert!(
        found(
            &facts(&format!("{ISTIOD_126}{running}")),
            "revision.unknown"
        )
        .is_empty()
    );
}

#[test]
fn revisions_known_from_istiod_logs_alone() {
    let mut f = facts(&gateway("apps", "web", "istio", "istio.io/rev: asm-1-25"));
    f.log_pods.insert((
        Some("aks-istio-system".into()),
        "istiod-asm-1-26-5d6f7b8c9d-xk2p9".into(),
    ));
    assert_eq!(found(&f, "revision.unknown").len(), 1);
}

#[test]
fn unpinned_gateways_during_an_upgrade() {
    let pinned = gateway("apps", "pinned", "istio", "istio.io/rev: asm-1-25");
    let loose = gateway("apps", "loose", "istio", "");
    assert!(
        found(
            &facts(&format!("{ISTIOD_126}{pinned}{loose}")),
            "revision.unpinned_during_upgrade"
        )
        .is_empty(),
        "one revision"
    );
    assert_eq!(
        found(
            &facts(&format!("{ISTIOD_125}{ISTIOD_126}{pinned}{loose}")),
            "revision.unpinned_during_upgrade"
        ),
        one(
            "revision.unpinned_during_upgrade",
            "Gateway/apps/loose",
            Some("apps/loose")
        )
    );
}

#[test]
fn stale_proxy_compares_the_pod_revision_with_the_owner() {
    let pod = |rev: &str| {
        format!(
            "
apiVersion: v1
kind: Pod
metadata: {{name: web-istio-6d9f7c8b5d-x2kqz, namespace: apps, labels: {{gateway.networking.k8s.io/gateway-name: web}}}}
spec:
  containers:
  - name: istio-proxy
    env: [{{name: CA_ADDR, value: 'istiod-{rev}.aks-istio-system.svc:15012'}}]
"
        )
    };
    let gw = gateway("apps", "web", "istio", "istio.io/rev: asm-1-26");
    let stale = facts(&format!("{ISTIOD_125}{ISTIOD_126}{gw}{}", pod("asm-1-25")));
    assert_eq!(
        found(&stale, "revision.stale_proxy"),
        one(
            "revision.stale_proxy",
            "Pod/apps/web-istio-6d9f7c8b5d-x2kqz",
            Some("apps/web")
        )
    );
    assert!(
        check_messages(&stale, "revision.stale_proxy")[0].contains("revision asm-1-25 (CA_ADDR)")
    );
    let current = facts(&format!("{ISTIOD_125}{ISTIOD_126}{gw}{}", pod("asm-1-26")));
    assert!(found(&current, "revision.stale_proxy").is_empty());
}

#[test]
fn status_writer_conflict_needs_a_ready_deployment_and_two_revisions() {
    let waiting = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps}
spec: {gatewayClassName: istio}
status:
  conditions: [{type: Accepted, status: Unknown, reason: Pending, message: Waiting for controller}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-istio, namespace: apps}
status: {readyReplicas: 2}
";
    assert!(
        found(
            &facts(&format!("{ISTIOD_126}{waiting}")),
            "revision.status_writer_conflict"
        )
        .is_empty()
    );
    assert_eq!(
        found(
            &facts(&format!("{ISTIOD_125}{ISTIOD_126}{waiting}")),
            "revision.status_writer_conflict"
        ),
        one(
            "revision.status_writer_conflict",
            "Gateway/apps/web",
            Some("apps/web")
        )
    );
    let not_ready = waiting.replace("readyReplicas: 2", "readyReplicas: 0");
    assert!(
        found(
            &facts(&format!("{ISTIOD_125}{ISTIOD_126}{not_ready}")),
            "revision.status_writer_conflict"
        )
        .is_empty()
    );
}

const CLASS_DEFAULTS: &str = "
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-gateway-class-defaults
  namespace: aks-istio-system
  creationTimestamp: '2025-08-01T00:00:00Z'
  labels: {gateway.istio.io/defaults-for-class: istio}
data:
  horizontalPodAutoscaler: |
    spec:
      minReplicas: 2
      maxReplicas: 5
  podDisruptionBudget: |
    spec:
      minAvailable: 1
---
";

#[test]
fn the_shipped_class_defaults_pass_every_customization_check() {
    let f = facts(CLASS_DEFAULTS);
    for id in [
        "custom.field_not_allowlisted",
        "custom.invalid_yaml",
        "custom.class_defaults_duplicate",
        "custom.class_defaults_unlabelled",
    ] {
        assert!(found(&f, id).is_empty(), "{id}");
    }
}

#[test]
fn fields_off_the_allowlist_and_bad_yaml_are_named() {
    let overlay = "
apiVersion: v1
kind: ConfigMap
metadata: {name: web-options, namespace: apps}
data:
  deployment: |
    spec:
      replicas: 3
      template:
        spec:
          hostNetwork: true
          containers:
          - name: istio-proxy
            image: example.com/proxy:1
            resources: {limits: {cpu: '2'}}
  horizontalPodAutoscaler: |
    spec:
      minReplicas: 1
  serviceAccount: |
    metadata: {annotations: {a: b}}
  service: |
    spec:
      type: LoadBalancer
      ports: [{port: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps}
spec:
  gatewayClassName: istio
  infrastructure: {parametersRef: {group: '', kind: ConfigMap, name: web-options}}
";
    let f = facts(overlay);
    let messages = check_messages(&f, "custom.field_not_allowlisted");
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains(
        "key deployment sets what the AKS allowlist does not admit: spec.template.spec.containers[].image, spec.template.spec.hostNetwork;"
    )), "{messages:#?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("spec.minReplicas=1 (must not be below 2)"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("key \"serviceAccount\" is not on the AKS allowlist"))
    );
    assert!(
        found(&f, "custom.field_not_allowlisted")
            .iter()
            .all(|(_, _, gw)| gw.as_deref() == Some("apps/web"))
    );
    let yaml = check_messages(&f, "custom.invalid_yaml");
    assert_eq!(yaml.len(), 1);
    assert!(
        yaml[0].starts_with("ConfigMap apps/web-options key service is not valid YAML: "),
        "{}",
        yaml[0]
    );
    // A ConfigMap nothing overlays is not judged.
    let unrelated = overlay
        .split_once("---")
        .unwrap()
        .0
        .replace("web-options", "app-settings");
    assert!(found(&facts(&unrelated), "custom.field_not_allowlisted").is_empty());
}

#[test]
fn duplicate_class_defaults_report_the_newer_one() {
    let newer = CLASS_DEFAULTS
        .replace("istio-gateway-class-defaults", "my-defaults")
        .replace("2025-08-01", "2025-08-20");
    let f = facts(&format!("{newer}{CLASS_DEFAULTS}"));
    assert_eq!(
        found(&f, "custom.class_defaults_duplicate"),
        one(
            "custom.class_defaults_duplicate",
            "ConfigMap/aks-istio-system/my-defaults",
            None
        )
    );
}

#[test]
fn class_defaults_without_the_label_or_elsewhere_are_ignored() {
    let unlabelled = CLASS_DEFAULTS.replace(
        "labels: {gateway.istio.io/defaults-for-class: istio}",
        "labels: {}",
    );
    let other_class = CLASS_DEFAULTS.replace(
        "defaults-for-class: istio}",
        "defaults-for-class: istio-remote}",
    );
    let elsewhere = CLASS_DEFAULTS.replace("namespace: aks-istio-system", "namespace: apps");
    for (yaml, why) in [
        (unlabelled, "lacks the label"),
        (other_class, "is \"istio-remote\", not \"istio\""),
        (elsewhere, "is in namespace apps"),
    ] {
        let messages = check_messages(&facts(&yaml), "custom.class_defaults_unlabelled");
        assert_eq!(messages.len(), 1, "{why}");
        assert!(messages[0].contains(why), "{}", messages[0]);
    }
}

#[test]
fn findings_become_check_records_naming_the_object_and_its_gateway() {
    let f = facts(&format!(
        "{ISTIOD_126}{}",
        gateway("apps", "web", "approuting-istio", "")
    ));
    let findings = run(&f, |id| id == "class.not_istio");
    assert_eq!(findings.len(), 1);
    let record = findings[0].record(Severity::Error, None);
    assert_eq!(record.source, Source::Check);
    assert_eq!(record.level, Some(Level::Error));
    assert_eq!(record.line, findings[0].object.line);
    assert_eq!(record.get(&Field::ObjectKind), Some("Gateway"));
    assert_eq!(record.get(&Field::ObjectName), Some("web"));
    assert_eq!(record.get(&Field::Namespace), Some("apps"));
    assert!(run(&f, |_| false).is_empty());
}
