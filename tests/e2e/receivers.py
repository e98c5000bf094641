"""Real peers for alert delivery tests: a webhook receiver that can be switched down, an SMTP server
(aiosmtpd), and Debian's Alertmanager started on a free port."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.e2e.server import free_port


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.up = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if not outer.up:
                    outer.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        outer = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
                from email import message_from_bytes, policy

                msg = message_from_bytes(envelope.content, policy=policy.default)
                outer.messages.append(
                    {
                        "to": ",".join(envelope.rcpt_tos),
                        "subject": str(msg["subject"]),
                        "body": msg.get_body(preferencelist=("plain",)).get_content(),
                    }
                )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


def alertmanager_binary() -> str:
    for name in ("prometheus-alertmanager", "alertmanager"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("Alertmanager is not installed (Debian package prometheus-alertmanager; scripts/system-deps)")


class Alertmanager:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        cfg = workdir / "alertmanager.yml"
        cfg.write_text("route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n", encoding="utf-8")
        self.log = (workdir / "alertmanager.log").open("wb")
        self.proc = subprocess.Popen(
            [
                alertmanager_binary(),
                f"--config.file={cfg}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("alertmanager did not become ready")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alerts(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/api/v2/alerts", timeout=5).json()  # type: ignore[no-any-return]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
