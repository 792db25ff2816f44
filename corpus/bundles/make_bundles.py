#!/usr/bin/env python3
"""Builds the sample support bundles in corpus/bundles/, one per layout,
from the realistic templates below and corpus/samples/. The output is
byte-for-byte reproducible (fixed times, sorted entries, gzip without a
timestamp), so `python3 corpus/bundles/make_bundles.py && git diff` shows
no change unless a template changed.

    bug-report.tar.gz        istioctl bug-report: extension-less files,
                             config_dump?include_eds, a previous log appended
                             after the marker
    cluster-info-dump/       kubectl cluster-info dump --output-directory:
                             <ns>/<pod>/logs.txt with START/END sections,
                             <ns>/events.json
    support-bundle.tar.gz    troubleshoot.sh: cluster-resources/pods/logs,
                             events, custom-resources (Gateway status)
    plain-logs.zip           a zip of plain log files named after their pods
    aks-periscope.zip        AKS Periscope: one node's <node>.zip (uploaded as
                             <RUN_ID>/<node>/<node>.zip), entries <collector>/<key>:
                             kubeobjects/<ns>_<resource>_<name> (kubectl describe
                             of the gateway pod and of Gateways),
                             podscontainerlogs/<pod>-<container> (Go-marshalled
                             JSON {name, ..., containerName, containerLog}),
                             systemlogs/kubelet (journalctl), and collectors with
                             nothing to read (iptables, dns, kubeletcmd)

Each bundle has a `<name>.expected` file: the incidents `bundle analyze`
must report, one `signature gateway` pair per line (`-` for no Gateway).
"""

import gzip
import io
import json
import os
import shutil
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "samples")
EPOCH = 1756202400  # 2025-08-26T10:00:00Z

GW_POD = "httpbin-gateway-istio-6d9f7c8b5d-x2kqz"
SHOP_POD = "shop-gw-istio-7c9d8b6f5d-q8w2z"
ISTIOD = "istiod-asm-1-26-5d6f7b8c9d-xk2p9"


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


ISTIOD_LOG = (
    "2025-08-26T10:00:00.100000Z\tinfo\tFLAG: --domain=\"cluster.local\"\n"
    "2025-08-26T10:00:01.200000Z\tinfo\tads\tPush debounce stable[12] 3 for config Gateway/shop/shop-gw\n"
    "2025-08-26T10:00:02.300000Z\terror\tgateway\terror rendering templates: parametersRef targeting configmap \"shop/shop-gw-options\", but configmap does not exist\tgateway=shop/shop-gw\n"
    "2025-08-26T10:00:07.300000Z\terror\tgateway\terror rendering templates: parametersRef targeting configmap \"shop/shop-gw-options\", but configmap does not exist\tgateway=shop/shop-gw\n"
    "2025-08-26T10:00:09.000000Z\tinfo\tads\tXDS: Pushing Services:12 ConnectedEndpoints:3\n"
).encode()

PREVIOUS_LOG = (
    "\n========= Previous log present (appended at the end) =========\n\n"
    "2025-08-26T09:58:00.000000Z\tinfo\tFLAG: --concurrency=\"2\"\n"
    "2025-08-26T09:58:04.501777Z\terror\tenvoy config external/envoy/source/common/listener_manager/listener_manager_impl.cc:1150\tlistener '0.0.0.0_80' failed to bind or apply socket options: cannot bind '0.0.0.0:80': Permission denied\tthread=15\n"
).encode()

SHOP_PROXY_LOG = (
    "2025-08-26T10:05:00.000000Z\tinfo\tProxy role\tips=[10.244.2.8] type=router id=%s.shop domain=shop.svc.cluster.local\n"
    "[2025-08-26T10:05:10.000Z] \"GET /cart HTTP/1.1\" 503 UH no_healthy_upstream - \"-\" 0 19 0 - \"203.0.113.9\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-7f0c1d2e3f41\" \"shop.contoso.com\" \"-\" outbound|8080||storefront.shop.svc.cluster.local - 10.244.2.8:80 203.0.113.9:40112 - shop.shop-gw.0\n"
    "[2025-08-26T10:05:11.000Z] \"GET / HTTP/1.1\" 200 - via_upstream - \"-\" 0 612 3 2 \"203.0.113.9\" \"curl/8.5.0\" \"5c1b2a3d-0d1f-4c55-8e2a-7f0c1d2e3f42\" \"shop.contoso.com\" \"10.244.4.7:8080\" outbound|8080||storefront.shop.svc.cluster.local 10.244.2.8:41113 10.244.2.8:80 203.0.113.9:40113 - shop.shop-gw.0\n"
    % SHOP_POD
).encode()

