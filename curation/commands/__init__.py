"""One module per ``curate`` subcommand; each exposes ``register(subparsers)``.

A subcommand module imports its heavy dependencies inside its handler, so ``curate --help``
stays fast and a command whose optional dependency is missing fails only when it is used.
"""
