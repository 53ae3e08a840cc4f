"""Replicas behind a real nginx: failover, rolling update, blue/green, canary, exposure.

Every test drives real processes: nginx, and uvicorn replicas of the service on one registry.
Traffic runs the whole time; a request counts as failed for any answer but a prediction.
"""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from helpers import promoted_registry, register_again, require_in_ci

from workshop_lib.data import json_applications
from workshop_lib.monitoring.ops_metrics import fetch_metrics
from workshop_lib.scaling.balancer import Upstream, start_balancer
from workshop_lib.scaling.canary import judge_canary, window
from workshop_lib.scaling.replicas import rolling_update, start_replica, upstreams_of
from workshop_lib.scaling.slow_clients import half_sent_requests, probe, start_bare_service
from workshop_lib.scaling.traffic import Traffic
from workshop_lib.schema import EXAMPLE_APPLICATION

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def nginx():
    require_in_ci("nginx")


@pytest.fixture(scope="module")
def registry(tmp_path_factory, trained, small_frames):
    registry = promoted_registry(
        tmp_path_factory.mktemp("scaling") / "models", trained, small_frames
    )
    register_again(registry, trained)  # 1.1.0, not promoted
    return registry


def replica_env(registry, tmp_path, version: str | None = None) -> dict[str, str]:
    env = {
        "MODEL_REGISTRY": str(registry.root),
        "PREDICTION_LOG": str(tmp_path / "predictions.jsonl"),
        "MICROBATCH": "0",
    }
    return env | ({"MODEL_VERSION": version} if version else {})


def port_of(upstream: str | None) -> int | None:
    """The port of the replica that finally answered (nginx lists every one it tried)."""
    return int(upstream.split(",")[-1].rsplit(":", 1)[1]) if upstream else None


def test_a_replica_killed_under_load_fails_no_request(registry, tmp_path):
    replicas = [start_replica(replica_env(registry, tmp_path)) for _ in range(3)]
    balancer = start_balancer(upstreams_of(replicas), tmp_path / "nginx")
    try:
        with Traffic(f"{balancer.url}/predict", [EXAMPLE_APPLICATION], concurrency=8) as traffic:
            traffic.wait_for(200)
            os.kill(replicas[1].process.pid, signal.SIGKILL)
            time.sleep(2.5)  # longer than fail_timeout: nginx no longer tries the dead one
            settled = traffic.answered
            traffic.wait_for(settled + 300)
        report = traffic.report
    finally:
        balancer.stop()
        for replica in replicas:
            replica.stop()
    assert report.failed == 0, f"requests failed: {report.outcomes}"
    survivors = {port_of(a.upstream) for a in report.answers[settled:]}
    assert survivors == {replicas[0].port, replicas[2].port}


def test_a_rolling_update_fails_no_request_and_ends_on_the_new_version(registry, tmp_path):
    env = replica_env(registry, tmp_path)
    replicas = [start_replica(env) for _ in range(2)]
    balancer = start_balancer(upstreams_of(replicas), tmp_path / "nginx")
    try:
        with Traffic(f"{balancer.url}/predict", [EXAMPLE_APPLICATION], concurrency=8) as traffic:
            traffic.wait_for(100)
            registry.promote("1.1.0")
            replicas = rolling_update(balancer, replicas, env)
            done = traffic.answered
            traffic.wait_for(done + 100)
        report = traffic.report
    finally:
        registry.promote("1.0.0")
        balancer.stop()
        for replica in replicas:
            replica.stop()
    assert report.failed == 0, f"requests failed: {report.outcomes}"
    assert {a.version for a in report.answers[:50]} == {"1.0.0"}
    assert {a.version for a in report.answers[-50:]} == {"1.1.0"}
    assert report.overlap_s("1.0.0", "1.1.0") > 0  # both answered while the update ran


def test_blue_green_switches_in_one_reload_without_a_failed_request(registry, tmp_path):
    blue = start_replica(replica_env(registry, tmp_path, "1.0.0"))
    green = start_replica(replica_env(registry, tmp_path, "1.1.0"))
    balancer = start_balancer(
        (Upstream(blue.port), Upstream(green.port, down=True)), tmp_path / "nginx"
    )
    try:
        with Traffic(f"{balancer.url}/predict", [EXAMPLE_APPLICATION], concurrency=8) as traffic:
            traffic.wait_for(200)
            before = traffic.answered
            balancer.configure((Upstream(blue.port, down=True), Upstream(green.port)))
            balancer.wait_drained()
            after = traffic.answered
            traffic.wait_for(after + 200)
        report = traffic.report
    finally:
        balancer.stop()
        blue.stop()
        green.stop()
    assert report.failed == 0, f"requests failed: {report.outcomes}"
    assert {a.version for a in report.answers[:before]} == {"1.0.0"}
    assert {a.version for a in report.answers[after + 8 :]} == {"1.1.0"}


def test_a_canary_gets_its_weights_share_of_the_traffic(registry, tmp_path):
    stable = start_replica(replica_env(registry, tmp_path, "1.0.0"))
    canary = start_replica(replica_env(registry, tmp_path, "1.1.0"))
    balancer = start_balancer(
        (Upstream(stable.port, weight=9), Upstream(canary.port, weight=1)), tmp_path / "nginx"
    )
    try:
        with Traffic(f"{balancer.url}/predict", [EXAMPLE_APPLICATION], concurrency=8) as traffic:
            traffic.wait_for(2_000)
        report = traffic.report
    finally:
        balancer.stop()
        stable.stop()
        canary.stop()
    assert report.failed == 0
    assert report.share("1.1.0") == pytest.approx(0.10, abs=0.03)


