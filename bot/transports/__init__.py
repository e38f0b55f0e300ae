"""Platform adapters behind one small protocol (see base.py)."""
