"""Dense vectors of posts: computed once per post (text and model), off the ingest path."""
