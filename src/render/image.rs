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
    /// Each step's rule with its numbers, and the source.
    pub fn explain(&self) -> Vec<String> {
        let t = &self.tokens;
        let source = "[OpenAI's vision pricing for GPT-4o: 85 base tokens, 170 per 512-pixel tile]";
        let mut lines = match t.detail {
            Detail::Low => vec![format!("tokens = {BASE_TOKENS} at low detail  {source}")],
            Detail::High => vec![
                format!(
                    "scaled = {} × {} shrunk, keeping its shape, to fit 2048 × 2048, then until its shortest side is at \
                     most 768 = {} × {}  {source}",
                    t.width, t.height, t.scaled_width, t.scaled_height
                ),
                format!(
                    "tiles = ⌈width / 512⌉ × ⌈height / 512⌉ = ⌈{} / 512⌉ × ⌈{} / 512⌉ = {} × {}",
                    t.scaled_width, t.scaled_height, t.tiles_across, t.tiles_down
                ),
                format!(
                    "tokens = {BASE_TOKENS} + {TOKENS_PER_TILE} × tiles = {BASE_TOKENS} + {TOKENS_PER_TILE} × {} = {}",
                    t.tiles_across * t.tiles_down,
                    t.tokens
                ),
            ],
        };
        if let (Some(cost), Some(price)) = (self.cost_usd, self.price_per_million_tokens_usd) {
            lines.push(format!(
                "cost = tokens × price per 1M tokens / 10⁶ = {} × ${price} / 10⁶ = ${cost:.6}",
                t.tokens
            ));
        }
        lines
    }

    /// The report for people and CSV; the tiling steps are the CSV.
    pub fn report(&self, explain: bool) -> Report {
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
        let mut sections = vec![
            Section::Line(
                "GPT-4o-style image tokens (OpenAI's vision pricing: 85 base tokens and 170 per 512-pixel tile)".into(),
            ),
            Section::Facts(facts),
            Section::Table {
                title: "Tiling".into(),
                table: tiling(t),
            },
        ];
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }
}