EVENTS = {
    "apiVersion": "v1",
    "kind": "EventList",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "%s.1" % SHOP_POD, "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": SHOP_POD, "namespace": "shop", "fieldPath": "spec.containers{istio-proxy}"},
            "reason": "Unhealthy",
            "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
            "type": "Warning",
            "count": 7,
            "firstTimestamp": "2025-08-26T10:05:02Z",
            "lastTimestamp": "2025-08-26T10:06:02Z",
            "source": {"component": "kubelet"},
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "%s.2" % SHOP_POD, "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": SHOP_POD, "namespace": "shop"},
            "reason": "Scheduled",
            "message": "Successfully assigned shop/%s to aks-userpool-12345678-vmss000001" % SHOP_POD,
            "type": "Normal",
            "firstTimestamp": "2025-08-26T10:04:00Z",
            "lastTimestamp": "2025-08-26T10:04:00Z",
            "source": {"component": "default-scheduler"},
        },
    ],
}


# A Gateway with every condition True: the report lists it as healthy.
HEALTHY_GATEWAY = b"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge-gw
  namespace: edge
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
status:
  conditions:
  - lastTransitionTime: "2025-08-26T10:00:05Z"
    message: Resource accepted
    observedGeneration: 1
    reason: Accepted
    status: "True"
    type: Accepted
  - lastTransitionTime: "2025-08-26T10:00:05Z"
    message: Resource programmed, assigned to service(s) edge-gw-istio.edge.svc.cluster.local:443
    observedGeneration: 1
    reason: Programmed
    status: "True"
    type: Programmed