def test_the_balancer_refuses_huge_headers_and_outlasts_slow_clients(registry, tmp_path):
    replica = start_replica(replica_env(registry, tmp_path))
    balancer = start_balancer(upstreams_of([replica]), tmp_path / "nginx")
    try:
        huge = httpx.post(
            f"{balancer.url}/predict",
            json=EXAMPLE_APPLICATION,
            headers={"X-Padding": "a" * 1_000_000},
            timeout=10,
        )
        with half_sent_requests(balancer.server, 600):
            answer = probe(f"{balancer.url}/predict", EXAMPLE_APPLICATION, timeout=10)
    finally:
        balancer.stop()
        replica.stop()
    assert huge.status_code in (400, 431), huge.text[:200]
    assert answer.status == 200 and answer.seconds < 2.0, answer


@pytest.mark.parametrize("threshold", [None, 0.02], ids=["same model", "declines nearly all"])
def test_a_canary_is_judged_on_its_metrics_and_a_bad_one_is_rolled_back(
    registry, trained, tmp_path, threshold
):
    canary_version = "1.1.0"
    if threshold is not None:  # the same model with a threshold that declines nearly everyone
        canary_version = registry.register(
            trained.model, metrics=trained.metrics, data_fingerprint="bad",
            kind=trained.kind, threshold=threshold,
        )  # fmt: skip
    stable = start_replica(replica_env(registry, tmp_path, "1.0.0"))
    canary = start_replica(replica_env(registry, tmp_path, canary_version))
    balancer = start_balancer(
        (Upstream(stable.port, weight=3), Upstream(canary.port, weight=1)), tmp_path / "nginx"
    )
    bodies = json_applications(200, seed=2_024)
    try:
        before = {
            port: fetch_metrics(f"http://127.0.0.1:{port}") for port in balancer_ports(balancer)
        }
        with Traffic(f"{balancer.url}/predict", bodies, concurrency=8) as traffic:
            traffic.wait_for(1_200)
            verdict = judge_canary(
                window(before[stable.port], fetch_metrics(stable.url)),
                window(before[canary.port], fetch_metrics(canary.url)),
            )
            if not verdict.passed:
                balancer.set_down(canary.port, True)
            balancer.wait_drained()
            settled = traffic.answered
            traffic.wait_for(settled + 300)
        report = traffic.report
    finally:
        balancer.stop()
        stable.stop()
        canary.stop()
    assert report.failed == 0, f"requests failed: {report.outcomes}"
    assert verdict.passed is (threshold is None), str(verdict)
    late_versions = {a.version for a in report.answers[settled:]}
    if threshold is None:
        assert late_versions == {"1.0.0", canary_version}
    else:
        assert verdict.outcome("canary_decline_rate").passed is False
        assert verdict.outcome("canary_error_rate").passed is True
        assert late_versions == {"1.0.0"}


def balancer_ports(balancer) -> list[int]:
    return [upstream.port for upstream in balancer.upstreams]


def test_prometheus_scrapes_every_replica_and_sees_the_one_that_died(registry, tmp_path):
    require_in_ci("prometheus")
    from workshop_lib.monitoring import prometheus_server as prom

    replicas = [start_replica(replica_env(registry, tmp_path)) for _ in range(3)]
    balancer = start_balancer(upstreams_of(replicas), tmp_path / "nginx")
    targets = [f"{replica.host}:{replica.port}" for replica in replicas]
    server = prom.start_prometheus(targets, folder=tmp_path / "prometheus")
    try:
        with Traffic(f"{balancer.url}/predict", [EXAMPLE_APPLICATION], concurrency=4) as traffic:
            traffic.wait_for(300)
        sent = traffic.report.answers
        prom.wait_for_new_scrape(server)
        counted = prom.query(server, 'sum(predictions_total{job="model-api"})')
        serving = prom.query(server, 'count(predictions_total{job="model-api"} > 0)')
        os.kill(replicas[2].process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while prom.query(server, 'sum(up{job="model-api"})') != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        up = prom.query(server, 'sum(up{job="model-api"})')
    finally:
        server.stop()
        balancer.stop()
        for replica in replicas:
            replica.stop()
    assert counted == len(sent)  # every prediction counted once, by the replica that made it
    assert serving == 3  # the balancer spread them: each replica counted some
    assert up == 2


def test_half_sent_requests_take_a_bare_uvicorn_with_limit_concurrency_down(registry, tmp_path):
    with start_bare_service(replica_env(registry, tmp_path), limit_concurrency=50) as bare:
        before = probe(f"{bare.url}/predict", EXAMPLE_APPLICATION)
        with half_sent_requests(bare, 100):
            during = probe(f"{bare.url}/predict", EXAMPLE_APPLICATION)
        after = probe(f"{bare.url}/predict", EXAMPLE_APPLICATION)
    assert (before.status, during.status, after.status) == (200, 503, 200), (before, during)
