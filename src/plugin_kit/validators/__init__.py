"""The manifest model, its JSON Schema, semantic checks and the path rules shared by packer and reader."""
