"""Runners execute the same stage objects in-process (local) or on a Ray cluster."""
