"""Bridge from curated Parquet shards to Megatron: tokenisation into indexed datasets.

Modules here know nothing about Ray; ``curation.commands.tokenize`` fans the shard work out.
"""
