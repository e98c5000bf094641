"""The ceiling for ingest: a bare FastAPI endpoint that validates the same body and does nothing else."""

from __future__ import annotations

from fastapi import FastAPI

from shared.events import BatchIn

app = FastAPI()


@app.post("/v1/events", status_code=202)
async def events(batch: BatchIn) -> dict[str, int]:
    return {"accepted": len(batch.events), "duplicates": 0}


@app.get("/readyz")
def ready() -> dict[str, str]:
    return {"status": "ready"}
