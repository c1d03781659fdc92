//! How `flops` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::model::flops::{FlopBreakdown, Masking, Per, Recompute};
use crate::domain::units::{Compute, format, unit::flop};
use crate::render::params::claims_table;
use crate::render::{Cell, Report, Section, Table};

use crate::app::flops::*;

fn per_name(per: Per) -> &'static str {
    match per {
        Per::Token => "token",
        Per::Input => "input token",
        Per::Target => "target token",
    }
}

/// Forward FLOPs per token by part: the breakdown.
fn parts_table(f: &FlopBreakdown) -> Table {
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
            part.stack.map_or(Cell::Empty, |s| Cell::from(s.name())),
            per_name(part.per).into(),
            Cell::Flop(part.per_layer),
            Cell::Exact(part.layers),
            Cell::Flop(part.forward),
            Cell::Flop(part.forward * 3.0),
        ]);
    }
    table
}

/// The sequence and how attention is counted over it.
fn setting(f: &FlopBreakdown) -> String {
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
    format!("{length}; {masking}.")
}

/// FLOPs per token: forward, backward, training, hardware, and the share of attention.
fn facts(f: &FlopBreakdown) -> Vec<(String, Cell, String)> {
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
    let fact = |label: &str, value: Cell, remark: &str| (label.into(), value, remark.into());
    let mut facts = vec![
        fact(
            "forward",
            Cell::Flop(f.forward_flops_per_token),
            "per token",
        ),
        fact(
            "backward",
            Cell::Flop(f.backward_flops_per_token),
            "2 × forward",
        ),
        fact(
            "training (model FLOPs)",
            Cell::Flop(f.training_flops_per_token),
            "forward + backward",
        ),
        fact(
            "hardware FLOPs",
            Cell::Flop(f.hardware_flops_per_token),
            recompute,
        ),
        fact(
            "attention over the context",
            Cell::Percent(share),
            "of forward",
        ),
    ];
    if let Some(six_n) = f.six_n_flops_per_token {
        facts.push(fact(
            "6N rule (no attention)",
            Cell::Flop(six_n),
            "N = active non-embedding params (Kaplan et al. 2020)",
        ));
    }
    facts
}

impl FlopsResult {
    /// Each part's formula with its numbers and source, then forward, backward, training, hardware
    /// and the 6N rule.
    pub fn explain(&self) -> Vec<String> {
        let f = &self.flops;
        let c = |x: Compute| format::compute(x);
        let mut lines: Vec<String> = f
            .parts
            .iter()
            .map(|part| {
                let (formula, source) = if part.context_attention {
                    (
                        "2 × context × d_attn per layer (halved with a causal mask)",
                        "Kaplan et al. 2020, Table 1; Chowdhery et al. 2022, App. B",
                    )
                } else {
                    (
                        "2 × the weights multiplied (a multiply-add is two FLOPs)",
                        "Kaplan et al. 2020, Table 1 and eq. 2.2",
                    )
                };
                let stack = part
                    .stack
                    .map_or(String::new(), |s| format!(" ({})", s.name()));
                format!(
                    "{}{stack} = {formula} = {} × {} = {} per {}  [{source}]",
                    part.part,
                    c(part.per_layer),
                    crate::render::counted(part.layers, "layer", "layers"),
                    c(part.forward),
                    per_name(part.per)
                )
            })
            .collect();
        lines.push(format!(
            "forward = the sum of the parts = {}; backward = 2 × forward = {}; training = forward + backward = {}  \
             [Kaplan et al. 2020, §2.1]",
            c(f.forward_flops_per_token),
            c(f.backward_flops_per_token),
            c(f.training_flops_per_token)
        ));
        lines.push(format!(
            "hardware = training + recomputed forward work = {}  [Chowdhery et al. 2022, App. B; Korthikanti et al. 2022, §5]",
            c(f.hardware_flops_per_token)
        ));
        if let Some(six_n) = f.six_n_flops_per_token {
            lines.push(format!(
                "6N = 6 × active non-embedding parameters = 6 × {} = {}, without attention  [Kaplan et al. 2020, §2.1]",
                format::count(six_n.get::<flop>() / 6.0),
                c(six_n)
            ));
        }
        lines
    }

    /// The report for people and CSV; the breakdown by part is the CSV.
    pub fn report(&self, explain: bool) -> Report {
        let f = &self.flops;
        let mut sections = vec![
            self.model.heading(),
            Section::Line(setting(f)),
            Section::Facts(facts(f)),
            Section::Table {
                title: "Forward FLOPs per token by part".into(),
                table: parts_table(f),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: claims_table(&self.claims, |x| Cell::Flop(Compute::new::<flop>(x))),
            });
        }
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }
}
