//! How `serve` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::format;
use crate::domain::units::unit::{byte, dollar_per_hour, second};
use crate::domain::units::{Information, MoneyRate, Time};
use crate::render::{Cell, Report, Section, Table};

use crate::app::serve::*;
use crate::domain::serving::{
    Engine, GRAPH_KERNEL_OVERHEAD, ONE_SHOT_LATENCY, SEQUENCE_OVERHEAD, STEP_OVERHEAD, Spread,
    SteadyState,
};

fn secs(s: f64) -> Cell {
    Cell::Time(Time::new::<second>(s))
}

fn bytes(b: f64) -> Cell {
    Cell::Bytes(Information::new::<byte>(b))
}

/// A headline figure: label, value and remark.
type Fact = (String, Cell, String);

impl ServeResult {
    /// The report for people and CSV: the set-up, headline figures, the decode step (the CSV
    /// breakdown) and, with a draft model, the speculative-decoding figures.
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = vec![self.model.heading(), Section::Line(self.setup())];
        // A batch that does not fit has no throughput or cost to show: what does not fit comes first.
        match &self.overflow {
            Some(overflow) => sections.extend([
                Section::Facts(self.memory_facts()),
                Section::Line(format!("does not fit: {overflow}")),
            ]),
            None => sections.push(Section::Facts(self.facts())),
        }
        sections.push(Section::Table {
            title: format!(
                "Decode step of one pipeline stage for a micro-batch of {} sequences at a mean context of {} \
                 tokens (the longer bound, plus communication; a token's latency is PP × this)",
                self.decode.micro_batch,
                self.prompt_tokens + self.output_tokens / 2
            ),
            table: self.decode_table(),
        });
        if let (Some(s), None) = (&self.speculative, &self.overflow) {
            sections.push(Section::Facts(speculative_facts(s)));
        }
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }

    /// Tokens a sequence reserves: prompt + output, or a workload's mean over the slots.
    fn context(&self) -> u64 {
        self.workload
            .as_ref()
            .map_or(self.prompt_tokens + self.output_tokens, |w| {
                w.summary.reserved_tokens_per_sequence.ceil() as u64
            })
    }

    /// One line naming the GPUs, the layout and the batch.
    fn setup(&self) -> String {
        format!(
            "{} × {} ({}), TP {} × PP {}{}, replicas: {}; batch {} of {} prompt + {} output tokens{}; {} peak {}",
            self.gpus,
            self.gpu.name,
            self.gpu.id,
            self.tp,
            self.pp,
            self.experts_and_attention(),
            self.replicas,
            self.batch,
            self.prompt_tokens,
            self.output_tokens,
            if self.workload.is_some() {
                " (the workload's means)"
            } else {
                ""
            },
            self.gpu.precision.name(),
            format::compute_rate(self.gpu.peak_flops_per_second),
        )
    }

    /// The expert-parallel and attention data-parallel split of the TP GPUs, when there is one.
    fn experts_and_attention(&self) -> String {
        let mut parts = String::new();
        if self.ep > 1 {
            parts += &format!(", EP {}", self.ep);
        }
        if self.attention_dp > 1 {
            parts += &format!(", attention DP {}", self.attention_dp);
        }
        parts
    }

    /// Headline figures: memory, limits, latency and throughput, then the experts a batch touches
    /// and the cost per token when they apply.
    fn facts(&self) -> Vec<Fact> {
        let mut facts = self.memory_facts();
        facts.extend(self.workload_facts());
        facts.extend(self.continuous_facts());
        facts.extend(self.arrival_facts());
        facts.extend(self.disaggregated_facts());
        facts.extend(self.speed_facts());
        if let Some(t) = self.decode.experts_touched {
            facts.push((
                "experts touched per layer".into(),
                Cell::Number(t, ""),
                "E·(1 − (1 − k/E)^B)".into(),
            ));
        }
        facts.extend(self.cost_facts());
        facts
    }

    /// Weights, KV cache and memory per GPU (with a draft's), and the largest batch and context that
    /// fit.
    fn memory_facts(&self) -> Vec<Fact> {
        let mut facts = self.weight_and_kv_facts();
        facts.extend(self.draft_fact());
        facts.extend(self.pool_facts());
        facts.extend(self.fit_facts());
        facts
    }

    /// The target's weights per GPU, and its KV cache per token, per sequence and per batch: what
    /// the memory per GPU is made of before a draft and an engine's pool.
    fn weight_and_kv_facts(&self) -> Vec<Fact> {
        vec![
            (
                "weights per GPU".into(),
                bytes(self.weight_bytes_per_gpu),
                format!("{:?}", self.weights).to_lowercase(),
            ),
            (
                "KV cache per token".into(),
                bytes(self.kv_cache_bytes_per_token),
                self.kv_cache_formula.clone(),
            ),
            (
                "KV cache per sequence".into(),
                bytes(self.kv_cache_bytes_per_sequence),
                match &self.workload {
                    Some(_) => format!(
                        "{} tokens, E[O·(P + O)] / E[O]: a slot's reservation",
                        self.context()
                    ),
                    None => format!("{} tokens", self.context()),
                },
            ),
            (
                "KV cache per batch".into(),
                bytes(self.kv_cache_bytes_per_batch),
                format!("{} sequences", self.batch),
            ),
        ]
    }

    /// With a draft model: its weights and KV cache on one GPU, which the memory per GPU counts.
    fn draft_fact(&self) -> Option<Fact> {
        self.speculative.as_ref().map(|s| {
            (
                "draft per GPU".into(),
                bytes(s.draft_weight_bytes_per_gpu + s.draft_kv_cache_bytes_per_gpu),
                format!(
                    "{}: weights {} + KV cache {}",
                    s.draft,
                    format::bytes(Information::new::<byte>(s.draft_weight_bytes_per_gpu)),
                    format::bytes(Information::new::<byte>(s.draft_kv_cache_bytes_per_gpu))
                ),
            )
        })
    }

    /// The memory per GPU against the usable memory, and the largest batch and longest context that
    /// fit in it: the limits a user changes the batch or context against.
    fn fit_facts(&self) -> [Fact; 3] {
        [
            (
                "memory per GPU".into(),
                bytes(self.per_gpu_bytes),
                format!(
                    "of {} usable",
                    format::bytes(Information::new::<byte>(self.usable_bytes))
                ),
            ),
            (
                "largest batch".into(),
                Cell::Exact(self.max_batch),
                "at this context".into(),
            ),
            (
                "longest context".into(),
                Cell::Exact(self.max_context),
                "at this batch, within the model's context".into(),
            ),
        ]
    }

    /// With an engine: its KV pool per GPU, in bytes and in tokens.
    fn pool_facts(&self) -> Vec<Fact> {
        let (Some(engine), Some(fraction), Some(workspace)) = (
            self.engine,
            self.memory_fraction,
            self.workspace_bytes_per_gpu,
        ) else {
            return Vec::new();
        };
        let show = |b: f64| format::bytes(Information::new::<byte>(b));
        let rule = match engine {
            Engine::Vllm => format!(
                "vllm: {fraction} × GPU − weights − workspace {}",
                show(workspace)
            ),
            Engine::Sglang => format!("sglang: {fraction} × GPU − weights"),
            Engine::Trtllm => {
                format!(
                    "trtllm: {fraction} × (GPU − weights − workspace {})",
                    show(workspace)
                )
            }
        };
        vec![
            (
                "KV pool per GPU".into(),
                bytes(self.kv_pool_bytes_per_gpu),
                rule,
            ),
            (
                "KV pool".into(),
                Cell::Exact(self.kv_pool_tokens),
                format!("tokens, in blocks of {}", self.kv_block_tokens),
            ),
        ]
    }

    /// Continuous batching in steady state: end-to-end throughput per GPU, TPOT and TTFT.
    fn continuous_facts(&self) -> Vec<Fact> {
        let mut facts: Vec<Fact> = self.targets_fact().into_iter().collect();
        if let Some(c) = &self.continuous_batching {
            facts.extend(self.steady_facts(c));
            facts.extend(self.ttft_p90_fact());
        }
        facts
    }

    /// With latency targets: the most sequences whose steady state meets them, or "none" when not
    /// even one sequence does (and there is no steady state to show).
    fn targets_fact(&self) -> Option<Fact> {
        let t = self.targets()?;
        Some(match &self.continuous_batching {
            Some(c) => (
                "latency targets".into(),
                Cell::Exact(c.concurrency),
                format!("{t}: the most sequences that meet them"),
            ),
            None => (
                "latency targets".into(),
                Cell::Text("none".to_string()),
                format!("{t}: not met by one sequence"),
            ),
        })
    }

    /// The steady state `c` of continuous batching: output tokens/s per GPU, the time per output
    /// token from its mixed prefill-and-decode steps, and the time to first token of a mean prompt.
    fn steady_facts(&self, c: &SteadyState) -> [Fact; 3] {
        [
            (
                "output tokens/s per GPU".into(),
                Cell::Count(c.output_tokens_per_second_per_gpu),
                format!(
                    "continuous batching of {} sequences, prefill included",
                    c.concurrency
                ),
            ),
            (
                "time per output token".into(),
                secs(c.time_per_output_token_seconds),
                format!(
                    "steps of {:.0} tokens, {:.0} of them prefill",
                    c.tokens_per_step, c.prefill_tokens_per_step
                ),
            ),
            (
                "time to first token (steady)".into(),
                secs(c.time_to_first_token_seconds),
                match &self.workload {
                    Some(w) => format!(
                        "the mean prompt of {:.0} tokens, chunked beside the decodes, no queueing",
                        w.summary.prompt_tokens.mean
                    ),
                    None => "chunked prefill beside the decodes, no queueing".into(),
                },
            ),
        ]
    }

    /// With a workload: the steady time to first token of its 90th-percentile prompt, the tail a
    /// mean prompt hides.
    fn ttft_p90_fact(&self) -> Option<Fact> {
        let w = self.workload.as_ref()?;
        let p90 = w.time_to_first_token_p90_seconds?;
        Some((
            "time to first token, p90".into(),
            secs(p90),
            format!(
                "the 90th-percentile prompt of {} tokens, steady, no queueing",
                w.summary.prompt_tokens.p90
            ),
        ))
    }

    /// A workload of several lengths: its rows, and the mean, median and 90th percentile of each.
    fn workload_facts(&self) -> Vec<Fact> {
        let Some(w) = &self.workload else {
            return Vec::new();
        };
        let s = &w.summary;
        let spread = |name: &str, l: &Spread| {
            (
                format!("{name} tokens (mean)"),
                Cell::Number(l.mean, ""),
                format!("p50 {}, p90 {}", l.p50, l.p90),
            )
        };
        vec![
            (
                "workload rows".into(),
                Cell::Exact(s.rows as u64),
                "kinds of request, weighted".into(),
            ),
            spread("prompt", &s.prompt_tokens),
            spread("output", &s.output_tokens),
            (
                "KV held per sequence".into(),
                Cell::Number(s.held_tokens_per_sequence, ""),
                "tokens, E[O·(P + (O + 1)/2)] / E[O]: a slot's cache over time".into(),
            ),
        ]
    }

    /// Requests arriving at a rate: the capacity, the sequences in service and the queueing delay.
    fn arrival_facts(&self) -> Vec<Fact> {
        let Some(a) = &self.arrivals else {
            return Vec::new();
        };
        [
            vec![
                (
                    "requests/s per replica".into(),
                    Cell::Number(a.rate_per_replica, ""),
                    format!(
                        "of {:.3} at most (all sequences that fit); Poisson arrivals",
                        a.capacity_per_replica
                    ),
                ),
                (
                    "sequences in service".into(),
                    Cell::Exact(a.concurrency),
                    format!(
                        "Little's law: rate × {} in service",
                        format::time(Time::new::<second>(a.service_seconds))
                    ),
                ),
            ],
            match (a.queueing_seconds, a.time_to_first_token_seconds) {
                (Some(wait), Some(ttft)) => vec![
                    (
                        "queueing delay".into(),
                        secs(wait),
                        format!(
                            "M/M/c over the KV pool's slots, waits with chance {:.3}",
                            a.wait_probability
                        ),
                    ),
                    (
                        "time to first token (queued)".into(),
                        secs(ttft),
                        "steady time to first token + queueing delay".into(),
                    ),
                ],
                _ => vec![(
                    "queueing delay".into(),
                    Cell::Text("unbounded".into()),
                    "the rate reaches the capacity: the queue grows without end".into(),
                )],
            },
        ]
        .concat()
    }

    /// The latency targets as the report states them, when given.
    fn targets(&self) -> Option<String> {
        let show = |name: &str, t: Option<f64>| {
            t.map(|t| format!("{name} ≤ {}", format::time(Time::new::<second>(t))))
        };
        let parts: Vec<String> = [
            show("TTFT", self.ttft_target_seconds),
            show("TPOT", self.tpot_target_seconds),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Time to first token, decode time, throughput and the time of a whole request.
    fn speed_facts(&self) -> Vec<Fact> {
        vec![
            (
                "time to first token".into(),
                secs(self.time_to_first_token_seconds),
                format!("prefill of the batch of {}, compute-bound", self.batch),
            ),
            (
                "decode per token".into(),
                secs(self.decode_seconds_per_token),
                match &self.speculative {
                    Some(s) => format!(
                        "{}-bound steps, {:.3}× faster with speculation",
                        self.decode.bound, s.expectation.speedup
                    ),
                    None => format!("{}-bound", self.decode.bound),
                },
            ),
            (
                "tokens/s per sequence".into(),
                Cell::Count(self.tokens_per_second_per_sequence),
                String::new(),
            ),
            (
                "decode tokens/s per GPU".into(),
                Cell::Count(self.tokens_per_second_per_gpu),
                format!("batch {}, decode only", self.batch),
            ),
            (
                "time per request".into(),
                secs(self.request_seconds),
                format!(
                    "first token + {} × decode",
                    self.output_tokens.saturating_sub(1)
                ),
            ),
        ]
    }

    /// The cost of a million input and output tokens, when the GPU has a price.
    fn cost_facts(&self) -> Vec<Fact> {
        let (Some(i), Some(o), Some(p)) = (
            self.cost_per_million_input_tokens_usd,
            self.cost_per_million_output_tokens_usd,
            self.price_usd_per_gpu_hour,
        ) else {
            // Asked for a kind of price the preset lacks: say so rather than fall back.
            return match (self.price_basis, &self.no_price) {
                (Some(_), Some(reason)) => vec![(
                    "cost per 1M output tokens".into(),
                    Cell::Text("none".into()),
                    format!("{reason}; --price sets one"),
                )],
                _ => Vec::new(),
            };
        };
        let from = self
            .price_origin
            .as_ref()
            .map_or(String::new(), |o| format!(", from {}", o.describe()));
        let price = format!(
            "{}{from}",
            format::money_rate(MoneyRate::new::<dollar_per_hour>(p))
        );
        vec![
            (
                "cost per 1M input tokens".into(),
                Cell::Dollars(i, 3),
                format!("at {price}"),
            ),
            (
                "cost per 1M output tokens".into(),
                Cell::Dollars(o, 3),
                format!("at {price}"),
            ),
        ]
    }

    /// The terms of one decode step: the breakdown CSV prints.
    fn decode_table(&self) -> Table {
        let d = &self.decode;
        let mut table = Table::new(&[("decode step", "term"), ("value", "value")]);
        let rows: [(&str, Cell); 8] = [
            ("stage time", secs(d.stage_seconds)),
            ("weights read", bytes(d.weight_bytes_read)),
            ("KV cache read", bytes(d.kv_bytes_read)),
            ("memory-bound time", secs(d.memory_bound_seconds)),
            ("compute-bound time", secs(d.compute_bound_seconds)),
            ("tensor-parallel all-reduces", secs(d.communication_seconds)),
            (
                "arithmetic intensity (FLOP/byte)",
                Cell::Number(d.arithmetic_intensity, ""),
            ),
            (
                "GPU ridge point (FLOP/byte)",
                Cell::Number(d.ridge_point, ""),
            ),
        ];
        for (name, cell) in rows {
            table.push(vec![name.into(), cell]);
        }
        table
    }
}

/// Speculative decoding: the draft, the expected tokens per target step and the speedup.
fn speculative_facts(s: &SpeculativeResult) -> Vec<Fact> {
    let e = &s.expectation;
    vec![
        (
            "draft".into(),
            Cell::Text(s.draft.clone()),
            format!(
                "decode {}",
                format::time(Time::new::<second>(s.draft_decode_seconds_per_token))
            ),
        ),
        (
            "cost ratio c".into(),
            Cell::Number(e.cost_ratio, ""),
            "draft step / target step".into(),
        ),
        (
            "tokens per target step".into(),
            Cell::Number(e.tokens_per_step, ""),
            format!(
                "(1 − α^(γ+1))/(1 − α), α {}, γ {}",
                e.acceptance, e.lookahead
            ),
        ),
        (
            "speedup".into(),
            Cell::Number(e.speedup, "×"),
            "Leviathan et al. 2023, Thm. 3.8".into(),
        ),
    ]
}

impl ServeComparison {
    /// One row per GPU: its layout, pool, and continuous batching's throughput, latency and cost.
    pub fn report(&self) -> Report {
        let Some(first) = self.rows.first() else {
            return Report::new(Vec::new());
        };
        let mut table = Table::new(&[
            ("GPU", "gpu"),
            ("TP × PP", "layout"),
            ("KV pool (tokens)", "kv_pool_tokens"),
            ("sequences", "concurrency"),
            (
                "output tokens/s per GPU",
                "output_tokens_per_second_per_gpu",
            ),
            ("TTFT", "time_to_first_token_seconds"),
            ("TPOT", "time_per_output_token_seconds"),
            (
                "$ per 1M output tokens",
                "cost_per_million_output_tokens_usd",
            ),
        ])
        .optional(&["KV pool (tokens)", "TTFT", "sequences"]);
        for r in &self.rows {
            table.push(r.comparison_row());
        }
        Report::new(vec![
            first.model.heading(),
            Section::Line(format!(
                "{} GPUs each; {} prompt + {} output tokens; continuous batching, the TP degree serving \
                 most per GPU unless --tp is given; cost with the prefill included",
                first.gpus, first.prompt_tokens, first.output_tokens
            )),
            Section::Table {
                title: "Serving on each GPU".into(),
                table,
            },
        ])
    }
}

impl ServeResult {
    /// This result as a row of the comparison.
    fn comparison_row(&self) -> Vec<Cell> {
        let c = self.continuous_batching.as_ref();
        let or_empty = |v: Option<Cell>| v.unwrap_or(Cell::Empty);
        // A GPU-hour buys 3600 s of the GPU's output tokens.
        let cost = self
            .price_usd_per_gpu_hour
            .zip(self.output_tokens_per_second_per_gpu)
            .map(|(p, t)| Cell::Dollars(p / 3600.0 / t * 1e6, 3));
        vec![
            Cell::Text(format!("{} ({})", self.gpu.name, self.gpu.id)),
            Cell::Text(format!(
                "{} × {}{}",
                self.tp,
                self.pp,
                self.experts_and_attention()
            )),
            Cell::Exact(self.kv_pool_tokens),
            or_empty(c.map(|c| Cell::Exact(c.concurrency))),
            or_empty(c.map(|c| Cell::Count(c.output_tokens_per_second_per_gpu))),
            or_empty(c.map(|c| secs(c.time_to_first_token_seconds))),
            or_empty(c.map(|c| secs(c.time_per_output_token_seconds))),
            or_empty(cost),
        ]
    }
}

/// Seconds for people.
fn t(s: f64) -> String {
    format::time(Time::new::<second>(s))
}

/// Bytes for people.
fn b(n: f64) -> String {
    format::bytes(Information::new::<byte>(n))
}

impl ServeResult {
    /// Every formula the result uses, with its numbers and its source.
    pub fn explain(&self) -> Vec<String> {
        let mut lines = self.memory_formulas();
        lines.extend(self.static_formulas());
        if let Some(c) = &self.continuous_batching {
            lines.extend(self.continuous_formulas(c));
            lines.extend(host_formulas(c));
        }
        lines.extend(self.arrival_formulas());
        lines.extend(self.disaggregated_formulas());
        lines.extend(self.cost_formulas());
        lines
    }

    /// Weights, KV cache and the pool.
    fn memory_formulas(&self) -> Vec<String> {
        let context = self.context();
        let mut lines = vec![
            format!(
                "weights per GPU = routed experts / TP + other weights / (TP / attention DP), × {} bytes, × \
                 the stage's share of the layers = {} [Shoeybi et al. 2019; Narayanan et al. 2021]",
                format!("{:?}", self.weights).to_lowercase(),
                b(self.weight_bytes_per_gpu)
            ),
            format!(
                "KV cache per token = {} = {} (mean over {context} tokens) [Pope et al. 2022, §2; Ainslie et al. \
                 2023; DeepSeek-V2, §2.1.2; Jiang et al. 2023, §2]",
                self.kv_cache_formula,
                b(self.kv_cache_bytes_per_token)
            ),
            format!(
                "KV cache per GPU = batch {} × {} a sequence × the GPU's share (its KV heads, its stage, its attention \
                 group) = {}",
                self.batch,
                b(self.kv_cache_bytes_per_sequence),
                b(self.kv_cache_bytes_per_gpu)
            ),
        ];
        let pool = match (self.engine, self.memory_fraction) {
            (Some(e), Some(f)) => format!(
                "{:?} rule at fraction {f} (vLLM CacheConfig; SGLang ServerArgs; TensorRT-LLM KvCacheConfig)",
                e
            )
            .to_lowercase(),
            _ => "memory less the reserve".into(),
        };
        lines.push(format!(
            "KV pool per GPU = usable {} − weights {} = {} ({pool}); largest batch = ⌊pool / KV per sequence per \
                 GPU⌋ = {}",
            b(self.usable_bytes),
            b(self.weight_bytes_per_gpu),
            b(self.kv_pool_bytes_per_gpu),
            self.max_batch
        ));
        lines
    }

    /// The static batch: prefill and one decode step.
    fn static_formulas(&self) -> Vec<String> {
        let d = &self.decode;
        vec![
            format!(
                "time to first token (static batch) = prefill FLOPs {} / (TP {} × {} × compute efficiency), over \
                 PP stages = {} [compute-bound prefill; Pope et al. 2022]",
                format::compute(crate::domain::units::Compute::new::<
                    crate::domain::units::unit::flop,
                >(self.prefill_flops)),
                self.tp,
                format::compute_rate(self.gpu.peak_flops_per_second),
                t(self.time_to_first_token_seconds)
            ),
            format!(
                "decode step = max(memory {} (weights {} + KV {} read, over TP), compute {}) + all-reduces {} = {}; a \
                 token = PP {} × it = {} [roofline, Williams et al. 2009; Pope et al. 2022]",
                t(d.memory_bound_seconds),
                b(d.weight_bytes_read),
                b(d.kv_bytes_read),
                t(d.compute_bound_seconds),
                t(d.communication_seconds),
                t(d.stage_seconds),
                self.pp,
                t(d.seconds)
            ),
        ]
    }

    /// Continuous batching in steady state.
    fn continuous_formulas(&self, c: &SteadyState) -> Vec<String> {
        let s = &c.step;
        let (i, o) = (self.prompt_tokens, self.output_tokens);
        vec![
            format!(
                "tokens per step = C/PP × (1 + I/O) / rounds = {} / {} × (1 + {i}/{o}) / {:.3} = {:.1}, {:.1} of them \
                 prefill, within the 8192-token budget [Yu et al. 2022, Orca; Agrawal et al. 2024, Sarathi-Serve]",
                c.concurrency,
                self.pp,
                c.steps_per_round,
                c.tokens_per_step,
                c.prefill_tokens_per_step
            ),
            format!(
                "step = matrix products {} + KV read {} + prefill attention {} + element-wise {} + communication {} + \
                 host {} = {} [training's operation model, src/domain/kernels.rs; all-reduce: the faster of the \
                 ring and a one-shot kernel of {}, sgl-project/sglang PR 2904]",
                t(s.gemm_seconds),
                t(s.kv_read_seconds),
                t(s.prefill_attention_seconds),
                t(s.elementwise_seconds),
                t(s.communication_seconds),
                t(s.overhead_seconds),
                t(s.total()),
                t(ONE_SHOT_LATENCY)
            ),
            format!(
                "time per output token = PP × rounds × step = {} × {:.3} × {} = {}; output tokens/s per GPU = C / TPOT \
                 / (TP × PP) = {} / {} / {} = {:.1}",
                self.pp,
                c.steps_per_round,
                t(s.total()),
                t(c.time_per_output_token_seconds),
                c.concurrency,
                t(c.time_per_output_token_seconds),
                self.tp * self.pp,
                c.output_tokens_per_second_per_gpu
            ),
            format!(
                "time to first token (steady) = ⌈I / free budget⌉ × PP × step = {} [Agrawal et al. 2024]",
                t(c.time_to_first_token_seconds)
            ),
        ]
        .into_iter()
        .chain(self.workload.as_ref().map(|w| {
            format!(
                "workload: I = E[P] = {:.1}, O = E[O] = {:.1} (C/E[O] requests enter a round, Little 1961); decode \
                 reads the KV a slot holds, E[O·(P + (O + 1)/2)] / E[O] = {:.1} tokens; the pool reserves \
                 E[O·(P + O)] / E[O] = {:.1} tokens a sequence [Kwon et al. 2023, vLLM]",
                w.summary.prompt_tokens.mean,
                w.summary.output_tokens.mean,
                w.summary.held_tokens_per_sequence,
                w.summary.reserved_tokens_per_sequence
            )
        }))
        .collect()
    }

    /// Requests arriving at random.
    fn arrival_formulas(&self) -> Vec<String> {
        let Some(a) = &self.arrivals else {
            return Vec::new();
        };
        vec![format!(
            "sequences in service L = λW = {:.3}/s × {} → {} [Little 1961]; wait W_q = C(c, λW) · W/(c − λW), C = {:.3} \
                 [Erlang's C, Kleinrock 1975, §3.5]",
            a.rate_per_replica,
            t(a.service_seconds),
            a.concurrency,
            a.wait_probability
        )]
    }

    /// The price and the cost per token.
    fn cost_formulas(&self) -> Vec<String> {
        let (Some(p), Some(o)) = (
            self.price_usd_per_gpu_hour,
            self.cost_per_million_output_tokens_usd,
        ) else {
            return Vec::new();
        };
        let from = self
            .price_origin
            .as_ref()
            .map_or(String::new(), |o| format!(" [{}]", o.describe()));
        vec![format!(
            "cost per 1M output tokens = ${p}/h × GPU-seconds per token {} / 3600 × 10⁶ = ${o:.3}{from}",
            t(self.decode_seconds_per_token * (self.tp * self.pp) as f64 / self.batch as f64)
        )]
    }
}

/// How the kernels are launched and what the host adds, in continuous batching.
fn host_formulas(c: &SteadyState) -> Vec<String> {
    let s = &c.step;
    vec![
        format!(
            "mixed steps m = requests entering a step × steps a prompt takes = {:.4}: kernels at m × {} eager + \
                 (1 − m) × {} replayed in a CUDA graph [NVIDIA, CUDA Graphs 2019; sgl-project/sglang PR 2904]",
            c.mixed_step_share,
            t(crate::domain::kernels::KernelConstants::CALIBRATED.kernel_overhead),
            t(GRAPH_KERNEL_OVERHEAD)
        ),
        format!(
            "host = m × {} + {} × decoding sequences = {} [fitted on TensorRT-LLM's published throughputs, \
                 tests/llmcalc/serving_calibration.rs]",
            t(STEP_OVERHEAD),
            t(SEQUENCE_OVERHEAD),
            t(s.overhead_seconds)
        ),
    ]
}

impl ServeResult {
    /// Disaggregated prefill and decode beside the co-located figures, when asked.
    fn disaggregated_facts(&self) -> Vec<Fact> {
        let Some(d) = &self.disaggregated else {
            return Vec::new();
        };
        let pools = format!("{}:{} GPUs", d.prefill_gpus, d.decode_gpus);
        vec![
            (
                "disaggregated tokens/s per GPU".into(),
                Cell::Count(d.output_tokens_per_second_per_gpu),
                format!(
                    "prefill:decode {pools}, bound by {}, {} sequences decoding",
                    d.bound, d.decode.concurrency
                ),
            ),
            (
                "disaggregated TTFT".into(),
                secs(d.time_to_first_token_seconds),
                format!(
                    "prefill {} + KV transfer {} of {}",
                    t(d.prefill_seconds),
                    t(d.kv_transfer_seconds),
                    b(d.kv_transfer_bytes)
                ),
            ),
            (
                "disaggregated TPOT".into(),
                secs(d.decode.time_per_output_token_seconds),
                "decode-only steps, replayed as CUDA graphs".into(),
            ),
        ]
    }

    /// The formulas of disaggregated serving.
    fn disaggregated_formulas(&self) -> Vec<String> {
        let Some(d) = &self.disaggregated else {
            return Vec::new();
        };
        vec![
            format!(
                "KV transfer = KV per token × prompt tokens / (NIC × link efficiency × min(P, D)) + latency = {} in \
                 {} [DistServe, Zhong et al. 2024; Splitwise, Patel et al. 2024]",
                b(d.kv_transfer_bytes),
                t(d.kv_transfer_seconds)
            ),
            format!(
                "disaggregated requests/s = min(prefill {:.3}, decode C / (O × TPOT) = {:.3}) = {:.3}; tokens/s per \
                 GPU = requests/s × O / (P + D) = {:.1}",
                d.prefill_requests_per_second,
                d.decode_requests_per_second,
                d.requests_per_second,
                d.output_tokens_per_second_per_gpu
            ),
        ]
    }
}
