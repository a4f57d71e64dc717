"""eventwire composition: options, the batch and streaming graphs, the CLI."""
