"""tghub."""
