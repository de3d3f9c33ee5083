;; An AssemblyScript-shaped guest (its runtime's exports and layout) whose allocator stalls:
;; `__new` spins `delay` rounds before it allocates, forever when the delay is -1. Against a
;; pool that streams a large argument through a window of its ring, its worker takes the bytes
;; late or never: the caller's thread must not wait on it for long.
(module
  (memory (export "memory") 1)
  ;; Runtime type information at 64: four ids, id 3 a Float64Array (view, 8-byte values, float).
  (data (i32.const 64) "\04\00\00\00" "\00\00\00\00" "\00\00\00\00" "\00\00\00\00" "\01\12\00\00")
  (global (export "__rtti_base") i32 (i32.const 64))
  (global (export "Float64Array_ID") i32 (i32.const 3))
  (global $top (mut i32) (i32.const 1024))
  (global $delay (mut i32) (i32.const 0))
  (func (export "setDelay") (param $rounds i32) (global.set $delay (local.get $rounds)))
  (func (export "__new") (param $size i32) (param $id i32) (result i32)
    (local $i i32) (local $p i32) (local $end i32) (local $have i32)
    (if (i32.eq (global.get $delay) (i32.const -1)) (then (loop $forever (br $forever))))
    (block $waited
      (loop $spin
        (br_if $waited (i32.ge_u (local.get $i) (global.get $delay)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $spin)))
    ;; Bump allocation, 16-aligned, with AssemblyScript's header: id at -8, size at -4.
    (local.set $p (i32.and (i32.add (global.get $top) (i32.const 31)) (i32.const -16)))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535)) (i32.const 16))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.store (i32.sub (local.get $p) (i32.const 8)) (local.get $id))
    (i32.store (i32.sub (local.get $p) (i32.const 4)) (local.get $size))
    (global.set $top (local.get $end))
    (local.get $p))
  (func (export "__pin") (param $p i32) (result i32) (local.get $p))
  (func (export "__unpin") (param $p i32))
  ;; Frees everything: each call's arguments are the only blocks.
  (func (export "__collect") (global.set $top (i32.const 1024)))
  ;; Σ of a Float64Array (a view: buffer, dataStart, byteLength).
  (func (export "sum") (param $view i32) (result f64)
    (local $at i32) (local $end i32) (local $total f64)
    (local.set $at (i32.load offset=4 (local.get $view)))
    (local.set $end (i32.add (local.get $at) (i32.load offset=8 (local.get $view))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $total (f64.add (local.get $total) (f64.load (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $next)))
    (local.get $total))
)
