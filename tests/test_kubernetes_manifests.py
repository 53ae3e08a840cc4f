"""The Kubernetes files in deploy/kubernetes/ are checked offline, as a cluster would check them.

Each file is validated strictly (unknown fields refused) against the schemas of one pinned
Kubernetes release that ``kubernetes-validate`` ships, and the files are checked against each
other and against the service: selectors that meet, probes on a route the service has, a port the
image exposes, environment variables the service reads, a budget that lets a drain proceed.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from workshop_lib.paths import PROJECT_ROOT

KUBERNETES_VERSION = "1.33.0"
MANIFESTS = PROJECT_ROOT / "deploy" / "kubernetes"
FILES = sorted(MANIFESTS.glob("*.yaml"))


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((MANIFESTS / name).read_text())
    assert isinstance(document, dict), f"{name} holds no single resource"
    return document


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (api,) = deployment["spec"]["template"]["spec"]["containers"]
    return api


def test_there_is_a_deployment_service_autoscaler_and_disruption_budget():
    kinds = {load(path.name)["kind"] for path in FILES}
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_file_is_valid_for_kubernetes_strictly(path: Path):
    kubernetes_validate.validate(load(path.name), KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("where", "change"),
    [
        (
            "a misspelled probe",
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
                readinesProbe={"httpGet": {"path": "/health", "port": "http"}}
            ),
        ),
        ("replicas as text", lambda d: d["spec"].update(replicas="two")),
        ("a container without a name", lambda d: container(d).pop("name")),
    ],
)
def test_the_validator_refuses_a_broken_deployment(where, change):
    broken = copy.deepcopy(load("deployment.yaml"))
    change(broken)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_service_autoscaler_and_budget_select_the_deployments_pods():
    deployment = load("deployment.yaml")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert load("service.yaml")["spec"]["selector"].items() <= pod_labels.items()
    assert load("pdb.yaml")["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    target = load("hpa.yaml")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])


def test_a_drain_can_proceed_and_an_update_drops_no_capacity():
    hpa, budget = load("hpa.yaml")["spec"], load("pdb.yaml")["spec"]
    assert budget["minAvailable"] < hpa["minReplicas"], "a drain would wait forever"
    rolling = load("deployment.yaml")["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0 and rolling["maxSurge"] >= 1
    assert container(load("deployment.yaml"))["resources"]["requests"]["cpu"], (
        "the autoscaler's utilisation is relative to the CPU request"
    )


def test_probes_ask_a_route_the_service_has_on_the_port_the_image_exposes():
    from apps.api import app

    paths = set(app.openapi()["paths"])
    api = container(load("deployment.yaml"))
    ports = {port["name"]: port["containerPort"] for port in api["ports"]}
    dockerfile = (PROJECT_ROOT / "apps" / "Dockerfile").read_text()
    exposed = {int(port) for port in re.findall(r"^EXPOSE (\d+)", dockerfile, re.MULTILINE)}
    for probe in ("readinessProbe", "livenessProbe"):
        get = api[probe]["httpGet"]
        assert get["path"] in paths, f"{probe} asks {get['path']}, which the service lacks"
        assert ports[get["port"]] in exposed
    service_port = load("service.yaml")["spec"]["ports"][0]["targetPort"]
    assert service_port in ports


def test_every_variable_set_is_one_the_service_reads():
    source = "\n".join(path.read_text() for path in (PROJECT_ROOT / "workshop_lib").rglob("*.py"))
    for variable in container(load("deployment.yaml"))["env"]:
        assert f'"{variable["name"]}"' in source, f"nothing reads {variable['name']}"


def test_secrets_and_the_registry_are_mounted_read_only():
    pod = load("deployment.yaml")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {
        mount["name"]: mount
        for mount in container({"spec": {"template": {"spec": pod}}})["volumeMounts"]
    }
    assert "secret" in volumes["registry-key"] and mounts["registry-key"]["readOnly"]
    assert volumes["models"]["persistentVolumeClaim"]["readOnly"] and mounts["models"]["readOnly"]
    assert pod["securityContext"]["runAsNonRoot"] is True
