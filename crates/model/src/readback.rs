//! Device → CPU reads, shared by every part that reads a tensor back. Asynchronous: WebGPU cannot
//! read a tensor synchronously.

use burn::tensor::{Tensor, TensorData, Transaction};

use crate::error::{GlassboxError, Result};

fn readback(error: impl std::fmt::Debug) -> GlassboxError {
    GlassboxError::Readback(format!("{error:?}"))
}

/// Reads every tensor registered in `transaction`, in one trip to the device.
pub(crate) async fn read_all(transaction: Transaction) -> Result<Vec<TensorData>> {
    transaction.execute_async().await.map_err(readback)
}

/// A float tensor's data as a flat vector.
pub(crate) fn floats(data: TensorData) -> Result<Vec<f32>> {
    data.try_into_vec::<f32>().map_err(readback)
}

/// Reads a float tensor into a flat vector.
pub async fn read_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    floats(tensor.into_data_async().await.map_err(readback)?)
}

/// Runs a read to completion on native targets, where device reads finish without an event loop.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}
