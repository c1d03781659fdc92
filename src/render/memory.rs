//! How `memory` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::memory::{Layout, Memory, Stage};
use crate::domain::model::flops::Recompute;
use crate::domain::units::Information;
use crate::domain::units::format;
use crate::domain::units::unit::byte;
use crate::render::{Cell, Column, Report, Section, Table, counted};

use crate::app::memory::*;

/// Bytes: binary prefixes for people, bytes in CSV.
pub fn bytes(b: f64) -> Cell {
    Cell::Bytes(Information::new::<byte>(b))
}

impl MemoryResult {
    /// The report for people and CSV: the layout, headline figures, memory per GPU by part (the
    /// CSV breakdown) and whether it fits.
    pub fn report(&self, explain: bool) -> Report {
        let first = &self.stages[0];
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} GPU{} of {} ({}); {}\n{}; {:?} optimizer",
                format::exact(self.gpus),
                if self.gpus == 1 { "" } else { "s" },
                self.gpu.name,
                self.gpu.id,
                describe(&self.layout),
                self.batch_line(),
                self.optimizer
            )),
            Section::Facts(vec![
                (
                    "parameters per GPU".into(),
                    Cell::Count(first.params),
                    "first stage".into(),
                ),
                (
                    "activations per layer".into(),
                    bytes(first.activations_per_layer),
                    "one micro-batch (Korthikanti et al. 2022), attention scores not stored (FlashAttention)".into(),
                ),
                (
                    "layers in flight".into(),
                    Cell::Number(first.layers_in_flight, ""),
                    "first stage, 1F1B".into(),
                ),
            ]),
            Section::Table {
                title: "Memory per GPU".into(),
                table: self.parts_table(),
            },
            Section::Line(self.verdict()),
        ];
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }

    /// The stage needing most memory (`worst_stage`).
    fn worst(&self) -> &Memory {
        let [first, last] = &self.stages;
        if last.total > first.total {
            last
        } else {
            first
        }
    }

    /// Each part of the worst stage as a formula with its numbers substituted and its source.
    pub fn explain(&self) -> Vec<String> {
        let m = self.worst();
        let b = |x: f64| format::bytes(Information::new::<byte>(x));
        let l = &self.layout;
        let stage = match m.stage {
            Stage::First if l.pp == 1 => "the only stage",
            Stage::First => "the first stage",
            Stage::Last => "the last stage",
        };
        let params = format::count(m.params);
        let sharded = |from: u8| sharding(l, from);
        let weight_bytes = self.gpu.precision.bytes().get::<byte>();
        let state_bytes = self.optimizer.state_bytes();
        let mut lines = vec![
            format!(
                "worst stage: {stage}, {} per GPU of {}",
                b(m.total),
                b(m.capacity)
            ),
            format!(
                "weights = parameters × bytes = {params} × {weight_bytes}{} = {}  \
                 [{} copy for the matrix products: Rajbhandari et al. 2020, §3.1]",
                sharded(3),
                b(m.weights),
                self.gpu.precision.name()
            ),
            format!(
                "gradients = parameters × 2 bytes = {params} × 2{} = {}  \
                 [16-bit gradients: Rajbhandari et al. 2020, §3.1]",
                sharded(2),
                b(m.gradients)
            ),
            format!(
                "optimizer states = parameters × K = {params} × {state_bytes}{} = {}  \
                 [K = {state_bytes} bytes for {:?} (fp32 master weights and states): Rajbhandari et al. 2020, §3.1]",
                sharded(1),
                b(m.optimizer),
                self.optimizer
            ),
        ];
        lines.extend(self.activation_relations(m));
        lines.push(format!(
            "reserve = {}  [kept free for the framework, communication buffers and fragmentation, as --reserve asks]",
            b(m.reserve)
        ));
        lines.push(format!(
            "total = weights + gradients + optimizer states + activations + {} + reserve = {}",
            m.parts()[4].0,
            b(m.total)
        ));
        lines
    }

    /// Activations of the layers in flight and of the stage's edge, with their numbers and sources.
    fn activation_relations(&self, m: &Memory) -> Vec<String> {
        let b = |x: f64| format::bytes(Information::new::<byte>(x));
        let l = &self.layout;
        let (s, mb) = (self.workload.seq_len, l.micro_batch);
        let kept = kept_per_layer(l);
        let (in_flight, layers) = self.in_flight(m);
        vec![
            format!(
                "activations per layer = {kept}, s = {s} / CP {}, b = {mb}, TP {} = {}  \
                 [Korthikanti et al. 2022, eq. 1–3; the 5·a·s²·b bytes of attention scores are not stored, \
                 as FlashAttention-style kernels recompute them (Dao et al. 2022, §3.1)]",
                l.cp,
                l.tp,
                b(m.activations_per_layer)
            ),
            format!(
                "layers in flight = {in_flight} = {}  [1F1B: Narayanan et al. 2021, §2.2; Korthikanti et al. 2022, §4.2.3]",
                format::sig3(layers)
            ),
            format!(
                "activations = activations per layer × layers in flight = {} × {} = {}",
                b(m.activations_per_layer),
                format::sig3(layers),
                b(m.activations)
            ),
            format!(
                "{} = {}  [{}: Korthikanti et al. 2022, §4.2.3]",
                m.parts()[4].0,
                b(m.edge_activations),
                match (m.stage, l.pp) {
                    (Stage::First, 1) =>
                        "the embedding output's 1-byte dropout mask per micro-batch in flight, and the fp32 logits for the loss, 4·s·b·vocabulary/TP bytes",
                    (Stage::First, _) =>
                        "the embedding output's 1-byte dropout mask per micro-batch in flight",
                    (Stage::Last, _) => "the fp32 logits for the loss, 4·s·b·vocabulary/TP bytes",
                }
            ),
        ]
    }

    /// How many layers' activations stage `m` holds, in words and in number (1F1B).
    fn in_flight(&self, m: &Memory) -> (String, f64) {
        let l = &self.layout;
        if m.stage == Stage::Last {
            (
                "the last stage's layers × 1 micro-batch (it starts each backward at once)"
                    .to_string(),
                m.layers_in_flight,
            )
        } else if l.interleave > 1 && m.micro_batches >= l.pp {
            let text = format!(
                "layers per stage × PP × (1 + (PP − 1)/(PP × v)) with PP = {}, v = {} chunks",
                l.pp, l.interleave
            );
            (text, m.layers_in_flight)
        } else {
            let text = format!(
                "layers per stage × min(PP, micro-batches) = layers per stage × min({}, {})",
                l.pp, m.micro_batches
            );
            (text, m.layers_in_flight)
        }
    }

    /// The sequences a step runs and the micro-batches behind them; when the batch asked for is not a
    /// multiple of DP × micro-batch, what runs is said beside it.
    fn batch_line(&self) -> String {
        let w = &self.workload;
        let m = self.stages[0].micro_batches;
        let running = self.layout.dp * self.layout.micro_batch * m;
        let per_step = format!(
            "{} of {} tokens per step, {} per replica",
            counted(running, "sequence", "sequences"),
            w.seq_len,
            counted(m, "micro-batch", "micro-batches"),
        );
        if running == w.global_batch {
            per_step
        } else {
            format!(
                "{per_step} ({} asked for; a step runs a whole number of micro-batches on every replica)",
                w.global_batch
            )
        }
    }

    /// Memory of the first and last pipeline stage, part by part. People read the embedding row as
    /// `embedding / logits activations`; CSV keeps the part's own name.
    fn parts_table(&self) -> Table {
        let mut table = Table::with_columns(vec![
            Column::csv("part"),
            Column::people("part"),
            Column::new("first stage", "first_stage_bytes"),
            Column::new("last stage", "last_stage_bytes"),
        ]);
        let [first, last] = self.stages;
        for ((name, a), (_, b)) in first.parts().into_iter().zip(last.parts()) {
            let shown = if name == "embedding activations" {
                "embedding / logits activations"
            } else {
                name
            };
            table.push(vec![name.into(), shown.into(), bytes(a), bytes(b)]);
        }
        table.push(vec![
            "total".into(),
            "total".into(),
            bytes(first.total),
            bytes(last.total),
        ]);
        table
    }

    /// Whether the layout fits, with the headroom or the overflow.
    fn verdict(&self) -> String {
        match &self.overflow {
            None => format!(
                "fits: {} per GPU of {}, {} free",
                format::bytes(Information::new::<byte>(self.per_gpu_bytes)),
                format::bytes(Information::new::<byte>(self.capacity_bytes)),
                format::bytes(Information::new::<byte>(self.headroom_bytes)),
            ),
            Some(overflow) => format!("does not fit: {overflow}"),
        }
    }
}

