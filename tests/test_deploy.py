"""deploy/: the image, compose file and Kubernetes manifests against the operator contract.

The contract is `.env.example` (every variable name), the routes /healthz and
/readyz, the two processes (`gateway serve`, `gateway dispatch`), port
8080 and the ops port 9090 (GATEWAY_OPS_PORT: /readyz and /metrics).
Everything here reads the files as they are; only the `docker compose
config` check needs a tool that may be missing.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import ConfigError, Settings, load_settings
from gateway.run import create_app
from gateway.sandbox.credentials import DEMO_TWILIO_ACCOUNT_SID
from tests.helpers.servers import free_port
from tests.helpers.settings import make_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

PORT = 8080
OPS_PORT = 9090
YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])
SECRET_SUFFIXES = ("_TOKEN", "_KEY")


# --- helpers ------------------------------------------------------------------


def env_example_names() -> set[str]:
    """Variables of .env.example: `NAME=` lines, set or commented out (`# NAME=`)."""
    pattern = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
    return set(pattern.findall(ENV_EXAMPLE.read_text()))


def is_secret(name: str) -> bool:
    return name.endswith(SECRET_SUFFIXES)


def load_docs(path: Path) -> list[Any]:
    with path.open() as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def k8s_objects() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        for doc in load_docs(path)
        if doc.get("kind") != "Kustomization"
    ]


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    found = [o for o in k8s_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name} in {K8S}, found {len(found)}"
    return found[0]


def configmap() -> dict[str, Any]:
    (only,) = [o for o in k8s_objects() if o["kind"] == "ConfigMap"]
    return only


def secret() -> dict[str, Any]:
    (only,) = [o for o in k8s_objects() if o["kind"] == "Secret"]
    return only


def commented_keys(path: Path) -> set[str]:
    """`# NAME: "value"` lines: optional variables shown but left unset in a manifest."""
    pattern = re.compile(r'^\s*#\s*([A-Z][A-Z0-9_]*):\s*"', re.MULTILINE)
    return set(pattern.findall(path.read_text()))


def secret_keys() -> set[str]:
    obj = secret()
    return {*obj.get("stringData", {}), *obj.get("data", {})}


def pod_spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = k8s_object("Deployment", name)["spec"]["template"]["spec"]
    return spec


def only_container(name: str) -> dict[str, Any]:
    (container,) = pod_spec(name)["containers"]
    return container


def compose() -> dict[str, Any]:
    (doc,) = load_docs(COMPOSE)
    return doc


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- NAME=value` form
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: str(value) for name, value in env.items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, args = (current + line).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def instruction(keyword: str, stage: list[tuple[str, str]] | None = None) -> list[str]:
    return [args for kw, args in (stage or dockerfile_instructions()) if kw == keyword]


def healthcheck_command() -> list[str]:
    (args,) = instruction("HEALTHCHECK", final_stage())
    _, _, exec_form = args.partition("CMD ")
    command: list[str] = json.loads(exec_form)
    return command


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last pattern matching the path or a parent wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw.removeprefix("!").strip("/")
        candidates = [pattern, pattern.removeprefix("**/")]
        if any(fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates):
            excluded = not negated
    return excluded


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


# --- every YAML file ----------------------------------------------------------


def test_deploy_has_yaml_files() -> None:
    names = {path.relative_to(DEPLOY).as_posix() for path in YAML_FILES}
    assert {
        "docker-compose.yml",
        "kubernetes/configmap.yaml",
        "kubernetes/secret.yaml",
        "kubernetes/web-deployment.yaml",
        "kubernetes/worker-deployment.yaml",
        "kubernetes/service.yaml",
    } <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_yaml_parses(path: Path) -> None:
    docs = load_docs(path)
    assert docs, f"{path} holds no YAML document"
    assert all(isinstance(doc, dict) for doc in docs)


# --- Kubernetes -----------------------------------------------------------------


def test_kubernetes_objects_have_api_version_kind_and_name() -> None:
    objects = k8s_objects()
    assert {o["kind"] for o in objects} == {"ConfigMap", "Secret", "Deployment", "Service"}
    for obj in objects:
        assert isinstance(obj.get("apiVersion"), str), obj
        assert isinstance(obj.get("kind"), str), obj
        assert isinstance(obj.get("metadata", {}).get("name"), str), obj


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = load_docs(K8S / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests
    # The image it renames is the one the Deployments use.
    names = {image["name"] for image in kustomization.get("images", [])}
    for deployment in ("gateway-web", "gateway-worker"):
        image = only_container(deployment)["image"]
        assert image.rsplit(":", 1)[0] in names


def test_web_probes_readyz_on_the_ops_port_and_healthz_on_the_public_one() -> None:
    container = only_container("gateway-web")
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": PORT, "ops": OPS_PORT}
    # With GATEWAY_OPS_PORT set, the public port answers /readyz with a 404.
    assert configmap()["data"]["GATEWAY_OPS_PORT"] == str(OPS_PORT)
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/readyz"
    assert readiness["port"] in ("ops", OPS_PORT)
    assert liveness["path"] == "/healthz"
    assert liveness["port"] in ("http", PORT)


def test_web_pods_are_scraped_on_the_ops_port() -> None:
    template = k8s_object("Deployment", "gateway-web")["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(OPS_PORT)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_web_deployment() -> None:
    deployment = k8s_object("Deployment", "gateway-web")
    assert deployment["spec"]["replicas"] == 2
    spec = pod_spec("gateway-web")
    assert spec["terminationGracePeriodSeconds"] == 30
    container = only_container("gateway-web")
    assert container.get("command", ["gateway"]) == ["gateway"]  # the image's entrypoint
    assert container["args"] == ["serve"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    # The Deployment's selector picks its own pods.
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_worker_runs_gateway_dispatch_without_http_probes() -> None:
    deployment = k8s_object("Deployment", "gateway-worker")
    assert deployment["spec"]["replicas"] == 2
    container = only_container("gateway-worker")
    assert [*container.get("command", ["gateway"]), *container.get("args", [])] == [
        "gateway",
        "dispatch",
    ]
    # It exits within 10 s of SIGTERM: the grace period must not cut it short.
    assert pod_spec("gateway-worker")["terminationGracePeriodSeconds"] >= 15
    assert "ports" not in container
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert "httpGet" not in container.get(probe, {}), "the worker serves no HTTP"


@pytest.mark.parametrize("name", ["gateway-web", "gateway-worker"])
def test_deployments_run_as_non_root_on_a_read_only_root(name: str) -> None:
    spec = pod_spec(name)
    container = only_container(name)
    pod_security = spec.get("securityContext", {})
    security = {**pod_security, **container.get("securityContext", {})}
    assert security.get("runAsNonRoot") is True
    assert security.get("runAsUser", 1) != 0
    assert security.get("readOnlyRootFilesystem") is True
    assert security.get("allowPrivilegeEscalation") is False
    assert security.get("capabilities", {}).get("drop") == ["ALL"]


@pytest.mark.parametrize("name", ["gateway-web", "gateway-worker"])
def test_deployments_read_the_configmap_and_secret(name: str) -> None:
    sources = only_container(name)["envFrom"]
    assert {"configMapRef": {"name": configmap()["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": secret()["metadata"]["name"]}} in sources


def test_service_is_cluster_ip_on_8080_named_http_for_the_web_pods() -> None:
    (service,) = [o for o in k8s_objects() if o["kind"] == "Service"]
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    (port,) = service["spec"]["ports"]
    assert port["name"] == "http"
    assert port["port"] == PORT
    assert port["targetPort"] in ("http", PORT)
    web_labels = k8s_object("Deployment", "gateway-web")["spec"]["template"]["metadata"]["labels"]
    worker = k8s_object("Deployment", "gateway-worker")
    worker_labels = worker["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    assert selector.items() <= web_labels.items()
    assert not selector.items() <= worker_labels.items(), "the Service must not pick workers"


# --- variable names: .env.example is the contract -------------------------------


def test_env_example_parses_into_the_known_variables() -> None:
    names = env_example_names()
    assert {"SDX_API_URL", "TWILIO_AUTH_TOKEN", "SDX_BEARER_TOKEN", "REDIS_URL", "PORT"} <= names


def test_manifest_and_compose_variables_are_env_example_variables() -> None:
    known = env_example_names()
    used = {
        "ConfigMap": set(configmap()["data"]) | commented_keys(K8S / "configmap.yaml"),
        "Secret": secret_keys() | commented_keys(K8S / "secret.yaml"),
    }
    for name, service in compose()["services"].items():
        used[f"compose service {name}"] = set(compose_environment(service))
    for where, names in used.items():
        assert names <= known, f"{where} uses names not in .env.example: {names - known}"


def test_secrets_are_in_the_secret_and_never_in_the_configmap() -> None:
    secrets = {name for name in env_example_names() if is_secret(name)}
    assert secrets == {
        "SDX_AUTH_TOKEN",
        "SDX_BEARER_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "GATEWAY_WEBHOOK_SHARED_KEY",
    }
    in_secret = secret_keys() | commented_keys(K8S / "secret.yaml")
    assert secrets <= in_secret, f"missing from secret.yaml: {secrets - in_secret}"
    in_configmap = set(configmap()["data"]) | commented_keys(K8S / "configmap.yaml")
    assert not {n for n in in_configmap if is_secret(n)}
    for name, service in compose()["services"].items():
        leaked = {n for n in compose_environment(service) if is_secret(n)}
        assert not leaked, f"compose service {name} sets secrets inline: {leaked}"


def test_configmap_and_secret_do_not_overlap() -> None:
    assert not set(configmap()["data"]) & secret_keys()


def test_configmap_covers_every_non_secret_variable() -> None:
    # A variable added to .env.example belongs in configmap.yaml too
    # (commented out, like `# NAME: ""`, when it is optional).
    wanted = {name for name in env_example_names() if not is_secret(name)}
    present = set(configmap()["data"]) | commented_keys(K8S / "configmap.yaml")
    assert wanted <= present, f"add to deploy/kubernetes/configmap.yaml: {wanted - present}"


def test_secret_values_are_placeholders() -> None:
    values = secret().get("stringData", {})
    assert values
    assert all("REPLACE" in value for value in values.values()), values
    # An empty secret stops the gateway; optional ones are commented out instead.
    assert {"SDX_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"} <= set(values)


def test_configmap_values_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    data = configmap()["data"]
    assert all(isinstance(value, str) for value in data.values()), "ConfigMap values are strings"
    assert data["PORT"] == str(PORT)
    assert data["LOG_FORMAT"] == "json"
    for name, value in {**data, **secret()["stringData"]}.items():
        monkeypatch.setenv(name, value)
    # The Account SID placeholder stops the gateway at start, naming the variable...
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID"):
        load_settings()
    # ...and with it filled in, every other value is a valid setting.
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEMO_TWILIO_ACCOUNT_SID)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.port == PORT
    assert settings.gateway_ops_port == OPS_PORT
    assert settings.gateway_public_url.startswith("https://")
    assert settings.redis_url is not None


# --- docker compose -------------------------------------------------------------


def test_compose_services() -> None:
    services = compose()["services"]
    assert {"redis", "web", "worker"} <= set(services)
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    assert "redis-cli" in redis["healthcheck"]["test"]
    for name, command in (("web", ["serve"]), ("worker", ["dispatch"])):
        service = services[name]
        assert service["command"] == command
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["env_file"] == ["../.env"]
        assert compose_environment(service)["REDIS_URL"] == "redis://redis:6379/0"
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["build"]["context"] == ".."
    for service in services.values():
        assert service.get("restart") in {"always", "unless-stopped", "on-failure"}
    assert any(str(port).endswith(f"{PORT}:{PORT}") for port in services["web"]["ports"])
    # /readyz and /metrics on the ops port, published on the host's loopback only.
    assert compose_environment(services["web"])["GATEWAY_OPS_PORT"] == str(OPS_PORT)
    ops = [str(port) for port in services["web"]["ports"] if str(port).endswith(f":{OPS_PORT}")]
    assert ops == [f"127.0.0.1:{OPS_PORT}:{OPS_PORT}"]
    # The worker serves no HTTP, so the image's /healthz check is switched off.
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["web"]["healthcheck"]["test"] == ["CMD", *healthcheck_command()]


def test_compose_sandbox_is_opt_in() -> None:
    sandbox = compose()["services"].get("sandbox")
    if sandbox is None:
        pytest.skip("no sandbox service in the compose file")
    assert sandbox["profiles"] == ["sandbox"]
    assert sandbox["command"][:1] == ["sandbox"]
    assert "0.0.0.0" in sandbox["command"]


def compose_command() -> list[str]:
    """`docker compose`, or a standalone Compose v2 `docker-compose`; else skip."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone is not None:
        probe = subprocess.run([standalone, "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0 and re.search(r"\bv?2\.", probe.stdout):
            return [standalone]
    missing = "the docker binary" if docker is None else "the docker compose plugin"
    pytest.skip(f"{missing} is not installed, so `docker compose config` cannot run here")


@pytest.mark.parametrize("profile", [[], ["--profile", "sandbox"]], ids=["default", "sandbox"])
def test_docker_compose_config_validates(tmp_path: Path, profile: list[str]) -> None:
    command = compose_command()
    # env_file ../.env must exist: lay the project out as a fresh clone would,
    # with .env created from .env.example, around the real compose file.
    (tmp_path / "deploy").mkdir()
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    result = subprocess.run(
        [
            *command,
            "--file",
            str(COMPOSE),
            "--project-directory",
            str(tmp_path / "deploy"),
            *profile,
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- Dockerfile -----------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_slim_python() -> None:
    bases = instruction("FROM")
    assert len(bases) >= 2
    for base in bases:
        image = base.split()[0]
        assert image.startswith("python:"), base
        assert "slim" in image, base
    (version,) = [a for a in instruction("ARG") if a.startswith("PYTHON_VERSION=")]
    assert version.split("=", 1)[1] in {"3.11", "3.12"}
    assert any(args.startswith("--from=") for args in instruction("COPY", final_stage()))


def test_dockerfile_installs_the_package_not_editable() -> None:
    runs = " ".join(instruction("RUN"))
    assert "pip wheel" in runs or "pip install" in runs
    assert not re.search(r"\s(-e|--editable)\s", f" {runs} ")
    assert "[dev]" not in runs


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = instruction("USER", final_stage())
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_exposes_8080_and_checks_healthz() -> None:
    stage = final_stage()
    assert str(PORT) in " ".join(instruction("EXPOSE", stage)).split()
    command = healthcheck_command()
    assert command[0] == "python"
    assert "/healthz" in command[-1]


def test_dockerfile_entrypoint_is_gateway_serve() -> None:
    stage = final_stage()
    (entrypoint,) = instruction("ENTRYPOINT", stage)
    (cmd,) = instruction("CMD", stage)
    assert json.loads(entrypoint) == ["gateway"]
    assert json.loads(cmd) == ["serve"]


def test_dockerfile_environment_and_no_secrets() -> None:
    env = " ".join(instruction("ENV", final_stage()))
    assert "PYTHONUNBUFFERED=1" in env
    assert "LOG_FORMAT=json" in env
    for keyword in ("ENV", "ARG"):
        for args in instruction(keyword):
            for name in re.findall(r"([A-Z][A-Z0-9_]*)=", args):
                assert not is_secret(name), f"{keyword} {name} would bake a secret in"
    copied = " ".join(instruction("COPY"))
    assert ".env" not in copied


async def run_healthcheck(port: int) -> int:
    executable, *args = healthcheck_command()
    assert executable == "python"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={"PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), timeout=30)


async def test_healthcheck_command_passes_against_the_gateway(aiohttp_server: Any) -> None:
    server = await aiohttp_server(create_app(make_settings()))
    assert await run_healthcheck(server.port) == 0


async def test_healthcheck_command_fails_when_nothing_listens() -> None:
    assert await run_healthcheck(free_port()) != 0


def test_dockerignore_keeps_secrets_and_clutter_out_of_the_context() -> None:
    patterns = dockerignore_patterns()
    for path in (
        ".env",
        ".venv/bin/python",
        ".git/HEAD",
        "tests/test_config.py",
        "bench/dispatch.py",
        ".pytest_cache/v/cache",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/x",
        "gateway/__pycache__/app.cpython-311.pyc",
        "sdx_twilio_gateway.egg-info/PKG-INFO",
    ):
        assert dockerignored(path, patterns), f"{path} would be sent to the build"
    for path in ("pyproject.toml", "README.md", "gateway/app.py", "gateway/sandbox/data/x.json"):
        assert not dockerignored(path, patterns), f"{path} is needed by the build"


def test_dockerfile_copies_only_what_the_context_keeps() -> None:
    patterns = dockerignore_patterns()
    for args in instruction("COPY"):
        if args.startswith("--from="):
            continue
        *sources, _ = args.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not dockerignored(source, patterns), f"{source} is excluded by .dockerignore"


# --- Procfile and README --------------------------------------------------------


def test_procfile_declares_web_and_worker() -> None:
    lines = (ROOT / "Procfile").read_text().splitlines()
    processes = dict(line.split(":", 1) for line in lines if line.strip())
    assert {name: command.strip() for name, command in processes.items()} == {
        "web": "gateway serve",
        "worker": "gateway dispatch",
    }


def test_deploy_readme_explains_the_public_url_and_endpoints() -> None:
    text = (DEPLOY / "README.md").read_text()
    for needle in ("GATEWAY_PUBLIC_URL", "403", "/healthz", "/readyz", "/metrics", "REDIS_URL"):
        assert needle in text
