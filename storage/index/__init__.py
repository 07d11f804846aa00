"""Post index adapters: Qdrant Edge shards (embedded) and a Qdrant server; sparse and dense encoders."""
