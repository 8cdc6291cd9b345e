"""Language processing as plain functions over the article model (no Kafka here)."""
