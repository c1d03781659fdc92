//! `llmcalc plan`: the fastest layouts that fit, with their step time and memory, MFU, days and cost.

use serde::Serialize;

use super::memory::{Setup, bytes, describe};
use super::params::ModelInfo;
use super::train::GpuInfo;
use crate::domain::parallel::{self, Candidate};
use crate::domain::units::format;
use crate::domain::units::unit::{dollar_per_hour, second};
use crate::domain::units::{MoneyRate, Time};
use crate::error::{Error, Result};
use crate::render::{Cell, Report, Section, Table};

/// One ranked layout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanRow {
    pub rank: usize,
    #[serde(flatten)]
    pub candidate: Candidate,
    /// Days to train on the tokens, at the estimated step time.
    pub training_seconds: Option<f64>,
    pub cost_usd: Option<f64>,
}

/// The result of `llmcalc plan`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanResult {
    pub model: ModelInfo,
    pub gpu: GpuInfo,
    pub gpus: u64,
    pub tokens: Option<f64>,
    pub seq_len: u64,
    pub global_batch: u64,
    pub kernel_efficiency: f64,
    pub network_bytes_per_second: f64,
    pub dp_overlap: f64,
    pub price_usd_per_gpu_hour: Option<f64>,
    pub evaluated: u64,
    pub fitting: u64,
    pub layouts: Vec<PlanRow>,
}

/// Searches the layouts of `gpus` GPUs and ranks the fitting ones.
pub fn plan(
    setup: &Setup,
    gpus: u64,
    tokens: Option<f64>,
    price: Option<MoneyRate>,
    top: usize,
) -> Result<PlanResult> {
    if gpus == 0 || top == 0 {
        return Err(Error::Argument {
            argument: "--gpus / --top".into(),
            message: "must be at least 1".into(),
        });
    }
    let search = parallel::search(
        &setup.shape,
        gpus,
        &setup.workload,
        &setup.memory,
        &setup.step,
        top,
    );
    let price = price.or(setup.gpu.price.as_ref().map(|p| p.per_gpu_hour));
    let per_hour = price.map(|p| p.get::<dollar_per_hour>());
    let layouts = search
        .best
        .into_iter()
        .enumerate()
        .map(|(i, candidate)| {
            let training = tokens.map(|t| t / candidate.tokens_per_step * candidate.step.total);
            PlanRow {
                rank: i + 1,
                candidate,
                training_seconds: training,
                cost_usd: training
                    .zip(per_hour)
                    .map(|(s, p)| s / 3600.0 * gpus as f64 * p),
            }
        })
        .collect();
    Ok(PlanResult {
        model: setup.model.clone(),
        gpu: setup.gpu_info(),
        gpus,
        tokens,
        seq_len: setup.workload.seq_len,
        global_batch: setup.workload.global_batch,
        kernel_efficiency: setup.step.kernel_efficiency,
        network_bytes_per_second: setup.step.network,
        dp_overlap: setup.step.dp_overlap,
        price_usd_per_gpu_hour: per_hour,
        evaluated: search.evaluated,
        fitting: search.fitting,
        layouts,
    })
}

fn seconds(s: f64) -> Cell {
    Cell::Value(format::time(Time::new::<second>(s)))
}

impl PlanResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let mut text = Table::new(&[
            ("#", "rank"),
            ("layout", "layout"),
            ("step", "step_seconds"),
            ("compute", "compute_seconds"),
            ("bubble", "bubble_seconds"),
            ("TP comm", "tensor_parallel_seconds"),
            ("DP comm", "data_parallel_seconds"),
            ("EP comm", "expert_parallel_seconds"),
            ("batch", "sequences_per_step"),
            ("memory/GPU", "per_gpu_bytes"),
            ("MFU", "mfu"),
            ("training", "training_seconds"),
            ("cost", "cost_usd"),
        ]);
        let mut csv = text.clone();
        for row in &self.layouts {
            let c = &row.candidate;
            let s = &c.step;
            text.push(vec![
                Cell::Exact(row.rank as u64),
                Cell::Text(describe(&c.layout)),
                seconds(s.total),
                seconds(s.compute),
                seconds(s.bubble),
                seconds(s.tensor_parallel),
                seconds(s.data_parallel),
                seconds(s.expert_parallel),
                Cell::Exact((c.tokens_per_step / self.seq_len as f64) as u64),
                bytes(c.memory.total),
                Cell::Percent(c.mfu),
                row.training_seconds.map_or(Cell::Empty, seconds),
                row.cost_usd.map_or(Cell::Empty, |c| {
                    Cell::Value(format::money(crate::domain::units::Money::new::<
                        crate::domain::units::unit::dollar,
                    >(c)))
                }),
            ]);
            let raw = |v: f64| Cell::Text(v.to_string());
            csv.push(vec![
                Cell::Exact(row.rank as u64),
                Cell::Text(describe(&c.layout)),
                raw(s.total),
                raw(s.compute),
                raw(s.bubble),
                raw(s.tensor_parallel),
                raw(s.data_parallel),
                raw(s.expert_parallel),
                raw(c.tokens_per_step / self.seq_len as f64),
                raw(c.memory.total),
                raw(c.mfu),
                row.training_seconds.map_or(Cell::Empty, raw),
                row.cost_usd.map_or(Cell::Empty, raw),
            ]);
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!(
                "{} GPUs of {} ({}), {} dense peak; up to {} sequences of {} tokens per step (the batch each layout \
                 runs is the largest multiple of DP × micro-batch within it)\n\
                 step time = compute at {} of peak + pipeline bubble + tensor-, data- and expert-parallel \
                 communication (network {} per GPU, {} of the data-parallel reduction overlapped)",
                format::exact(self.gpus),
                self.gpu.name,
                self.gpu.id,
                format::compute_rate(self.gpu.peak_flops_per_second),
                self.global_batch,
                self.seq_len,
                format::percent(self.kernel_efficiency),
                format::bandwidth(crate::domain::units::Bandwidth::new::<
                    crate::domain::units::unit::byte_per_second,
                >(self.network_bytes_per_second)),
                format::percent(self.dp_overlap),
            )),
            Section::Line(format!(
                "{} layouts evaluated, {} fit",
                format::exact(self.evaluated),
                format::exact(self.fitting)
            )),
        ];
        if self.layouts.is_empty() {
            sections.push(Section::Line(
                "no layout fits: more GPUs, a larger GPU, or a smaller global batch".into(),
            ));
        } else {
            sections.push(Section::Table {
                title: format!("The {} fastest layouts that fit", self.layouts.len()),
                table: text,
            });
        }
        Report { sections, csv }
    }
}
