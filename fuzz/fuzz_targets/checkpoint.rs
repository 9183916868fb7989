//! Any bytes given to the checkpoint loader: an error or a checkpoint, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkpoint) = glassbox_model::Checkpoint::from_bytes(data) {
        let _ = checkpoint.check_weight_shapes();
    }
});
