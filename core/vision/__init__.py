"""Vision analysis of post images within each tenant's token budget."""
