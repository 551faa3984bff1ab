"""Reading Prometheus expositions (``/metrics``, or this process's ``domain.metrics.render``)
in tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from domain.metrics import render

if TYPE_CHECKING:
    import httpx


class Exposition:
    """One scrape's samples, looked up by name and exact labels."""

    def __init__(self, text: str) -> None:
        self.samples = [
            sample for family in text_string_to_metric_families(text) for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sample ``name`` with exactly ``labels``; 0 when there is none yet (a counter
        not incremented, a gauge never set)."""
        for sample in self.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
        return 0.0

    def label_values(self, name: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == name and label in s.labels}


async def scrape(client: httpx.AsyncClient, token: str | None = None) -> Exposition:
    """``GET /metrics`` (as the admin whose token is given), which must answer 200."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return Exposition(response.text)


def this_host() -> Exposition:
    """What ``/metrics`` would serve now for this process's folder (jobs and gateway calls
    of an in-process worker, without an API in between)."""
    body, _ = render(None)
    return Exposition(body.decode())
