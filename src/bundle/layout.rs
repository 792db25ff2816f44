//! Which bundle layout an entry path belongs to, and what it holds: a
//! container log (with the namespace, pod and container its path names, and
//! whether it is the previous instance's), a document of Events or objects
//! (read for conditions and kept for the resource checks), or nothing to
//! classify. Layouts (`../shared/reference/peers.md`):
//! - `istioctl bug-report`: `bug-report/` prefix, extension-less files;
//!   `cluster/{crs,k8s-resources,k8s-cluster-resources,pods,events,nodes}`
//!   are objects, `proxies|istio/<ns>/<pod>/<container>.log` logs (a previous
//!   instance's log follows a marker in the same file);
//! - `kubectl cluster-info dump`: `<ns>/<pod>/logs.txt` (containers in
//!   `==== START logs for container ...` sections), `nodes.json` and
//!   `<ns>/{events,pods,services,deployments,...}.json|yaml`;
//! - troubleshoot.sh: `cluster-resources/pods/logs/<ns>/<pod>/<container>.log`
//!   and `-previous.log`, `cluster-resources/{nodes,namespaces}.json`,
//!   `cluster-resources/<kind>/<ns>.json`, `custom-resources/...`;
//! - AKS Periscope: a node's `<node>.zip`, entries `<collector>/<key>`,
//!   perhaps under `<RUN_ID>/<node>/`: `kubeobjects/<ns>_<resource>_<name>`
//!   describe text, `podscontainerlogs/<pod>-<container>` JSON-wrapped logs,
//!   `systemlogs/kubelet` journals;
//! - plain trees of `.log`/`.txt`/`.json`/`.yaml` files.
//!
//! Each path is judged on its own, so a stream needs no look-ahead.

use crate::template::pod_stem;

/// The layouts told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layout {
    BugReport,
    ClusterInfoDump,
    Troubleshoot,
    Periscope,
    Plain,
}

impl Layout {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::BugReport => "istioctl bug-report",
            Layout::ClusterInfoDump => "kubectl cluster-info dump",
            Layout::Troubleshoot => "troubleshoot.sh support bundle",
            Layout::Periscope => "AKS Periscope",
            Layout::Plain => "plain files",
        }
    }
}

/// What an entry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A container's log.
    Log {
        namespace: Option<String>,
        pod: Option<String>,
        container: Option<String>,
        /// Of the container's previous instance (troubleshoot.sh `-previous.log`).
        previous: bool,
    },
    /// A container's log wrapped in a JSON object that names its pod and
    /// container (AKS Periscope `podscontainerlogs`, read by
    /// [`super::periscope`]): its key `<pod>-<container>` cannot be split
    /// where both names hold dashes.
    JsonContainerLog,
    /// Events or Kubernetes objects (YAML or JSON, tables).
    Objects,
    /// Nothing to classify (Envoy admin dumps, metrics, binaries); why.
    Skip(&'static str),
}

/// Reads an entry's path.
pub fn entry(path: &str) -> (Layout, Content) {
    let parts: Vec<&str> = path.split('/').collect();
    let file = parts.last().copied().unwrap_or("");
    // istioctl bug-report: `bug-report/` (or a --dir tree with its folders).
    if let Some(i) = parts.iter().position(|p| *p == "bug-report").or_else(|| {
        matches!(
            parts.first().copied(),
            Some("istio" | "proxies" | "cluster" | "operator" | "cni")
        )
        .then_some(usize::MAX)
    }) {
        let rest = if i == usize::MAX {
            &parts[..]
        } else {
            &parts[i + 1..]
        };
        return (Layout::BugReport, bug_report(rest));
    }
    if let Some(i) = parts
        .iter()
        .position(|p| *p == "cluster-resources" || *p == "custom-resources")
    {
        return (Layout::Troubleshoot, troubleshoot(&parts[i..]));
    }
    if let Some(content) = (0..parts.len()).find_map(|i| periscope(parts[i], &parts[i + 1..])) {
        return (Layout::Periscope, content);
    }
    if let [.., ns, pod, "logs.txt"] = parts.as_slice() {
        return (Layout::ClusterInfoDump, log(Some(ns), Some(pod), None));
    }
    if cluster_info_dump_objects(file) && (parts.len() >= 2 || file.starts_with("nodes.")) {
        return (Layout::ClusterInfoDump, Content::Objects);
    }
    (Layout::Plain, plain(file))
}

