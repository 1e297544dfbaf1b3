"""Input and output: WARC reading, payload decoding, Parquet units and the ledger."""
