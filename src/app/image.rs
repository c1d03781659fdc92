//! `llmcalc image-tokens`: how many tokens an image costs under GPT-4o-style tiling, and at what price.

use serde::Serialize;

use crate::domain::serving::{self, Detail, ImageTokens};
use crate::domain::units::Money;
use crate::domain::units::unit::dollar;

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
