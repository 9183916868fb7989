//! The beam search tree: every extension each step scored, the ones kept, finished and pruned,
//! with their summed log-probabilities, against the greedy continuation.

use glassbox_model::decode::beam::{BeamTree, Fate};
use leptos::prelude::*;

use super::JobStatus;
use crate::state::inside::InsideState;
use crate::state::{AppState, BeamSearchView};

const COLUMN: f64 = 132.0;
const ROW: f64 = 34.0;
const LEFT: f64 = 16.0;
const TOP: f64 = 16.0;
const NODE_WIDTH: f64 = 104.0;
const NODE_HEIGHT: f64 = 26.0;

/// Each node's slot in its step's column: children stay near their parent (ordered by the
/// parent's slot, then by likelihood).
fn slots(tree: &BeamTree) -> Vec<usize> {
    let mut slot = vec![0usize; tree.nodes.len()];
    for step in 0..tree.steps() {
        let mut at: Vec<usize> = (0..tree.nodes.len())
            .filter(|&i| tree.nodes[i].step == step)
            .collect();
        at.sort_by(|&a, &b| {
            let parent_slot = |i: usize| tree.nodes[i].parent.map_or(0, |p| slot[p]);
            parent_slot(a).cmp(&parent_slot(b)).then(
                tree.nodes[b]
                    .sum_logprob
                    .total_cmp(&tree.nodes[a].sum_logprob),
            )
        });
        for (s, i) in at.into_iter().enumerate() {
            slot[i] = s;
        }
    }
    slot
}

fn fate_name(fate: Fate) -> &'static str {
    match fate {
        Fate::Kept(_) => "kept",
        Fate::Finished => "finished",
        Fate::Pruned => "pruned",
    }
}

/// The centre of the left edge of slot `s` in `step`'s column (`None`: the prompt's column).
fn centre(step: Option<usize>, s: usize) -> (f64, f64) {
    let x = LEFT + COLUMN * step.map_or(0.0, |st| st as f64 + 1.0);
    (x, TOP + ROW * s as f64 + NODE_HEIGHT / 2.0)
}

/// The nodes on the best beam's path and on greedy's.
struct Paths {
    best: Vec<usize>,
    greedy: Vec<usize>,
}

fn edges(tree: &BeamTree, slot: &[usize], paths: &Paths) -> impl IntoView + use<> {
    tree.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (x1, y1) = match n.parent {
                Some(p) => centre(Some(tree.nodes[p].step), slot[p]),
                None => centre(None, 0),
            };
            let (x2, y2) = centre(Some(n.step), slot[i]);
            view! {
                <path class="edge" class:pruned=n.fate == Fate::Pruned class:best=paths.best.contains(&i)
                    class:greedy=paths.greedy.contains(&i)
                    d=format!("M{:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
                        x1 + NODE_WIDTH, x1 + NODE_WIDTH + 16.0, x2 - 16.0) />
            }
        })
        .collect_view()
}

fn nodes(state: AppState, tree: &BeamTree, slot: &[usize], paths: &Paths) -> impl IntoView + use<> {
    tree.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (x, y) = centre(Some(n.step), slot[i]);
            let label = state.label(n.token);
            let best = paths.best.contains(&i);
            view! {
                <g data-testid="beam-node" data-step=n.step data-token=n.token data-fate=fate_name(n.fate)
                    data-sum=n.sum_logprob.to_string() data-best=best.to_string()
                    class=format!("node {}", fate_name(n.fate)) class:best=best class:greedy=paths.greedy.contains(&i)
                    transform=format!("translate({x:.1},{:.1})", y - NODE_HEIGHT / 2.0)>
                    <title>{format!("“{label}”: Σ log p = {:.3}, {}", n.sum_logprob, fate_name(n.fate))}</title>
                    <rect width=NODE_WIDTH height=NODE_HEIGHT rx="5" />
                    <text x="6" y="11" class="tok">{label.chars().take(12).collect::<String>()}</text>
                    <text x="6" y="22" class="sum">{format!("{:.2}", n.sum_logprob)}</text>
                </g>
            }
        })
        .collect_view()
}

/// The last characters of the prompt's last three tokens, for the root node.
fn prompt_tail(state: AppState, prompt: &[u32]) -> String {
    let label: String = prompt
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|&id| state.label(id))
        .collect();
    let tail: Vec<char> = label.chars().rev().take(12).collect();
    format!("…{}", tail.into_iter().rev().collect::<String>())
}