---
"""


# --- Objects for the resource checks -------------------------------------
# A canary upgrade asm-1-25 -> asm-1-26 in progress (bug-report), a gateway
# pod on the system pool (cluster-info dump), customization ConfigMaps and a
# Gateway only reached from inside the cluster (support bundle).

API_POD = "api-gw-istio-5f7d9c8b6d-m4k7t"
EDGE_POD = "edge-gw-istio-7b8c9d6f5c-h2j4n"
USER_NODE = "aks-userpool-12345678-vmss000001"
SYSTEM_NODE = "aks-systempool-87654321-vmss000000"


def node(name, mode, ip):
    pool = name.split("-")[1]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.azure.com/agentpool": pool,
                "kubernetes.azure.com/mode": mode,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "Standard_D4ds_v5",
            },
        },
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


NODES = [node(USER_NODE, "user", "10.224.0.5"), node(SYSTEM_NODE, "system", "10.224.0.4")]


def istiod_deployment(rev, ready):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "istiod-" + rev,
            "namespace": "aks-istio-system",
            "labels": {"app": "istiod", "istio.io/rev": rev},
        },
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "readyReplicas": ready, "availableReplicas": ready},
    }


def gateway_pod(pod, ns, gateway, node_name, rev, ip):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod,
            "namespace": ns,
            "labels": {
                "gateway.networking.k8s.io/gateway-name": gateway,
                "istio.io/rev": rev,
                "service.istio.io/canonical-name": gateway + "-istio",
            },
        },
        "spec": {
            "nodeName": node_name,
            "containers": [
                {
                    "name": "istio-proxy",
                    "image": "mcr.microsoft.com/oss/istio/proxyv2:%s-distroless"
                    % {"asm-1-25": "1.25.3", "asm-1-26": "1.26.3"}[rev],
                    "env": [
                        {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
                        {"name": "CA_ADDR", "value": "istiod-%s.aks-istio-system.svc:15012" % rev},
                    ],
                }
            ],
        },
        "status": {"phase": "Running", "podIP": ip},
    }


def gateway_service(gateway, ns, port, app_protocol, annotations):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": gateway + "-istio",
            "namespace": ns,
            "labels": {
                "gateway.istio.io/managed": "istio.io-gateway-controller",
                "gateway.networking.k8s.io/gateway-name": gateway,
            },
            "annotations": annotations,
        },
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Cluster",
            "ports": [
                {"name": "status-port", "port": 15021, "protocol": "TCP", "appProtocol": "tcp", "targetPort": 15021},
                {"name": "%s-%d" % (app_protocol, port), "port": port, "protocol": "TCP", "appProtocol": app_protocol, "targetPort": port},
            ],
        },
    }


def configmap(name, ns, created, labels, data):
    meta = {"name": name, "namespace": ns, "creationTimestamp": created}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


CLASS_DEFAULTS = configmap(
    "istio-gateway-class-defaults",
    "aks-istio-system",
    "2025-08-01T08:00:00Z",
    {"gateway.istio.io/defaults-for-class": "istio"},
    {
        "horizontalPodAutoscaler": "spec:\n  minReplicas: 2\n  maxReplicas: 5\n",
        "podDisruptionBudget": "spec:\n  minAvailable: 1\n",
    },
)
ROOT_CA = lambda ns: configmap("kube-root-ca.crt", ns, "2025-08-01T08:00:00Z", None, {"ca.crt": "-----BEGIN CERTIFICATE-----\n"})


def gateway_cr(name, ns, labels, spec_extra, conditions, addresses=None):
    meta = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    spec = {"gatewayClassName": "istio", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}
    spec.update(spec_extra)
    status = {"conditions": [
        {"type": t, "status": st, "reason": r, "message": m, "lastTransitionTime": "2025-08-26T10:00:05Z", "observedGeneration": 1}
        for (t, st, r, m) in conditions
    ]}
    if addresses:
        status["addresses"] = [{"type": "IPAddress", "value": a} for a in addresses]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": meta, "spec": spec, "status": status}


ACCEPTED = ("Accepted", "True", "Accepted", "Resource accepted")


def programmed_ok(service):
    return ("Programmed", "True", "Programmed", "Resource programmed, assigned to service(s) %s:80" % service)


def to_yaml(value, indent=0):
    """A small YAML writer for the plain dicts/lists/strings above, in the
    block style `kubectl get -o yaml` uses (keys sorted, strings quoted
    when YAML would read them as something else)."""
    pad = "  " * indent
    out = []
    if isinstance(value, dict):
        for k in sorted(value):
            v = value[k]
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(v, indent + 1))
            else:
                out.append("%s%s: %s" % (pad, k, scalar(v)))
    else:
        for item in value:
            text = to_yaml(item, indent + 1) if isinstance(item, (dict, list)) else "  " * (indent + 1) + scalar(item)
            lines = text.split("\n")
            first = lines[0]
            out.append("%s- %s" % (pad, first.strip()))
            out.extend(lines[1:])
    return "\n".join(out)


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    if "\n" in v:
        return json.dumps(v)
    plain = v and not v[0] in "-?:,[]{}#&*!|>'\"%@`" and ": " not in v and " #" not in v
    if plain and v not in ("true", "false", "null", "True", "False") and not v.replace(".", "").isdigit():
        return v
    return json.dumps(v)


def yaml_list(items):
    return ("apiVersion: v1\nitems:\n" + to_yaml(items, 0).replace("\n", "\n") + "\nkind: List\nmetadata:\n  resourceVersion: \"\"\n").encode()


def yaml_docs(items):
    return "".join(to_yaml(i) + "\n---\n" for i in items).encode()


def json_list(kind, items):
    return json.dumps({"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": "1169297"}, "items": items}, indent=2).encode() + b"\n"


# An in-cluster client calling the api Gateway; nothing from outside.
API_PROXY_LOG = (
    "2025-08-26T10:02:00.000000Z\tinfo\tProxy role\tips=[10.244.1.31] type=router id=%s.api domain=api.svc.cluster.local\n" % API_POD
    + "".join(
        "[2025-08-26T10:0%d:%02d.000Z] \"GET /v1/orders HTTP/1.1\" 200 - via_upstream - \"-\" 0 845 4 3 \"-\" \"Go-http-client/1.1\" \"7d2e4c1a-%04d-4b6e-9f1a-2c3d4e5f6a7b\" \"api.contoso.com\" \"10.244.3.12:8080\" outbound|8080||orders.api.svc.cluster.local 10.244.1.31:5%04d 10.244.1.31:80 10.244.2.17:4%04d - api.api-gw.0\n"
        % (3 + i // 60, i % 60, i, i, i)
        for i in range(6)
    )
).encode()


def dump_section(pod, ns, container, text):
    return (
        "==== START logs for container %s of pod %s/%s ====\n" % (container, ns, pod)
        + text.decode()
        + "==== END logs for container %s of pod %s/%s ====\n" % (container, ns, pod)
    ).encode()


def write_tar_gz(path, files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = EPOCH
            info.mode = 0o644
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(files[name]))
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(raw.getvalue())


def write_zip(path, files):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2025, 8, 26, 10, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])


def write_tree(root, files):
    shutil.rmtree(root, ignore_errors=True)
    for name, data in sorted(files.items()):
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def expected(name, pairs):
    with open(os.path.join(HERE, name + ".expected"), "w") as f:
        f.write("# signature gateway: what `aks-gw-logs bundle analyze %s` reports (make_bundles.py)\n" % name)
        for sig, gw in sorted(set(pairs)):
            f.write("%s %s\n" % (sig, gw))


GW_EXPECTED = [
    ("proxy.listener_bind_failed", "default/httpbin-gateway"),
    ("proxy.not_ready", "default/httpbin-gateway"),
    ("lb.probe_path_unrouted", "default/httpbin-gateway"),
    ("proxy.upstream_unhealthy", "default/httpbin-gateway"),
]
SHOP_EXPECTED = [
    ("proxy.upstream_unhealthy", "shop/shop-gw"),
    ("pod.probe_failed", "shop/shop-gw"),
]


PERISCOPE_NODE = "aks-userpool-12345678-vmss000001"

# `kubectl describe pod` as Periscope's kubeobjects collector stores it
# (ShowEvents), for the gateway pod whose readiness probe fails.
GW_POD_DESCRIBE = """Name:             %(pod)s
Namespace:        default
Priority:         0
Service Account:  httpbin-gateway-istio
Node:             %(node)s/10.224.0.5
Start Time:       Tue, 26 Aug 2025 09:59:50 +0000
Labels:           gateway.istio.io/managed=istio.io-gateway-controller
                  gateway.networking.k8s.io/gateway-name=httpbin-gateway
                  istio.io/gateway-name=httpbin-gateway
                  pod-template-hash=6d9f7c8b5d
                  service.istio.io/canonical-name=httpbin-gateway-istio
                  service.istio.io/canonical-revision=latest
                  sidecar.istio.io/inject=false
