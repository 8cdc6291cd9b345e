"""What can be checked of deploy/ without a container engine: the files parse, say what they
mean, name only real settings and commands, and the Kibana objects fit the index templates."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from sinks.alerts import ALERT_MAPPINGS
from sinks.kibana import saved_objects, to_ndjson
from sinks.templates import ARTICLE_MAPPINGS, mapped_fields
from wirewatch.cli import app
from wirewatch.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
NDJSON = DEPLOY / "kibana" / "wirewatch.ndjson"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _k8s() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def _is_setting(name: str) -> bool:
    """Does ``WIREWATCH_A__B`` name a field of the settings tree?"""
    model: type[BaseModel] = Settings
    parts = name.removeprefix("WIREWATCH_").lower().split("__")
    for i, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        if i < len(parts) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def _commands() -> set[str]:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return names | {g.name or "" for g in app.registered_groups}


def test_compose_brings_up_kraft_kafka_secured_elasticsearch_kibana_and_the_stages() -> None:
    services = _compose()["services"]
    assert {"kafka", "kafka-topics", "setup", "es01", "kibana", "kibana-objects"} <= set(services)
    assert {"producer", "processor", "sink"} <= set(services)
    kafka = services["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]  # KRaft, no ZooKeeper
    assert "zookeeper" not in json.dumps(services).lower()
    topics = "\n".join(services["kafka-topics"]["command"])
    for topic in ("news.raw", "news.enriched", "news.alerts", "news.dlq"):
        assert re.search(rf"create {re.escape(topic)}\s+\S+\s+\d+", topics), topic
    assert "retention.ms" in topics
    es = services["es01"]["environment"]
    assert es["xpack.security.enabled"] == "true"
    assert es["xpack.security.http.ssl.enabled"] == "true"
    assert services["kibana"]["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert services["processor"]["deploy"]["replicas"]
    for name in ("producer", "processor", "sink", "kibana-objects"):
        assert services[name]["command"][0] in _commands(), name


def test_every_wirewatch_variable_in_compose_and_k8s_is_a_real_setting() -> None:
    text = COMPOSE.read_text() + "".join(
        p.read_text() for p in sorted((DEPLOY / "k8s").glob("*.yaml"))
    )
    # WIREWATCH_PASSWORD and WIREWATCH_VERSION are the compose file's own (.env) variables.
    names = set(re.findall(r"\b(WIREWATCH_[A-Z0-9_]+)\s*:", text)) - {
        "WIREWATCH_PASSWORD",
        "WIREWATCH_VERSION",
    }
    assert names
    unknown = sorted(n for n in names if not _is_setting(n))
    assert not unknown, f"not settings: {unknown}"


def test_compose_config_is_valid_for_the_compose_client() -> None:
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin"}
    env_file = ["--env-file", str(DEPLOY / ".env.example")]
    if shutil.which("docker") and (
        subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        cmd = ["docker", "compose", "-f", str(COMPOSE), *env_file, "config", "-q"]
    elif shutil.which("docker-compose"):
        cmd = ["docker-compose", "-f", str(COMPOSE), *env_file, "config", "-q"]
    else:
        pytest.skip("no compose client here (docker compose or docker-compose)")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DEPLOY, timeout=60)
    assert done.returncode == 0, done.stderr


def test_kubernetes_manifests_are_complete_and_consistent() -> None:
    docs = _k8s()
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind"), doc
    kustomization = next(d for d in docs if d["kind"] == "Kustomization")
    for resource in kustomization["resources"]:
        assert (DEPLOY / "k8s" / resource).is_file(), resource
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"wirewatch-producer", "wirewatch-processor", "wirewatch-sink"}
    for deployment in deployments.values():
        spec = deployment["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items()
        container = spec["template"]["spec"]["containers"][0]
        assert container["args"][0] in _commands()
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert deployments["wirewatch-processor"]["spec"]["replicas"] > 1


def _kql_fields(query: str) -> set[str]:
    """Field names of a KQL query, nested ``path:{ inner : x }`` spelled out."""
    fields: set[str] = set()
    for path, inner in re.findall(r"([\w.]+)\s*:\s*\{([^}]*)\}", query):
        fields |= {f"{path}.{f}" for f in re.findall(r"([\w.]+)\s*:", inner)}
    flat = re.sub(r"[\w.]+\s*:\s*\{[^}]*\}", "", query)
    return fields | set(re.findall(r"([\w.]+)\s*:", flat))


def _fields_of(obj: dict[str, Any]) -> set[str]:
    attributes = obj["attributes"]
    fields: set[str] = set(attributes.get("columns", []))
    fields |= {field for field, _ in attributes.get("sort", [])}
    if attributes.get("timeFieldName"):
        fields.add(attributes["timeFieldName"])
    source = json.loads(attributes.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON", "{}"))
    fields |= _kql_fields(source.get("query", {}).get("query", ""))
    if "visState" in attributes:
        for agg in json.loads(attributes["visState"])["aggs"]:
            if "field" in agg["params"]:
                fields.add(agg["params"]["field"])
    return fields


def test_kibana_objects_are_wellformed_resolve_and_use_only_template_fields() -> None:
    lines = NDJSON.read_text().splitlines()
    objects = [json.loads(line) for line in lines]
    assert NDJSON.read_text() == to_ndjson(
        saved_objects("wirewatch-articles", "wirewatch-alerts")
    ), "deploy/kibana/wirewatch.ndjson is stale: regenerate it with `wirewatch kibana export`"
    by_key = {(o["type"], o["id"]): o for o in objects}
    assert len(by_key) == len(objects)
    titles = {o["attributes"]["title"] for o in objects}
    assert {"Statements about sanctions", "Statements by speaker", "Latest alerts"} <= titles
    assert {o["type"] for o in objects} >= {"index-pattern", "search", "visualization", "dashboard"}
    views = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    known = {
        "wirewatch-articles": mapped_fields(ARTICLE_MAPPINGS),
        "wirewatch-alerts": mapped_fields(ALERT_MAPPINGS),
    }
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in by_key, f"{obj['id']} -> {ref}"
        view = views.get(obj["id"]) or next(
            (views[r["id"]] for r in obj["references"] if r["type"] == "index-pattern"), None
        )
        if view is None:
            continue
        missing = _fields_of(obj) - known[view]
        assert not missing, f"{obj['id']} uses fields the template lacks: {sorted(missing)}"
    dashboard = by_key[("dashboard", "wirewatch-desk")]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    assert {p["panelRefName"] for p in panels} == {r["name"] for r in dashboard["references"]}
