//! Browser I/O, no signals: the clock, fetching bytes, files the user picks or drops, downloads,
//! the saved-run store (IndexedDB), the training worker's channel, the URL and the offline cache.

pub mod clock;
pub mod download;
pub mod files;
pub mod net;
pub mod offline;
pub mod store;
pub mod url;
pub mod worker_link;
