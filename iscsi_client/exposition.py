"""isc's metric families in Prometheus' text exposition format, by prometheus_client (imported only on the
isc metrics path: it costs start-up time every other command does not need)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from iscsi_client.ops.metrics import Family


class _Snapshot(Collector):
    """A collector that yields one sample already taken (isc runs once per scrape or timer tick)."""

    def __init__(self, families: Sequence[Family]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        for fam in self.families:
            gauge = GaugeMetricFamily(fam.name, fam.help, labels=list(fam.label_names))
            for labels, value in fam.samples:
                gauge.add_metric(list(labels), value)
            yield gauge


def registry(families: Sequence[Family]) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_Snapshot(families))
    return reg


def text(families: Sequence[Family]) -> str:
    return generate_latest(registry(families)).decode()
