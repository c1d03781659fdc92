//! How `params` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::claims::ClaimCheck;
use crate::domain::model::params::{ParamBreakdown, Role};
use crate::domain::units::format;
use crate::render::{Cell, Report, Section, Table};

use crate::app::params::*;

/// Parameters by part: the breakdown.
fn parts_table(p: &ParamBreakdown) -> Table {
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
            part.stack.map_or(Cell::Empty, |s| Cell::from(s.name())),
            Cell::Exact(part.each),
            Cell::Exact(part.count),
            part.per.into(),
            Cell::Exact(part.total),
            Cell::Exact(part.active),
        ]);
    }
    table
}

/// The headline counts, each also in full.
fn facts(p: &ParamBreakdown) -> Vec<(String, Cell, String)> {
    let fact = |label: &str, n: u64| {
        (
            label.to_string(),
            Cell::Count(n as f64),
            format!("({})", format::exact(n)),
        )
    };
    let mut facts = vec![
        fact("total params", p.total_params),
        fact("active params", p.active_params),
        fact("non-embedding params", p.non_embedding_params),
        fact("attention params", p.attention_params),
    ];
    if let Some(expert) = p.expert_params {
        facts.push(fact("one routed expert, all layers", expert));
    }
    if let Some(mtp) = p.mtp_params {
        facts.push(fact("MTP modules (not in total)", mtp));
        facts.push(fact("total with MTP modules", p.total_params + mtp));
    }
    facts
}

/// The formula of a part's parameters per instance, and its source (as in the README's "Where the
/// formulas come from").
fn part_formula(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::TokenEmbedding | Role::OutputHead => (
            "vocab × d (an untied head is a second table)",
            "Vaswani et al. 2017, §3.4",
        ),
        Role::TokenTypeEmbedding | Role::PositionalEmbedding => (
            "rows × d (learned positions: context × d)",
            "Devlin et al. 2019, §3; Radford et al. 2019",
        ),
        Role::RelativePositionBias | Role::RelativePositionProjection => {
            ("buckets × heads per stack", "Raffel et al. 2020, §2.1")
        }
        Role::SelfAttention | Role::CrossAttention => (
            "d·(h·d_h) + 2·d·(h_kv·d_h) + (h·d_h)·d (+ biases)",
            "Vaswani et al. 2017; MQA: Shazeer 2019; GQA: Ainslie et al. 2023",
        ),
        Role::DenseMlp => (
            "2·d·d_ff, or 3·d·d_ff when gated (SwiGLU, GeGLU)",
            "Shazeer 2020, \"GLU Variants Improve Transformer\"",
        ),
        Role::RoutedExperts | Role::SharedExperts | Role::MultiTokenPrediction => (
            "one MLP of d_expert per expert (2·d·d_expert, or 3· gated); top_k routed (+ shared) active",
            "Fedus et al. 2021 (Switch); Jiang et al. 2024 (Mixtral); DeepSeek-AI 2024 (V3, MTP)",
        ),
        Role::Router => ("d × experts per MoE layer", "Fedus et al. 2021, §2.1"),
        Role::Norms | Role::EmbeddingNorm => (
            "d scale (+ d bias for LayerNorm) per norm",
            "Ba et al. 2016; RMSNorm: Zhang & Sennrich 2019",
        ),
        Role::Pooler => ("d·d + d", "Devlin et al. 2019, §3"),
    }
}

impl ParamsResult {
    /// Each part's formula with its numbers (each × count = total) and source, then the totals.
    pub fn explain(&self) -> Vec<String> {
        let p = &self.params;
        let n = |x: u64| format::exact(x);
        let mut lines: Vec<String> = p
            .parts
            .iter()
            .map(|part| {
                let (formula, source) = part_formula(part.role);
                let stack = part
                    .stack
                    .map_or(String::new(), |s| format!(" ({})", s.name()));
                format!(
                    "{}{stack} = {formula} = {} per {} × {} = {}  [{source}]",
                    part.part,
                    n(part.each),
                    part.per,
                    n(part.count),
                    n(part.total)
                )
            })
            .collect();
        lines.push(format!(
            "total = the sum of the parts = {}; active = the parts a token passes through = {}  \
             [Mixtral's 12.9B active: Jiang et al. 2024]",
            n(p.total_params),
            n(p.active_params)
        ));
        lines.push(format!(
            "non-embedding = total − embedding tables and untied head = {} − {} = {}  [Kaplan et al. 2020, §2.1]",
            n(p.total_params),
            n(p.embedding_params),
            n(p.non_embedding_params)
        ));
        lines
    }

    /// The report for people and CSV; the parameters by part are the CSV.
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = vec![
            self.model.heading(),
            Section::Facts(facts(&self.params)),
            Section::Table {
                title: "Parameters by part (each × count = total; active: per token)".into(),
                table: parts_table(&self.params),
            },
        ];
        if !self.claims.is_empty() {
            sections.push(Section::Table {
                title: "Published figures".into(),
                table: claims_table(&self.claims, Cell::Count),
            });
        }
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }
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

impl ModelInfo {
    /// The heading of a report: name, architecture, source.
    pub fn heading(&self) -> Section {
        Section::Line(format!(
            "{} ({})\n{}\nsource: {}",
            self.name, self.id, self.architecture, self.source
        ))
    }
}
