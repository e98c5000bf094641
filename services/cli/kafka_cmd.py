"""`dti ingest`, `dti scoring`, `dti alerts`: the Kafka-mode services, one process each.

Web server, app and logging are imported when a command runs (services/cli/serve.py), not when `dti` starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.settings import Settings

Host = Annotated[str | None, typer.Option(help="address to listen on (DTI_HOST)")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="local state (DTI_DATA_DIR)")]
Rules = Annotated[Path | None, typer.Option("--rules", help="rules manifest or directory (DTI_RULES)")]


def _run(name: str, default_port: int, factory: Callable[[Settings], FastAPI], **options: object) -> None:
    from services.cli.serve import serve

    def banner(settings: Settings) -> str:
        return f"dti {name} on http://{settings.host}:{settings.port}, Kafka at {settings.kafka_brokers}"

    serve(factory, banner, default_port, **options)


def ingest(
    host: Host = None,
    port: Annotated[int | None, typer.Option(help="port (default 8080)")] = None,
    data_dir: DataDir = None,
    rules: Rules = None,
) -> None:
    """The ingest API on Kafka: events and observations are produced to dti.events (acks=all)."""
    from services.kafka.ingest import create_ingest_app

    _run("ingest", 8080, create_ingest_app, host=host, port=port, data_dir=data_dir, rules=rules)


def scoring(
    host: Host = None,
    port: Annotated[int | None, typer.Option(help="port (default 8081)")] = None,
    data_dir: DataDir = None,
    rules: Rules = None,
) -> None:
    """A scoring worker (Faust): folds dti.events into tables, sends dti.scores, serves /v1/scores."""
    from services.kafka.scoring import create_scoring_app

    _run("scoring", 8081, create_scoring_app, host=host, port=port, data_dir=data_dir, rules=rules)


def alerts(
    host: Host = None,
    port: Annotated[int | None, typer.Option(help="port (default 8082)")] = None,
    data_dir: DataDir = None,
    rules: Rules = None,
) -> None:
    """The alerts service: reads dti.scores as a consumer group, notifies, serves /v1/alerts."""
    from services.kafka.alerts import create_alerts_app

    _run("alerts", 8082, create_alerts_app, host=host, port=port, data_dir=data_dir, rules=rules)
