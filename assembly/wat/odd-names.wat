;; Export names a hostile module might use to attack terminals and reports.
(module
  (func (export "\1b[31mred\1b[0m") (result i32) (i32.const 1))
  (func (export "<script>alert(1)</script>") (result i32) (i32.const 2))
  (func (export "tab\there") (result i32) (i32.const 3))
)
