//! Which backend the page computes on, by name (the device itself is glassbox-browser's).

use serde::{Deserialize, Serialize};

/// The compute backends the page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Backend {
    /// burn's CPU backend (flex), compiled to wasm.
    Cpu,
    /// burn's wgpu backend on the browser's WebGPU.
    WebGpu,
}

impl Backend {
    /// The value of the `?backend=` URL parameter.
    pub fn param(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::WebGpu => "webgpu",
        }
    }

    /// The backend a `?backend=` value names.
    pub fn from_param(value: &str) -> Option<Self> {
        match value {
            "cpu" => Some(Backend::Cpu),
            "webgpu" => Some(Backend::WebGpu),
            _ => None,
        }
    }

    /// How the page names it.
    pub fn label(self) -> &'static str {
        match self {
            Backend::Cpu => "CPU (wasm)",
            Backend::WebGpu => "WebGPU",
        }
    }
}
