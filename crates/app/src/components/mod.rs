//! The page's panels. They render the state's plain-data records; none does model math.

pub mod attention;
pub mod candidates;
pub mod common;
pub mod controls;
pub mod experiments;
pub mod header;
pub mod inside;
pub mod learn;
pub mod panic_banner;
pub mod shortcuts;
pub mod timeline;
pub mod train;