fn bug_report(rest: &[&str]) -> Content {
    match rest {
        ["istio" | "proxies" | "operator", ns, pod, file] if file.ends_with(".log") => {
            log(Some(ns), Some(pod), Some(file.trim_end_matches(".log")))
        }
        ["cni", pod, "cni.log"] => log(None, Some(pod), Some("install-cni")),
        [
            "cluster",
            "events" | "crs" | "k8s-resources" | "k8s-cluster-resources" | "pods" | "nodes",
        ] => Content::Objects,
        ["analyze", ..] => log(None, None, None),
        _ => Content::Skip(
            "an Envoy/istiod debug dump or cluster listing, not evidence this reads yet",
        ),
    }
}

fn troubleshoot(rest: &[&str]) -> Content {
    match rest {
        ["cluster-resources", "pods", "logs", ns, pod, file] if file.ends_with(".log") => {
            let container = file.trim_end_matches(".log");
            let current = container.strip_suffix("-previous");
            let mut content = log(Some(ns), Some(pod), Some(current.unwrap_or(container)));
            if let Content::Log { previous, .. } = &mut content {
                *previous = current.is_some();
            }
            content
        }
        ["cluster-resources", "events", _] | ["custom-resources", ..] => Content::Objects,
        ["cluster-resources", "nodes.json" | "namespaces.json"] => Content::Objects,
        [
            "cluster-resources",
            "services" | "pods" | "deployments" | "configmaps",
            _,
        ] => Content::Objects,
        _ => Content::Skip("a cluster listing this does not read yet"),
    }
}

/// The files `kubectl cluster-info dump` writes per namespace (and
/// `nodes` at the top), in any of its output formats.
fn cluster_info_dump_objects(file: &str) -> bool {
    let Some((stem, ext)) = file.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "json" | "yaml")
        && matches!(
            stem,
            "events"
                | "nodes"
                | "services"
                | "deployments"
                | "pods"
                | "replicasets"
                | "daemonsets"
                | "replication-controllers"
        )
}

/// A log of these (namespace, pod, container), of the current instance.
fn log(namespace: Option<&str>, pod: Option<&str>, container: Option<&str>) -> Content {
    Content::Log {
        namespace: namespace.map(str::to_string),
        pod: pod.map(str::to_string),
        container: container.map(str::to_string),
        previous: false,
    }
}

/// An AKS Periscope entry `<collector>/<key>` (Azure/aks-periscope as of
/// 2024-05: `pkg/collector/*.go` name the collectors and keys,
/// `pkg/exporter/zip.go` joins them): `None` unless `key` has the shape that
/// collector gives it, so a plain `logs/dns/coredns.log` stays plain.
fn periscope(collector: &str, key: &[&str]) -> Option<Content> {
    let nothing = |why| Some(Content::Skip(why));
    match (collector, key) {
        // `kubectl describe` text, `<ns>_<resource>[.<group>]_<name>` with the
        // resource as configured (`pod`, `service`, `gateways.gateway.networking.k8s.io`).
        // A pod's describe is its log (Events, states); any other object's is
        // read whole like other object documents, so that a Gateway whose
        // conditions are all True is still seen (and reported healthy).
        ("kubeobjects", [key]) => {
            let mut parts = key.splitn(3, '_');
            let (ns, resource, name) = (parts.next()?, parts.next()?, parts.next()?);
            if ns.is_empty() || resource.is_empty() || name.is_empty() {
                return None;
            }
            Some(match resource {
                "pod" | "pods" | "po" => log(Some(ns), Some(name), None),
                _ => Content::Objects,
            })
        }
        ("podscontainerlogs", [_]) => Some(Content::JsonContainerLog),
        // `journalctl -u <service>` (docker, kubelet): journal lines, each a
        // `Aug 26 10:00:31 <node> kubelet[<pid>]: ` prefix before kubelet's klog.
        ("systemlogs", [_]) => Some(log(None, None, None)),
        ("nodelogs", [_]) => {
            nothing("a node log file (cloud-init, cluster provisioning), not Gateway evidence")
        }
        ("iptables", ["iptables"]) => nothing("the node's iptables rules"),
        ("dns", ["virtualmachine" | "kubernetes"]) => nothing("a resolv.conf"),
        ("kubeletcmd", ["kubeletcmd"]) => nothing("the kubelet command line"),
        ("helm", ["helm_list"]) => nothing("the Helm release list"),
        ("networkoutbound", [_]) | ("networkconfig", ["networkconfig"]) => {
            nothing("a node's outbound connectivity or network configuration check")
        }
        ("poddisruptionbudget", [key]) if key.starts_with("pdb-") => {
            nothing("a namespace's PodDisruptionBudgets")
        }
        ("systemperf", ["nodes" | "pods"]) => nothing("node or pod resource usage"),
        ("osm", [_, _, ..]) | ("smi", ["smi", _, ..]) => {
            nothing("Open Service Mesh or SMI state, not Istio")
        }
        ("windowslogs", ["collect-windows-logs", _, ..]) => nothing("Windows node logs"),
        _ => None,
    }
}

