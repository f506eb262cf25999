"""Schemas compiled to Python by scripts/gen_schema_validators.py (generated, checked in)."""
