"""Storage: models, engine and migrations."""
