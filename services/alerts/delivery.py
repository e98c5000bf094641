"""Sending notifications: webhook (Alertmanager's webhook payload), e-mail over SMTP, and Alertmanager's
own API. Each send raises on failure; the outbox decides when to try again."""

from __future__ import annotations

import asyncio
import smtplib
import time
from email.message import EmailMessage
from typing import Any

import httpx
import structlog

from services.alerts.outbox import AlertStore, Delivery
from shared.errors import Unavailable

log = structlog.get_logger(__name__)


class DeliveryFailed(Unavailable):
    """A receiver did not take the notification; the outbox retries it later."""


async def send_webhook(client: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> None:
    try:
        r = await client.post(url, json=payload, timeout=10.0)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook {url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= r.status_code < 300:
        raise DeliveryFailed(f"webhook {url}: HTTP {r.status_code}")


def send_email(
    host: str,
    port: int,
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    starttls: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if starttls:
                smtp.starttls()
            if user:
                smtp.login(user, password or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"smtp {host}:{port} to {to}: {type(exc).__name__}: {exc}") from exc


async def post_alertmanager(client: httpx.AsyncClient, base_url: str, alerts: list[dict[str, Any]]) -> None:
    url = base_url.rstrip("/") + "/api/v2/alerts"
    try:
        r = await client.post(url, json=alerts, timeout=10.0)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"alertmanager {url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= r.status_code < 300:
        raise DeliveryFailed(f"alertmanager {url}: HTTP {r.status_code} {r.text[:200]}")


class SmtpConfig:
    def __init__(
        self, host: str, port: int, sender: str, starttls: bool, user: str | None, password: str | None
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password = starttls, user, password


async def deliver_due(
    store: AlertStore, client: httpx.AsyncClient, smtp: SmtpConfig | None, on_result: Any = None
) -> int:
    """Send every due outbox row once; returns how many were sent."""
    sent = 0
    for d in store.due(time.time()):
        try:
            await _send(d, client, smtp)
        except DeliveryFailed as exc:
            delay = store.mark_failed(d, str(exc))
            log.warning(
                "notification_failed",
                channel=d.channel,
                receiver=d.receiver,
                attempt=d.attempts + 1,
                retry_in_s=delay,
                error=str(exc),
            )
            if on_result:
                on_result(d.channel, False)
            continue
        store.mark_sent(d)
        sent += 1
        if on_result:
            on_result(d.channel, True)
    return sent


async def _send(d: Delivery, client: httpx.AsyncClient, smtp: SmtpConfig | None) -> None:
    if d.channel == "webhook":
        await send_webhook(client, d.target, d.payload["webhook"])
    elif d.channel == "email":
        if smtp is None:
            raise DeliveryFailed("e-mail is not configured (DTI_SMTP_HOST)")
        await asyncio.to_thread(
            send_email,
            smtp.host,
            smtp.port,
            smtp.sender,
            d.target,
            d.payload["subject"],
            d.payload["body"],
            starttls=smtp.starttls,
            user=smtp.user,
            password=smtp.password,
        )
    else:
        raise DeliveryFailed(f"unknown channel {d.channel}")
