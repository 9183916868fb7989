//! Fetching and opening the model that ships with the app.

use burn::tensor::Device;
use glassbox_model::{Checkpoint, Gpt, Tokenizer};
use gloo_net::http::Request;

pub const SHIPPED_MODEL: &str = "glassbox-shakespeare.safetensors";

/// Downloads and opens the shipped checkpoint on the CPU backend, reporting progress.
pub async fn load_shipped(progress: impl Fn(String)) -> Result<(Gpt, Tokenizer, String), String> {
    let response = Request::get(SHIPPED_MODEL)
        .send()
        .await
        .map_err(|e| format!("cannot fetch {SHIPPED_MODEL}: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "cannot fetch {SHIPPED_MODEL}: HTTP {}",
            response.status()
        ));
    }
    let bytes = response
        .binary()
        .await
        .map_err(|e| format!("cannot read {SHIPPED_MODEL}: {e}"))?;
    progress(format!("opening {} KB of weights…", bytes.len() / 1024));
    let checkpoint = Checkpoint::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let model = checkpoint
        .to_model(&Device::flex())
        .map_err(|e| e.to_string())?;
    let c = &checkpoint.config;
    let summary = format!(
        "{} layers × {} heads, width {}, context {}, {} parameters",
        c.n_layer,
        c.n_head,
        c.d_model,
        c.context_length,
        c.num_params()
    );
    Ok((model, checkpoint.tokenizer, summary))
}
