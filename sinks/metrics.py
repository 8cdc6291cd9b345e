"""Prometheus metrics of the sinks."""

from prometheus_client import Counter, Gauge, Histogram

BATCHES = Counter("wirewatch_sink_batches_total", "Batches written and committed")
DOCUMENTS = Counter("wirewatch_sink_documents_total", "Documents by result", ["result"])
RETRIES = Counter("wirewatch_sink_retries_total", "Batch write attempts that must be retried")
REJECTIONS = Counter(
    "wirewatch_sink_rejections_total", "Records sent to the dead-letter topic, by kind", ["kind"]
)
BATCH_SECONDS = Histogram(
    "wirewatch_sink_batch_seconds",
    "Time to write one batch, retries included",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
BATCH_BYTES = Histogram(
    "wirewatch_sink_batch_bytes",
    "Record bytes per batch",
    buckets=(1e3, 1e4, 1e5, 1e6, 4e6, 8e6, 16e6, 64e6),
)
CONSUMER_LAG = Gauge(
    "wirewatch_sink_consumer_lag",
    "Records not yet committed by the sink's group (end offset - committed)",
    ["topic", "partition"],
)
PAUSED = Gauge("wirewatch_sink_paused", "1 while the consumer is paused for a retry")
