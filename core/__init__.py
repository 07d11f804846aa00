"""The domain of tgassist: ingestion, retrieval, answers, trends, interests, quotas."""