/// One line describing a layout.
/// How the GPUs are split, in short: `TP 8 × PP 16 × DP 64`, with CP and EP where used.
pub fn split(l: &Layout) -> String {
    let mut out = format!("TP {}", l.tp);
    if l.cp > 1 {
        out += &format!(" × CP {}", l.cp);
    }
    out += &format!(" × PP {} × DP {}", l.pp, l.dp);
    if l.ep > 1 {
        out += &format!(" (EP {})", l.ep);
    }
    out
}

/// How ZeRO stage `from` and up divides a model state of `l`, as a factor in words.
fn sharding(l: &Layout, from: u8) -> String {
    if l.zero < from {
        return format!(" (whole: ZeRO-{} shards it from stage {from})", l.zero);
    }
    let experts = if l.ep > 1 {
        "; experts' ÷ DP × CP / EP"
    } else {
        ""
    };
    let replicas = if l.replicas > 1 {
        format!(" / {} replica groups", l.replicas)
    } else {
        String::new()
    };
    format!(
        " ÷ {} (DP × CP{replicas}, ZeRO-{}{experts})",
        l.shard_ranks(),
        l.zero
    )
}

/// The activation bytes a layer of `l` keeps, as a formula in words.
fn kept_per_layer(l: &Layout) -> String {
    match (l.recompute, l.sp, l.recompute_layers) {
        (Recompute::Full, sp, Some(k)) => format!(
            "the mean over a stage whose {k} recomputed layers keep only their input, 2·s·b·h{} \
             bytes, and whose others keep {} bytes (q = heads × head dim, f = MLP width) \
             [Megatron-LM --recompute-method block]",
            if sp { "/TP" } else { "" },
            if sp {
                "s·b·(10·h + 4·q + f)/TP"
            } else {
                "s·b·(10·h + (4·q + f)/TP)"
            }
        ),
        (Recompute::Full, sp, None) => format!(
            "2·s·b·h{} bytes (full recompute keeps only the layer input)",
            if sp { "/TP" } else { "" }
        ),
        (_, true, _) => {
            "s·b·(10·h + 4·q + f)/TP bytes (sequence parallelism) + K/V heads replicated \
                      over TP (q = heads × head dim, f = MLP width)"
                .to_string()
        }
        (_, false, _) => {
            "s·b·(10·h + (4·q + f)/TP) bytes + K/V heads replicated over TP (q = heads × \
                       head dim, f = MLP width)"
                .to_string()
        }
    }
}

pub fn describe(l: &Layout) -> String {
    let recompute = match (l.recompute, l.recompute_layers) {
        (Recompute::None, _) => "no recompute".to_string(),
        (Recompute::Selective, _) => "selective recompute".to_string(),
        (Recompute::Full, None) => "full recompute".to_string(),
        (Recompute::Full, Some(k)) => format!(
            "full recompute of {} per stage",
            super::counted(k, "layer", "layers")
        ),
    };
    format!(
        "TP {}{} × PP {} × DP {}{}{}, ZeRO-{}{}, {recompute}, micro-batch {}{}",
        l.tp,
        if l.cp > 1 {
            format!(" × CP {}", l.cp)
        } else {
            String::new()
        },
        l.pp,
        l.dp,
        if l.ep > 1 {
            format!(" (EP {})", l.ep)
        } else {
            String::new()
        },
        if l.sp { " with SP" } else { "" },
        l.zero,
        if l.replicas > 1 {
            format!(
                " sharded over {} ranks × {} replicas (HSDP)",
                l.shard_ranks(),
                l.replicas
            )
        } else {
            String::new()
        },
        l.micro_batch,
        if l.interleave > 1 {
            format!(", {} chunks per stage", l.interleave)
        } else {
            String::new()
        }
    )
}
