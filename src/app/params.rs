//! `llmcalc params`: parameter totals and the parts behind them, set against published counts.

use serde::Serialize;

use crate::domain::claims::ClaimCheck;
use crate::domain::model::Model;
use crate::domain::model::architecture::{Architecture, Kind};
use crate::domain::model::params::{self, ParamBreakdown};
use crate::error::Result;

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
    let without_embedding = model
        .try_architecture()
        .map(|arch| p.active_params_without_embedding(arch));
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
        without_embedding.and_then(|n| {
            ClaimCheck::new(
                "active_params_without_embedding",
                c.active_params_without_embedding.as_ref(),
                n as f64,
            )
        }),
        p.mtp_params
            .and_then(|m| ClaimCheck::new("mtp_params", c.mtp_params.as_ref(), m as f64)),
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
        .map(|(kind, s)| {
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
            let window = s.window.map_or(String::new(), |w| {
                format!(
                    ", {}-token {} on {} of {} layers",
                    w.size,
                    w.kind.noun(),
                    s.windowed_layers(),
                    s.layers
                )
            });
            let mtp = if s.mtp_modules > 0 {
                format!(", {} MTP modules", s.mtp_modules)
            } else {
                String::new()
            };
            format!(
                "{} {} layers, {} heads ({}, head dim {}), {} MLP {}{moe}{window}{mtp}",
                kind.name(),
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
