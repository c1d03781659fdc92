//! How `serve` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::units::format;
use crate::domain::units::unit::{byte, dollar_per_hour, second};
use crate::domain::units::{Information, MoneyRate, Time};
use crate::render::{Cell, Report, Section, Table};

use crate::app::serve::*;

fn secs(s: f64) -> Cell {
    Cell::Value(format::time(Time::new::<second>(s)))
}

fn bytes(b: f64) -> Cell {
    Cell::Value(format::bytes(Information::new::<byte>(b)))
}

impl ServeResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let d = &self.decode;
        let mut facts: Vec<(String, Cell, String)> = vec![
            (
                "weights per GPU".into(),
                bytes(self.weight_bytes_per_gpu),
                format!("{:?}", self.weights).to_lowercase(),
            ),
            (
                "KV cache per token".into(),
                bytes(self.kv_cache_bytes_per_token),
                "2 × layers × kv heads × head dim × bytes".into(),
            ),
            (
                "KV cache per sequence".into(),
                bytes(self.kv_cache_bytes_per_sequence),
                format!("{} tokens", self.prompt_tokens + self.output_tokens),
            ),
            (
                "KV cache per batch".into(),
                bytes(self.kv_cache_bytes_per_batch),
                format!("{} sequences", self.batch),
            ),
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
            (
                "time to first token".into(),
                secs(self.time_to_first_token_seconds),
                "prefill, compute-bound".into(),
            ),
            (
                "decode per token".into(),
                secs(self.decode_seconds_per_token),
                format!("{}-bound", d.bound),
            ),
            (
                "tokens/s per sequence".into(),
                Cell::Count(self.tokens_per_second_per_sequence),
                String::new(),
            ),
            (
                "tokens/s per GPU".into(),
                Cell::Count(self.tokens_per_second_per_gpu),
                String::new(),
            ),
            (
                "time per request".into(),
                secs(self.request_seconds),
                format!(
                    "first token + {} × decode",
                    self.output_tokens.saturating_sub(1)
                ),
            ),
        ];
        if let Some(t) = d.experts_touched {
            facts.push((
                "experts touched per layer".into(),
                Cell::Value(format::sig3(t)),
                "E·(1 − (1 − k/E)^B)".into(),
            ));
        }
        if let (Some(i), Some(o), Some(p)) = (
            self.cost_per_million_input_tokens_usd,
            self.cost_per_million_output_tokens_usd,
            self.price_usd_per_gpu_hour,
        ) {
            let price = format::money_rate(MoneyRate::new::<dollar_per_hour>(p));
            facts.push((
                "cost per 1M input tokens".into(),
                Cell::Value(format!("${i:.3}")),
                format!("at {price} per GPU"),
            ));
            facts.push((
                "cost per 1M output tokens".into(),
                Cell::Value(format!("${o:.3}")),
                format!("at {price} per GPU"),
            ));
        }
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
                Cell::Value(format::sig3(d.arithmetic_intensity)),
            ),
            (
                "GPU ridge point (FLOP/byte)",
                Cell::Value(format::sig3(d.ridge_point)),
            ),
        ];
        let mut csv = Table::new(&[("decode step", "term"), ("value", "value")]);
        let raw = [
            d.stage_seconds,
            d.weight_bytes_read,
            d.kv_bytes_read,
            d.memory_bound_seconds,
            d.compute_bound_seconds,
            d.communication_seconds,
            d.arithmetic_intensity,
            d.ridge_point,
        ];
        for ((name, cell), value) in rows.into_iter().zip(raw) {
            table.push(vec![name.into(), cell]);
            csv.push(vec![name.into(), Cell::Text(value.to_string())]);
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} × {} ({}), TP {} × PP {}, replicas: {}; batch {} of {} prompt + {} output tokens; {} peak {}",
                self.gpus,
                self.gpu.name,
                self.gpu.id,
                self.tp,
                self.pp,
                self.replicas,
                self.batch,
                self.prompt_tokens,
                self.output_tokens,
                self.gpu.precision.name(),
                format::compute_rate(self.gpu.peak_flops_per_second),
            )),
            Section::Facts(facts),
            Section::Table {
                title: format!(
                    "Decode step of one pipeline stage for a micro-batch of {} sequences at a mean context of {} \
                     tokens (the longer bound, plus communication; a token's latency is PP × this)",
                    d.micro_batch,
                    self.prompt_tokens + self.output_tokens / 2
                ),
                table,
            },
        ];
        if let Some(overflow) = &self.overflow {
            sections.push(Section::Line(format!("does not fit: {overflow}")));
        }
        if let Some(s) = &self.speculative {
            let e = &s.expectation;
            sections.push(Section::Facts(vec![
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
                    Cell::Value(format::sig3(e.cost_ratio)),
                    "draft step / target step".into(),
                ),
                (
                    "tokens per target step".into(),
                    Cell::Value(format::sig3(e.tokens_per_step)),
                    format!(
                        "(1 − α^(γ+1))/(1 − α), α {}, γ {}",
                        e.acceptance, e.lookahead
                    ),
                ),
                (
                    "speedup".into(),
                    Cell::Value(format!("{}×", format::sig3(e.speedup))),
                    "Leviathan et al. 2023, Thm. 3.8".into(),
                ),
                (
                    "decode per token".into(),
                    secs(s.decode_seconds_per_token),
                    "with speculation".into(),
                ),
            ]));
        }
        Report::with_csv(sections, csv)
    }
}
