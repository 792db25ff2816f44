//! Networking checks: the Azure load balancer's HTTP probe on a gateway
//! Service port (`lb.probe_path_unrouted`), gateway pods on the system node
//! pool (`net.gateway_on_system_pool`), and a Gateway that only ever hears
//! from inside the cluster (`net.external_traffic_absent`).

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::Value;

use super::traffic::{AZURE_PLATFORM, is_private};
use super::{Facts, Finding, condition, finding, gateway_pods, qualified, str_of};
use crate::incident::ObjectRef;
use crate::inventory::Object;

/// The Gateway a Service was generated for: its
/// `gateway.networking.k8s.io/gateway-name` label, else a `<gateway>-istio`
/// name of a Gateway the bundle holds.
fn gateway_of_service(facts: &Facts, service: &Object) -> Option<String> {
    let ns = service.namespace.as_deref();
    if let Some(name) = service.label("gateway.networking.k8s.io/gateway-name") {
        return Some(qualified(ns, name));
    }
    let name = service.name.strip_suffix("-istio")?;
    facts
        .objects
        .get("Gateway", ns, name)
        .map(|_| qualified(ns, name))
}

/// `lb.probe_path_unrouted`: a LoadBalancer port of a gateway Service with
/// `appProtocol` `http`/`https` and no per-port probe annotation gets an
/// Azure HTTP probe of `GET /` on that port; the Gateway answers 404 NR.
pub fn probe_path_unrouted(facts: &Facts) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for service in facts.objects.of_kind("Service") {
        let Some(gateway) = gateway_of_service(facts, service) else {
            continue;
        };
        if service.str_at(&["spec", "type"]) != Some("LoadBalancer")
            || service.str_at(&["spec", "loadBalancerClass"]).is_some()
        {
            continue;
        }
        for port in service.list_at(&["spec", "ports"]) {
            let Some(app) = str_of(port, "appProtocol").map(str::to_ascii_lowercase) else {
                continue;
            };
            let Some(number) = port.get("port").and_then(Value::as_u64) else {
                continue;
            };
            if app != "http" && app != "https" {
                continue;
            }
            let probe = format!("service.beta.kubernetes.io/port_{number}_health-probe_");
            let no_rule = format!("service.beta.kubernetes.io/port_{number}_no_probe_rule");
            if service
                .annotation_keys()
                .any(|k| k.starts_with(&probe) || k == no_rule)
            {
                continue;
            }
            let message = format!(
                "Service {} port {number} has appProtocol {app} and no {probe}* or {no_rule} annotation: the Azure load balancer probes `GET /` on it, the Gateway routes no `/` there (404 NR), and the backend is marked down",
                service.qualified_name()
            );
            let port_text = number.to_string();
            let mut found = finding(
                "lb.probe_path_unrouted",
                service,
                Some(gateway.clone()),
                message,
                &[("port", &port_text), ("app_protocol", &app)],
            );
            // The probes' 404 lines in the access log are about the Gateway.
            let (ns, name) = gateway.split_once('/').unwrap_or(("", &gateway));
            found.concerns = Some(ObjectRef::new("Gateway", Some(ns), name));
            out.push(found);
        }
    }
    out
}

/// `net.gateway_on_system_pool`: a gateway pod on a node labelled
/// `kubernetes.azure.com/mode=system`.
pub fn gateway_on_system_pool(facts: &Facts) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for (pod, gateway) in gateway_pods(facts) {
        let Some(node_name) = pod.str_at(&["spec", "nodeName"]) else {
            continue;
        };
        let Some(node) = facts.objects.get("Node", None, node_name) else {
            continue;
        };
        if node.label("kubernetes.azure.com/mode") != Some("system") {
            continue;
        }
        let pool = node.label("kubernetes.azure.com/agentpool").unwrap_or("?");
        let message = format!(
            "gateway pod {} of Gateway {gateway} runs on node {node_name} of the system node pool {pool} (kubernetes.azure.com/mode=system): NSG rules that admit only the user node pools' subnets block its ingress",
            pod.qualified_name()
        );
        out.push(finding(
            "net.gateway_on_system_pool",
            pod,
            Some(gateway),
            message,
            &[("node", node_name), ("agentpool", pool)],
        ));
    }
    out
}

/// `net.external_traffic_absent`: a Gateway Programmed with a public
/// address whose access logs show requests from pod addresses and none
/// from the internet or from node addresses (the load balancer's traffic
/// arrives from node addresses under `externalTrafficPolicy: Cluster`, so
/// any of those keeps the check silent). Needs the bundle's Nodes.
pub fn external_traffic_absent(facts: &Facts) -> Vec<Finding<'_>> {
    let node_ips: BTreeSet<IpAddr> = facts
        .objects
        .of_kind("Node")
        .flat_map(|n| n.list_at(&["status", "addresses"]))
        .filter_map(|a| str_of(a, "address")?.parse().ok())
        .collect();
    if node_ips.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for gw in facts.objects.of_kind("Gateway") {
        let programmed =
            condition(gw, "Programmed").and_then(|c| str_of(c, "status")) == Some("True");
        let public = gw
            .list_at(&["status", "addresses"])
            .iter()
            .filter_map(|a| str_of(a, "value")?.parse::<IpAddr>().ok())
            .find(|ip| !is_private(*ip));
        let (true, Some(public)) = (programmed, public) else {
            continue;
        };
        let name = gw.qualified_name();
        let Some(peers) = facts.traffic.of(&name) else {
            continue;
        };
        let (mut inside, mut outside) = (0u64, 0u64);
        let mut sample: Option<IpAddr> = None;
        for (&ip, &n) in &peers.by_address {
            if ip == AZURE_PLATFORM {
                continue;
            }
            if node_ips.contains(&ip) || !is_private(ip) {
                outside += n;
            } else {
                inside += n;
                sample = Some(sample.map_or(ip, |s| s.min(ip)));
            }
        }
        if inside == 0 || outside > 0 || peers.uncounted > 0 {
            continue;
        }
        let sample = sample.map(|ip| ip.to_string()).unwrap_or_default();
        let message = format!(
            "Gateway {name} is Programmed with public address {public}, and its access logs show {inside} requests from inside the cluster (e.g. {sample}) but none from outside it or through the load balancer: a firewall, NSG or route table likely drops external traffic"
        );
        let (address, count) = (public.to_string(), inside.to_string());
        out.push(finding(
            "net.external_traffic_absent",
            gw,
            Some(name),
            message,
            &[("address", &address), ("in_cluster_requests", &count)],
        ));
    }
    out
}
