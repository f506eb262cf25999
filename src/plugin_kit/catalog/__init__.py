"""What publisher and installer both need to agree on, below both of them.

`catalog.model`: reading and writing extensions.json (the bytes that get signed, the
entry's archive asset, its versions). `catalog.risk`: a manifest's requests, as a
host-neutral summary, and the one risk rule that the catalog prints and the installer checks.
"""
