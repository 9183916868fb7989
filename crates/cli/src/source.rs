//! Where models and corpora come from: the shipped defaults, or paths given on the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use glassbox_model::{Checkpoint, Gpt};

/// The repository's `assets/` folder, found from the build location.
pub fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

pub fn default_model() -> PathBuf {
    assets_dir().join("glassbox-shakespeare.safetensors")
}

pub fn default_corpus() -> PathBuf {
    assets_dir().join("shakespeare.txt")
}

pub fn device() -> Device {
    Device::flex()
}

/// The memory a run may use here: what the kernel says is available (8 GiB where it cannot say).
pub fn machine_budget() -> glassbox_model::Budget {
    let available_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        });
    glassbox_model::Budget::machine(
        available_kib.map_or(8.0 * 1024.0 * 1024.0 * 1024.0, |k| k * 1024.0),
    )
}

/// A Glassbox checkpoint file, or a Hugging Face GPT-2 folder.
pub fn load_checkpoint(path: &Path) -> Result<Checkpoint> {
    if !path.exists() {
        bail!("model {} does not exist", path.display());
    }
    if path.is_dir() {
        return Ok(glassbox_model::io::hf::load_folder(path)?);
    }
    Ok(Checkpoint::load(path)?)
}

/// The files `load_checkpoint` reads from `path`, each named for `refuse_overwrite`.
pub fn model_inputs(path: &Path, what: &'static str) -> Vec<(&'static str, PathBuf)> {
    if path.is_dir() {
        glassbox_model::io::hf::FILES
            .iter()
            .map(|name| (what, path.join(name)))
            .collect()
    } else {
        vec![(what, path.to_path_buf())]
    }
}

pub fn load_model(path: &Path, device: &Device) -> Result<(Checkpoint, Gpt)> {
    let checkpoint = load_checkpoint(path)?;
    let model = checkpoint.to_model(device)?;
    Ok((checkpoint, model))
}

/// The corpus files to read: `paths`, or the shipped corpus when there are none.
pub fn corpus_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![default_corpus()]
    } else {
        paths.to_vec()
    }
}

/// `corpus_paths(paths)` named "the corpus", for `refuse_overwrite`.
pub fn corpus_inputs(paths: &[PathBuf]) -> Vec<(&'static str, PathBuf)> {
    corpus_paths(paths)
        .into_iter()
        .map(|path| ("the corpus", path))
        .collect()
}

/// The concatenated text of `corpus_paths(paths)` and a name for it.
pub fn read_corpus(paths: &[PathBuf]) -> Result<(String, String)> {
    let paths = corpus_paths(paths);
    let mut text = String::new();
    for path in &paths {
        text.push_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read corpus {}", path.display()))?,
        );
    }
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    Ok((text, names.join(" + ")))
}
