;; A module whose start function never returns: instantiation itself must be stopped.
(module
  (global $n (mut i32) (i32.const 0))
  (func $start
    (loop $forever
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (br $forever)))
  (start $start)
  (func (export "count") (result i32) (global.get $n))
)
