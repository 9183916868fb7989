//! Models the user brings: a Glassbox checkpoint file, or the files of a Hugging Face GPT-2 folder,
//! picked or dropped. Files are read in slices (with progress) and refused before reading when the
//! model could not fit in the tab's memory.

use futures_util::{StreamExt, stream};
use glassbox_browser::backend::Backend;
use glassbox_model::io::hf::{self, CONFIG_FILE, FILES, Gpt2Files, WEIGHTS_FILE};
use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

use crate::web::clock::yield_to_browser;
use crate::web::net::LoadedCheckpoint;

/// What a set of files is.
pub enum Picked {
    Checkpoint(File),
    Gpt2Folder {
        config: File,
        weights: File,
        vocab: File,
        merges: File,
    },
}

const MIB: f64 = 1024.0 * 1024.0;
/// A wasm32 tab addresses at most 4 GiB; leave room for the page, the tokenizer and buffers.
const MEMORY_LIMIT: f64 = 3.5 * 1024.0 * MIB;
/// Above this many weights, a CPU step takes a good part of a second (GPT-2 small's 124M take
/// about 50 ms a cached step in the tab, the medium's 355M about three times that).
const SLOW_ON_CPU: f64 = 300e6;

impl Picked {
    /// Sorts picked or dropped files: the four GPT-2 files (others, such as
    /// `generation_config.json`, are ignored), or one checkpoint file.
    pub fn classify(files: Vec<File>) -> Result<Self, String> {
        let named = |name: &str| files.iter().find(|f| f.name() == name).cloned();
        if named(CONFIG_FILE).is_some() || named(WEIGHTS_FILE).is_some() {
            return match FILES.map(named) {
                [Some(config), Some(weights), Some(vocab), Some(merges)] => {
                    Ok(Picked::Gpt2Folder {
                        config,
                        weights,
                        vocab,
                        merges,
                    })
                }
                _ => {
                    let missing: Vec<&str> = FILES
                        .into_iter()
                        .filter(|name| named(name).is_none())
                        .collect();
                    Err(format!(
                        "a GPT-2 folder needs {}: {} missing",
                        FILES.join(", "),
                        missing.join(", ")
                    ))
                }
            };
        }
        match &files[..] {
            [file] if file.name().ends_with(".safetensors") => Ok(Picked::Checkpoint(file.clone())),
            _ => Err(format!(
                "open a Glassbox checkpoint (.safetensors), or a GPT-2 folder's files ({}); for a whole folder use Open folder",
                FILES.join(", ")
            )),
        }
    }

    /// "GPT-2 folder (model.safetensors, 12.7 MB)" or the checkpoint's file name, for the status line.
    pub fn describe(&self) -> String {
        match self {
            Picked::Checkpoint(file) => file.name(),
            Picked::Gpt2Folder { weights, .. } => {
                format!(
                    "GPT-2 folder ({}, {:.1} MB)",
                    weights.name(),
                    weights.size() / MIB
                )
            }
        }
    }

    /// The file holding the weights.
    fn weights(&self) -> &File {
        match self {
            Picked::Checkpoint(file) => file,
            Picked::Gpt2Folder { weights, .. } => weights,
        }
    }

    /// Refuses a model whose file, f32 weights and (on the CPU) model tensors would not fit in the
    /// tab together; warns about a slow one. Reads only the safetensors header.
    pub async fn check_size(&self, backend: Backend) -> Result<Option<String>, String> {
        let file = self.weights();
        let f32_bytes = weight_count(file).await? * 4.0;
        let on_cpu = backend == Backend::Cpu;
        let peak = file.size() + f32_bytes + if on_cpu { f32_bytes } else { 0.0 };
        if peak > MEMORY_LIMIT {
            return Err(format!(
                "{} ({:.0} MB) needs about {:.1} GB of memory on the {} backend, more than a browser tab has ({:.1} GB){}",
                file.name(),
                file.size() / MIB,
                peak / 1024.0 / MIB,
                backend.label(),
                MEMORY_LIMIT / 1024.0 / MIB,
                if on_cpu {
                    "; WebGPU keeps the weights on the GPU and may fit it"
                } else {
                    ""
                }
            ));
        }
        Ok((on_cpu && f32_bytes / 4.0 > SLOW_ON_CPU).then(|| {
            format!(
                "{:.0}M weights take a good part of a second a token on the CPU: WebGPU, where available, is faster",
                f32_bytes / 4.0 / 1e6
            )
        }))
    }

