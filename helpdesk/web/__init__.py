"""HTTP plumbing shared by every page: middlewares, health, metrics, templates."""
