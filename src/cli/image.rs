//! `llmcalc image-tokens`.

use clap::Args;

use super::values::{choice, image_size, single};
use crate::app;
use crate::domain::serving::Detail;
use crate::domain::units::Money;
use crate::render::{self, Output};

/// Tokens of an image under GPT-4o-style tiling (85 base tokens, 170 per 512-pixel tile), and its
/// cost at a price per million tokens.
#[derive(Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  llmcalc image-tokens 1024x1024\n  llmcalc image-tokens 2048x4096 --price-per-million '$2.50'\n  llmcalc image-tokens 4000x3000 --detail low\n  llmcalc image-tokens 1024x1024 --explain"
)]
pub struct ImageArgs {
    /// Image size in pixels: WIDTHxHEIGHT
    #[arg(value_name = "WIDTHxHEIGHT", value_parser = image_size)]
    size: (u64, u64),

    /// Detail level: high tiles the image, low is 85 tokens flat
    #[arg(long, value_enum, default_value_t = Detail::High, value_parser = choice::<Detail>())]
    detail: Detail,

    /// Price per million input tokens: `$2.50`
    #[arg(long, value_name = "USD", value_parser = single::<Money>(None))]
    price_per_million: Option<Money>,

    /// Print each step's rule with its numbers and source
    #[arg(long)]
    explain: bool,
}

impl ImageArgs {
    pub fn run(self, format: Output) -> crate::error::Result<String> {
        let (width, height) = self.size;
        let result = app::image::image(width, height, self.detail, self.price_per_million);
        render::render(&result, |r| r.report(self.explain), format)
    }
}
