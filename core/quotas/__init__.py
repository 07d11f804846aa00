"""Per-tenant quotas: the LLM token budget gate, storage accounting, usage reports."""
