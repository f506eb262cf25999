"""Release plan, publish targets (GitHub, dir:) and catalog generation."""
