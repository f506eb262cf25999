#!/usr/bin/env bash
# The whole journey on one machine, no GitHub account and no network:
# scaffold -> validate -> pack -> inspect -> sign and publish to a folder -> add its catalog ->
# install into a workspace (disabled) -> enable with grants -> run the dev host once;
# then pack and inspect a plugin for the Yoi host, and publish, install and enable a Yoi plugin
# where Yoi reads it (the .yoi/plugins store and a Profile registered in Yoi's profiles.toml).
# Everything it makes stays under .demo/ (config, data and cache included: your own are untouched).
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO="$PWD/.demo"
rm -rf "$DEMO"
mkdir -p "$DEMO"
export XDG_CONFIG_HOME="$DEMO/config" XDG_CACHE_HOME="$DEMO/cache" XDG_DATA_HOME="$DEMO/data"
unset YOI_CONFIG_DIR YOI_HOME   # Yoi's Profile registry: $XDG_CONFIG_HOME/yoi/profiles.toml
PLUGIN="$DEMO/weather-tools"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. create-plugin: scaffold a WASM plugin"
create-plugin "$PLUGIN" --runtime wasm --name "Weather tools" --no-input --no-git

step "2. plugin validate"
plugin validate "$PLUGIN"

step "3. plugin pack (runs [build]: WAT -> module.wasm)"
plugin pack "$PLUGIN"
ARCHIVE=$(ls "$PLUGIN"/dist/*.insomnia-plugin)

step "4. plugin inspect (reads strictly, runs nothing)"
plugin inspect "$ARCHIVE"

step "5. plugin keygen + plugin publish --target dir: (a throwaway key)"
plugin keygen -o "$DEMO/release" --no-password
plugin publish "$ARCHIVE" --target "dir:$DEMO/site" --key "$DEMO/release.key"
ls -R "$DEMO/site"

step "6. plugin catalog add (pins the catalog's key and id)"
plugin catalog add "file://$DEMO/site/catalog/extensions.json" --name demo --pubkey "$(tail -n 1 "$DEMO/release.pub")"
plugin search weather

step "7. plugin install into a workspace: verified, placed, disabled"
mkdir -p "$DEMO/workspace"
cd "$DEMO/workspace"
plugin install weather-tools --project --yes
plugin list

step "8. plugin enable with the requested capabilities granted"
plugin enable project:weather-tools --grant-requested --yes
plugin list

step "9. plugin dev (once): load it into the dev host and show what it offers"
plugin dev "$PLUGIN" --call echo --input '{"city": "Oslo"}'

step "10. A Yoi plugin: pack a .yoi-plugin (stored ZIP), inspect it, and check it with unzip -t"
YOI="$DEMO/yoi-echo"
mkdir -p "$YOI"
cat > "$YOI/plugin.toml" <<'TOML'
schema_version = 1
id = "demo.echo"
name = "Echo"
version = "0.1.0"
description = "A Yoi tool plugin (its component is a placeholder here)"
surfaces = ["tool"]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/tool@1.0.0"
TOML
printf 'placeholder' > "$YOI/plugin.component.wasm"
printf '[package]\nexclude = ["notes/"]\n' > "$YOI/plugin-kit.toml"   # our settings; never packed
plugin pack "$YOI"
YOI_ARCHIVE=$(ls "$YOI"/dist/*.yoi-plugin)
plugin inspect "$YOI_ARCHIVE"
plugin digest "$YOI"                        # the same digest as the package's (the host's algorithm)
unzip -t "$YOI_ARCHIVE"

step "11. A Yoi tool plugin end to end: scaffold, publish to the demo folder, install, enable"
create-plugin "$DEMO/yoi-shout" --host yoi --runtime tool --name "Shout" --no-input --no-git
# Its own release tag on the demo site (weather-tools took v0.1.0).
sed -i 's/^version = "0.1.0"/version = "0.2.0"/' "$DEMO/yoi-shout/plugin.toml"
plugin pack "$DEMO/yoi-shout"
SHOUT=$(ls "$DEMO"/yoi-shout/dist/*.yoi-plugin)
plugin publish "$SHOUT" --target "dir:$DEMO/site" --key "$DEMO/release.key"
YOI_WS=$(mktemp -d "$DEMO/yoi-workspace.XXXX")
cd "$YOI_WS"
plugin catalog refresh demo
plugin search --host yoi
# By name from the signed catalog: every check, then placed in .yoi/plugins, disabled.
plugin install yoi-shout --project --yes
plugin list
# Pinned to id, version and digest in a Yoi Profile, created and registered in profiles.toml.
plugin enable project:yoi-shout --grant-requested --yes
plugin list
printf '\n%s:\n' "$XDG_CONFIG_HOME/yoi/profiles.toml"
cat "$XDG_CONFIG_HOME/yoi/profiles.toml"
printf '\nThe Profile entry (%s):\n' "$XDG_CONFIG_HOME/yoi/profiles/plugins.toml"
cat "$XDG_CONFIG_HOME/yoi/profiles/plugins.toml"

printf '\nDone. Everything is under %s\n' "$DEMO"
