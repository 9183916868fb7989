"""The peer Glassbox is measured against: PyTorch + Hugging Face `transformers` (`GPT2LMHeadModel`)
on the same model, batch, optimiser and thread count as `glassbox bench`. Prints one JSON object.

Run by `scripts/bench.sh`, which interleaves it with `glassbox bench`; alone:
    python3 scripts/peer_bench.py --vocab 84 --train-steps 20
"""

import argparse
import inspect
import json
import math
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

# Glassbox's presets (crates/model/src/config.rs: Preset::config): context, layers, heads, width.
PRESETS = {"tiny": (32, 2, 2, 32), "small": (128, 4, 4, 128), "shipped": (128, 4, 4, 128)}


def model_for(preset: str, vocab: int) -> GPT2LMHeadModel:
    context, layers, heads, width = PRESETS[preset]
    config = GPT2Config(
        vocab_size=vocab,
        n_positions=context,
        n_embd=width,
        n_layer=layers,
        n_head=heads,
        n_inner=4 * width,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
        # Glassbox trains without dropout.
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        tie_word_embeddings=True,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(config)


def training_tokens_per_s(model, steps: int, batch: int, vocab: int) -> float:
    """AdamW (betas 0.9/0.99, eps 1e-8, decay 0.1) with each parameter's gradient clipped to norm
    1, as Glassbox's trainer does, reading the loss back every step."""
    context = model.config.n_positions
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=3e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1
    )
    generator = torch.Generator().manual_seed(1337)
    model.train()

    def step():
        tokens = torch.randint(0, vocab, (batch, context + 1), generator=generator)
        logits = model(input_ids=tokens[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, vocab), tokens[:, 1:].reshape(-1)
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        for parameter in model.parameters():
            torch.nn.utils.clip_grad_norm_(parameter, 1.0)
        optimiser.step()
        value = loss.item()
        assert math.isfinite(value)

    for _ in range(2):
        step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch * context / (time.perf_counter() - started)


@torch.no_grad()
def generation_ms_per_token(model, tokens: int, use_cache: bool) -> float:
    """Greedy steps from a one-token prompt, as `glassbox bench` times them."""
    model.eval()
    ids = torch.zeros((1, 1), dtype=torch.long)
    past = None
    # transformers 5 renamed `past_key_values` to `cache`.
    cache_name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    def step(ids, past):
        if use_cache:
            new = ids if past is None else ids[:, -1:]
            out = model(input_ids=new, use_cache=True, **{cache_name: past})
            past = getattr(out, cache_name)
        else:
            out = model(input_ids=ids, use_cache=False)
        next_id = out.logits[:, -1].argmax(-1, keepdim=True)
        return torch.cat([ids, next_id], dim=1), past

    ids, past = step(ids, past)
    started = time.perf_counter()
    for _ in range(tokens):
        ids, past = step(ids, past)
    return (time.perf_counter() - started) * 1000.0 / tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="shipped", choices=sorted(PRESETS))
    parser.add_argument("--vocab", type=int, required=True)
    parser.add_argument("--train-steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--gen-tokens", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(1337)
    torch.set_num_threads(args.threads)
    model = model_for(args.preset, args.vocab)
    report = {
        "peer": f"torch {torch.__version__} + transformers GPT2LMHeadModel",
        "preset": args.preset,
        "threads": torch.get_num_threads(),
        "train_batch": args.batch,
        "train_tokens_per_s": training_tokens_per_s(model, args.train_steps, args.batch, args.vocab),
    }
    tokens = min(args.gen_tokens, model.config.n_positions - 2)
    for label, use_cache in [("cached", True), ("uncached", False)]:
        report[f"generate_ms_per_token_{label}"] = generation_ms_per_token(model, tokens, use_cache)
    report["generate_tokens"] = tokens
    print(json.dumps(report))


if __name__ == "__main__":
    main()
