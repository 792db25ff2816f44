//! Which bundle layout an entry path belongs to, and what it holds: a
//! container log (with the namespace, pod and container its path names), a
//! document of Events or objects, or nothing to classify. Layouts
//! (`../shared/reference/peers.md`): `istioctl bug-report` (`bug-report/`
//! prefix, extension-less files), `kubectl cluster-info dump`
//! (`<ns>/<pod>/logs.txt`, `<ns>/events.json`), troubleshoot.sh
//! (`cluster-resources/pods/logs/<ns>/<pod>/<container>.log`), and plain
//! trees of `.log`/`.txt`/`.json`/`.yaml` files. Each path is judged on its
//! own, so a stream needs no look-ahead.

use crate::template::pod_stem;

/// The layouts told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layout {
    BugReport,
    ClusterInfoDump,
    Troubleshoot,
    Plain,
}

impl Layout {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::BugReport => "istioctl bug-report",
            Layout::ClusterInfoDump => "kubectl cluster-info dump",
            Layout::Troubleshoot => "troubleshoot.sh support bundle",
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
    },
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
    if let [.., ns, pod, "logs.txt"] = parts.as_slice() {
        let log = Content::Log {
            namespace: Some(ns.to_string()),
            pod: Some(pod.to_string()),
            container: None,
        };
        return (Layout::ClusterInfoDump, log);
    }
    if file == "events.json" && parts.len() >= 2 {
        return (Layout::ClusterInfoDump, Content::Objects);
    }
    (Layout::Plain, plain(file))
}

fn bug_report(rest: &[&str]) -> Content {
    match rest {
        ["istio" | "proxies" | "operator", ns, pod, file] if file.ends_with(".log") => {
            Content::Log {
                namespace: Some(ns.to_string()),
                pod: Some(pod.to_string()),
                container: Some(file.trim_end_matches(".log").to_string()),
            }
        }
        ["cni", pod, "cni.log"] => Content::Log {
            namespace: None,
            pod: Some(pod.to_string()),
            container: Some("install-cni".into()),
        },
        ["cluster", "events" | "crs" | "k8s-resources" | "pods"] => Content::Objects,
        ["analyze", ..] => Content::Log {
            namespace: None,
            pod: None,
            container: None,
        },
        _ => Content::Skip(
            "an Envoy/istiod debug dump or cluster listing, not evidence this reads yet",
        ),
    }
}

fn troubleshoot(rest: &[&str]) -> Content {
    match rest {
        ["cluster-resources", "pods", "logs", ns, pod, file] if file.ends_with(".log") => {
            Content::Log {
                namespace: Some(ns.to_string()),
                pod: Some(pod.to_string()),
                container: Some(
                    file.trim_end_matches(".log")
                        .trim_end_matches("-previous")
                        .to_string(),
                ),
            }
        }
        ["cluster-resources", "events", _] | ["custom-resources", ..] => Content::Objects,
        [
            "cluster-resources",
            "services" | "pods" | "deployments" | "configmaps" | "nodes",
            ..,
        ] => Content::Objects,
        _ => Content::Skip("a cluster listing this does not read yet"),
    }
}

fn plain(file: &str) -> Content {
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    match ext {
        "log" | "txt" | "" => Content::Log {
            namespace: None,
            pod: pod_stem(stem).map(|_| stem.to_string()),
            container: None,
        },
        "json" | "yaml" | "yml" => Content::Objects,
        _ => Content::Skip("not a log, JSON or YAML file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(ns: Option<&str>, pod: Option<&str>, container: Option<&str>) -> Content {
        Content::Log {
            namespace: ns.map(str::to_string),
            pod: pod.map(str::to_string),
            container: container.map(str::to_string),
        }
    }

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
                log(
                    Some("default"),
                    Some("gw-istio-6d9f7c8b5d-x2kqz"),
                    Some("istio-proxy")
                )
            )
        );
        assert_eq!(
            entry("dump/default/gw-istio-6d9f7c8b5d-x2kqz/logs.txt").0,
            Layout::ClusterInfoDump
        );
        assert_eq!(
            entry("dump/default/events.json"),
            (Layout::ClusterInfoDump, Content::Objects)
        );
        assert_eq!(
            entry("logs/httpbin-gateway-istio-6d9f7c8b5d-x2kqz.log"),
            (
                Layout::Plain,
                log(None, Some("httpbin-gateway-istio-6d9f7c8b5d-x2kqz"), None)
            )
        );
        assert!(matches!(entry("core.bin").1, Content::Skip(_)));
    }
}
