;; call_indirect through a table slot whose function has another signature: a signature-mismatch trap.
(module
  (type $unary (func (param i32) (result i32)))
  (type $nullary (func (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $one $double)
  (func $one (type $nullary) (result i32) (i32.const 1))
  (func $double (type $unary) (param $x i32) (result i32) (i32.mul (local.get $x) (i32.const 2)))
  (func $callSlot (export "callSlot") (param $slot i32) (param $x i32) (result i32)
    (call_indirect (type $unary) (local.get $x) (local.get $slot)))
)
