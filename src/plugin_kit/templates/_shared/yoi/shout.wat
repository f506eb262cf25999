  ;; ---- Memory, and the allocator the canonical ABI calls --------------------------------
  ;; One page (64 KiB) to start; $alloc grows it. Yoi allows 2 MiB (32 pages) per memory.
  (memory (export "memory") 1)

  ;; Bytes 0-1023 hold the result pair and the fixed texts below; the heap starts after them.
  ;; The heap is scratch for one call: $emit resets it once the result is in place (the host
  ;; reads the result before it allocates again), so a long-lived instance does not grow.
  (global $heap (mut i32) (i32.const 1024))

  ;; Fixed texts: address and length of each.
  (data (i32.const 16) "\"text\"")
  (global $KEY i32 (i32.const 16))          (global $KEY_LEN i32 (i32.const 6))
  (data (i32.const 24) "shout")
  (global $TOOL i32 (i32.const 24))         (global $TOOL_LEN i32 (i32.const 5))
  (data (i32.const 32) "{\"summary\":\"upper-cased the text\",\"content\":\"")
  (global $PREFIX i32 (i32.const 32))       (global $PREFIX_LEN i32 (i32.const 45))
  (data (i32.const 128) "{\"summary\":\"shout needs an object with a string field text\"}")
  (global $BAD_INPUT i32 (i32.const 128))   (global $BAD_INPUT_LEN i32 (i32.const 60))
  (data (i32.const 192) "{\"summary\":\"unknown tool; this plugin has shout\"}")
  (global $UNKNOWN i32 (i32.const 192))     (global $UNKNOWN_LEN i32 (i32.const 49))
  (data (i32.const 256) "{\"summary\":\"text is longer than 65000 bytes\"}")
  (global $TOO_LONG i32 (i32.const 256))    (global $TOO_LONG_LEN i32 (i32.const 45))

  ;; $size bytes from the heap, 8-byte aligned; grows memory as needed, traps when it cannot.
  (func $alloc (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535))
                                               (i32.const 16))
                                    (memory.size))))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; The host asks for room for each string argument here before a call.
  (func (export "cabi_realloc")
        (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (call $alloc (local.get $size)))
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))

  ;; Return a string result: the canonical ABI reads (pointer, length) at the returned address.
  (func $emit (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (global.set $heap (i32.const 1024))
    (i32.const 0))

  ;; Copy $len bytes to $dst; return the address after them.
  (func $copy (param $dst i32) (param $src i32) (param $len i32) (result i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len))
    (i32.add (local.get $dst) (local.get $len)))

  ;; Do the $len bytes at $a and at $b match?
  (func $same (param $a i32) (param $b i32) (param $len i32) (result i32)
    (block $differ
      (loop $next
        (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; Is the string ($ptr, $len) equal to the fixed text ($text, $text_len)?
  (func $is (param $ptr i32) (param $len i32) (param $text i32) (param $text_len i32) (result i32)
    (if (result i32) (i32.ne (local.get $len) (local.get $text_len))
      (then (i32.const 0))
      (else (call $same (local.get $ptr) (local.get $text) (local.get $len)))))

  ;; Skip JSON white space from $at; return the first other position (or $end).
  (func $skip_ws (param $at i32) (param $end i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $at)))
        (br_if $done (i32.and (i32.ne (local.get $c) (i32.const 0x20))
                              (i32.and (i32.ne (local.get $c) (i32.const 0x09))
                                       (i32.and (i32.ne (local.get $c) (i32.const 0x0a))
                                                (i32.ne (local.get $c) (i32.const 0x0d))))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (local.get $at))

  ;; Where the string value of the key "text" starts (just after its opening quote), or -1.
  ;; A small scanner, not a JSON parser: it takes the first "text" followed by `:` and a string.
  (func $find_text (param $ptr i32) (param $len i32) (result i32)
    (local $end i32) (local $at i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $none
      (loop $next
        (br_if $none (i32.gt_u (i32.add (local.get $ptr) (global.get $KEY_LEN)) (local.get $end)))
        (if (call $same (local.get $ptr) (global.get $KEY) (global.get $KEY_LEN))
          (then
            (local.set $at (call $skip_ws (i32.add (local.get $ptr) (global.get $KEY_LEN))
                                          (local.get $end)))
            (if (i32.and (i32.lt_u (local.get $at) (local.get $end))
                         (i32.eq (i32.load8_u (local.get $at)) (i32.const 0x3a)))  ;; ':'
              (then
                (local.set $at (call $skip_ws (i32.add (local.get $at) (i32.const 1))
                                              (local.get $end)))
                (if (i32.and (i32.lt_u (local.get $at) (local.get $end))
                             (i32.eq (i32.load8_u (local.get $at)) (i32.const 0x22)))  ;; '"'
                  (then (return (i32.add (local.get $at) (i32.const 1)))))))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  ;; Copy a JSON string's content from $src to $dst up to its closing quote, a-z upper-cased.
  ;; Escapes (\" \\ \n \u00e9 ...) are copied as they are, so the copy stays valid JSON.
  ;; Returns the address after the copy, or -1 if the string does not end before $end.
  (func $upper_into (param $dst i32) (param $src i32) (param $end i32) (result i32)
    (local $c i32)
    (loop $next
      (if (i32.ge_u (local.get $src) (local.get $end)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $src)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (local.get $dst))))  ;; '"'
      (if (i32.eq (local.get $c) (i32.const 0x5c))  ;; '\': copy it, then the next byte as is
        (then
          (i32.store8 (local.get $dst) (local.get $c))
          (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
          (local.set $src (i32.add (local.get $src) (i32.const 1)))
          (if (i32.ge_u (local.get $src) (local.get $end)) (then (return (i32.const -1))))
          (local.set $c (i32.load8_u (local.get $src))))
        (else
          (if (i32.and (i32.ge_u (local.get $c) (i32.const 0x61))      ;; 'a'
                       (i32.le_u (local.get $c) (i32.const 0x7a)))     ;; 'z'
            (then (local.set $c (i32.sub (local.get $c) (i32.const 0x20)))))))
      (i32.store8 (local.get $dst) (local.get $c))
      (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
      (local.set $src (i32.add (local.get $src) (i32.const 1)))
      (br $next))
    (unreachable))

  ;; The tool `shout`: {"text": "..."} -> {"summary": "...", "content": "<TEXT IN UPPER CASE>"}.
  ;; Yoi's ToolOutput rules: only `summary` (a non-empty string, at most 1 KiB) and `content`
  ;; (a string or null); the whole output at most 64 KiB.
  (func $shout (param $input i32) (param $input_len i32) (result i32)
    (local $value i32) (local $out i32) (local $at i32)
    (if (i32.gt_u (local.get $input_len) (i32.const 65000))
      (then (return (call $emit (global.get $TOO_LONG) (global.get $TOO_LONG_LEN)))))
    (local.set $value (call $find_text (local.get $input) (local.get $input_len)))
    (if (i32.lt_s (local.get $value) (i32.const 0))
      (then (return (call $emit (global.get $BAD_INPUT) (global.get $BAD_INPUT_LEN)))))
    ;; The output is at most the prefix, the input and `"}`.
    (local.set $out (call $alloc (i32.add (i32.add (global.get $PREFIX_LEN) (local.get $input_len))
                                          (i32.const 2))))
    (local.set $at (call $copy (local.get $out) (global.get $PREFIX) (global.get $PREFIX_LEN)))
    (local.set $at (call $upper_into (local.get $at) (local.get $value)
                                     (i32.add (local.get $input) (local.get $input_len))))
    (if (i32.lt_s (local.get $at) (i32.const 0))
      (then (return (call $emit (global.get $BAD_INPUT) (global.get $BAD_INPUT_LEN)))))
    (i32.store16 (local.get $at) (i32.const 0x7d22))  ;; the bytes `"` `}`
    (call $emit (local.get $out) (i32.sub (i32.add (local.get $at) (i32.const 2)) (local.get $out))))
