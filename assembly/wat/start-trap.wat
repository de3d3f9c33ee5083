;; A module whose start function traps: instantiation itself fails.
(module
  (func $start (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (start $start)
  (func (export "never") (result i32) (i32.const 0))
)
