"""Post images: recorded per tenant, downloaded once into the media store."""
