;; The "echo" tool as a WASI preview1 command module.
;; Contract with the host: the tool's input arrives as one JSON document on stdin;
;; the module writes one JSON document on stdout and exits 0, or exits non-zero on error.
;; This example wraps its input without parsing it: {"echo": <input>}.
;; Real logic is easier in Rust or TinyGo; README.md says how to switch.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  ;; Memory map: 0-7 one iovec, 16-19 bytes moved by the last call,
  ;; 64-511 constant text, 1024-66559 the input (64 KiB at most).
  (memory (export "memory") 2)
  (global $input i32 (i32.const 1024))
  (global $capacity i32 (i32.const 65536))

  (data (i32.const 64) "{\22echo\22:")
  (data (i32.const 96) "}\0a")
  (data (i32.const 128) "null")
  (data (i32.const 160) "{\22error\22:\22input larger than 64 KiB\22}\0a")

  ;; Write all of memory[ptr, ptr+len) to stdout.
  (func $write (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $proc_exit (i32.const 2))))
        (br_if $done (i32.eqz (i32.load (i32.const 16))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 16))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 16))))
        (br $more))))

  ;; Read stdin to the end; return its length, or -1 when it does not fit.
  (func $read_all (result i32)
    (local $total i32)
    (block $eof
      (loop $more
        (if (i32.ge_u (local.get $total) (global.get $capacity))
          (then (return (i32.const -1))))
        (i32.store (i32.const 0) (i32.add (global.get $input) (local.get $total)))
        (i32.store (i32.const 4) (i32.sub (global.get $capacity) (local.get $total)))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $proc_exit (i32.const 2))))
        (br_if $eof (i32.eqz (i32.load (i32.const 16))))
        (local.set $total (i32.add (local.get $total) (i32.load (i32.const 16))))
        (br $more)))
    (local.get $total))

  (func (export "_start")
    (local $len i32)
    (local.set $len (call $read_all))
    (if (i32.lt_s (local.get $len) (i32.const 0))
      (then
        (call $write (i32.const 160) (i32.const 37))
        (call $proc_exit (i32.const 1))))
    ;; Drop trailing white space (a final newline) so the output stays one line.
    (block $trimmed
      (loop $trim
        (br_if $trimmed (i32.eqz (local.get $len)))
        (br_if $trimmed
          (i32.gt_u
            (i32.load8_u (i32.add (global.get $input) (i32.sub (local.get $len) (i32.const 1))))
            (i32.const 32)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $trim)))
    (call $write (i32.const 64) (i32.const 8))
    (if (i32.eqz (local.get $len))
      (then (call $write (i32.const 128) (i32.const 4)))
      (else (call $write (global.get $input) (local.get $len))))
    (call $write (i32.const 96) (i32.const 2))))
