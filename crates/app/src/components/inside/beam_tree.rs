//! The beam search tree: every extension each step scored, the ones kept, finished and pruned,
//! with their summed log-probabilities, against the greedy continuation.

use glassbox_model::decode::beam::{BeamTree, Fate};
use leptos::prelude::*;

use super::JobStatus;
use crate::state::AppState;
use crate::state::inside::InsideState;

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

#[component]
pub fn BeamTreePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let inside = expect_context::<InsideState>();
    let search = Memo::new(move |_| state.beam_tree().filter(|s| s.tree.steps() > 0));
    let svg = move || {
        let search = search.get()?;
        let tree = &search.tree;
        let slot = slots(tree);
        let best: Vec<usize> = tree.path_of(&search.best);
        let greedy_tokens: Vec<u32> = inside
            .greedy
            .done()
            .map(|g| g.iter().map(|(t, _)| *t).collect())
            .unwrap_or_default();
        let greedy: Vec<usize> = tree.path_of(&greedy_tokens);
        let rows = slot.iter().copied().max().unwrap_or(0) + 1;
        let width = LEFT * 2.0 + COLUMN * (tree.steps() as f64 + 1.0);
        let height = TOP * 2.0 + ROW * rows as f64;
        let centre = |step: Option<usize>, s: usize| {
            let x = LEFT + COLUMN * step.map_or(0.0, |st| st as f64 + 1.0);
            (x, TOP + ROW * s as f64 + NODE_HEIGHT / 2.0)
        };
        let edges = tree
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (x1, y1) = match n.parent {
                    Some(p) => centre(Some(tree.nodes[p].step), slot[p]),
                    None => centre(None, 0),
                };
                let (x2, y2) = centre(Some(n.step), slot[i]);
                view! {
                    <path class="edge" class:pruned=n.fate == Fate::Pruned class:best=best.contains(&i)
                        class:greedy=greedy.contains(&i)
                        d=format!("M{:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
                            x1 + NODE_WIDTH, x1 + NODE_WIDTH + 16.0, x2 - 16.0) />
                }
            })
            .collect_view();
        let nodes = tree
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (x, y) = centre(Some(n.step), slot[i]);
                let label = state.label(n.token);
                view! {
                    <g data-testid="beam-node" data-step=n.step data-token=n.token data-fate=fate_name(n.fate)
                        data-sum=n.sum_logprob.to_string() data-best=best.contains(&i).to_string()
                        class=format!("node {}", fate_name(n.fate)) class:best=best.contains(&i) class:greedy=greedy.contains(&i)
                        transform=format!("translate({x:.1},{:.1})", y - NODE_HEIGHT / 2.0)>
                        <title>{format!("“{label}”: Σ log p = {:.3}, {}", n.sum_logprob, fate_name(n.fate))}</title>
                        <rect width=NODE_WIDTH height=NODE_HEIGHT rx="5" />
                        <text x="6" y="11" class="tok">{label.chars().take(12).collect::<String>()}</text>
                        <text x="6" y="22" class="sum">{format!("{:.2}", n.sum_logprob)}</text>
                    </g>
                }
            })
            .collect_view();
        let prompt_label: String = search
            .prompt
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(|&id| state.label(id))
            .collect();
        let (px, py) = centre(None, 0);
        Some(view! {
            <div class="scroll-x">
                <svg class="beam-tree" width=width height=height viewBox=format!("0 0 {width} {height}")>
                    {edges}
                    <g class="node root" transform=format!("translate({px:.1},{:.1})", py - NODE_HEIGHT / 2.0)>
                        <rect width=NODE_WIDTH height=NODE_HEIGHT rx="5" />
                        <text x="6" y="17" class="tok">{format!("…{}", prompt_label.chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<String>())}</text>
                    </g>
                    {nodes}
                </svg>
            </div>
        })
    };
    let comparison = move || {
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
                    greedy.len(),
                    if beam_sum > greedy_sum + 1e-4 {
                        "the beam found a more likely sequence than greedy.".to_string()
                    } else if (beam_sum - greedy_sum).abs() <= 1e-4 {
                        "the same likelihood.".to_string()
                    } else if followed < greedy.len() {
                        format!("greedy's is more likely here. The beams dropped its path after {followed} token(s): beam search prunes by the sum so far, so it is not exhaustive either.")
                    } else {
                        "greedy's is more likely here.".to_string()
                    })}
            </p>
        })
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
            {comparison}
            {move || match svg() {
                Some(svg) => svg.into_any(),
                None => view! { <p class="hint">"No beam search yet: run one above, or pick Beam search in Generate."</p> }.into_any(),
            }}
        </section>
    }
}
