//! Which burn device the page computes on: the CPU backend compiled to wasm, or WebGPU.
//! WebGPU is initialised once per page (and once per worker), asynchronously, before any tensor
//! lives on it.

use std::cell::RefCell;

use burn::tensor::Device;
use burn::tensor::wgpu::WgpuBackend;

pub use glassbox_page::backend::Backend;

/// The device of `backend`, initialising WebGPU on first use.
pub async fn device(backend: Backend) -> Result<Device, String> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::WebGpu => webgpu_device().await,
    }
}

/// Whether the browser exposes WebGPU at all (an adapter may still be refused). Works on the
/// page and in a worker (both have `navigator`).
pub fn webgpu_exposed() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .filter(|n| n.is_object())
        .is_some_and(|n| js_sys::Reflect::has(&n, &"gpu".into()).unwrap_or(false))
}

thread_local! {
    /// The page's one WebGPU device, or why there is none (asked once: a refused adapter
    /// stays refused).
    static WEBGPU: RefCell<Option<Result<Device, String>>> = const { RefCell::new(None) };
}

async fn webgpu_device() -> Result<Device, String> {
    if let Some(known) = WEBGPU.with_borrow(Clone::clone) {
        return known;
    }
    let result = if webgpu_exposed() {
        Device::wgpu_options()
            .graphics_api(WgpuBackend::WebGpu)
            .init_async()
            .await
            .map_err(|e| format!("this browser's WebGPU gave no usable adapter ({e})"))
    } else {
        Err("this browser has no WebGPU (navigator.gpu is missing)".to_string())
    };
    WEBGPU.with_borrow_mut(|slot| *slot = Some(result.clone()));
    result
}