/// The tree as an SVG: one column per step, the prompt at the left.
#[component]
fn TreeDiagram(search: BeamSearchView, greedy_tokens: Vec<u32>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let tree = &search.tree;
    let slot = slots(tree);
    let paths = Paths {
        best: tree.path_of(&search.best),
        greedy: tree.path_of(&greedy_tokens),
    };
    let rows = slot.iter().copied().max().unwrap_or(0) + 1;
    let width = LEFT * 2.0 + COLUMN * (tree.steps() as f64 + 1.0);
    let height = TOP * 2.0 + ROW * rows as f64;
    let (px, py) = centre(None, 0);
    view! {
        <div class="scroll-x">
            <svg class="beam-tree" width=width height=height viewBox=format!("0 0 {width} {height}")>
                {edges(tree, &slot, &paths)}
                <g class="node root" transform=format!("translate({px:.1},{:.1})", py - NODE_HEIGHT / 2.0)>
                    <rect width=NODE_WIDTH height=NODE_HEIGHT rx="5" />
                    <text x="6" y="17" class="tok">{prompt_tail(state, &search.prompt)}</text>
                </g>
                {nodes(state, tree, &slot, &paths)}
            </svg>
        </div>
    }
}

/// How the best beam compares with greedy's continuation.
fn verdict(beam_sum: f32, greedy_sum: f32, followed: usize, greedy_len: usize) -> String {
    if beam_sum > greedy_sum + 1e-4 {
        "the beam found a more likely sequence than greedy.".to_string()
    } else if (beam_sum - greedy_sum).abs() <= 1e-4 {
        "the same likelihood.".to_string()
    } else if followed < greedy_len {
        format!(
            "greedy's is more likely here. The beams dropped its path after {followed} token(s): beam search prunes by the sum so far, so it is not exhaustive either."
        )
    } else {
        "greedy's is more likely here.".to_string()
    }
}

type Search = Memo<Option<BeamSearchView>>;

#[component]
fn BeamVsGreedy(search: Search) -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    move || {
        let search = search.get()?;
        let greedy = inside.greedy.done()?;
        let beam_sum = search
            .tree
            .path_of(&search.best)
            .last()
            .map(|&i| search.tree.nodes[i].sum_logprob)?;
        let greedy_tokens: Vec<u32> = greedy.iter().map(|(t, _)| *t).collect();
        let followed = search.tree.path_of(&greedy_tokens).len();
        let greedy_text: String = greedy.iter().map(|(t, _)| state.label(*t)).collect();
        let best_text: String = search.best.iter().map(|&t| state.label(t)).collect();
        let greedy_sum = greedy.last().map_or(0.0, |g| g.1);
        Some(view! {
            <p data-testid="beam-vs-greedy" data-beam=beam_sum.to_string() data-greedy=greedy_sum.to_string()>
                {format!("Best beam “{best_text}”: Σ log p = {beam_sum:.3}. Greedy “{greedy_text}”: Σ log p = {greedy_sum:.3} over {} tokens: {}",
                    greedy.len(), verdict(beam_sum, greedy_sum, followed, greedy.len()))}
            </p>
        })
    }
}

#[component]
pub fn BeamTreePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let search = Memo::new(move |_| state.beam_tree().filter(|s| s.tree.steps() > 0));
    let diagram = move || {
        let search = search.get()?;
        let greedy_tokens: Vec<u32> = inside
            .greedy
            .done()
            .map(|g| g.iter().map(|(t, _)| *t).collect())
            .unwrap_or_default();
        Some(view! { <TreeDiagram search=search greedy_tokens=greedy_tokens /> })
    };
    view! {
        <section class="panel inside-panel" id="beams" data-testid="beam-tree">
            <h2>"Beam search tree"</h2>
            <p class="caption">
                "Greedy decoding takes the single most likely token each step and never looks back. Beam search keeps the W most likely partial sequences (beams), scores every extension of each by its summed log-probability, and keeps the best again. Each column is a step: the extensions it scored, the ones kept (solid), finished (double outline) and pruned (grey). The best beam's path is highlighted; the dashed path is greedy's, where the tree contains it."
            </p>
            <p class="actions">
                <button data-testid="beam-tree-run" disabled=move || state.busy.get() on:click=move |_| inside.run_beam_search(6)>
                    "Run a beam search of 6 steps on the prompt"
                </button>
                <span class="hint">"(or choose Beam search in Generate and step)"</span>
            </p>
            <JobStatus analysis=inside.greedy what="the greedy continuation" />
            <BeamVsGreedy search=search />
            {move || match diagram() {
                Some(diagram) => diagram.into_any(),
                None => view! { <p class="hint">"No beam search yet: run one above, or pick Beam search in Generate."</p> }.into_any(),
            }}
        </section>
    }
}
