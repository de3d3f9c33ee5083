;; A C-style heap: malloc/free/calloc/realloc/posix_memalign over a bump pointer (8-aligned blocks) with one free
;; list of exact sizes (each block has a 4-byte size header), and routines that use it the way
;; C programs do. No name section (build-guests strips it): the allocators are found by their
;; export names.
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (global $freeList (mut i32) (i32.const 0))
  (global $kept (mut i32) (i32.const 0))

  ;; malloc(size): reuse a free block of exactly `size` bytes, else bump (growing memory as needed)
  (func $malloc (export "malloc") (param $size i32) (result i32)
    (local $prev i32) (local $at i32) (local $p i32) (local $end i32)
    (local.set $at (global.get $freeList))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (local.get $at)))
        (if (i32.eq (i32.load (i32.sub (local.get $at) (i32.const 4))) (local.get $size))
          (then
            (if (local.get $prev)
              (then (i32.store (local.get $prev) (i32.load (local.get $at))))
              (else (global.set $freeList (i32.load (local.get $at)))))
            (return (local.get $at))))
        (local.set $prev (local.get $at))
        (local.set $at (i32.load (local.get $at)))
        (br $scan)))
    (local.set $p (i32.add (global.get $top) (i32.const 8))) ;; 8-aligned, the size header just before it
    (local.set $end (i32.and (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 7)) (i32.const -8)))
    ;; a size that wraps the address space, or memory that cannot grow: 0, and the heap unchanged
    (if (i32.lt_u (local.get $end) (local.get $p)) (then (return (i32.const 0))))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.const 1)) (i32.const 16)) (i32.const 1)) (memory.size))) (i32.const -1))
        (then (return (i32.const 0))))))
    (global.set $top (local.get $end))
    (i32.store (i32.sub (local.get $p) (i32.const 4)) (local.get $size))
    (local.get $p))

  (func $free (export "free") (param $p i32)
    (if (i32.eqz (local.get $p)) (then (return)))
    (i32.store (local.get $p) (global.get $freeList))
    (global.set $freeList (local.get $p)))

  (func $calloc (export "calloc") (param $n i32) (param $size i32) (result i32)
    (local $p i32) (local $i i32) (local $bytes i32)
    (local.set $bytes (i32.mul (local.get $n) (local.get $size)))
    (local.set $p (call $malloc (local.get $bytes)))
    (block $done (loop $zero
      (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
      (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $zero)))
    (local.get $p))

  ;; realloc(p, size): in place when it fits, else malloc + copy + free (one event, not three)
  (func $realloc (export "realloc") (param $p i32) (param $size i32) (result i32)
    (local $old i32) (local $q i32) (local $i i32)
    (if (i32.eqz (local.get $p)) (then (return (call $malloc (local.get $size)))))
    (local.set $old (i32.load (i32.sub (local.get $p) (i32.const 4))))
    (if (i32.le_u (local.get $size) (local.get $old)) (then (return (local.get $p))))
    (local.set $q (call $malloc (local.get $size)))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (local.get $old)))
      (i32.store8 (i32.add (local.get $q) (local.get $i)) (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (call $free (local.get $p))
    (local.get $q))

  ;; posix_memalign(out, alignment, size): this heap aligns to 8 only
  (func $posix_memalign (export "posix_memalign") (param $out i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (call $malloc (local.get $size)))
    (if (i32.eqz (local.get $p)) (then (return (i32.const 12))))
    (i32.store (local.get $out) (local.get $p))
    (i32.const 0))

  ;; list(n): n nodes of 12 bytes linked through their first word, then all freed; returns n
  (func $list (export "list") (param $n i32) (result i32)
    (local $head i32) (local $node i32) (local $i i32)
    (block $built (loop $build
      (br_if $built (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $node (call $malloc (i32.const 12)))
      (i32.store (local.get $node) (local.get $head))
      (local.set $head (local.get $node))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $build)))
    (block $freed (loop $release
      (br_if $freed (i32.eqz (local.get $head)))
      (local.set $node (i32.load (local.get $head)))
      (call $free (local.get $head))
      (local.set $head (local.get $node))
      (br $release)))
    (local.get $n))

  ;; grow(steps): an 8-byte buffer doubled `steps` times by realloc, then freed; returns final size
  (func $grow (export "grow") (param $steps i32) (result i32)
    (local $p i32) (local $size i32) (local $i i32)
    (local.set $size (i32.const 8))
    (local.set $p (call $calloc (i32.const 2) (i32.const 4)))
    (block $done (loop $double
      (br_if $done (i32.ge_u (local.get $i) (local.get $steps)))
      (local.set $size (i32.shl (local.get $size) (i32.const 1)))
      (local.set $p (call $realloc (local.get $p) (local.get $size)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $double)))
    (call $free (local.get $p))
    (local.get $size))

  ;; keep(size): allocates `size` bytes aligned and never frees them (a leak per call); returns the pointer
  (func $keep (export "keep") (param $size i32) (result i32)
    (local $out i32)
    (local.set $out (call $malloc (i32.const 4)))
    (drop (call $posix_memalign (local.get $out) (i32.const 8) (local.get $size)))
    (global.set $kept (i32.load (local.get $out)))
    (call $free (local.get $out))
    (global.get $kept))

  ;; sum(p, n): the sum of n bytes at p (input the host wrote in place)
  (func $sum (export "sum") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $total i32)
    (block $done (loop $add
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $total (i32.add (local.get $total) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $add)))
    (local.get $total))
)
