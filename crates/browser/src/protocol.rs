//! Messages between the page and the training worker. Each travels as a JS object
//! `{ json, bytes }`: the message as JSON, and checkpoint bytes (transferred, not copied) when
//! it carries a model.

use glassbox_model::train::run::{RunRecord, RunSettings, TrainReport};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use crate::backend::Backend;

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// A new run; the bytes, if any, are the checkpoint to continue from.
    Start {
        settings: RunSettings,
        corpus: String,
        backend: Backend,
    },
    /// A saved run; the bytes are its checkpoint.
    Resume {
        record: RunRecord,
        corpus: String,
        backend: Backend,
    },
    Pause,
    Continue,
    SetLearningRate(f64),
    SetTotalSteps(usize),
    /// The current weights as a checkpoint file.
    Export(ExportPurpose),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportPurpose {
    Download,
    Visualize,
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker listens (messages sent before this would be lost).
    Ready,
    /// A run is set up; `record` holds what it already has (a resumed run's curve).
    Started {
        /// Boxed: the other events, sent every step, stay small.
        record: Box<RunRecord>,
        summary: String,
        backend: Backend,
    },
    Report(TrainReport),
    /// A checkpoint of `step` to keep (bytes): at every evaluation, on pause and at the end.
    Saved {
        step: usize,
    },
    Paused {
        step: usize,
    },
    Finished {
        step: usize,
    },
    Exported {
        purpose: ExportPurpose,
        step: usize,
    },
    /// The run stopped: the loss blew up. The weights are those of `step`.
    Diverged {
        message: String,
        step: usize,
    },
    Failed {
        message: String,
    },
}

/// The JS object a message travels as.
pub fn encode<T: Serialize>(message: &T, bytes: Option<&[u8]>) -> Result<JsValue, String> {
    let object = js_sys::Object::new();
    let json = serde_json::to_string(message).map_err(|e| e.to_string())?;
    let set = |key: &str, value: &JsValue| {
        js_sys::Reflect::set(&object, &key.into(), value).map_err(|e| format!("{e:?}"))
    };
    set("json", &json.into())?;
    if let Some(bytes) = bytes {
        set("bytes", &js_sys::Uint8Array::from(bytes).into())?;
    }
    Ok(object.into())
}

/// The buffers of `encoded` to transfer rather than copy.
pub fn transfer_list(encoded: &JsValue) -> js_sys::Array {
    let list = js_sys::Array::new();
    if let Ok(bytes) = js_sys::Reflect::get(encoded, &"bytes".into())
        && let Some(bytes) = bytes.dyn_ref::<js_sys::Uint8Array>()
    {
        list.push(&bytes.buffer());
    }
    list
}

pub fn decode<T: DeserializeOwned>(data: &JsValue) -> Result<(T, Option<Vec<u8>>), String> {
    let json = js_sys::Reflect::get(data, &"json".into())
        .ok()
        .and_then(|j| j.as_string())
        .ok_or("a message without JSON")?;
    let message = serde_json::from_str(&json).map_err(|e| format!("bad message: {e}"))?;
    let bytes = js_sys::Reflect::get(data, &"bytes".into())
        .ok()
        .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok())
        .map(|b| b.to_vec());
    Ok((message, bytes))
}
