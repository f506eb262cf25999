;; {{ cookiecutter.name }}: a Yoi tool plugin written in WebAssembly text.
;;
;; This is the core module of a component for the world yoi:plugin/tool@1.0.0
;; (wit/yoi-plugin-tool-v1.wit). `plugin pack` runs the build step in plugin-kit.toml,
;; `plugin wat2component`, which wraps it into plugin.component.wasm with wasm-tools.
;;
;; Yoi calls `call(tool-name, input-json) -> string` once per tool call, in a fresh instance.
;; The canonical ABI passes each string as (pointer, length) in this module's memory, after
;; asking `cabi_realloc` for room, and reads the result from a (pointer, length) pair whose
;; address `call` returns. The module imports nothing: no host API, so plugin.toml asks for
;; no host_api permission.
(module
{{ shared("yoi/shout.wat") }}

  ;; ---- The world's export ----------------------------------------------------------------
  ;; call: func(tool-name: string, input-json: string) -> string
  (func (export "call")
        (param $name i32) (param $name_len i32) (param $input i32) (param $input_len i32)
        (result i32)
    (if (call $is (local.get $name) (local.get $name_len) (global.get $TOOL) (global.get $TOOL_LEN))
      (then (return (call $shout (local.get $input) (local.get $input_len)))))
    (call $emit (global.get $UNKNOWN) (global.get $UNKNOWN_LEN)))
)
