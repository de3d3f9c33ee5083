;; features: reference-types
;; A guest whose exports take and return references (externref, funcref): fine in-process,
;; but neither a JavaScript object nor a function can cross to a worker thread and stay itself.
(module
  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (elem declare func $double)
  (func (export "identity") (param externref) (result externref) (local.get 0))
  (func (export "doubler") (result funcref) (ref.func $double))
  (func (export "isNull") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "double") (param i32) (result i32) (call $double (local.get 0)))
)
