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


def main():
    gateway_log = sample("httpbin-gateway-istio.log")

    write_tar_gz(
        os.path.join(HERE, "bug-report.tar.gz"),
        {
            "bug-report/versions": b"client version: 1.26.3\ncontrol plane version: 1.26.3\n",
            "bug-report/cluster/events": sample("events.txt"),
            "bug-report/cluster/crs": HEALTHY_GATEWAY + sample("httpbin-gateway.yaml"),
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
            ("lb.sync_failed", "httpbin-gateway"),
            ("pod.probe_failed", "httpbin-gateway"),
            ("custom.parameters_ref_missing", "shop/shop-gw"),
        ],
    )

    write_tree(
        os.path.join(HERE, "cluster-info-dump"),
        {
            "nodes.json": b'{"kind": "NodeList", "items": []}\n',
            "shop/events.json": json.dumps(EVENTS, indent=2).encode() + b"\n",
            "shop/pods.json": b'{"kind": "PodList", "items": []}\n',
            "shop/%s/logs.txt" % SHOP_POD: dump_section(SHOP_POD, "shop", "istio-proxy", SHOP_PROXY_LOG),
            "default/%s/logs.txt" % GW_POD: dump_section(GW_POD, "default", "istio-proxy", gateway_log),
        },
    )
    expected("cluster-info-dump", GW_EXPECTED + SHOP_EXPECTED)

    root = "support-bundle-2025-08-26T10_10_00"
    write_tar_gz(
        os.path.join(HERE, "support-bundle.tar.gz"),
        {
            root + "/version.yaml": b"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n",
            root + "/cluster-resources/pods/logs/shop/%s/istio-proxy.log" % SHOP_POD: SHOP_PROXY_LOG,
            root + "/cluster-resources/events/shop.json": json.dumps(EVENTS, indent=2).encode() + b"\n",
            root + "/custom-resources/gateways.gateway.networking.k8s.io/default.yaml": sample("httpbin-gateway.yaml"),
            root + "/custom-resources/gateways.gateway.networking.k8s.io/edge.yaml": HEALTHY_GATEWAY,
        },
    )
    expected(
        "support-bundle.tar.gz",
        SHOP_EXPECTED + [("lb.address_pending", "default/httpbin-gateway")],
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


if __name__ == "__main__":
    main()
