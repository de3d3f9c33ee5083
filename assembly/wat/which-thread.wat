;; A guest that reports which worker thread runs it (a host import), and can take that worker
;; down (666, as crashy.wasm): for tests of where a pool sends its calls.
(module
  (import "host" "thread" (func $thread (result i32)))
  (import "host" "exit" (func $exit (param i32)))
  (func (export "work") (param $n i32) (result i32)
    (if (i32.eq (local.get $n) (i32.const 666)) (then (call $exit (i32.const 3))))
    (call $thread))
)
