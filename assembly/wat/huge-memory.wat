;; Declares far more memory than a sandbox allows by default.
(module
  (memory (export "memory") 1 65536)
  (func (export "pages") (result i32) (memory.size))
)
