"""docker-compose.yml and its Caddyfile, read the way Docker and Caddy would read them: no
Docker engine runs here, so what can drift is checked instead (a setting the bot does not
know, a replica the proxy does not reach, a health check on a path the bot does not serve)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "Caddyfile"


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    return services


def _replicas() -> dict[str, dict[str, str]]:
    return {
        name: {key: str(value) for key, value in service["environment"].items()}
        for name, service in _services().items()
        if service.get("image") == "leadsieve"
    }


def test_two_replicas_share_postgres_and_redis() -> None:
    replicas = _replicas()
    assert len(replicas) == 2
    for environment in replicas.values():
        assert environment["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["WEBHOOK_URL"].startswith("https://")
        assert environment["REPLICAS"] == str(len(replicas))
    names = [environment["REPLICA_NAME"] for environment in replicas.values()]
    assert sorted(names) == sorted(replicas)  # each says who it is in the logs


def test_every_setting_given_to_a_replica_is_one_the_bot_knows() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name, environment in _replicas().items():
        unknown = set(environment) - known
        assert unknown == set(), f"{name}: settings the bot does not know: {unknown}"


def test_the_replicas_start_after_their_databases_are_healthy() -> None:
    services = _services()
    for name in _replicas():
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]


def test_the_proxy_reaches_every_replica_on_its_port_and_checks_its_health() -> None:
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    [upstreams] = re.findall(r"reverse_proxy ([^{]+)\{", caddyfile)
    expected = [f"{name}:{env['WEB_PORT']}" for name, env in _replicas().items()]
    assert sorted(upstreams.split()) == sorted(expected)
    assert re.search(r"health_uri /health\b", caddyfile)
    proxy = _services()["proxy"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert set(proxy["depends_on"]) == set(_replicas())
