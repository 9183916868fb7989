//! Fetching the checkpoint that ships with the app and opening it on a device.

use burn::tensor::Device;
use glassbox_model::{Checkpoint, Gpt, GptConfig, Tokenizer};
use gloo_net::http::Request;

pub const SHIPPED_MODEL: &str = "glassbox-shakespeare.safetensors";
const SHAKESPEARE: &str = "shakespeare.txt";

thread_local! {
    /// The built-in corpus once fetched: the Train and Experiments views share one copy.
    static SHAKESPEARE_TEXT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The built-in Shakespeare corpus, fetched on first use.
pub async fn shakespeare() -> Result<String, String> {
    if let Some(text) = SHAKESPEARE_TEXT.with_borrow(Clone::clone) {
        return Ok(text);
    }
    let bytes = fetch_bytes(SHAKESPEARE).await?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{SHAKESPEARE} is not UTF-8 text"))?;
    SHAKESPEARE_TEXT.set(Some(text.clone()));
    Ok(text)
}

/// A checkpoint read into memory, ready to be opened on any device (switching backends
/// re-opens it from here instead of downloading it again).
pub struct LoadedCheckpoint {
    pub checkpoint: Checkpoint,
}

impl LoadedCheckpoint {
    pub fn config(&self) -> &GptConfig {
        &self.checkpoint.config
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.checkpoint.tokenizer
    }

    pub fn open(&self, device: &Device) -> Result<Gpt, String> {
        self.checkpoint.to_model(device).map_err(|e| e.to_string())
    }

    pub fn summary(&self) -> String {
        self.config().summary()
    }
}

/// The bytes at `url` (relative to the page).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(|e| format!("cannot fetch {url}: {e}"))?;
    if !response.ok() {
        return Err(format!("cannot fetch {url}: HTTP {}", response.status()));
    }
    response
        .binary()
        .await
        .map_err(|e| format!("cannot read {url}: {e}"))
}

impl LoadedCheckpoint {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let checkpoint = Checkpoint::from_bytes(bytes).map_err(|e| e.to_string())?;
        Ok(Self { checkpoint })
    }
}

pub async fn fetch_shipped() -> Result<LoadedCheckpoint, String> {
    LoadedCheckpoint::from_bytes(&fetch_bytes(SHIPPED_MODEL).await?)
}