    /// Reads and checks the files, reporting `(what, fraction done)` as it goes.
    pub async fn read(self, progress: impl Fn(&str, f64)) -> Result<LoadedCheckpoint, String> {
        match self {
            Picked::Checkpoint(file) => {
                let bytes = read_bytes(&file, &progress).await?;
                LoadedCheckpoint::from_bytes(&bytes)
            }
            Picked::Gpt2Folder {
                config,
                weights,
                vocab,
                merges,
            } => {
                let text = |file: &File, bytes: Vec<u8>| {
                    String::from_utf8(bytes)
                        .map_err(|_| format!("{} is not UTF-8 text", file.name()))
                };
                let config_json = text(&config, read_bytes(&config, &progress).await?)?;
                let vocab_json = text(&vocab, read_bytes(&vocab, &progress).await?)?;
                let merges_txt = text(&merges, read_bytes(&merges, &progress).await?)?;
                let safetensors = read_bytes(&weights, &progress).await?;
                progress("checking the weights and the tokenizer", 1.0);
                yield_to_browser().await;
                let checkpoint = hf::from_files(&Gpt2Files {
                    config_json: &config_json,
                    safetensors: &safetensors,
                    vocab_json: &vocab_json,
                    merges_txt: &merges_txt,
                })
                .map_err(|e| e.to_string())?;
                Ok(LoadedCheckpoint { checkpoint })
            }
        }
    }
}

/// The number of weights a safetensors file declares, from its header alone.
async fn weight_count(file: &File) -> Result<f64, String> {
    let bad = |why: &str| format!("{} is not a valid safetensors file ({why})", file.name());
    let prefix = slice(file, 0.0, 8.0).await?;
    let header_len =
        u64::from_le_bytes(prefix.try_into().map_err(|_| bad("shorter than 8 bytes"))?);
    if header_len as f64 + 8.0 > file.size() || header_len > 100 * 1024 * 1024 {
        return Err(bad(&format!("its header claims {header_len} bytes")));
    }
    let header = slice(file, 8.0, 8.0 + header_len as f64).await?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| bad(&e.to_string()))?;
    Ok(header
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .filter_map(|(_, t)| t["shape"].as_array())
        .map(|shape| shape.iter().filter_map(|d| d.as_f64()).product::<f64>())
        .sum())
}

async fn slice(file: &File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    Ok(slice_buffer(file, start, end).await?.to_vec())
}

/// Bytes `start..end` of the file, still in JavaScript memory (copied once, where they go).
async fn slice_buffer(file: &File, start: f64, end: f64) -> Result<Uint8Array, String> {
    let cannot = |_| format!("cannot read {}", file.name());
    let blob = file.slice_with_f64_and_f64(start, end).map_err(cannot)?;
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(cannot)?;
    Ok(Uint8Array::new(&buffer))
}

/// The whole file, read 16 MiB at a time so progress can be shown and memory grows once, with a
/// few slices in flight: Chromium reads GPT-2 small's 475 MB in 0.6 s so, 0.75–1 s one by one.
async fn read_bytes(file: &File, progress: &impl Fn(&str, f64)) -> Result<Vec<u8>, String> {
    const CHUNK: f64 = 16.0 * MIB;
    const IN_FLIGHT: usize = 4;
    let size = file.size();
    let what = format!("reading {} ({:.1} MB)", file.name(), size / MIB);
    let mut bytes = vec![0u8; size as usize];
    let starts = (0..)
        .map(|i| i as f64 * CHUNK)
        .take_while(|&start| start < size);
    let mut slices = stream::iter(starts)
        .map(|start| async move {
            let end = (start + CHUNK).min(size);
            slice_buffer(file, start, end)
                .await
                .map(|slice| (start, end, slice))
        })
        .buffered(IN_FLIGHT);
    while let Some(read) = slices.next().await {
        let (start, end, slice) = read?;
        slice.copy_to(&mut bytes[start as usize..end as usize]);
        progress(&what, end / size);
    }
    Ok(bytes)
}
