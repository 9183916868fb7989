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

/// [`for_each_row`] where each row also adds into `sums` (`sums_len` values): `f(row, out_row,
/// sums)`. Each task adds its rows into its own sums, and those are added in task order, so the
/// result does not depend on the number of threads.
pub fn for_each_row_summing(
    out: &mut [f32],
    width: usize,
    sums_len: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Send + Sync,
) -> Vec<f32> {
    let mut total = vec![0.0; sums_len];
    if width == 0 {
        return total;
    }
    let task = |(task, rows): (usize, &mut [f32])| {
        let mut sums = vec![0.0; sums_len];
        for (i, row) in rows.chunks_mut(width).enumerate() {
            f(task * ROWS_PER_TASK + i, row, &mut sums);
        }
        sums
    };
    let chunk = width * ROWS_PER_TASK;
    #[cfg(feature = "parallel")]
    let partials: Vec<Vec<f32>> = out.par_chunks_mut(chunk).enumerate().map(task).collect();
    #[cfg(not(feature = "parallel"))]
    let partials: Vec<Vec<f32>> = out.chunks_mut(chunk).enumerate().map(task).collect();
    for partial in partials {
        total.iter_mut().zip(partial).for_each(|(t, p)| *t += p);
    }
    total
}
