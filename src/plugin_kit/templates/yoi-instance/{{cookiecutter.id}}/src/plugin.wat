;; {{ cookiecutter.name }}: a Yoi instance plugin written in WebAssembly text.
;;
;; This is the core module of a component for the world yoi:plugin/instance@1.0.0
;; (wit/yoi-plugin-instance-v1.wit). `plugin pack` runs the build step in plugin-kit.toml,
;; `plugin wat2component`, which wraps it into plugin.component.wasm with wasm-tools.
;;
;; Yoi keeps one instance for the plugin's tool and service surfaces: it calls `start` once,
;; then `handle-tool` and `handle-ingress` any number of times, `status` when asked, and
;; `stop` at the end. Globals keep the state between calls: here, how many tool calls and
;; ingress events the instance has handled. The module imports nothing: no host API, so
;; plugin.toml asks for no host_api permission.
(module
{{ shared("yoi/shout.wat") }}

  ;; ---- State and the status JSON ---------------------------------------------------------
  (global $calls (mut i32) (i32.const 0))
  (global $events (mut i32) (i32.const 0))
  (global $stopped (mut i32) (i32.const 0))

  (data (i32.const 320) "{\"state\":\"")
  (global $STATE i32 (i32.const 320))       (global $STATE_LEN i32 (i32.const 10))
  (data (i32.const 336) "\",\"data\":{\"calls\":")
  (global $CALLS i32 (i32.const 336))       (global $CALLS_LEN i32 (i32.const 18))
  (data (i32.const 368) ",\"events\":")
  (global $EVENTS i32 (i32.const 368))      (global $EVENTS_LEN i32 (i32.const 10))
  (data (i32.const 384) "}}")
  (global $CLOSE i32 (i32.const 384))
  (data (i32.const 392) "ready")
  (global $READY i32 (i32.const 392))       (global $READY_LEN i32 (i32.const 5))
  (data (i32.const 400) "stopped")
  (global $STOPPED i32 (i32.const 400))     (global $STOPPED_LEN i32 (i32.const 7))
  (data (i32.const 416) "{\"accepted\":true,\"events\":")
  (global $ACCEPTED i32 (i32.const 416))    (global $ACCEPTED_LEN i32 (i32.const 26))

  ;; Write $n in decimal at $dst; return the address after it.
  (func $utoa (param $dst i32) (param $n i32) (result i32)
    (local $digits i32) (local $at i32)
    (local.set $digits (i32.const 1))
    (local.set $at (local.get $n))
    (block $counted
      (loop $count
        (br_if $counted (i32.lt_u (local.get $at) (i32.const 10)))
        (local.set $at (i32.div_u (local.get $at) (i32.const 10)))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (br $count)))
    (local.set $at (i32.add (local.get $dst) (local.get $digits)))
    (loop $digit
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 0x30) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (i32.ne (local.get $at) (local.get $dst))))
    (i32.add (local.get $dst) (local.get $digits)))

  ;; PluginStatus JSON: {"state":"<state>","data":{"calls":N,"events":M}}
  (func $status_json (param $state i32) (param $state_len i32) (result i32)
    (local $out i32) (local $at i32)
    (local.set $out (call $alloc (i32.const 128)))
    (local.set $at (call $copy (local.get $out) (global.get $STATE) (global.get $STATE_LEN)))
    (local.set $at (call $copy (local.get $at) (local.get $state) (local.get $state_len)))
    (local.set $at (call $copy (local.get $at) (global.get $CALLS) (global.get $CALLS_LEN)))
    (local.set $at (call $utoa (local.get $at) (global.get $calls)))
    (local.set $at (call $copy (local.get $at) (global.get $EVENTS) (global.get $EVENTS_LEN)))
    (local.set $at (call $utoa (local.get $at) (global.get $events)))
    (local.set $at (call $copy (local.get $at) (global.get $CLOSE) (i32.const 2)))
    (call $emit (local.get $out) (i32.sub (local.get $at) (local.get $out))))

  (func $current_status (result i32)
    (if (result i32) (global.get $stopped)
      (then (call $status_json (global.get $STOPPED) (global.get $STOPPED_LEN)))
      (else (call $status_json (global.get $READY) (global.get $READY_LEN)))))

  ;; ---- The world's exports ---------------------------------------------------------------
  ;; start: func(config-json: string) -> string. The config is the enablement's opaque
  ;; `config` table; this plugin needs none.
  (func (export "start") (param $config i32) (param $config_len i32) (result i32)
    (global.set $calls (i32.const 0))
    (global.set $events (i32.const 0))
    (global.set $stopped (i32.const 0))
    (call $current_status))

  ;; handle-tool: func(name: string, input-json: string) -> string (ToolOutput JSON)
  (func (export "handle-tool")
        (param $name i32) (param $name_len i32) (param $input i32) (param $input_len i32)
        (result i32)
    (if (call $is (local.get $name) (local.get $name_len) (global.get $TOOL) (global.get $TOOL_LEN))
      (then
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (return (call $shout (local.get $input) (local.get $input_len)))))
    (call $emit (global.get $UNKNOWN) (global.get $UNKNOWN_LEN)))

  ;; handle-ingress: func(name: string, event-json: string) -> string (ServiceOutput JSON).
  ;; Counts the event and accepts it; return `output_commands` to ask the host to act.
  (func (export "handle-ingress")
        (param $name i32) (param $name_len i32) (param $event i32) (param $event_len i32)
        (result i32)
    (local $out i32) (local $at i32)
    (global.set $events (i32.add (global.get $events) (i32.const 1)))
    (local.set $out (call $alloc (i32.const 64)))
    (local.set $at (call $copy (local.get $out) (global.get $ACCEPTED) (global.get $ACCEPTED_LEN)))
    (local.set $at (call $utoa (local.get $at) (global.get $events)))
    (i32.store8 (local.get $at) (i32.const 0x7d))  ;; '}'
    (call $emit (local.get $out) (i32.sub (i32.add (local.get $at) (i32.const 1)) (local.get $out))))

  ;; status: func() -> string (PluginStatus JSON)
  (func (export "status") (result i32)
    (call $current_status))

  ;; stop: func() -> string (the final PluginStatus JSON)
  (func (export "stop") (result i32)
    (global.set $stopped (i32.const 1))
    (call $current_status))
)
