"""The dead-letter queue: failures that exhausted their retries, and what admins do with them."""
