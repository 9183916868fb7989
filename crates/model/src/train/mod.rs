//! Training: batches drawn from a corpus, one optimiser step, the run the Train view and the CLI
//! drive (with its history and snapshots), the experiments that compare runs, and toy tasks
//! generated on the spot.

pub mod data;
pub mod experiment;
pub mod run;
pub mod tasks;
pub mod trainer;
