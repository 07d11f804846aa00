"""What users read: answers, trend lists and alerts, quota and DLQ views, built from core models."""