fn plain(file: &str) -> Content {
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    match ext {
        "log" | "txt" | "" => log(None, pod_stem(stem).map(|_| stem), None),
        "json" | "yaml" | "yml" => Content::Objects,
        _ => Content::Skip("not a log, JSON or YAML file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_layout_and_pod() {
        assert_eq!(
            entry(
                "bug-report/proxies/default/httpbin-gateway-istio-6d9f7c8b5d-x2kqz/istio-proxy.log"
            ),
            (
                Layout::BugReport,
                log(
                    Some("default"),
                    Some("httpbin-gateway-istio-6d9f7c8b5d-x2kqz"),
                    Some("istio-proxy")
                )
            )
        );
        assert_eq!(
            entry(
                "bug-report/istio/aks-istio-system/istiod-asm-1-26-5d6f7b8c9d-xk2p9/discovery.log"
            ),
            (
                Layout::BugReport,
                log(
                    Some("aks-istio-system"),
                    Some("istiod-asm-1-26-5d6f7b8c9d-xk2p9"),
                    Some("discovery")
                )
            )
        );
        assert_eq!(
            entry("bug-report/cluster/crs"),
            (Layout::BugReport, Content::Objects)
        );
        assert!(matches!(
            entry("bug-report/proxies/default/p/config_dump?include_eds").1,
            Content::Skip(_)
        ));
        assert_eq!(
            entry(
                "support-bundle-2025/cluster-resources/pods/logs/default/gw-istio-6d9f7c8b5d-x2kqz/istio-proxy-previous.log"
            ),
            (
                Layout::Troubleshoot,
                Content::Log {
                    namespace: Some("default".into()),
                    pod: Some("gw-istio-6d9f7c8b5d-x2kqz".into()),
                    container: Some("istio-proxy".into()),
                    previous: true,
                }
            )
        );
        assert_eq!(
            entry("support-bundle/cluster-resources/nodes.json"),
            (Layout::Troubleshoot, Content::Objects)
        );
        assert_eq!(
            entry("support-bundle/cluster-resources/configmaps/aks-istio-system.json"),
            (Layout::Troubleshoot, Content::Objects)
        );
        assert_eq!(
            entry("bug-report/cluster/k8s-cluster-resources"),
            (Layout::BugReport, Content::Objects)
        );
        assert_eq!(
            entry("dump/default/gw-istio-6d9f7c8b5d-x2kqz/logs.txt").0,
            Layout::ClusterInfoDump
        );
        for objects in [
            "dump/default/events.json",
            "dump/default/pods.json",
            "dump/aks-istio-system/deployments.yaml",
            "dump/nodes.json",
            "nodes.json",
        ] {
            assert_eq!(
                entry(objects),
                (Layout::ClusterInfoDump, Content::Objects),
                "{objects}"
            );
        }
        assert_eq!(entry("gateway.yaml"), (Layout::Plain, Content::Objects));
        assert_eq!(
            entry("logs/httpbin-gateway-istio-6d9f7c8b5d-x2kqz.log"),
            (
                Layout::Plain,
                log(None, Some("httpbin-gateway-istio-6d9f7c8b5d-x2kqz"), None)
            )
        );
        assert!(matches!(entry("core.bin").1, Content::Skip(_)));
    }

    #[test]
    fn periscope_entries_name_their_collector_and_object() {
        // kubeobjects: `kubectl describe`, `<ns>_<resource>_<name>`: a pod's is its
        // log, other objects' are object documents.
        assert_eq!(
            entry("kubeobjects/default_pod_httpbin-gateway-istio-6d9f7c8b5d-x2kqz"),
            (
                Layout::Periscope,
                log(
                    Some("default"),
                    Some("httpbin-gateway-istio-6d9f7c8b5d-x2kqz"),
                    None
                )
            )
        );
        assert_eq!(
            entry(
                "2025-08-26T10-00-00Z/aks-userpool-12345678-vmss000001/kubeobjects/aks-istio-ingress_pods_aks-istio-ingressgateway-external-asm-1-26-7f9c8d6b5-k2x9p"
            ),
            (
                Layout::Periscope,
                log(
                    Some("aks-istio-ingress"),
                    Some("aks-istio-ingressgateway-external-asm-1-26-7f9c8d6b5-k2x9p"),
                    None
                )
            )
        );
        assert_eq!(
            entry("kubeobjects/default_gateways.gateway.networking.k8s.io_httpbin-gateway"),
            (Layout::Periscope, Content::Objects)
        );
        assert_eq!(
            entry("kubeobjects/kube-system_service_kube-dns"),
            (Layout::Periscope, Content::Objects)
        );
        // podscontainerlogs: `<pod>-<container>`, JSON; the names come from it.
        assert_eq!(
            entry("podscontainerlogs/httpbin-gateway-istio-6d9f7c8b5d-x2kqz-istio-proxy"),
            (Layout::Periscope, Content::JsonContainerLog)
        );
        assert_eq!(
            entry(
                "aks-userpool-12345678-vmss000001/podscontainerlogs/coredns-789789675-7xq2k-coredns"
            ),
            (Layout::Periscope, Content::JsonContainerLog)
        );
        // systemlogs: `journalctl -u kubelet` / `-u docker`.
        for service in ["systemlogs/kubelet", "systemlogs/docker"] {
            assert_eq!(
                entry(service),
                (Layout::Periscope, log(None, None, None)),
                "{service}"
            );
        }
        // Collectors with nothing to classify, under their real keys.
        for path in [
            "iptables/iptables",
            "dns/virtualmachine",
            "dns/kubernetes",
            "kubeletcmd/kubeletcmd",
            "helm/helm_list",
            "networkoutbound/AKS API Server",
            "networkoutbound/networkoutbound",
            "networkconfig/networkconfig",
            "poddisruptionbudget/pdb-kube-system",
            "systemperf/nodes",
            "systemperf/pods",
            "nodelogs/var_log_azure_cluster-provision.log",
            "osm/osm/control_plane/mesh_configs",
            "osm/osm/envoy/bookstore-5b8c7f8c9d-2x4kq/config_dump",
            "smi/smi/crd_access",
            "windowslogs/collect-windows-logs/kubelet.log",
            "2025-08-26T10-00-00Z/aks-userpool-12345678-vmss000001/iptables/iptables",
        ] {
            let (layout, content) = entry(path);
            assert_eq!(layout, Layout::Periscope, "{path}");
            assert!(matches!(content, Content::Skip(_)), "{path}: {content:?}");
        }
        // Folder names alone do not make a Periscope bundle.
        assert_eq!(
            entry("logs/dns/coredns-789789675-7xq2k.log").0,
            Layout::Plain
        );
        assert_eq!(
            entry("charts/helm/values.yaml"),
            (Layout::Plain, Content::Objects)
        );
        assert_eq!(entry("kubeobjects/notes.txt").0, Layout::Plain);
        assert_eq!(entry("kubeobjects/_pod_x").0, Layout::Plain);
    }
}
