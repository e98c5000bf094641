"""`dti rules check` and `dti rules explain`: what an analyst runs after editing a rules file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shared import bilingual

rules_app = typer.Typer(help="Kiểm tra, giải thích quy tắc / Check and explain the rules files", no_args_is_help=True)
DEFAULT_RULES = Path("rules")


@rules_app.command("check")
def check(files: Annotated[list[Path], typer.Argument(help="rules files or the rules directory")]) -> None:
    """Exit 0 when every file is valid; otherwise print FILE:LINE:COL: message for each problem."""
    from shared.rules import check_files

    problems = check_files(files)
    for line in problems:
        typer.echo(line)
    if problems:
        typer.echo(bilingual.join(f"{len(problems)} lỗi", f"{len(problems)} problem(s)"), err=True)
        raise typer.Exit(1)
    typer.echo("OK: " + bilingual.join(f"{len(files)} tệp hợp lệ", f"{len(files)} file(s) valid"), err=True)


@rules_app.command("explain")
def explain(
    code: Annotated[str, typer.Argument(help="indicator code, e.g. HDCQS.01 or HĐCQS.01")],
    rules: Annotated[Path, typer.Option("--rules", help="manifest or rules directory")] = DEFAULT_RULES,
    framework: Annotated[str | None, typer.Option("--framework", help="framework code")] = None,
) -> None:
    """Print an indicator's formula, targets, curve, points and owner, in Vietnamese with English."""
    from shared.rules import RulesInvalid, explain_indicator, load_ruleset

    try:
        rs = load_ruleset(rules)
    except RulesInvalid as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(1) from exc
    from shared.rules import resolve_code

    all_codes = {c for fw in rs.frameworks.values() for c in fw.indicators}
    code = resolve_code(code, all_codes) or code  # HĐCQS.01 as typed from the documents is HDCQS.01
    found = [fw for fw in rs.frameworks.values() if code in fw.indicators and framework in (None, fw.code)]
    if not found:
        typer.echo(bilingual.join(f"không có chỉ số '{code}'", f"unknown indicator '{code}'"), err=True)
        raise typer.Exit(1)
    for fw in found:
        typer.echo(explain_indicator(rs, fw, fw.indicators[code]))
