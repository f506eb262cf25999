"""Loopback fakes of services the toolchain talks to (only GitHub so far)."""