Annotations:      istio.io/rev: asm-1-26
                  prometheus.io/path: /stats/prometheus
                  prometheus.io/port: 15020
                  prometheus.io/scrape: true
Status:           Running
IP:               10.244.1.23
IPs:
  IP:           10.244.1.23
Controlled By:  ReplicaSet/httpbin-gateway-istio-6d9f7c8b5d
Containers:
  istio-proxy:
    Container ID:  containerd://4b1c9d7e2f3a5b6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c
    Image:         mcr.microsoft.com/oss/istio/proxyv2:1.26.3-distroless
    Image ID:      mcr.microsoft.com/oss/istio/proxyv2@sha256:6a0c1f4e9b2d7c3a8e5f1b0d9c4a7e2f6b3d8c1a5e9f0b4d7c2a6e1f3b8d5c9a
    Ports:         15021/TCP, 15090/TCP
    Host Ports:    0/TCP, 0/TCP
    Args:
      proxy
      router
      --domain
      $(POD_NAMESPACE).svc.cluster.local
      --proxyLogLevel
      warning
      --proxyComponentLogLevel
      misc:error
      --log_output_level
      default:info
    State:          Running
      Started:      Tue, 26 Aug 2025 09:59:58 +0000
    Ready:          False
    Restart Count:  0
    Limits:
      cpu:     2
      memory:  1Gi
    Requests:
      cpu:      100m
      memory:   128Mi
    Readiness:  http-get http://:15021/healthz/ready delay=0s timeout=1s period=15s #success=1 #failure=4
    Startup:    http-get http://:15021/healthz/ready delay=1s timeout=1s period=1s #success=1 #failure=30
    Environment:
      PILOT_CERT_PROVIDER:  istiod
      CA_ADDR:              istiod-asm-1-26.aks-istio-system.svc:15012
      POD_NAME:             %(pod)s (v1:metadata.name)
      POD_NAMESPACE:        default (v1:metadata.namespace)
      ISTIO_META_CLUSTER_ID:  Kubernetes
    Mounts:
      /etc/istio/pod from istio-podinfo (rw)
      /etc/istio/proxy from istio-envoy (rw)
      /var/run/secrets/tokens from istio-token (rw)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       False 
  ContainersReady             False 
  PodScheduled                True 
Volumes:
  istio-envoy:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     Memory
    SizeLimit:  <unset>
QoS Class:                   Burstable
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason     Age                 From               Message
  ----     ------     ----                ----               -------
  Normal   Scheduled  14m                 default-scheduler  Successfully assigned default/%(pod)s to %(node)s
  Normal   Pulled     14m                 kubelet            Container image "mcr.microsoft.com/oss/istio/proxyv2:1.26.3-distroless" already present on machine
  Normal   Created    14m                 kubelet            Created container istio-proxy
  Normal   Started    14m                 kubelet            Started container istio-proxy
  Warning  Unhealthy  90s (x52 over 13m)  kubelet            Readiness probe failed: HTTP probe failed with statuscode: 503
""" % {"pod": GW_POD, "node": PERISCOPE_NODE}

def gateway_describe(name, ns, uid, programmed):
    """`kubectl describe gateways.gateway.networking.k8s.io` (the generic
    describer: keys sorted, list items unmarked)."""
    reason, status, message = programmed
    return """Name:         %(name)s
