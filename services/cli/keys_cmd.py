"""`dti keys`: create, list and revoke source keys (stored hashed in the data directory)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from services.ingest.keys import KeyStore
from shared.rules.loader import load_ruleset, resolve_manifest
from shared.rules.problems import RulesInvalid
from shared.settings import Settings

keys_app = typer.Typer(help="Source keys / Khóa của hệ thống nguồn", no_args_is_help=True)
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="data directory (DTI_DATA_DIR)")]


def _store(data_dir: Path | None) -> KeyStore:
    settings = Settings(**({"data_dir": data_dir} if data_dir else {}))  # type: ignore[arg-type]
    return KeyStore(settings.data_dir / "keys.sqlite")


@keys_app.command("create")
def create(
    source: Annotated[str, typer.Option("--source", help="source system, e.g. lgsp")],
    data_dir: DataDir = None,
    label: Annotated[str | None, typer.Option(help="a note, e.g. who holds it")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="check the source exists in these rules")] = None,
) -> None:
    """Create a key for a source; the key is printed once, on the last line."""
    settings = Settings(**({"rules": rules} if rules else {}))  # type: ignore[arg-type]
    try:
        known = load_ruleset(resolve_manifest(settings.rules)).catalog.sources
    except (RulesInvalid, OSError):
        known = None
    if known is not None and source not in known:
        typer.echo(f"unknown source '{source}' (known: {', '.join(sorted(known))}) / nguồn không tồn tại", err=True)
        raise typer.Exit(2)
    info, key = _store(data_dir).create(source, label)
    typer.echo(
        f"created key {info.id} for source '{source}'; store it now, it is not shown again / "
        "lưu khóa này ngay, khóa không được hiển thị lại",
        err=True,
    )
    typer.echo(key)


@keys_app.command("list")
def list_keys(data_dir: DataDir = None) -> None:
    """List keys (never the secrets)."""
    for k in _store(data_dir).list():
        state = "revoked " + _ts(k.revoked_at) if k.revoked_at else "active"
        typer.echo(f"{k.id}\t{k.source}\t{_ts(k.created_at)}\t{state}\t{k.label or ''}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="key id from `dti keys list`, e.g. k_1a2b3c4d")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key; the running server refuses it within seconds."""
    if not _store(data_dir).revoke(key_id):
        typer.echo(f"no active key '{key_id}' / không có khóa '{key_id}'", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def _ts(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")
