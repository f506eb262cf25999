"""WebAssembly components for the Yoi host: read one without running it, check it, build one.

Layer: above validators/ (it reads the parsed Yoi manifest), below content/ and everything that
packs, runs or scaffolds a plugin. `binary` and `preflight` are pure Python; only `build` runs
a process (`wasm-tools`).
"""
