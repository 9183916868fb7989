//! The Train view: settings, the run's buttons, live numbers, the loss curves, samples, and the
//! attention of a probe sentence as the weights change (with a scrubber over saved snapshots).

mod attention;
mod controls;
mod corpus;
mod loss;
mod setup;

use leptos::prelude::*;

#[component]
pub fn TrainView() -> impl IntoView {
    view! {
        <main class="trainbench" data-testid="train-view">
            <div class="column left">
                <setup::RunSetup />
                <corpus::Corpus />
            </div>
            <div class="column wide">
                <controls::RunControls />
                <loss::LossPanel />
                <loss::SamplePanel />
            </div>
            <div class="column right">
                <attention::ProbeAttention />
            </div>
        </main>
    }
}
