"""The deterministic archive writer, the strict streaming reader, and digests."""
