"""Risk targeting core: declaration schema, ingestion, features, model, metrics, selectivity."""
