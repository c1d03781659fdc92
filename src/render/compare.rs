//! How `compare` shows its result: tables and headline figures for people, from which every format is derived.

use crate::app::predict::MfuSource;
use crate::domain::hardware::PriceKind;
use crate::domain::training::PriceSource;
use crate::domain::units::format;
use crate::domain::units::{Bounds, Money};
use crate::render::memory::split;
use crate::render::{Cell, Column, Report, Section, Table, price_per_hour, price_tag, range};

use crate::app::compare::*;

/// Whether the training state fits in the GPUs' memory, for people.
fn fits(r: &CompareRow) -> String {
    if r.fits {
        format!(
            "yes ({} of memory)",
            format::percent(r.state_share_of_memory)
        )
    } else {
        format!("no: needs {:.1}× the memory", r.state_share_of_memory)
    }
}

/// One GPU's run; ranges as `low .. high`, of which CSV keeps the low end.
fn row(r: &CompareRow) -> Vec<Cell> {
    let money = |b: Option<Bounds<Money>>| b.map_or(Cell::Empty, |b| Cell::range(b, Cell::Money));
    vec![
        r.gpu.as_str().into(),
        Cell::range(r.gpus, |n| Cell::Exact(n as u64)),
        Cell::range(r.mfu, Cell::Percent),
        r.layout
            .as_ref()
            .map_or(Cell::Empty, |l| Cell::Text(split(l))),
        Cell::Text(
            match (r.mfu_source, r.calibrated_generation) {
                (MfuSource::Given, _) => "given",
                (MfuSource::Claimed, _) => "claimed",
                (MfuSource::Predicted, true) => "predicted",
                // No measured run on this GPU's generation: Hopper's constants stand in.
                (MfuSource::Predicted, false) => "extrapolated",
                (MfuSource::Solved, _) => "solved",
            }
            .into(),
        ),
        Cell::range(r.wall_clock_seconds, Cell::Time),
        Cell::range(r.gpu_hours, Cell::Count),
        r.price_usd_per_gpu_hour.map_or(Cell::Empty, |p| {
            let tag = r.price_origin.as_ref().map_or(String::new(), price_tag);
            Cell::range(p, |p| Cell::Dollars(p, 2)).note(format!(" {tag}"))
        }),
        money(r.cost_usd),
        r.energy_joules
            .map_or(Cell::Empty, |e| Cell::range(e, Cell::Energy)),
        money(r.cost_per_trillion_tokens_usd),
        Cell::Text(fits(r)),
        Cell::Text(r.fits.to_string()),
    ]
}

/// One GPU's relations with its numbers substituted.
fn row_relations(r: &CompareRow, result: &CompareResult) -> Vec<String> {
    let compute = range(result.training_flops, format::compute);
    let hours = range(r.gpu_hours, format::count);
    let gpus = range(r.gpus, format::count);
    let mut lines = vec![format!(
        "{}: compute = GPUs × wall-clock × peak × MFU: {compute} = {gpus} × {} × {} × {}  \
         [MFU as defined by Chowdhery et al. 2022, App. B; solved GPUs are rounded up]",
        r.gpu,
        range(r.wall_clock_seconds, format::time),
        format::compute_rate(r.peak_flops_per_second),
        range(r.mfu, format::percent)
    )];
    if let (Some(cost), Some(price), Some(origin)) =
        (r.cost_usd, r.price_usd_per_gpu_hour, &r.price_origin)
    {
        lines.push(format!(
            "{}: cost = GPU-hours × price = {hours} × {} = {}  [price from {}]",
            r.gpu,
            range(price, price_per_hour),
            range(cost, format::money),
            origin.describe()
        ));
    }
    if let (Some(energy), Some(power)) = (r.energy_joules, r.power_watts) {
        lines.push(format!(
            "{}: energy = GPU-hours × board power × PUE = {hours} × {} × {:.2} = {}  \
             [The Green Grid 2007 for PUE]",
            r.gpu,
            format::power(power),
            result.pue,
            range(energy, format::energy)
        ));
    }
    lines.push(format!(
        "{}: state share = training state / (GPUs × memory) = {} / ({} × {}) = {}",
        r.gpu,
        format::bytes(result.state_bytes),
        format::count(r.gpus.low),
        format::bytes(r.memory_bytes),
        format::percent(r.state_share_of_memory)
    ));
    lines
}

impl CompareResult {
    /// The training compute and state, then each GPU's relations with its numbers and sources.
    pub fn explain(&self) -> Vec<String> {
        // The compute is the tokens times a fixed count per token.
        let per_token = self.training_flops.low / self.tokens.low;
        let mut lines = vec![
            format!(
                "training compute = tokens × training FLOP per token = {} × {} = {}  \
                 [backward = 2 × forward: Kaplan et al. 2020, §2.1; attention term: Chowdhery et al. 2022, App. B]",
                range(self.tokens, format::count),
                format::compute(per_token),
                range(self.training_flops, format::compute)
            ),
            format!(
                "training state = params × 16 bytes = {} × 16 = {}  [mixed-precision Adam: Rajbhandari et al. 2020, §3.1]",
                format::count(self.total_params as f64),
                format::bytes(self.state_bytes)
            ),
        ];
        lines.extend(self.rows.iter().flat_map(|r| row_relations(r, self)));
        lines.push("cost per 1T tokens = cost / tokens × 10¹²".into());
        lines
    }

