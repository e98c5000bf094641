"""Entry point of the `dti` command: one Typer app, one sub-app per concern."""

from __future__ import annotations

import typer

from services.cli.bench_cmd import bench
from services.cli.demo_cmd import demo
from services.cli.kafka_cmd import alerts, ingest, scoring
from services.cli.keys_cmd import keys_app
from services.cli.rules_cmd import rules_app
from services.cli.simulate_cmd import simulate
from services.cli.up_cmd import up

app = typer.Typer(
    help="DTI Monitor — theo dõi Chỉ số chuyển đổi số cấp tỉnh / provincial DTI monitoring",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(rules_app, name="rules")
app.add_typer(keys_app, name="keys")
app.command("up")(up)
app.command("ingest")(ingest)
app.command("scoring")(scoring)
app.command("alerts")(alerts)
app.command("simulate")(simulate)
app.command("demo")(demo)
app.command("bench")(bench)


def main() -> None:
    from shared import clock
    from shared.settings import get_settings

    clock.shift(get_settings().clock_shift_seconds)
    app()
