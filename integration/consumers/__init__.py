"""Scripts run inside each consumer's own virtualenv (see integration/consumer_venvs.py)."""
