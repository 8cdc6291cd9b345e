"""Prometheus metrics of the sink."""

from prometheus_client import Counter, Histogram

BATCHES = Counter("wirewatch_sink_batches_total", "Batches written and committed")
DOCUMENTS = Counter("wirewatch_sink_documents_total", "Documents by result", ["result"])
RETRIES = Counter("wirewatch_sink_retries_total", "Batch write attempts that must be retried")
BATCH_SECONDS = Histogram("wirewatch_sink_batch_seconds", "Time to write one batch")
