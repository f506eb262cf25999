"""Command-line front end: parse, call the library, render. No logic a library caller needs."""
