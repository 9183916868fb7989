//! What the Glassbox page and its training worker share: the compute backends, the messages
//! between them, and the start-up every wasm module of the app runs first.

pub mod backend;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// The module's static constructors, synthesised by wasm-ld.
    fn __wasm_call_ctors();
}

/// First thing in every `main` of the app's wasm modules (page and worker).
///
/// burn's GPU compiler stack registers items with `inventory` (static constructors). When a
/// module never calls its constructors itself, wasm-ld wraps *every* export in a call to them, so
/// each JS→wasm call (DOM events, canvas calls, messages) re-ran them all: a 20-canvas grid redraw
/// took 70 ms. Calling them once here turns that wrapping off.
pub fn start_module() {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: `main` calls this once, first, before any code that depends on the registrations.
    unsafe {
        __wasm_call_ctors()
    };
    console_error_panic_hook::set_once();
    // Panic reports carry the JS stack: V8 keeps 10 frames by default, too few to reach our code.
    if let Ok(error) = js_sys::Reflect::get(&js_sys::global(), &"Error".into()) {
        let _ = js_sys::Reflect::set(&error, &"stackTraceLimit".into(), &64.into());
    }
}
