"""What `dti up` and the Kafka-mode commands do alike: settings from the options and the environment,
logging, the app (invalid rules: their FILE:LINE:COL lines and exit status 2, before a port is opened),
one line saying where it listens, uvicorn.

Web server, app and logging are imported when a command runs, not when `dti` starts: `dti --help` and
`dti keys create` should not pay for FastAPI and uvicorn (about a second here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from shared import bilingual

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.settings import Settings


def serve(
    factory: Callable[[Settings], FastAPI],
    banner: Callable[[Settings], str],
    default_port: int | None = None,
    **options: object,
) -> None:
    """Run the app `factory` makes; `options` are the command's, None where not given (the environment's
    DTI_* then decide)."""
    import uvicorn

    from shared.logging import setup
    from shared.rules import RulesInvalid
    from shared.settings import Settings

    overrides = {k: v for k, v in options.items() if v is not None}
    if default_port is not None:
        overrides.setdefault("port", default_port)
    settings = Settings(**overrides)  # type: ignore[arg-type]
    setup(settings.log_level, settings.log_format)
    try:
        app = factory(settings)
    except RulesInvalid as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        typer.echo(
            bilingual.join(
                "tệp quy tắc không hợp lệ; sửa rồi khởi động lại", "the rules are invalid; fix them and start again"
            ),
            err=True,
        )
        raise typer.Exit(2) from exc
    typer.echo(banner(settings), err=True)
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False, timeout_graceful_shutdown=10
    )
