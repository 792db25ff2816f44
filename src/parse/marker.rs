//! Lines that bundle tools write between container logs, not by any
//! container: `kubectl cluster-info dump` wraps each container's log in
//! `==== START logs for container <c> of pod <ns>/<pod> ====` and
//! `==== END logs for container ... ====`, and `istioctl bug-report` appends
//! the previous container instance's log after
//! `========= Previous log present (appended at the end) =========`. They
//! say which container (and which instance) the lines that follow are from.

/// A section marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marker {
    /// The log of this container starts.
    Start {
        container: String,
        namespace: String,
        pod: String,
    },
    /// The log of the current container ended.
    End,
    /// What follows is the previous instance's log.
    Previous,
}

/// Reads a line as a section marker. Cheap for other lines: they fail on
/// the first byte.
pub fn parse(line: &str) -> Option<Marker> {
    if !line.starts_with("====") {
        return None;
    }
    let line = line.trim_end();
    if line.starts_with("========= Previous log present") {
        return Some(Marker::Previous);
    }
    if line.starts_with("==== END logs for container ") && line.ends_with(" ====") {
        return Some(Marker::End);
    }
    let rest = line
        .strip_prefix("==== START logs for container ")?
        .strip_suffix(" ====")?;
    let (container, pod) = rest.split_once(" of pod ")?;
    let (namespace, pod) = pod.split_once('/')?;
    let simple = |s: &str| !s.is_empty() && !s.contains([' ', '/']);
    (simple(container) && simple(namespace) && simple(pod)).then(|| Marker::Start {
        container: container.to_string(),
        namespace: namespace.to_string(),
        pod: pod.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_of_cluster_info_dump_and_bug_report_are_read() {
        assert_eq!(
            parse(
                "==== START logs for container istio-proxy of pod shop/shop-gw-istio-7c9d8b6f5d-q8w2z ===="
            ),
            Some(Marker::Start {
                container: "istio-proxy".into(),
                namespace: "shop".into(),
                pod: "shop-gw-istio-7c9d8b6f5d-q8w2z".into(),
            })
        );
        assert_eq!(
            parse(
                "==== END logs for container istio-proxy of pod shop/shop-gw-istio-7c9d8b6f5d-q8w2z ===="
            ),
            Some(Marker::End)
        );
        assert_eq!(
            parse("========= Previous log present (appended at the end) ========="),
            Some(Marker::Previous)
        );
    }

    #[test]
    fn look_alikes_are_not_markers() {
        for line in [
            "",
            "=== RUN TestGateway",
            "==== START logs for container of pod shop/p ====",
            "==== START logs for container a b of pod shop/p ====",
            "==== START logs for container c of pod nopod ====",
            "==== START logs for container c of pod shop/p",
            "2025-08-26T10:00:00Z\tinfo\t==== START logs for container c of pod shop/p ====",
        ] {
            assert_eq!(parse(line), None, "{line:?}");
        }
    }
}
