"""Configuration, read once from DTI_* environment variables (and CLI options layered on top).

`Settings` is the only reader of DTI_* variables and is frozen: a value read at start-up cannot drift while
the process runs, and no module consults `os.environ` behind its back. Code without CLI options takes the
process-wide instance from `get_settings()` (read on first use, then cached); a command with options builds its
own with `Settings(**overrides)`. Tests that change the environment call `get_settings.cache_clear()`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DTI_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    rules: Path = Path("rules")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # admin endpoints (rules reload, alert ack/silence); generated into the data dir when not given
    admin_token: str | None = None
    # ingest limits
    max_batch_events: int = Field(default=5000, ge=1)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_future_seconds: int = Field(default=300, ge=0)
    # durability: "full" fsyncs every accepted batch (survives power loss), "normal" survives process crashes
    sqlite_synchronous: Literal["full", "normal"] = "full"
    snapshot_interval_seconds: float = Field(default=30.0, gt=0)
    watch_rules: bool = True
    # which org-unit levels get Prometheus series (bounded cardinality); default: the top two levels
    metrics_levels: list[str] | None = None
    public_url: str = "http://127.0.0.1:8080"
    # alerts: evaluation rounds and delivery
    alerts_interval_seconds: float = Field(default=60.0, gt=0)
    alerts_webhook_url: str | None = None  # the default receiver's webhook (Alertmanager webhook payload)
    alertmanager_url: str | None = None  # e.g. http://alertmanager:9093; alerts are posted to /api/v2/alerts
    alertmanager_resend_seconds: float = Field(default=60.0, gt=0)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "dti-monitor@localhost"
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    # Kafka mode
    kafka_brokers: str = "127.0.0.1:9092"
    topic_events: str = "dti.events"
    topic_scores: str = "dti.scores"
    topic_alerts: str = "dti.alerts"
    topic_keys: str = "dti.keys"  # compacted: source keys (hashed), shared by every ingest replica
    kafka_partitions: int = Field(default=6, ge=1)  # of dti.events, dti.scores and the scoring tables
    kafka_replication: int = Field(default=1, ge=1)
    # acks=all with an idempotent producer (tested on Apache Kafka 4); False only for a broker without InitProducerId
    kafka_idempotence: bool = True
    kafka_send_timeout_seconds: float = Field(default=1.0, gt=0)  # then 503 + Retry-After, never a hang
    # a key revoked on dti.keys is refused by every ingest replica within this (a replica that cannot confirm it has
    # read the topic to its end this recently answers 503); `dti keys revoke` waits it out before returning
    kafka_keys_max_lag_seconds: float = Field(default=5.0, gt=0.5)
    scoring_app_id: str = "dti-scoring"  # Faust app id: consumer group and changelog topic prefix
    scoring_store: str = "memory://"  # or rocksdb:// (state on a volume, faster recovery)
    scoring_batch_max: int = Field(default=2000, ge=1)  # events folded per batch (one changelog write per cell)
    # behind a backlog, how long a batch waits for more events after its first one (like linger.ms)
    scoring_batch_seconds: float = Field(default=0.05, ge=0)
    # the longest a fetch waits for data (Faust fixes 1,500 ms; aiokafka's fetcher waits behind such a fetch)
    # (100 until issue 18's latency pass: a record on a partition left out of the fetch in flight waited for it)
    scoring_fetch_max_wait_ms: int = Field(default=20, ge=1)
    # the longest pause between rounds of score updates (a pause lasts as long as the last round took)
    scoring_emit_interval_seconds: float = Field(default=0.1, ge=0)
    scoring_session_timeout_seconds: float = Field(default=10.0, gt=0)
    # static group membership (KIP-345): a restarted worker with the same id gets its partitions back
    # without a rebalance; on Kubernetes the StatefulSet pod name (scoring-0, scoring-1...)
    scoring_instance_id: str | None = None
    alerts_group: str = "dti-alerts"
    # reports (services/reports/): a directory with <Family>-Regular.ttf and -Bold.ttf for the PDF; default Roboto
    # from the font-roboto wheel, then DejaVu Sans
    pdf_font_dir: Path | None = None
    # `dti demo` prints it among the places to look (a Grafana of one's own, e.g. from docker-compose)
    grafana_url: str | None = None

    # rehearsals and tests only: the province's clock runs this many seconds ahead of the machine's (the test
    # suite on another date: `pytest --clock-at 2027-01-15T10:00`); 0 in production
    clock_shift_seconds: float = 0.0

    def given(self, name: str) -> bool:
        """Whether `name` was set (by a DTI_* variable or an option) rather than left at its default."""
        return name in self.model_fields_set


@cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once; `get_settings.cache_clear()` re-reads."""
    return Settings()
