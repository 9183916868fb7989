//! The rank check: on the open model's own weights, each head's slice of the query, key and
//! value projections, and whether the slices together keep the whole projection's rank.

use leptos::prelude::*;

use crate::state::AppState;
use crate::state::learn::LearnState;

#[component]
pub fn HeadSplitPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let learn = expect_context::<LearnState>();
    let split = learn.head_split;
    let rows = move || {
        let split = split.done()?;
        Some(
            split
                .blocks
                .iter()
                .flat_map(|block| {
                    [("query", &block.query), ("key", &block.key), ("value", &block.value)]
                        .into_iter()
                        .map(move |(name, ranks)| {
                            let per_head = ranks
                                .per_head
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(" + ");
                            view! {
                                <tr data-testid="head-split-row" data-layer=block.layer data-projection=name
                                    data-full=ranks.full data-together=ranks.together()
                                    data-whole=ranks.is_whole().to_string()>
                                    <th scope="row">{format!("block {} {name}", block.layer + 1)}</th>
                                    <td class="num">{ranks.full}</td>
                                    <td class="num">{per_head}</td>
                                    <td class="num">{ranks.together()}</td>
                                    <td>{if ranks.is_whole() { "nothing lost" } else { "heads overlap" }}</td>
                                </tr>
                            }
                        })
                        .collect::<Vec<_>>()
                })
                .collect_view(),
        )
    };
    let heading = move || {
        split.done().map(|s| {
            format!(
                "width {w}, {} heads of width {}: each head projects all {w} input dimensions to {} of its own",
                s.n_head,
                s.head_dim,
                s.head_dim,
                w = s.d_model
            )
        })
    };
    view! {
        <section class="panel head-split-panel" data-testid="head-split">
            <h2>"Does splitting into heads lose information?"</h2>
            <p class="hint">"Each head's query, key and value are its own columns of the block's projection matrices. The rank of a matrix is how many independent directions of the input it can tell apart. If the heads' ranks add up to the whole projection's, the heads together see everything one wide head would."</p>
            <div class="buttons">
                <button data-testid="head-split-run" on:click=move |_| learn.check_head_split()
                    disabled=move || !app.is_ready() || split.is_running()>"Check the ranks"</button>
                <span class="hint">{heading}</span>
            </div>
            {move || split.error().map(|e| view! { <p class="error-text">{e}</p> })}
            {move || rows().map(|rows| view! {
                <div class="table-scroll">
                    <table class="head-split-table">
                        <thead><tr><th scope="col">"projection"</th><th scope="col">"rank (whole)"</th>
                            <th scope="col">"rank of each head"</th><th scope="col">"heads together"</th><th scope="col"></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            })}
        </section>
    }
}