Namespace:    %(ns)s
Labels:       <none>
Annotations:  <none>
API Version:  gateway.networking.k8s.io/v1
Kind:         Gateway
Metadata:
  Creation Timestamp:  2025-08-26T09:59:40Z
  Generation:          1
  Resource Version:    1169297
  UID:                 %(uid)s
Spec:
  Gateway Class Name:  istio
  Listeners:
    Allowed Routes:
      Namespaces:
        From:  Same
    Name:      http
    Port:      80
    Protocol:  HTTP
Status:
  Conditions:
    Last Transition Time:  2025-08-26T10:00:05Z
    Message:               Resource accepted
    Observed Generation:   1
    Reason:                Accepted
    Status:                True
    Type:                  Accepted
    Last Transition Time:  2025-08-26T10:00:05Z
    Message:               %(message)s
    Observed Generation:   1
    Reason:                %(reason)s
    Status:                %(status)s
    Type:                  Programmed
  Listeners:
    Attached Routes:  1
    Conditions:
      Last Transition Time:  2025-08-26T10:00:05Z
      Message:               No errors found
      Observed Generation:   1
      Reason:                Accepted
      Status:                True
      Type:                  Accepted
    Name:                    http
    Supported Kinds:
      Group:  gateway.networking.k8s.io
      Kind:   HTTPRoute
Events:  <none>
""" % {"name": name, "ns": ns, "uid": uid, "message": message, "reason": reason, "status": status}


# kube-system is in Periscope's default DIAGNOSTIC_KUBEOBJECTS_LIST.
KUBE_DNS_DESCRIBE = """Name:              kube-dns
Namespace:         kube-system
Labels:            addonmanager.kubernetes.io/mode=Reconcile
                   k8s-app=kube-dns
                   kubernetes.io/cluster-service=true
                   kubernetes.io/name=CoreDNS
Annotations:       <none>
Selector:          k8s-app=kube-dns
Type:              ClusterIP
IP Family Policy:  SingleStack
IP Families:       IPv4
IP:                10.0.0.10
IPs:               10.0.0.10
Port:              dns  53/UDP
TargetPort:        53/UDP
Endpoints:         10.244.0.5:53,10.244.1.4:53
Port:              dns-tcp  53/TCP
TargetPort:        53/TCP
Endpoints:         10.244.0.5:53,10.244.1.4:53
Session Affinity:  None
Events:            <none>
"""

COREDNS_POD = "coredns-789789675-7xq2k"
COREDNS_LOG = (
    ".:53\n"
    "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908\n"
    "CoreDNS-1.11.3\n"
    "linux/amd64, go1.22.7, 4d8b5f3\n"
)

# `journalctl -u kubelet` (Periscope's systemlogs collector): the journal
# prefix before each klog line. The shop gateway's proxy crash-loops.
KUBELET_JOURNAL = (
    "Aug 26 09:59:50 %(node)s kubelet[2145]: I0826 09:59:50.118804    2145 kubelet.go:2431] \"SyncLoop ADD\" source=\"api\" pods=[\"default/%(gw)s\"]\n"
    "Aug 26 10:00:31 %(node)s kubelet[2145]: I0826 10:00:31.412345    2145 prober.go:107] \"Probe failed\" probeType=\"Readiness\" pod=\"default/%(gw)s\" podUID=\"0d2a6b1c-3e4f-4a5b-8c6d-7e8f9a0b1c2d\" containerName=\"istio-proxy\" probeResult=\"failure\" output=\"HTTP probe failed with statuscode: 503\"\n"
    "Aug 26 10:12:00 %(node)s kubelet[2145]: E0826 10:12:00.123456    2145 pod_workers.go:1301] \"Error syncing pod, skipping\" err=\"failed to \\\"StartContainer\\\" for \\\"istio-proxy\\\" with CrashLoopBackOff: \\\"back-off 5m0s restarting failed container=istio-proxy pod=%(shop)s_shop(5e1f0a2b-7c3d-4e8f-9a1b-2c3d4e5f6a7b)\\\"\" pod=\"shop/%(shop)s\" podUID=\"5e1f0a2b-7c3d-4e8f-9a1b-2c3d4e5f6a7b\"\n"
    % {"node": PERISCOPE_NODE, "gw": GW_POD, "shop": SHOP_POD}
).encode()


def go_json(value):
    """JSON as Go's encoding/json.Marshal writes it: compact, UTF-8, with
    <, > and & escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def periscope_container_log(pod, ready, age_s, container, log):
    """A podscontainerlogs entry: pkg/collector/pods_containerlogs_collector.go's
    PodsContainerStruct (age is a time.Duration, in nanoseconds)."""
    return go_json(
        {
            "name": pod,
            "ready": ready,
            "status": "Running",
            "restart": 0,
            "age": age_s * 1000000000,
            "containerName": container,
            "containerLog": log.decode(),
        }
    )


