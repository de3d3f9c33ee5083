;; A non-AssemblyScript module that needs host capabilities granted by name.
(module
  (import "host" "log" (func $log (param i32)))
  (import "host" "scale" (global $scale i32))
  (import "host" "memory" (memory 1 4))
  (import "host" "table" (table 1 funcref))
  (func (export "logScaled") (param $x i32) (result i32)
    (call $log (i32.mul (local.get $x) (global.get $scale)))
    (i32.mul (local.get $x) (global.get $scale)))
  (func (export "readByte") (param $addr i32) (result i32)
    (i32.load8_u (local.get $addr)))
)
