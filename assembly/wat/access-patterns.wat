;; features: simd, bulk-memory
;; Memory access patterns that test where a guest may count accesses itself and where it must
;; report them (the memory pass's coalescing, abi.ts MEMORY_HOOKS): interleaved streams, two
;; lines in one cache set, the same line across calls, bulk copies inside a stream, straddling
;; and wide accesses, a changing stride, a host call in the middle, and a trap with counts pending.
(module
  (import "env" "callback" (func $callback (param i32)))
  (memory (export "memory") 4)

  ;; Two lines in turn, three stream classes: a[i] (f64 loads) and one i32 slot read and
  ;; written back each step (a spilled local, as AssemblyScript's shadow stack).
  (func (export "interleave") (param $n i32) (result f64) (local $i i32) (local $t f64)
    (loop $l
      (local.set $t (f64.add (local.get $t) (f64.load (i32.shl (local.get $i) (i32.const 3)))))
      (i32.store offset=65536 (i32.const 0) (i32.add (i32.load offset=65536 (i32.const 0)) (i32.const 1)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $t))

  ;; Three lines in turn: a[i] loads, b[i] stores and the slot; only two lines are ever recent.
  (func (export "three") (param $n i32) (result f64) (local $i i32) (local $t f64)
    (loop $l
      (local.set $t (f64.add (local.get $t) (f64.load (i32.shl (local.get $i) (i32.const 3)))))
      (f64.store offset=32768 (i32.shl (local.get $i) (i32.const 3)) (local.get $t))
      (i32.store offset=65536 (i32.const 0) (i32.add (i32.load offset=65536 (i32.const 0)) (i32.const 1)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $t))

  ;; Two streams of two classes (4-byte and 2-byte loads, both 4 bytes a step) whose lines are
  ;; `gap` bytes apart: in one D1 set when gap is a multiple of the sets' span, in two otherwise.
  ;; And the same with both streams of one class (their deltas alternate: nothing coalesces).
  (func (export "pingpong") (param $n i32) (param $gap i32) (result i32) (local $i i32) (local $t i32)
    (loop $l
      (local.set $t (i32.add (local.get $t) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $t (i32.add (local.get $t) (i32.load16_u (i32.add (local.get $gap) (i32.shl (local.get $i) (i32.const 2))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $t))

  ;; Two fixed words `gap` bytes apart read in turn, the first once more, a third line `gap`
  ;; further, then the second: with the three in one 2-way set, the second misses only if the
  ;; turns kept the set's LRU order.
  (func (export "evictOrder") (param $n i32) (param $gap i32) (result i32) (local $i i32) (local $t i32)
    (loop $l
      (local.set $t (i32.add (local.get $t) (i32.load offset=8192 (i32.const 0))))
      (local.set $t (i32.add (local.get $t) (i32.load16_u offset=8192 (local.get $gap))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.set $t (i32.add (local.get $t) (i32.load offset=8192 (i32.const 0))))
    (local.set $t (i32.add (local.get $t) (i32.load offset=8192 (i32.shl (local.get $gap) (i32.const 1)))))
    (i32.add (local.get $t) (i32.load16_u offset=8192 (local.get $gap))))

  (func (export "sameClass") (param $n i32) (param $gap i32) (result i32) (local $i i32) (local $t i32)
    (loop $l
      (local.set $t (i32.add (local.get $t) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $t (i32.add (local.get $t) (i32.load (i32.add (local.get $gap) (i32.shl (local.get $i) (i32.const 2))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $t))

  ;; The same word read before and after a call to itself: the line is the same, the frame is not.
  (func $recurse (export "recurse") (param $depth i32) (result i32) (local $t i32)
    (local.set $t (i32.load offset=4096 (i32.const 0)))
    (local.set $t (i32.add (local.get $t) (i32.load offset=4100 (i32.const 0))))
    (if (i32.gt_s (local.get $depth) (i32.const 0))
      (then (local.set $t (i32.add (local.get $t) (call $recurse (i32.sub (local.get $depth) (i32.const 1)))))))
    (i32.add (local.get $t) (i32.load offset=4104 (i32.const 0))))

  ;; 8-byte loads walking forward, with an 8-byte memory.copy every fourth step: the copy's
  ;; source read belongs to the same stream class as the loads.
  (func (export "bulk") (param $n i32) (result i64) (local $i i32) (local $t i64)
    (loop $l
      (local.set $t (i64.add (local.get $t) (i64.load offset=8192 (i32.shl (local.get $i) (i32.const 3)))))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 3)))
        (then (memory.copy (i32.const 40960) (i32.add (i32.const 8200) (i32.shl (local.get $i) (i32.const 3))) (i32.const 8))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $t))

  ;; A stride that changes: 8, 8, 8, then 4, 4, 4, 4, then 0 (the same address) many times,
  ;; with an i64 straddling a line and 16-byte vector loads walking forward.
  (func (export "strides") (param $n i32) (result i64) (local $i i32) (local $p i32) (local $t i64) (local $v v128)
    (loop $l
      (local.set $t (i64.add (local.get $t) (i64.load offset=16384 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (select (i32.const 8) (i32.const 4) (i32.lt_u (i32.and (local.get $i) (i32.const 7)) (i32.const 3)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $same
      (local.set $t (i64.add (local.get $t) (i64.load offset=20000 (i32.const 0))))
      (br_if $same (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.set $t (i64.add (local.get $t) (i64.load offset=24636 (i32.const 0))))
    (local.set $i (i32.const 0))
    (loop $wide
      (local.set $v (v128.xor (local.get $v) (v128.load offset=28672 (i32.shl (local.get $i) (i32.const 4)))))
      (br_if $wide (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i64.add (local.get $t) (i64x2.extract_lane 0 (local.get $v))))

  ;; Sequential loads with a host call every eighth step (the host may call `touch` back).
  (func (export "viaHost") (param $n i32) (result i32) (local $i i32) (local $t i32)
    (loop $l
      (local.set $t (i32.add (local.get $t) (i32.load offset=49152 (i32.shl (local.get $i) (i32.const 2)))))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 7))) (then (call $callback (local.get $i))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $t))

  (func (export "touch") (param $at i32) (result i32)
    (i32.load offset=49152 (i32.shl (local.get $at) (i32.const 2))))

  ;; Sequential loads that run off the end of memory: a trap with coalesced counts pending.
  (func (export "runOff") (param $from i32) (result i32) (local $t i32)
    (loop $l
      (local.set $t (i32.add (local.get $t) (i32.load (local.get $from))))
      (local.set $from (i32.add (local.get $from) (i32.const 4)))
      (br $l))
    (local.get $t))
)
