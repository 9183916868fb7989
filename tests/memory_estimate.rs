//! The memory estimates behind the limits (`glassbox_model::limits`) against what the CPU backend
//! really allocates, counted by this test binary's global allocator. One test per binary: no other
//! test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use burn::tensor::Device;
use glassbox_model::limits::{MemoryEstimate, traced_step_bytes};
use glassbox_model::readback::{block_on, read_floats};
use glassbox_model::trace::Trace;
use glassbox_model::train::data::Corpus;
use glassbox_model::{ForwardOptions, GptConfig, TrainConfig, Trainer};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64
}

/// Peak bytes above the current level while `f` runs.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, (PEAK.load(Ordering::Relaxed) - base) as f64)
}

#[test]
fn estimates_bound_the_real_allocations_of_a_small_model() {
    let config = GptConfig::new(84, 128, 4, 4, 128);
    let estimate = MemoryEstimate::training(&config, 8);
    let device = Device::flex();

    let tokens: Vec<u32> = (0..128).map(|i| (i * 7 % 84) as u32).collect();
    let forward = |model: &glassbox_model::Gpt| {
        block_on(read_floats(
            model.forward(model.token_tensor(std::slice::from_ref(&tokens))),
        ))
        .unwrap();
    };
    // The backend's one-time state (thread pools, caches) comes with the first model: count from
    // the second. Burn creates parameters lazily, so a forward pass materialises them.
    forward(&config.init(&device));
    // A pool thread may still allocate its scratch space the first time it works (1 run in ~7
    // here): of two identical models, the smaller figure is the weights alone.
    let measure = || {
        let before = live();
        let model = config.init(&device);
        forward(&model);
        (live() - before, model)
    };
    let (first, _kept) = measure();
    let (second, model) = measure();
    let weights = first.min(second);
    let ratio = estimate.weights / weights;
    assert!(
        (0.9..=1.3).contains(&ratio),
        "weights: estimated {} B, allocated {weights} B",
        estimate.weights
    );

    // One traced step over the whole window.
    let (_, traced) = peak_during(|| {
        let out = model.forward_with(
            model.token_tensor(std::slice::from_ref(&tokens)),
            &ForwardOptions {
                trace: true,
                ..Default::default()
            },
            None,
        );
        block_on(Trace::read(out.trace.unwrap(), 0)).unwrap()
    });
    let traced_estimate = traced_step_bytes(&config, 1, 128);
    assert!(
        traced_estimate >= traced && traced_estimate <= 4.0 * traced,
        "traced step: estimated {traced_estimate} B, peak {traced} B"
    );
    drop(model);

    // One training step at batch 8: weights, gradients, AdamW's moments and the activations.
    let text_tokens: Vec<u32> = (0..20_000).map(|i| (i * 13 % 84) as u32).collect();
    let corpus = Corpus::split(text_tokens, 128).unwrap();
    let (_, training) = peak_during(|| {
        let model = config.init(&device.clone().autodiff());
        let mut trainer = Trainer::new(model, corpus, TrainConfig::new(10).with_batch_size(8));
        block_on(trainer.train_step()).unwrap();
        block_on(trainer.train_step()).unwrap();
    });
    let training_estimate = estimate.training_bytes(config.n_layer);
    println!(
        "weights {weights} (est {}), traced {traced} (est {traced_estimate}), training {training} (est {training_estimate})",
        estimate.weights
    );
    assert!(
        training_estimate >= training && training_estimate <= 3.0 * training,
        "training: estimated {training_estimate} B, peak {training} B"
    );
}
