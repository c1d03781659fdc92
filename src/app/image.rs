//! `llmcalc image-tokens`: how many tokens an image costs under GPT-4o-style tiling, and at what price.

use serde::Serialize;

use crate::domain::serving::{self, BASE_TOKENS, Detail, ImageTokens, TOKENS_PER_TILE};
use crate::domain::units::Money;
use crate::domain::units::unit::dollar;
use crate::render::{Cell, Report, Section, Table};

/// The result of `llmcalc image-tokens`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageResult {
    #[serde(flatten)]
    pub tokens: ImageTokens,
    /// Price per million input tokens, if given.
    pub price_per_million_tokens_usd: Option<f64>,
    pub cost_usd: Option<f64>,
}

/// Counts an image's tokens.
pub fn image(
    width: u64,
    height: u64,
    detail: Detail,
    price_per_million: Option<Money>,
) -> ImageResult {
    let tokens = serving::image_tokens(width, height, detail);
    let price = price_per_million.map(|p| p.get::<dollar>());
    ImageResult {
        cost_usd: price.map(|p| p * tokens.tokens as f64 / 1e6),
        price_per_million_tokens_usd: price,
        tokens,
    }
}

impl ImageResult {
    /// The report for people and CSV.
    pub fn report(&self) -> Report {
        let t = &self.tokens;
        let mut table = Table::new(&[("step", "step"), ("result", "result")]);
        let rows = match t.detail {
            Detail::Low => vec![(
                "low detail",
                format!("{BASE_TOKENS} tokens, whatever the size"),
            )],
            Detail::High => vec![
                ("image", format!("{} × {}", t.width, t.height)),
                (
                    "fit within 2048 × 2048, shortest side down to 768",
                    format!("{} × {}", t.scaled_width, t.scaled_height),
                ),
                (
                    "512-pixel tiles",
                    format!(
                        "{} × {} = {}",
                        t.tiles_across,
                        t.tiles_down,
                        t.tiles_across * t.tiles_down
                    ),
                ),
                (
                    "tokens",
                    format!(
                        "{BASE_TOKENS} + {TOKENS_PER_TILE} × {} = {}",
                        t.tiles_across * t.tiles_down,
                        t.tokens
                    ),
                ),
            ],
        };
        for (step, result) in rows {
            table.push(vec![step.into(), Cell::Text(result)]);
        }
        let mut facts = vec![(
            "tokens".to_string(),
            Cell::Exact(t.tokens),
            format!("{:?} detail", t.detail).to_lowercase(),
        )];
        if let (Some(cost), Some(price)) = (self.cost_usd, self.price_per_million_tokens_usd) {
            facts.push((
                "cost".into(),
                Cell::Value(format!("${cost:.6}")),
                format!("at ${price} per 1M tokens"),
            ));
        }
        Report {
            sections: vec![
                Section::Line(
                    "GPT-4o-style image tokens (OpenAI's vision pricing: 85 base tokens and 170 per 512-pixel tile)".into(),
                ),
                Section::Facts(facts),
                Section::Table {
                    title: "Tiling".into(),
                    table: table.clone(),
                },
            ],
            csv: table,
        }
    }
}
