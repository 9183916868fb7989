//! Training: batches drawn from a corpus, one optimiser step, the run the Train view and the CLI
//! drive (with its history and snapshots), and the experiments that compare runs.

pub mod data;
pub mod experiment;
pub mod run;
pub mod trainer;
