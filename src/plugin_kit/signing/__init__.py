"""minisign keys, signatures and SHA256SUMS: the trust primitives shared by publisher and installer."""