def periscope_bundle(gateway_log):
    """The zip one Periscope node uploads as <RUN_ID>/<node>/<node>.zip
    (pkg/exporter/zip.go: entries <collector>/<key>)."""
    return {
        "kubeobjects/default_pod_%s" % GW_POD: GW_POD_DESCRIBE.encode(),
        "kubeobjects/kube-system_service_kube-dns": KUBE_DNS_DESCRIBE.encode(),
        # With default/gateways.gateway.networking.k8s.io and
        # edge/gateways.gateway.networking.k8s.io in DIAGNOSTIC_KUBEOBJECTS_LIST.
        "kubeobjects/default_gateways.gateway.networking.k8s.io_httpbin-gateway": gateway_describe(
            "httpbin-gateway",
            "default",
            "cb855cdc-de52-461c-8df5-9a61a3c17fc1",
            (
                "AddressNotAssigned",
                "False",
                'Assigned to service(s) httpbin-gateway-istio.default.svc.cluster.local:80, but failed to assign to all requested addresses: address pending for hostname "httpbin-gateway-istio.default.svc.cluster.local"',
            ),
        ).encode(),
        "kubeobjects/edge_gateways.gateway.networking.k8s.io_edge-gw": gateway_describe(
            "edge-gw",
            "edge",
            "5d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a",
            ("Programmed", "True", "Resource programmed, assigned to service(s) edge-gw-istio.edge.svc.cluster.local:80"),
        ).encode(),
        "podscontainerlogs/%s-istio-proxy" % GW_POD: periscope_container_log(
            GW_POD, "0/1", 754, "istio-proxy", gateway_log
        ),
        "podscontainerlogs/%s-coredns" % COREDNS_POD: periscope_container_log(
            COREDNS_POD, "1/1", 864000, "coredns", COREDNS_LOG.encode()
        ),
        "systemlogs/kubelet": KUBELET_JOURNAL,
        "systemlogs/docker": b"-- No entries --\n",
        "iptables/iptables": (
            "Chain PREROUTING (policy ACCEPT)\n"
            "target     prot opt source               destination\n"
            "KUBE-SERVICES  all  --  anywhere             anywhere             /* kubernetes service portals */\n"
        ).encode(),
        "dns/virtualmachine": b"nameserver 168.63.129.16\nsearch reddog.microsoft.com\n",
        "dns/kubernetes": b"search aks-periscope.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.0.0.10\noptions ndots:5\n",
        "kubeletcmd/kubeletcmd": b"/usr/local/bin/kubelet --enable-server --node-labels=agentpool=userpool --v=2 --container-runtime-endpoint=unix:///run/containerd/containerd.sock\n",
    }