    /// The report for people and CSV: one row per GPU, cheapest first.
    pub fn report(&self, explain: bool) -> Report {
        let mut sections = vec![
            Section::Line(self.headline()),
            Section::Table {
                title: "Cheapest first (unpriced GPUs last; --price GPU=$/h sets a price)".into(),
                table: self.table(),
            },
        ];
        sections.push(Section::Line(self.prices()));
        sections.extend(self.extrapolated().map(Section::Line));
        sections.extend(self.left_out().into_iter().map(Section::Line));
        if explain {
            sections.push(Section::formulas(&self.explain()));
        }
        Report::new(sections)
    }

    /// The GPUs whose MFU is predicted with no measured run on their generation, if any.
    fn extrapolated(&self) -> Option<String> {
        let gpus: Vec<&str> = self
            .rows
            .iter()
            .filter(|r| r.mfu_source == MfuSource::Predicted && !r.calibrated_generation)
            .map(|r| r.gpu.as_str())
            .collect();
        (!gpus.is_empty()).then(|| {
            format!(
                "extrapolated MFU: {} — no measured run on their generation in the calibration, so \
                 Hopper's fitted constants stand in (--mfu sets one)",
                gpus.join(", ")
            )
        })
    }

    /// Where each GPU's price comes from, or why it has none; and, with no basis asked for, whether
    /// the GPU presets' prices are of different kinds.
    fn prices(&self) -> String {
        let mut lines = vec!["Prices per GPU-hour".to_string()];
        let width = self.rows.iter().map(|r| r.gpu.len()).max().unwrap_or(0);
        for r in &self.rows {
            let text = match (&r.price_origin, r.price_usd_per_gpu_hour) {
                (Some(origin), Some(p)) => {
                    format!("{} from {}", range(p, price_per_hour), origin.describe())
                }
                _ => format!(
                    "no price: {}; --price {}=$/h gives one",
                    r.no_price.as_deref().unwrap_or_default(),
                    r.gpu
                ),
            };
            lines.push(format!("  {:width$}  {text}", r.gpu));
        }
        let mut kinds: Vec<&str> = self
            .rows
            .iter()
            .filter_map(|r| r.price_origin.as_ref())
            .filter(|o| o.source == PriceSource::Preset)
            .map(|o| o.kind.map_or("kind not stated", PriceKind::name))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        if self.price_basis.is_none() && kinds.len() > 1 {
            lines.push(format!(
                "the presets' prices are of different kinds ({}): --price-basis KIND prices every GPU on one",
                kinds.join(", ")
            ));
        }
        lines.join("\n")
    }

    /// The model, its tokens, the MFU (given, or each GPU's predicted) and the training state.
    fn headline(&self) -> String {
        format!(
            "{}: {} tokens at {}{}; training state {} ({} params × 16 bytes, mixed-precision Adam: a first check, \
             without activations)",
            self.model,
            range(self.tokens, format::count),
            self.mfu.map_or(
                "each GPU's predicted MFU (the best layout `llmcalc plan` finds for it)"
                    .to_string(),
                |m| format!("MFU {}", range(m, format::percent))
            ),
            self.precision
                .map_or(String::new(), |p| format!(" of the {} peak", p.name())),
            format::bytes(self.state_bytes),
            format::count(self.total_params as f64),
        )
    }

    /// One row per GPU.
    fn table(&self) -> Table {
        let mut table = Table::with_columns(vec![
            Column::new("GPU", "gpu"),
            Column::low("GPUs", "gpus"),
            Column::low("MFU", "mfu"),
            Column::new("layout", "layout"),
            Column::csv("mfu_source"),
            Column::low("wall-clock", "wall_clock_seconds"),
            Column::low("GPU-hours", "gpu_hours"),
            Column::low("$/GPU-hour", "price_usd_per_gpu_hour"),
            Column::low("cost", "cost_usd"),
            Column::low("energy", "energy_joules"),
            Column::low("cost per 1T tokens", "cost_per_trillion_tokens_usd"),
            Column::people("state fits? (16 B/param)"),
            Column::csv("fits"),
        ])
        .optional(&[
            "energy",
            "GPU-hours",
            "state fits? (16 B/param)",
            "cost per 1T tokens",
            "layout",
        ]);
        for r in &self.rows {
            table.push(row(r));
        }
        table
    }

    /// The GPUs left out: no layout holds the model, or the run is impossible on them.
    fn left_out(&self) -> Vec<String> {
        let no_layout = self.no_layout.iter().map(|n| {
            format!(
                "{}: no layout of {} holds the model in memory; left out",
                n.gpu,
                crate::render::counted(n.gpus, "GPU", "GPUs")
            )
        });
        let impossible = self.rows.iter().flat_map(|r| {
            r.impossible
                .iter()
                .map(move |reason| format!("{}: impossible: {}", r.gpu, reason.message))
        });
        no_layout.chain(impossible).collect()
    }
}
