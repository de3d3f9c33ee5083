;; A guest whose host import can take its whole worker down (process.exit in a worker thread).
(module
  (import "host" "exit" (func $exit (param i32)))
  (func (export "work") (param $n i32) (result i32)
    (if (i32.eq (local.get $n) (i32.const 666)) (then (call $exit (i32.const 3))))
    (i32.mul (local.get $n) (i32.const 2)))
)
