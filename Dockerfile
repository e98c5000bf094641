# syntax=docker/dockerfile:1
# One image for every DTI Monitor service: `dti up` (embedded mode, the default command), and in Kafka mode
# `dti ingest`, `dti scoring`, `dti alerts` (docker-compose.yml, deploy/k8s/). Dependencies come from uv.lock
# exactly (--frozen); the runtime stage has no compiler, no uv and no source tree, and runs as a non-root user.
#
# Base image pinned by tag and by digest (the multi-platform index of python:3.11-slim-bookworm, resolved
# 2026-09-24). To move to a newer patch release: `docker buildx imagetools inspect python:3.11-slim-bookworm`
# and replace the digest, or build with --build-arg PYTHON_IMAGE=....
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

# ---------------------------------------------------------------- builder: the virtualenv from the lock file
FROM ${PYTHON_IMAGE} AS builder

# durable-rules ships as source only (a C extension): a compiler is needed here, never at run time.
# Debian's security updates are wanted, so the packages are not pinned to a version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ libc6-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
# the same uv as scripts/bootstrap
RUN pip install "uv==0.13.8"

WORKDIR /app
# dependencies first: this layer is rebuilt only when the lock file changes
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --all-extras --no-install-project
# then the project itself, installed as a package (not editable: the runtime has no source tree)
COPY shared ./shared
COPY services ./services
RUN uv sync --frozen --no-dev --all-extras --no-editable

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="DTI Monitor" \
      org.opencontainers.image.description="Chỉ số chuyển đổi số cấp tỉnh / Provincial digital transformation index monitor" \
      org.opencontainers.image.licenses="MIT"

RUN groupadd --system --gid 10001 dti \
    && useradd --system --uid 10001 --gid dti --no-create-home --home-dir /var/lib/dti --shell /usr/sbin/nologin dti \
    && mkdir -p /var/lib/dti \
    && chown dti:dti /var/lib/dti

COPY --from=builder /app/.venv /app/.venv
# the province's rules; docker-compose and Kubernetes mount the live rules over /app/rules (read-only)
COPY rules /app/rules

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DTI_HOST=0.0.0.0 \
    DTI_DATA_DIR=/var/lib/dti \
    DTI_RULES=/app/rules \
    DTI_LOG_FORMAT=json

USER 10001:10001
WORKDIR /var/lib/dti
VOLUME ["/var/lib/dti"]
# dti up / dti ingest: 8080, dti scoring: 8081, dti alerts: 8082
EXPOSE 8080 8081 8082

ENTRYPOINT ["dti"]
CMD ["up"]
