"""Settings are read once and cannot change afterwards: the process sees one configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from shared.settings import Settings, get_settings


@pytest.fixture
def fresh() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_settings_refuse_assignment() -> None:
    s = Settings(port=9000)
    with pytest.raises(ValidationError):
        s.port = 9001


def test_get_settings_reads_the_environment_once(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DTI_PORT", "9100")
    first = get_settings()
    monkeypatch.setenv("DTI_PORT", "9200")
    assert get_settings() is first and first.port == 9100
    get_settings.cache_clear()
    assert get_settings().port == 9200


def test_given_tells_a_set_value_from_a_default(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DTI_KAFKA_BROKERS", raising=False)
    assert not get_settings().given("kafka_brokers")
    monkeypatch.setenv("DTI_KAFKA_BROKERS", "broker:9092")
    get_settings.cache_clear()
    assert get_settings().given("kafka_brokers")
    assert Settings(kafka_brokers="b:1").given("kafka_brokers")
