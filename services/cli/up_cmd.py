"""`dti up`: everything in one process on the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def up(
    host: Annotated[str | None, typer.Option(help="address to listen on (DTI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (DTI_PORT, default 8080)")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="durable state (DTI_DATA_DIR)")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="rules manifest or directory (DTI_RULES)")] = None,
) -> None:
    """Run ingest, scoring, alerts, the read API and /metrics in one process, state in SQLite."""
    import uvicorn  # here, not at the top: `dti --help` need not load the web stack

    from shared.logging import setup
    from shared.rules.problems import RulesInvalid
    from shared.settings import Settings

    overrides = {
        k: v for k, v in {"host": host, "port": port, "data_dir": data_dir, "rules": rules}.items() if v is not None
    }
    settings = Settings(**overrides)  # type: ignore[arg-type]
    setup(settings.log_level, settings.log_format)
    from services.embedded.app import create_app

    try:
        app = create_app(settings)
    except RulesInvalid as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        typer.echo("the rules are invalid; fix them and start again / tệp quy tắc không hợp lệ", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"DTI Monitor on http://{settings.host}:{settings.port}  (API docs: /docs, scores: /v1/scores, "
        f"metrics: /metrics; data in {settings.data_dir}, admin token in "
        f"{settings.data_dir / 'admin-token'} unless DTI_ADMIN_TOKEN is set)",
        err=True,
    )
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False, timeout_graceful_shutdown=10
    )
