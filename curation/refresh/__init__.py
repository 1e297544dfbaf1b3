"""Nightly refresh: discovery, ledger/config-hash planning, locking, snapshot publishing (issue 9)."""
