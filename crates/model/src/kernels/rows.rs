//! Row-parallel loops for the fused kernels: on both cores natively (rayon, the `parallel`
//! feature), one after another in the browser's single-threaded wasm.

#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// Rows per task: enough work per hand-off that rayon's overhead (microseconds) stays small.
const ROWS_PER_TASK: usize = 64;

/// Calls `f(row, out_row)` for every row of `out` (rows of `width` values).
pub fn for_each_row(out: &mut [f32], width: usize, f: impl Fn(usize, &mut [f32]) + Send + Sync) {
    if width == 0 {
        return;
    }
    let chunk = width * ROWS_PER_TASK;
    let task = |(task, rows): (usize, &mut [f32])| {
        for (i, row) in rows.chunks_mut(width).enumerate() {
            f(task * ROWS_PER_TASK + i, row);
        }
    };
    #[cfg(feature = "parallel")]
    out.par_chunks_mut(chunk).enumerate().for_each(task);
    #[cfg(not(feature = "parallel"))]
    out.chunks_mut(chunk).enumerate().for_each(task);
}