def main():
    gateway_log = sample("httpbin-gateway-istio.log")

    # istioctl bug-report of a cluster halfway through asm-1-25 -> asm-1-26.
    events_all_namespaces = "\n".join(
        ("NAMESPACE   " if i == 0 else "default     ") + line
        for i, line in enumerate(sample("events.txt").decode().splitlines())
    ).encode() + b"\n"
    shop_gw = gateway_cr(
        "shop-gw", "shop", {"istio.io/rev": "asm-1-26"},
        {"infrastructure": {"parametersRef": {"group": "", "kind": "ConfigMap", "name": "shop-gw-options"}}},
        [ACCEPTED, ("Programmed", "False", "AddressNotUsable",
                    'Failed to assign to any requested addresses: hostname "shop-gw-istio.shop.svc.cluster.local" not found')],
    )
    api_gw = gateway_cr("api-gw", "api", {"istio.io/rev": "asm-1-26"}, {},
                        [ACCEPTED, programmed_ok("api-gw-istio.api.svc.cluster.local")], ["20.81.10.9"])
    storefront_route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "storefront", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "shop-gateway"}],
            "hostnames": ["shop.contoso.com"],
            "rules": [{"backendRefs": [{"name": "storefront", "port": 8080}]}],
        },
    }
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        for ns, labels in [
            ("default", {"kubernetes.io/metadata.name": "default"}),
            ("edge", {"kubernetes.io/metadata.name": "edge", "istio.io/rev": "asm-1-26"}),
            ("shop", {"kubernetes.io/metadata.name": "shop"}),
            ("api", {"kubernetes.io/metadata.name": "api"}),
        ]
    ]
    bug_report_resources = [
        istiod_deployment("asm-1-25", 2),
        istiod_deployment("asm-1-26", 2),
        gateway_service("httpbin-gateway", "default", 80, "http", {}),
        gateway_service("edge-gw", "edge", 443, "https", {
            "service.beta.kubernetes.io/port_443_health-probe_protocol": "http",
            "service.beta.kubernetes.io/port_443_health-probe_port": "15021",
            "service.beta.kubernetes.io/port_443_health-probe_request-path": "/healthz/ready",
        }),
        gateway_pod(GW_POD, "default", "httpbin-gateway", USER_NODE, "asm-1-26", "10.244.1.23"),
        gateway_pod(EDGE_POD, "edge", "edge-gw", USER_NODE, "asm-1-26", "10.244.1.27"),
        # Started before the Gateway moved to asm-1-26 and never restarted.
        gateway_pod(API_POD, "api", "api-gw", USER_NODE, "asm-1-25", "10.244.1.31"),
        CLASS_DEFAULTS,
        ROOT_CA("shop"),
    ]
    write_tar_gz(
        os.path.join(HERE, "bug-report.tar.gz"),
        {
            "bug-report/versions": b"client version: 1.26.3\ncontrol plane version: 1.25.3, 1.26.3\n",
            "bug-report/cluster/events": events_all_namespaces,
            "bug-report/cluster/crs": HEALTHY_GATEWAY.replace(b"  name: edge-gw\n", b"  name: edge-gw\n")
            + sample("httpbin-gateway.yaml") + b"---\n" + yaml_docs([shop_gw, api_gw, storefront_route]),
            "bug-report/cluster/k8s-resources": yaml_list(bug_report_resources),
            "bug-report/cluster/k8s-cluster-resources": yaml_list(NODES + namespaces),
            "bug-report/istio/aks-istio-system/%s/discovery.log" % ISTIOD: ISTIOD_LOG,
            "bug-report/istio/aks-istio-system/%s/debug/syncz" % ISTIOD: b"[]\n",
            "bug-report/proxies/default/%s/istio-proxy.log" % GW_POD: gateway_log + PREVIOUS_LOG,
            "bug-report/proxies/default/%s/config_dump?include_eds" % GW_POD: b'{"configs": []}\n',
            "bug-report/proxies/default/%s/stats/prometheus" % GW_POD: b"envoy_server_live 1\n",
        },
    )
    expected(
        "bug-report.tar.gz",
        GW_EXPECTED
        + [
            ("lb.address_pending", "default/httpbin-gateway"),
            ("lb.sync_failed", "default/httpbin-gateway"),
            ("pod.probe_failed", "default/httpbin-gateway"),
            ("custom.parameters_ref_missing", "shop/shop-gw"),
            ("gateway.service_missing", "shop/shop-gw"),
            # [check] findings on the objects.
            ("revision.unpinned_during_upgrade", "default/httpbin-gateway"),
            ("revision.stale_proxy", "api/api-gw"),
            ("route.no_matching_parent", "shop/shop-gateway"),
        ],
    )

    # cluster-info dump: no custom resources, but nodes, pods and services:
    # the shop gateway's pod landed on the system pool, and its Service's
    # HTTP port gets the load balancer's `GET /` probe.
    shop_pod = gateway_pod(SHOP_POD, "shop", "shop-gw", SYSTEM_NODE, "asm-1-26", "10.244.0.19")
    write_tree(
        os.path.join(HERE, "cluster-info-dump"),
        {
            "nodes.json": json_list("NodeList", NODES),
            "aks-istio-system/deployments.json": json_list("DeploymentList", [istiod_deployment("asm-1-26", 2)]),
            "shop/events.json": json.dumps(EVENTS, indent=2).encode() + b"\n",
            "shop/pods.json": json_list("PodList", [shop_pod]),
            "shop/services.json": json_list("ServiceList", [gateway_service("shop-gw", "shop", 80, "http", {})]),
            "shop/%s/logs.txt" % SHOP_POD: dump_section(SHOP_POD, "shop", "istio-proxy", SHOP_PROXY_LOG),
            "default/%s/logs.txt" % GW_POD: dump_section(GW_POD, "default", "istio-proxy", gateway_log),
        },
    )
    expected(
        "cluster-info-dump",
        GW_EXPECTED + SHOP_EXPECTED + [
            ("net.gateway_on_system_pool", "shop/shop-gw"),
            ("lb.probe_path_unrouted", "shop/shop-gw"),
        ],
    )

    # troubleshoot.sh: customization ConfigMaps, a Gateway of the App Routing
    # class, and an api Gateway whose access logs show only in-cluster clients.
    root = "support-bundle-2025-08-26T10_10_00"
    shop_options = configmap("shop-gw-options", "shop", "2025-08-20T09:00:00Z", None, {
        "deployment": "spec:\n  template:\n    spec:\n      hostNetwork: true\n      nodeSelector:\n        kubernetes.azure.com/mode: user\n",
    })
    my_defaults = configmap("my-gateway-defaults", "aks-istio-system", "2025-08-21T12:00:00Z",
                            {"gateway.istio.io/defaults-for-class": "istio"},
                            {"deployment": "spec:\n  replicas: 3\n"})
    shop_gw_ok = gateway_cr(
        "shop-gw", "shop", None,
        {"infrastructure": {"parametersRef": {"group": "", "kind": "ConfigMap", "name": "shop-gw-options"}}},
        [ACCEPTED, programmed_ok("shop-gw-istio.shop.svc.cluster.local")],
    )
    api_gw_public = gateway_cr("api-gw", "api", None, {},
                               [ACCEPTED, programmed_ok("api-gw-istio.api.svc.cluster.local")], ["20.81.10.9"])
    legacy_gw = gateway_cr("legacy-gw", "apps", None, {}, [])
    legacy_gw["spec"]["gatewayClassName"] = "approuting-istio"
    del legacy_gw["status"]
    istiod_pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": ISTIOD, "namespace": "aks-istio-system", "labels": {"app": "istiod", "istio.io/rev": "asm-1-26"}},
        "spec": {"nodeName": SYSTEM_NODE},
        "status": {"phase": "Running"},
    }
    write_tar_gz(
        os.path.join(HERE, "support-bundle.tar.gz"),
        {
            root + "/version.yaml": b"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n",
            root + "/cluster-resources/pods/logs/shop/%s/istio-proxy.log" % SHOP_POD: SHOP_PROXY_LOG,
            root + "/cluster-resources/pods/logs/shop/%s/istio-proxy-previous.log" % SHOP_POD: PREVIOUS_LOG.split(b"=========\n\n", 1)[1],
            root + "/cluster-resources/pods/logs/api/%s/istio-proxy.log" % API_POD: API_PROXY_LOG,
            root + "/cluster-resources/events/shop.json": json.dumps(EVENTS, indent=2).encode() + b"\n",
            root + "/cluster-resources/nodes.json": json_list("NodeList", NODES),
            root + "/cluster-resources/pods/aks-istio-system.json": json_list("PodList", [istiod_pod]),
            root + "/cluster-resources/configmaps/aks-istio-system.json": json_list("ConfigMapList", [CLASS_DEFAULTS, my_defaults]),
            root + "/cluster-resources/configmaps/shop.json": json_list("ConfigMapList", [ROOT_CA("shop"), shop_options]),
            root + "/custom-resources/gateways.gateway.networking.k8s.io/default.yaml": sample("httpbin-gateway.yaml"),
            root + "/custom-resources/gateways.gateway.networking.k8s.io/edge.yaml": HEALTHY_GATEWAY,
            root + "/custom-resources/gateways.gateway.networking.k8s.io/shop.yaml": yaml_docs([shop_gw_ok]),
            root + "/custom-resources/gateways.gateway.networking.k8s.io/api.yaml": yaml_docs([api_gw_public]),
            root + "/custom-resources/gateways.gateway.networking.k8s.io/apps.yaml": yaml_docs([legacy_gw]),
        },
    )
    expected(
        "support-bundle.tar.gz",
        SHOP_EXPECTED + [
            ("lb.address_pending", "default/httpbin-gateway"),
            # From the previous instance's log (-previous.log).
            ("proxy.listener_bind_failed", "shop/shop-gw"),
            # [check] findings on the objects.
            ("class.not_istio", "apps/legacy-gw"),
            ("custom.field_not_allowlisted", "shop/shop-gw"),
            ("custom.class_defaults_duplicate", "-"),
            ("net.external_traffic_absent", "api/api-gw"),
        ],
    )

    write_zip(
        os.path.join(HERE, "plain-logs.zip"),
        {
            "logs/%s.log" % GW_POD: gateway_log,
            "logs/%s.log" % SHOP_POD: SHOP_PROXY_LOG,
            "logs/notes.md": b"# not a log\n",
        },
    )
    expected("plain-logs.zip", GW_EXPECTED + [("proxy.upstream_unhealthy", "shop/shop-gw")])

    write_zip(os.path.join(HERE, "aks-periscope.zip"), periscope_bundle(gateway_log))
    expected(
        "aks-periscope.zip",
        GW_EXPECTED
        + [
            ("pod.probe_failed", "default/httpbin-gateway"),
            ("lb.address_pending", "default/httpbin-gateway"),
            # The kubelet journal names the pod only in klog's `pod="shop/..."`
            # key, which is not read as the object: no Gateway.
            ("pod.crash_loop", "-"),
        ],
    )


if __name__ == "__main__":
    main()
