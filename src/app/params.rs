//! `llmcalc params`: parameter totals and the parts behind them, set against published counts.

use serde::Serialize;

use crate::domain::claims::ClaimCheck;
use crate::domain::model::Model;
use crate::domain::model::architecture::{Architecture, Kind};
use crate::domain::model::params::{self, ParamBreakdown};
use crate::error::Result;
use crate::render::{Cell, Report, Section, Table};

/// Who the model is, at the top of every result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelInfo {
    /// The preset name or file path it was loaded by.
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// One line describing the architecture.
    pub architecture: String,
    pub source: String,
}

impl ModelInfo {
    pub fn new(model: &Model, arch: &Architecture) -> Self {
        ModelInfo {
            id: model.id.clone(),
            name: model.name.clone(),
            kind: arch.kind(),
            architecture: describe(arch),
            source: model.source.clone(),
        }
    }
}

impl ModelInfo {
    /// The heading of a report: name, architecture, source.
    pub fn heading(&self) -> Section {
        Section::Line(format!(
            "{} ({})\n{}\nsource: {}",
            self.name, self.id, self.architecture, self.source
        ))
    }
}

/// The result of `llmcalc params`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamsResult {
    pub model: ModelInfo,
    #[serde(flatten)]
    pub params: ParamBreakdown,
    /// The preset's published parameter figures against the computed ones.
    pub claims: Vec<ClaimCheck>,
}

/// Counts a model's parameters and checks them against its claims.
pub fn params(model: &Model) -> Result<ParamsResult> {
    let arch = model.architecture("counting parameters")?;
    let params = params::count(&model.id, arch)?;
    Ok(ParamsResult {
        model: ModelInfo::new(model, arch),
        claims: param_claims(model, &params),
        params,
    })
}

/// The published parameter counts a preset records, each against its computed counterpart.
pub fn param_claims(model: &Model, p: &ParamBreakdown) -> Vec<ClaimCheck> {
    let c = &model.claims;
    [
        ClaimCheck::new(
            "total_params",
            c.total_params.as_ref(),
            p.total_params as f64,
        ),
        ClaimCheck::new(
            "active_params",
            c.active_params.as_ref(),
            p.active_params as f64,
        ),
        ClaimCheck::new(
            "non_embedding_params",
            c.non_embedding_params.as_ref(),
            p.non_embedding_params as f64,
        ),
        p.expert_params
            .and_then(|e| ClaimCheck::new("expert_params", c.expert_params.as_ref(), e as f64)),
        ClaimCheck::new(
            "attention_params",
            c.attention_params.as_ref(),
            p.attention_params as f64,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// One line describing an architecture: kind, stacks, widths, attention and MLP.
pub fn describe(arch: &Architecture) -> String {
    let stacks: Vec<String> = arch
        .stacks()
        .map(|(name, s)| {
            let moe = s.moe.as_ref().map_or(String::new(), |m| {
                let shared = if m.shared_experts > 0 {
                    format!(" + {} shared", m.shared_experts)
                } else {
                    String::new()
                };
                format!(
                    ", MoE {} experts top-{}{shared} on {} of {} layers",
                    m.experts,
                    m.top_k,
                    s.moe_layers(),
                    s.layers
                )
            });
            format!(
                "{name} {} layers, {} heads ({}, head dim {}), {} MLP {}{moe}",
                s.layers,
                s.heads,
                s.attention_kind(),
                s.head_dim,
                s.mlp.name(),
                s.ffn
            )
        })
        .collect();
    format!(
        "{}: d_model {}, vocab {}, context {}, {} positions; {}",
        arch.kind().name(),
        arch.d_model,
        arch.vocab,
        arch.context,
        arch.positional.name(),
        stacks.join("; ")
    )
}

/// The claims table: published, computed, and their ratio.
pub fn claims_table(checks: &[ClaimCheck], cell: impl Fn(f64) -> Cell) -> Table {
    let mut table = Table::new(&[
        ("claim", "claim"),
        ("published", "published"),
        ("computed", "computed"),
        ("computed / published", "ratio"),
    ]);
    for check in checks {
        let published = if check.published_low == check.published_high {
            cell(check.published_low)
        } else {
            Cell::Text(format!(
                "{}..{}",
                cell(check.published_low).human(),
                cell(check.published_high).human()
            ))
        };
        table.push(vec![
            check.claim.into(),
            published,
            cell(check.computed),
            Cell::Ratio(check.ratio),
        ]);
    }
    table
}

impl ParamsResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let p = &self.params;
        let mut table = Table::new(&[
            ("part", "part"),
            ("stack", "stack"),
            ("each", "each"),
            ("×", "count"),
            ("per", "per"),
            ("total", "total"),
            ("active", "active"),
        ]);
        for part in &p.parts {
            table.push(vec![
                part.part.into(),
                part.stack.map_or(Cell::Empty, Cell::from),
                Cell::Exact(part.each),
                Cell::Exact(part.count),
                part.per.into(),
                Cell::Exact(part.total),
                Cell::Exact(part.active),
            ]);
        }
        let exact = |n: u64| format!("({})", crate::domain::units::format::exact(n));
        let mut facts = vec![
            (
                "total params".to_string(),
                Cell::Count(p.total_params as f64),
                exact(p.total_params),
            ),
            (
                "active params".to_string(),
                Cell::Count(p.active_params as f64),
                exact(p.active_params),
            ),
            (
                "non-embedding params".to_string(),
                Cell::Count(p.non_embedding_params as f64),
                exact(p.non_embedding_params),
            ),
            (
                "attention params".to_string(),
                Cell::Count(p.attention_params as f64),
                exact(p.attention_params),
            ),
        ];
        if let Some(expert) = p.expert_params {
            facts.push((
                "one routed expert, all layers".to_string(),
                Cell::Count(expert as f64),
                exact(expert),
            ));
        }
        let mut sections = vec![
            self.model.heading(),
            Section::Facts(facts),
            Section::Table {
                title: "Parameters by part (each × count = total; active: per token)".into(),
                table: table.clone(),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: claims_table(&self.claims, Cell::Count),
            });
        }
        Report {
            sections,
            csv: table,
        }
    }
}
