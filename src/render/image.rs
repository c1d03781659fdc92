//! How `image` shows its result: tables and headline figures for people, from which every format is derived.

use crate::domain::serving::{BASE_TOKENS, Detail, ImageTokens, TOKENS_PER_TILE};
use crate::render::{Cell, Report, Section, Table};

use crate::app::image::*;

/// The steps from the image to its tokens: the breakdown.
fn tiling(t: &ImageTokens) -> Table {
    let mut table = Table::new(&[("step", "step"), ("result", "result")]);
    let tiles = t.tiles_across * t.tiles_down;
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
                format!("{} × {} = {tiles}", t.tiles_across, t.tiles_down),
            ),
            (
                "tokens",
                format!("{BASE_TOKENS} + {TOKENS_PER_TILE} × {tiles} = {}", t.tokens),
            ),
        ],
    };
    for (step, result) in rows {
        table.push(vec![step.into(), Cell::Text(result)]);
    }
    table
}

impl ImageResult {
    /// The report for people and CSV; the tiling steps are the CSV.
    pub fn report(&self) -> Report {
        let t = &self.tokens;
        let mut facts = vec![(
            "tokens".to_string(),
            Cell::Exact(t.tokens),
            format!("{:?} detail", t.detail).to_lowercase(),
        )];
        if let (Some(cost), Some(price)) = (self.cost_usd, self.price_per_million_tokens_usd) {
            facts.push((
                "cost".into(),
                Cell::Dollars(cost, 6),
                format!("at ${price} per 1M tokens"),
            ));
        }
        Report::new(vec![
            Section::Line(
                "GPT-4o-style image tokens (OpenAI's vision pricing: 85 base tokens and 170 per 512-pixel tile)".into(),
            ),
            Section::Facts(facts),
            Section::Table {
                title: "Tiling".into(),
                table: tiling(t),
            },
        ])
    }
}
