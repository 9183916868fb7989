//! Points where long work may pause for its host. A page runs analyses on the thread that paints
//! it, so between the pieces of a pass it lets the browser paint; natively nothing pauses. The
//! host registers how to pause (a browser timer, skipped until a frame's time has gone by); this
//! crate only marks where it may.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

/// How the host pauses: a future that lets it run its own work before the next piece.
pub type Pause = fn() -> Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    static PAUSE: Cell<Option<Pause>> = const { Cell::new(None) };
}

/// Registers how this thread pauses between pieces of long work (replacing any earlier one).
pub fn set_pause(pause: Pause) {
    PAUSE.with(|p| p.set(Some(pause)));
}

/// A point between two pieces of work: pauses as the host asked, or not at all.
pub async fn pause_point() {
    if let Some(pause) = PAUSE.with(Cell::get) {
        pause().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readback::block_on;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static PAUSES: AtomicUsize = AtomicUsize::new(0);

    fn counting() -> Pin<Box<dyn Future<Output = ()>>> {
        PAUSES.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }

    #[test]
    fn a_pause_point_runs_the_registered_pause_on_its_own_thread_only() {
        // Another thread (none registered) passes straight through.
        std::thread::spawn(|| {
            set_pause(counting);
        })
        .join()
        .unwrap();
        block_on(pause_point());
        assert_eq!(PAUSES.load(Ordering::SeqCst), 0);
        set_pause(counting);
        block_on(pause_point());
        block_on(pause_point());
        assert_eq!(PAUSES.load(Ordering::SeqCst), 2);
    }
}
