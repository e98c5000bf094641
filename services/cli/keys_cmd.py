"""`dti keys`: create, list and revoke source keys (stored hashed).

Embedded mode keeps them in the data directory; with `DTI_KAFKA_BROKERS` set (the environment of the Kafka
services) or `--kafka`, they go to the compacted keys topic that every ingest replica reads.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shared import bilingual

if TYPE_CHECKING:
    from services.ingest.keys import KeyInfo, KeyStore
    from shared.settings import Settings

keys_app = typer.Typer(help="Khóa của hệ thống nguồn / Source keys", no_args_is_help=True)
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="data directory (DTI_DATA_DIR)")]


Kafka = Annotated[
    bool, typer.Option("--kafka", help="use the Kafka keys topic (default when DTI_KAFKA_BROKERS is set)")
]


def _settings(data_dir: Path | None) -> Settings:
    from shared.settings import Settings

    return Settings(**({"data_dir": data_dir} if data_dir else {}))  # type: ignore[arg-type]


def _on_kafka(flag: bool) -> bool:
    from shared.settings import get_settings

    return flag or get_settings().given("kafka_brokers")


def _store(data_dir: Path | None) -> KeyStore:
    from services.ingest.keys import KeyStore  # SQLite store: not loaded for the Kafka path or --help

    return KeyStore(_settings(data_dir).data_dir / "keys.sqlite")


def _create(data_dir: Path | None, kafka: bool, source: str, label: str | None) -> tuple[KeyInfo, str]:
    if _on_kafka(kafka):
        from services.kafka.keys import create_key

        return create_key(_settings(data_dir), source, label)
    return _store(data_dir).create(source, label)


@keys_app.command("create")
def create(
    source: Annotated[str, typer.Option("--source", help="source system, e.g. lgsp")],
    data_dir: DataDir = None,
    label: Annotated[str | None, typer.Option(help="a note, e.g. who holds it")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="check the source exists in these rules")] = None,
    kafka: Kafka = False,
) -> None:
    """Create a key for a source; the key is printed once, on the last line."""
    from shared.rules import RulesInvalid, load_ruleset, resolve_manifest
    from shared.settings import Settings

    settings = Settings(**({"rules": rules} if rules else {}))  # type: ignore[arg-type]
    try:
        known = load_ruleset(resolve_manifest(settings.rules)).catalog.sources
    except (RulesInvalid, OSError):
        known = None
    if known is not None and source not in known:
        names = ", ".join(sorted(known))
        typer.echo(
            bilingual.join(
                f"nguồn '{source}' không tồn tại (có: {names})", f"unknown source '{source}' (known: {names})"
            ),
            err=True,
        )
        raise typer.Exit(2)
    info, key = _create(data_dir, kafka, source, label)
    typer.echo(
        bilingual.join(
            f"đã tạo khóa {info.id} cho nguồn '{source}'; lưu khóa này ngay, khóa không được hiển thị lại",
            f"created key {info.id} for source '{source}'; store it now, it is not shown again",
        ),
        err=True,
    )
    typer.echo(key)


@keys_app.command("list")
def list_keys(data_dir: DataDir = None, kafka: Kafka = False) -> None:
    """List keys (never the secrets)."""
    if _on_kafka(kafka):
        from services.kafka.keys import list_keys as from_topic

        found = from_topic(_settings(data_dir))
    else:
        found = _store(data_dir).list()
    for k in found:
        state = "revoked " + _ts(k.revoked_at) if k.revoked_at else "active"
        typer.echo(f"{k.id}\t{k.source}\t{_ts(k.created_at)}\t{state}\t{k.label or ''}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="key id from `dti keys list`, e.g. k_1a2b3c4d")],
    data_dir: DataDir = None,
    kafka: Kafka = False,
) -> None:
    """Revoke a key; when this returns, the running server (every ingest replica in Kafka mode) refuses it."""
    if _on_kafka(kafka):
        from services.kafka.keys import revoke_key

        done = revoke_key(_settings(data_dir), key_id)
    else:
        done = _store(data_dir).revoke(key_id)
    if not done:
        typer.echo(bilingual.join(f"không có khóa '{key_id}' đang dùng", f"no active key '{key_id}'"), err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def _ts(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")
