//! How `plan` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::kernels::AttentionKernel;
use crate::domain::memory::Layout;
use crate::domain::model::flops::Recompute;
use crate::domain::step::StepTime;
use crate::domain::units::format;
use crate::domain::units::unit::{byte_per_second, dollar, second};
use crate::domain::units::{Bandwidth, Money, Time};
use crate::render::memory::bytes;
use crate::render::memory::describe;
use crate::render::{Cell, Report, Section, Table, counted};

use crate::app::plan::*;

fn seconds(s: f64) -> Cell {
    Cell::Time(Time::new::<second>(s))
}

impl PlanResult {
    /// The report for people and CSV: the set-up, how many layouts fit, and the fastest of them
    /// (the CSV breakdown, printed with its header even when none fits).
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = vec![
            self.model.heading(),
            Section::Line(self.setup()),
            Section::Line(format!(
                "{} layouts evaluated, {} fit",
                format::exact(self.evaluated),
                format::exact(self.fitting)
            )),
        ];
        let table = self.layouts_table();
        if self.layouts.is_empty() {
            sections.push(Section::Line(self.advice()));
            return Report::with_csv(sections, table);
        }
        sections.push(Section::Table {
            title: format!("The {} fastest layouts that fit", self.layouts.len()),
            table,
        });
        if let (Some(p), Some(origin), Some(_)) =
            (self.price_usd_per_gpu_hour, &self.price_origin, self.tokens)
        {
            sections.push(Section::Line(format!(
                "cost at {} per GPU, from {}",
                crate::render::price_per_hour(p),
                origin.describe()
            )));
        }
        if let (Some(why), Some(_)) = (&self.no_price, self.tokens) {
            sections.push(Section::Line(format!("no cost: {why}")));
        }
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }

    /// The best layout's step time, part by part, with its numbers and the source of each part's model.
    pub fn explain(&self) -> Vec<String> {
        let Some(best) = self.layouts.first() else {
            return Vec::new();
        };
        let (c, l) = (&best.candidate, &best.candidate.layout);
        let s = &c.step;
        let t = |x: f64| format::time(Time::new::<second>(x));
        let tokens = format::exact(self.seq_len * l.micro_batch / l.cp);
        let mut lines = vec![
            format!("best layout: {}", describe(l)),
            format!(
                "compute = {}: each matrix product of T = b·s/CP = {tokens} tokens by its shape on the roofline \
                 (large ones at {} of the {} peak), fused attention, element-wise work{}, for {} per replica \
                 [Williams et al. 2009; Dao 2023, §3.1.2; recompute: Korthikanti et al. 2022, §5]",
                t(s.compute),
                format::percent(self.kernel_efficiency),
                format::compute_rate(self.gpu.peak_flops_per_second),
                if l.recompute == Recompute::None {
                    ""
                } else {
                    " and the recompute"
                },
                counted(c.memory.micro_batches, "micro-batch", "micro-batches"),
            ),
            format!(
                "bubble = {}: (PP − 1)/v of a micro-batch's stage time with PP = {}, v = {}, and the first sends \
                 down the pipeline [Narayanan et al. 2021, §2.2]",
                t(s.bubble),
                l.pp,
                l.interleave
            ),
        ];
        lines.extend(self.communication_relations(l, &c.step));
        lines.extend([
            format!(
                "optimizer = {}: 32 bytes per updated parameter (its ZeRO shard) at HBM bandwidth",
                t(s.optimizer)
            ),
            format!(
                "step = compute + bubble + TP + CP + EP + DP + optimizer = {} + {} + {} + {} + {} + {} + {} = {}",
                t(s.compute),
                t(s.bubble),
                t(s.tensor_parallel),
                t(s.context_parallel),
                t(s.expert_parallel),
                t(s.data_parallel),
                t(s.optimizer),
                t(s.total)
            ),
            format!(
                "MFU = model FLOPs of the step's {} tokens / (step × {} × {}) = {}  [Chowdhery et al. 2022, App. B]",
                format::count(c.tokens_per_step),
                counted(self.gpus, "GPU", "GPUs"),
                format::compute_rate(self.gpu.peak_flops_per_second),
                format::percent(c.mfu)
            ),
        ]);
        lines
    }

    /// The communication parts of step `s` of layout `l`, with their numbers and sources.
    fn communication_relations(&self, l: &Layout, s: &StepTime) -> Vec<String> {
        let t = |x: f64| format::time(Time::new::<second>(x));
        let network = format::bandwidth(Bandwidth::new::<byte_per_second>(
            self.network_bytes_per_second,
        ));
        vec![
            format!(
                "TP = {}: 4 all-reduces of T·d 16-bit activations per layer (6 with full recompute) over {}, \
                 {} hidden behind the matrix products [Shoeybi et al. 2019; Korthikanti et al. 2022, §4.2.2]",
                t(s.tensor_parallel),
                counted(l.tp, "rank", "ranks"),
                format::percent(self.tp_overlap)
            ),
            format!(
                "CP = {}: key/value blocks around a ring of {}, hidden behind the attention where it is long \
                 enough [Liu et al. 2023, Ring Attention]",
                t(s.context_parallel),
                counted(l.cp, "rank", "ranks")
            ),
            format!(
                "EP = {}: dispatch and combine all-to-alls over {}, forward and backward, a fitted share \
                 exposed [Lepikhin et al. 2021, GShard]",
                t(s.expert_parallel),
                counted(l.ep, "rank", "ranks")
            ),
            format!(
                "DP = {}: {} over {} ranks (DP × CP{}) at {network} per GPU across nodes, {} hidden behind the \
                 backward pass [Rajbhandari et al. 2020, §5, §7]",
                t(s.data_parallel),
                data_parallel_traffic(l.zero),
                l.shard_ranks(),
                if l.replicas > 1 {
                    format!(
                        " / {} replica groups, whose gradient shards are then all-reduced across the \
                         groups [Zhao et al. 2023, PyTorch FSDP, §3.2.2]",
                        l.replicas
                    )
                } else {
                    String::new()
                },
                format::percent(self.dp_overlap)
            ),
        ]
    }

    /// The GPUs, the batch and what the step time is made of.
    fn setup(&self) -> String {
        format!(
            "{} of {} ({}), {} dense peak; up to {} of {} tokens per step (the batch each layout \
             runs is the largest multiple of DP × micro-batch within it)\n\
             step time = each layer's matrix products (large ones at {} of peak), {} attention and element-wise \
             work + pipeline bubble + tensor-, context-, expert- and data-parallel communication + optimizer \
             (network {} per GPU, {} of the data-parallel and {} of the tensor-parallel traffic overlapped); \
             {}",
            counted(self.gpus, "GPU", "GPUs"),
            self.gpu.name,
            self.gpu.id,
            format::compute_rate(self.gpu.peak_flops_per_second),
            counted(self.global_batch, "sequence", "sequences"),
            self.seq_len,
            format::percent(self.kernel_efficiency),
            match self.attention_kernel {
                AttentionKernel::Fused => "fused (cuDNN, FlashAttention-3)",
                AttentionKernel::FlashAttention2 => "FlashAttention-2",
            },
            format::bandwidth(Bandwidth::new::<byte_per_second>(
                self.network_bytes_per_second
            )),
            format::percent(self.dp_overlap),
            format::percent(self.tp_overlap),
            if self.calibrated_generation {
                "calibrated on measured runs"
            } else {
                "no measured runs on this GPU's generation: Hopper's fitted constants, an extrapolation"
            },
        )
    }

    /// What to change when no layout fits: a batch too small for every split needs a larger batch;
    /// layouts that were evaluated but did not fit need more memory per model copy.
    fn advice(&self) -> String {
        match (self.evaluated, self.smallest_batch) {
            (0, Some(dp)) => format!(
                "no layout fits: the global batch of {} is smaller than the narrowest data-parallel \
                 width the GPUs allow ({dp}); give a global batch of at least {dp} sequences ({} tokens), or \
                 fewer GPUs",
                counted(self.global_batch, "sequence", "sequences"),
                format::exact(dp * self.seq_len)
            ),
            _ => "no layout fits in memory, even with ZeRO-3 and full recompute: more GPUs (more ways to split \
                  the model) or GPUs with more memory"
                .into(),
        }
    }

    /// The layouts, fastest first: step time by part, batch, memory, MFU, and the whole run.
    fn layouts_table(&self) -> Table {
        let mut table = Table::new(&[
            ("#", "rank"),
            ("layout", "layout"),
            ("step", "step_seconds"),
            ("compute", "compute_seconds"),
            ("bubble", "bubble_seconds"),
            ("TP comm", "tensor_parallel_seconds"),
            ("CP comm", "context_parallel_seconds"),
            ("EP comm", "expert_parallel_seconds"),
            ("DP comm", "data_parallel_seconds"),
            ("optimizer", "optimizer_seconds"),
            ("batch", "sequences_per_step"),
            ("memory/GPU", "per_gpu_bytes"),
            ("MFU", "mfu"),
            ("training", "training_seconds"),
            ("cost", "cost_usd"),
        ])
        .optional(&[
            "optimizer",
            "CP comm",
            "EP comm",
            "bubble",
            "TP comm",
            "DP comm",
            "compute",
            "batch",
            "memory/GPU",
        ]);
        for row in &self.layouts {
            let c = &row.candidate;
            let s = &c.step;
            table.push(vec![
                Cell::Exact(row.rank as u64),
                Cell::Text(describe(&c.layout)),
                seconds(s.total),
                seconds(s.compute),
                seconds(s.bubble),
                seconds(s.tensor_parallel),
                seconds(s.context_parallel),
                seconds(s.expert_parallel),
                seconds(s.data_parallel),
                seconds(s.optimizer),
                // Micro-batches × micro-batch × DP sequences: a whole number.
                Cell::Exact((c.tokens_per_step / self.seq_len as f64) as u64),
                bytes(c.memory.total),
                Cell::Percent(c.mfu),
                row.training_seconds.map_or(Cell::Empty, seconds),
                row.cost_usd
                    .map_or(Cell::Empty, |c| Cell::Money(Money::new::<dollar>(c))),
            ]);
        }
        table
    }
}

/// What the data-parallel ranks exchange at ZeRO stage `zero` (Rajbhandari et al. 2020, §5, §7).
fn data_parallel_traffic(zero: u8) -> &'static str {
    match zero {
        0 => "an all-reduce of the fp32 gradients",
        1 | 2 => "a reduce-scatter of the gradients and an all-gather of the weights (ZeRO 1–2)",
        _ => {
            "the weights gathered forward and backward and the gradients reduce-scattered on every micro-batch (ZeRO-3)"
        }
    }
}
