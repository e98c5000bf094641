"""`dti up`: everything in one process on the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shared.settings import Settings


def up(
    host: Annotated[str | None, typer.Option(help="address to listen on (DTI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (DTI_PORT, default 8080)")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="durable state (DTI_DATA_DIR)")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="rules manifest or directory (DTI_RULES)")] = None,
) -> None:
    """Run ingest, scoring, alerts, the read API and /metrics in one process, state in SQLite."""
    from services.cli.serve import serve
    from services.embedded.app import create_app

    serve(create_app, _banner, host=host, port=port, data_dir=data_dir, rules=rules)


def _banner(settings: Settings) -> str:
    return (
        f"DTI Monitor on http://{settings.host}:{settings.port}  (API docs: /docs, scores: /v1/scores, "
        f"metrics: /metrics; data in {settings.data_dir}, admin token in "
        f"{settings.data_dir / 'admin-token'} unless DTI_ADMIN_TOKEN is set)"
    )
