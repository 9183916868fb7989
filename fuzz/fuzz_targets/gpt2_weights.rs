//! Any bytes as the `model.safetensors` of a small GPT-2 folder (valid config and byte-level tokenizer).
#![no_main]
use glassbox_model::io::hf::{Gpt2Files, from_files};
use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"{"vocab_size": 258, "n_positions": 8, "n_embd": 4, "n_layer": 1, "n_head": 2}"#;
const VOCAB: &str = include_str!("../byte_vocab.json");

fuzz_target!(|data: &[u8]| {
    let _ = from_files(&Gpt2Files {
        config_json: CONFIG,
        safetensors: data,
        vocab_json: VOCAB,
        merges_txt: "#version: 0.2\nĠ t\n",
    });
});
