//! The page's plain data and rules, without the DOM: the tabs, the backend choice, the Train form
//! and its checks, the URL codec, the Experiments view's records, the Learn tab's lessons and the
//! keyboard shortcuts. The app renders and stores them; everything here is tested natively
//! (`cargo test -p glassbox-page`).

#![deny(missing_docs)]

pub mod backend;
pub mod experiment;
pub mod learn;
pub mod shortcuts;
pub mod tab;
pub mod train_form;
pub mod url;
