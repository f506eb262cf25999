"""The consumer side, as a library a host imports: catalogs, install, stores, enablement.

Entry points: `discover(workspace)` and `resolve_enabled(workspace)` (plugin_kit.installer.api),
`place_archive` (plugin_kit.installer.place), and the stores in plugin_kit.installer.stores.
"""
