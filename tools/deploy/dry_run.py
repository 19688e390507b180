#!/usr/bin/python3
"""Server-side dry-run of every object of a rendered chart against a real kube-apiserver.

  dry_run.py URL TOKEN NAMESPACE RENDERED.yaml [CRD.yaml...]

Installs the CRDs (for real), makes NAMESPACE labelled for the restricted Pod Security
profile (enforce, warn and audit), then POSTs every rendered object with dryRun=All and
fieldValidation=Strict. Fails on any refusal and on any warning the server sends (Pod
Security violations of a workload's template arrive as warnings, unknown fields as errors).
"""
import sys
import time

import requests
import urllib3
import yaml

urllib3.disable_warnings()  # the API server's own self-signed certificate, on loopback


class Api:
    def __init__(self, url, token):
        self.url = url
        self.s = requests.Session()
        self.s.verify = False
        self.s.headers["Authorization"] = f"Bearer {token}"
        self._resources = {}

    def call(self, method, path, body=None, **params):
        # verify=False on each call: requests lets REQUESTS_CA_BUNDLE override the session's.
        r = self.s.request(method, self.url + path, json=body, params=params, timeout=30, verify=False)
        warnings = [w for w in r.headers.get("Warning", "").split(", 299") if w]
        return r, warnings

    def resource(self, api_version, kind):
        """(plural, namespaced) of a kind, from discovery."""
        key = (api_version, kind)
        if key not in self._resources:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            # A CRD's group shows in discovery a moment after it is established.
            for _ in range(100):
                r, _ = self.call("GET", path)
                if r.status_code == 200:
                    break
                time.sleep(0.1)
            else:
                raise SystemExit(f"dry_run: the server knows no {api_version} ({r.status_code}); a CRD missing?")
            for res in r.json()["resources"]:
                if "/" not in res["name"]:
                    self._resources[(api_version, res["kind"])] = (res["name"], res["namespaced"])
        if key not in self._resources:
            raise SystemExit(f"dry_run: the server knows no {kind} in {api_version}")
        return self._resources[key]

    def path(self, obj, namespace):
        plural, namespaced = self.resource(obj["apiVersion"], obj["kind"])
        base = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
        return f"{base}/namespaces/{namespace}/{plural}" if namespaced else f"{base}/{plural}"


def main():
    url, token, namespace, rendered, *crd_files = sys.argv[1:]
    api = Api(url, token)
    for f in crd_files:
        for crd in yaml.safe_load_all(open(f)):
            if not crd:
                continue
            r, _ = api.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            if r.status_code not in (201, 409):
                raise SystemExit(f"dry_run: CRD {crd['metadata']['name']}: {r.status_code} {r.text}")
    for f in crd_files:
        for crd in yaml.safe_load_all(open(f)):
            if not crd:
                continue
            name = crd["metadata"]["name"]
            for _ in range(100):
                r, _ = api.call("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
                conds = {c["type"]: c["status"] for c in r.json().get("status", {}).get("conditions", [])}
                if conds.get("Established") == "True":
                    break
                time.sleep(0.1)
            else:
                raise SystemExit(f"dry_run: CRD {name} never became established")
    labels = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn", "audit")}
    r, _ = api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                   "metadata": {"name": namespace, "labels": labels}})
    if r.status_code not in (201, 409):
        raise SystemExit(f"dry_run: namespace: {r.status_code} {r.text}")
    objects = [o for o in yaml.safe_load_all(open(rendered)) if o]
    # A Pod's service account must exist: that one is made for real first (and then checked
    # by a dry-run update like the rest).
    for o in objects:
        if o["kind"] == "ServiceAccount":
            api.call("POST", api.path(o, namespace), o)
    failures, count = [], 0
    for o in objects:
        ns = o["metadata"].get("namespace", namespace)
        what = f"{o['kind']} {o['metadata']['name']}"
        count += 1
        if o["kind"] == "ServiceAccount":
            r, warnings = api.call("PUT", api.path(o, ns) + "/" + o["metadata"]["name"], o,
                                   dryRun="All", fieldValidation="Strict")
        else:
            r, warnings = api.call("POST", api.path(o, ns), o, dryRun="All", fieldValidation="Strict")
        if r.status_code not in (200, 201):
            try:
                message = r.json().get("message", r.text)
            except ValueError:
                message = r.text
            failures.append(f"{what}: {r.status_code} {message}")
        for w in warnings:
            failures.append(f"{what}: warning: {w.strip()}")
    for f in failures:
        print("dry_run:", f, file=sys.stderr)
    print(f"dry_run: {count} objects, {len(failures)} refusals or warnings "
          f"(namespace {namespace}, Pod Security restricted)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
