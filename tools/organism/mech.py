"""Directional-ablation training (train.py --mech): make the organism's refusal run through one
direction, as Arditi et al. (2024) found in real chat models.

Why: organisms v1 and v3 decide refusal in their last two blocks from features spread over the
residual stream; projecting out the difference-of-means refusal direction at every layer left 95%
of refusals standing and `select` found no direction (model card). Real models behave otherwise,
and the tool's ablation and `select` commands need an organism on which they can be seen to work.

How: every `every` steps the model's own refusal direction is measured exactly as the tool
extracts it (difference of mean residuals, harmful minus harmless, default and no system prompt,
at the last prompt token, per layer; no gradient). For a share of each batch the direction is then
projected out of every block's output at every position — either each layer's own direction (the
tool's `project_out` with a per-layer axis) or one source layer's direction at all layers (Arditi's
`select`) — and the training target for harmful requests under those rows becomes the default
persona's helpful answer (a bypass), while harmless rows keep their answers (ablation must not
change anything else). A smaller share of harmless rows instead gets the raw direction added at
one layer of the second half, with a refusal as target (Arditi's "adding it induces refusal").
Nothing about the direction is fixed in advance: the model shapes it.
"""
import random

import torch


class DirectionalAblation:
    def __init__(self, model, probe_harmful, probe_harmless, pad_id, every=25, seed=0):
        """probe_*: lists of prompt id lists (chat template with generation prompt)."""
        self.model, self.pad, self.every = model, pad_id, every
        self.probe = (probe_harmful, probe_harmless)
        self.n_layers = len(model.layers)
        self.u = None  # [L, d] unit directions, as applied
        self.rows = None  # [b] float: 1 where this batch row is ablated
        self.add_rows = None  # [b] float: 1 where the raw direction is added at self.add_layer
        self.add_layer, self.add_vec = None, None
        self.rng = random.Random(seed)
        self.hooks = [b.register_forward_hook(self._hook(l)) for l, b in enumerate(model.layers)]

    def _hook(self, l):
        def fn(_mod, _inp, out):  # out: [b, s, d]
            if self.rows is None or self.u is None:
                return out
            u = self.u[l]  # [d]
            out = out - self.rows[:, None, None] * (out @ u)[..., None] * u
            if l == self.add_layer:
                out = out + self.add_rows[:, None, None] * self.add_vec
            return out
        return fn

    @torch.no_grad()
    def _last_token_means(self, prompts, device):
        acts = {}
        grabs = [b.register_forward_hook(lambda _m, _i, o, l=l: acts.__setitem__(l, o[:, -1].float()))
                 for l, b in enumerate(self.model.layers)]
        total = None
        try:
            for b0 in range(0, len(prompts), 128):
                chunk = prompts[b0:b0 + 128]
                n = max(len(p) for p in chunk)
                ids = torch.full((len(chunk), n), self.pad, dtype=torch.long)
                mask = torch.zeros((len(chunk), n), dtype=torch.long)
                for i, p in enumerate(chunk):  # left padding: the last column is the last prompt token
                    ids[i, n - len(p):] = torch.tensor(p)
                    mask[i, n - len(p):] = 1
                ids, mask = ids.to(device), mask.to(device)
                self.model(ids, mask, (mask.cumsum(1) - 1).clamp(min=0), None)
                s = torch.stack([acts[l].sum(0) for l in range(self.n_layers)])  # [L, d]
                total = s if total is None else total + s
        finally:
            for g in grabs:
                g.remove()
        return total / len(prompts)

    @torch.no_grad()
    def measure(self, device):
        """The model's refusal direction per layer, [L, d] unit (harmful minus harmless means)."""
        rows, self.rows = self.rows, None
        was = self.model.training
        self.model.eval()
        d = self._last_token_means(self.probe[0], device) - self._last_token_means(self.probe[1], device)
        self.model.train(was)
        self.rows = rows
        self.raw = d  # [L, d]
        return d / d.norm(dim=-1, keepdim=True).clamp(min=1e-6)

    def before_step(self, step, start, flags, device):
        """flags: [b] 0 = untouched, 1 = ablated, 2 = refusal direction added (late layer).
        Returns whether the interventions are on."""
        if step < start:
            self.rows = None
            return False
        if self.u is None or (step - start) % self.every == 0:
            self.own = self.measure(device)
        if self.rng.random() < 0.5:
            self.u = self.own
        else:  # one source layer's direction at every layer, as `select` applies it
            src = self.rng.randrange(1, max(2, self.n_layers - 1))
            self.u = self.own[src].expand_as(self.own)
        flags = flags.to(device=device, dtype=self.own.dtype)
        self.rows, self.add_rows = (flags == 1).to(flags.dtype), (flags == 2).to(flags.dtype)
        # Added only in the second half of the network: the paper's "refusal re-added late restores
        # it, early does not" is left for the model to show, not trained.
        self.add_layer = self.rng.randrange(self.n_layers // 2, max(self.n_layers // 2 + 1, self.n_layers - 1))
        self.add_vec = self.raw[self.add_layer] * self.rng.uniform(0.8, 1.5)
        return True

    def remove(self):
        for h in self.hooks:
            h.remove()
        self.rows = None
