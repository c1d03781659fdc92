//! `llmcalc flops`: forward, backward and training FLOPs per token, with the parts behind them.

use serde::Serialize;

use super::params::ModelInfo;
use crate::domain::claims::ClaimCheck;
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopBreakdown, FlopsOptions, Masking, Per, Recompute};
use crate::domain::model::params;
use crate::domain::units::{Compute, unit::flop};
use crate::error::Result;
use crate::render::{Cell, Report, Section, Table};

/// What `llmcalc flops` was asked for; the sequence length defaults to the model's context.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlopsRequest {
    pub seq_len: Option<u64>,
    pub target_len: Option<u64>,
    pub masking: Masking,
    pub recompute: Recompute,
}

/// The result of `llmcalc flops`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlopsResult {
    pub model: ModelInfo,
    pub total_params: u64,
    pub active_params: u64,
    #[serde(flatten)]
    pub flops: FlopBreakdown,
    /// The preset's published FLOPs per token (forward) against the computed one.
    pub claims: Vec<ClaimCheck>,
}

/// Counts a model's FLOPs per token.
pub fn flops(model: &Model, request: &FlopsRequest) -> Result<FlopsResult> {
    let arch = model.architecture("counting FLOPs")?;
    let params = params::count(&model.id, arch)?;
    let options = FlopsOptions::new(
        arch,
        request.seq_len,
        request.target_len,
        request.masking,
        request.recompute,
    )?;
    let flops = flops::count(arch, &params, &options);
    let claims = ClaimCheck::new(
        "forward_flops_per_token",
        model.claims.forward_flops_per_token.as_ref(),
        flops.forward_flops_per_token.get::<flop>(),
    )
    .into_iter()
    .collect();
    Ok(FlopsResult {
        model: ModelInfo::new(model, arch),
        total_params: params.total_params,
        active_params: params.active_params,
        flops,
        claims,
    })
}

fn per_name(per: Per) -> &'static str {
    match per {
        Per::Token => "token",
        Per::Input => "input token",
        Per::Target => "target token",
    }
}

impl FlopsResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let f = &self.flops;
        let flop_cell = |c: Compute| Cell::Flop(c);
        let mut table = Table::new(&[
            ("part", "part"),
            ("stack", "stack"),
            ("per", "per"),
            ("per layer", "per_layer_flop"),
            ("layers", "layers"),
            ("forward", "forward_flop"),
            ("training (3×)", "training_flop"),
        ]);
        for part in &f.parts {
            table.push(vec![
                part.part.into(),
                part.stack.map_or(Cell::Empty, Cell::from),
                per_name(part.per).into(),
                flop_cell(part.per_layer),
                Cell::Exact(part.layers),
                flop_cell(part.forward),
                flop_cell(part.forward * 3.0),
            ]);
        }
        let masking = match f.masking {
            Masking::Full => "attention counted over the full sequence (PaLM, App. B)",
            Masking::Causal => {
                "attention counted with a causal mask: half the keys (Kaplan et al. 2020)"
            }
        };
        let length = match f.target_len {
            Some(target) => format!(
                "{} input and {target} target tokens per sequence",
                f.seq_len
            ),
            None => format!("sequence length {}", f.seq_len),
        };
        let recompute = match f.recompute {
            Recompute::None => "no recompute",
            Recompute::Selective => "selective recompute: attention scores and context again",
            Recompute::Full => "full recompute: one more forward pass",
        };
        let forward = f.forward_flops_per_token.get::<flop>();
        let share = if forward > 0.0 {
            f.attention_flops_per_token.get::<flop>() / forward
        } else {
            0.0
        };
        let mut facts = vec![
            (
                "forward".into(),
                flop_cell(f.forward_flops_per_token),
                "per token".into(),
            ),
            (
                "backward".into(),
                flop_cell(f.backward_flops_per_token),
                "2 × forward".into(),
            ),
            (
                "training (model FLOPs)".into(),
                flop_cell(f.training_flops_per_token),
                "forward + backward".into(),
            ),
            (
                "hardware FLOPs".into(),
                flop_cell(f.hardware_flops_per_token),
                recompute.into(),
            ),
            (
                "attention over the context".into(),
                Cell::Percent(share),
                "of forward".into(),
            ),
        ];
        if let Some(six_n) = f.six_n_flops_per_token {
            facts.push((
                "6N rule (no attention)".into(),
                flop_cell(six_n),
                "N = active non-embedding params (Kaplan et al. 2020)".into(),
            ));
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Line(format!("{length}; {masking}.")),
            Section::Facts(facts),
            Section::Table {
                title: "Forward FLOPs per token by part".into(),
                table: table.clone(),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: super::params::claims_table(&self.claims, |x| {
                    Cell::Flop(Compute::new::<flop>(x))
                }),
            });
        }
        Report {
            sections,
            csv: table,
        }
    }
}
