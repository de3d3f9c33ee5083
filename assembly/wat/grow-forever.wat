;; A runaway that grows its memory one page at a time, forever (growth fails at the limit and it
;; keeps asking). Under a large memory limit V8 defers a worker's termination while this loop
;; grows: worker.terminate() took seconds to minutes here (8 s at 16,384 pages, 5 min at 65,536).
(module
  (memory 1)
  (func (export "growForever")
    (loop $again
      (drop (memory.grow (i32.const 1)))
      (br $again)))
  (func (export "pages") (result i32) (memory.size))
)
